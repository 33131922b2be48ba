"""Subscriptions for tests about what happens to their rows, saved without the handshake (the
handshake's own tests go through subscription_create and a real receiver)."""

from django.utils import timezone

from api.clients import api_client_create
from api.events import PUBLISHED_TYPES
from webhooks.models import Subscription


def make_subscription(
    client=None, *, url: str = "https://receiver.example.org/hooks", event_types=None, **fields
) -> Subscription:
    now = timezone.now()
    client = client or api_client_create(name="Coordination system", now=now)[0]
    return Subscription.objects.create(
        client=client,
        url=url,
        secret="whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==",
        event_types=event_types or PUBLISHED_TYPES,
        created_at=now,
        verified_at=now,
        **fields,
    )


def paused(subscription: Subscription) -> Subscription:
    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.PAUSED, paused_at=now, failing_since=now, failures=13
    )
    subscription.refresh_from_db()
    return subscription
