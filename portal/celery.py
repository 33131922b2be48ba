"""The Celery app, configured from the CELERY_* Django settings (beat schedules included)."""

import contextlib
import os

from celery import Celery, states
from celery.signals import task_postrun, task_prerun
from django.db import DatabaseError, close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in the worker. Celery's Django fixup closes every connection after every
# task, so each task opened a new PostgreSQL connection, which costs more than the queries of a
# handoff. settings.CELERY_DB_REUSE_MAX turns that off (the fixup then closes them only every
# CELERY_DB_REUSE_MAX tasks); these receivers apply Django's own rule for requests instead: a
# connection is kept while it is usable and younger than CONN_MAX_AGE, and is checked before its
# first query in each task (CONN_HEALTH_CHECKS). A task that did not succeed drops it in any case:
# an error or a time limit may have interrupted a query in a way Django cannot detect (the
# reason Celery stopped relying on close_if_unusable_or_obsolete alone, celery#9824).
# Eager tasks run inside the caller's connection and transaction, which are not theirs to close.


@task_prerun.connect
def _drop_unusable_connections(sender=None, **kwargs) -> None:
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()


@task_postrun.connect
def _keep_or_drop_connections(sender=None, state=None, **kwargs) -> None:
    if getattr(sender.request, "is_eager", False):
        return
    if state == states.SUCCESS:
        close_old_connections()
        return
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            connection.close()
