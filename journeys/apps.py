from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    """Journey types, citizens' journeys and their steps, and the handoff of steps between units."""

    name = "journeys"
    verbose_name = _("Journeys")

    def ready(self) -> None:
        from journeys import checks, signals, tasks  # noqa: F401
        from journeys.models import Handoff, OutgoingEmail
        from journeys.services.outbox import outbox_route

        # Where each outbox's rows go: a handoff to its receiving unit's queue, an e-mail to
        # the queue it was written for (the unit's for its notices, `portal` for the rest).
        outbox_route(
            Handoff,
            task=tasks.handoff_deliver,
            queue=lambda row: row.unit.queue_name,
            on_dashboard=True,
        )
        outbox_route(OutgoingEmail, task=tasks.outgoing_email_send, queue=lambda row: row.queue)
        signals.connect()
