"""What coordinators see of the webhooks: deliveries that failed, subscriptions paused."""

from django.db.models import Count, Q, QuerySet

from webhooks.models import Delivery, Subscription


def failed_deliveries() -> QuerySet:
    """Undelivered after a failed attempt (or given up), oldest first, with what the page
    shows of each in the same query."""
    return (
        Delivery.objects.failed()
        .select_related("subscription__client", "journey", "event")
        .order_by("created_at", "pk")
    )


def paused_subscriptions() -> QuerySet:
    """Paused subscriptions, each with how many deliveries wait for it."""
    return (
        Subscription.objects.filter(status=Subscription.Status.PAUSED)
        .select_related("client")
        .annotate(waiting=Count("deliveries", filter=Q(deliveries__delivered_at__isnull=True)))
        .order_by("paused_at", "pk")
    )
