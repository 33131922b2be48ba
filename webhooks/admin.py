from django.contrib import admin

from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Read-only: subscriptions are made by their clients through the API (after the
    handshake) and resumed there or on the coordinators' page. The secret is never shown."""

    list_display = ["client", "url", "status", "created_at", "failing_since", "retry_after"]
    list_filter = ["status"]
    list_select_related = ["client"]
    exclude = ["secret"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "subscription", "journey", "attempts", "last_status"]
    list_display += ["created_at", "delivered_at", "given_up_at"]
    list_select_related = ["subscription__client", "journey"]
    raw_id_fields = ["subscription", "event", "journey"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
