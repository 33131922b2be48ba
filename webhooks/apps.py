from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Events out: clients' subscriptions, and each published event posted to them, signed, from
    an outbox of its own."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from journeys.services.events import event_listen
        from journeys.services.outbox import outbox_route
        from journeys.services.relay import relay_register
        from webhooks import tasks
        from webhooks.deliveries import QUEUE, deliveries_create, deliveries_relay
        from webhooks.models import Delivery

        # A published event becomes delivery rows in the change's transaction; the relay
        # publishes what is due (retries included) and what was lost.
        event_listen(deliveries_create)
        outbox_route(Delivery, task=tasks.delivery_attempt, queue=lambda row: QUEUE)
        relay_register(deliveries_relay)
