"""Settings package of the journey portal; importing it loads the Celery app."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
