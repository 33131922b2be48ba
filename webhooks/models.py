"""A client's subscriptions to the portal's events, and the outbox of their deliveries."""

import datetime as dt
import uuid

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from api.events import EVENT_TYPES
from api.models import ApiClient
from journeys.models import Journey, JourneyEvent, OutboxRow


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")


# A delivery's state as the API shows it (Delivery.state).
DELIVERY_STATES = ["pending", "failing", "delivered", "given_up"]


class SubscriptionQuerySet(models.QuerySet):
    def receiving(self):
        """Subscriptions that get new events: active ones, and paused ones (their deliveries
        wait for the resume), of clients not revoked."""
        return self.filter(client__revoked_at__isnull=True)


class Subscription(models.Model):
    """Where a client wants events of some types posted, and the state of that address.

    `secret` signs every delivery (Standard Webhooks): shown once to the client, kept here to
    sign. While `retry_after` is in the future no delivery to this subscription is tried (the
    breaker after a failure); `failures` counts the failed attempts since `failing_since`, the
    last success. A subscription that keeps failing is paused: its deliveries wait, none lost."""

    Status = SubscriptionStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="subscriptions")
    url = models.URLField(_("address"), max_length=2000)
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(_("event types"), default=list)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    retry_after = models.DateTimeField(_("next try after"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", paused_at__isnull=True)
                | Q(status="paused", paused_at__isnull=False),
                name="subscription_paused_says_when",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.url}"

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.PAUSED

    def waiting(self, now: dt.datetime) -> bool:
        """Whether its breaker holds deliveries back at `now`."""
        return self.retry_after is not None and self.retry_after > now


class DeliveryQuerySet(models.QuerySet):
    def undelivered(self):
        return self.filter(delivered_at__isnull=True)

    def first_of_their_journey(self):
        """Those with no older undelivered row of the same subscription and journey: a journey's
        events reach a subscriber in the order they happened."""
        older = Delivery.objects.filter(
            subscription=OuterRef("subscription"),
            journey=OuterRef("journey"),
            delivered_at__isnull=True,
            pk__lt=OuterRef("pk"),
        )
        return self.exclude(Exists(older))

    def due(self, *, now: dt.datetime):
        """Undelivered rows that may be tried at `now`: not given up, due, of an active
        subscription whose breaker is off, and first of their journey."""
        return (
            self.undelivered()
            .filter(given_up_at__isnull=True, next_attempt_at__lte=now)
            .filter(subscription__status=Subscription.Status.ACTIVE)
            .filter(
                Q(subscription__retry_after__isnull=True) | Q(subscription__retry_after__lte=now)
            )
            .first_of_their_journey()
        )

    def without_message(self, *, written_before: dt.datetime | None = None):
        """Rows no message is out for: held back by a run, or never published (written before
        `written_before`, so a publish after commit still under way is not doubled)."""
        never = Q(published_at__isnull=True)
        if written_before is not None:
            never &= Q(created_at__lt=written_before)
        return self.filter(Q(held_back_at__isnull=False) | never)

    def failed(self):
        """Undelivered after at least one failed attempt, or given up: what coordinators see."""
        return self.undelivered().filter(Q(attempts__gt=0) | Q(given_up_at__isnull=False))


class Delivery(OutboxRow):
    """One event for one subscription: the outbox row, written in the event's transaction.

    `webhook_id` is the Standard Webhooks message id, the same on every attempt, so a receiver
    can recognise a repeat. A delivery is tried only when no older one of its journey is still
    undelivered to the same subscription. `held_back_at` says a run left the row waiting
    (behind an older one, a breaker, a pause, a retry's time, every slot taken): it has no
    message then, and the relay publishes it when it is due."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(JourneyEvent, on_delete=models.PROTECT, related_name="+")
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="+")
    webhook_id = models.CharField(max_length=40, unique=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    given_up_at = models.DateTimeField(_("given up"), null=True, blank=True)
    held_back_at = models.DateTimeField(_("held back"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="delivery_one_per_subscription_event"
            )
        ]
        indexes = [
            # Undelivered rows due now (the relay), and the oldest undelivered row of a
            # subscription's journey (the order rule).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True),
                name="delivery_undelivered_due",
            ),
            models.Index(
                fields=["subscription", "journey", "id"],
                condition=Q(delivered_at__isnull=True),
                name="delivery_journey_pending",
            ),
            models.Index(fields=["subscription", "id"], name="delivery_subscription"),
        ]

    def __str__(self) -> str:
        return self.webhook_id

    @property
    def event_type(self) -> str:
        """The CloudEvents type it carries (reads the event)."""
        return EVENT_TYPES[self.event.kind]

    @property
    def state(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        if self.given_up_at is not None:
            return "given_up"
        return "failing" if self.attempts else "pending"
