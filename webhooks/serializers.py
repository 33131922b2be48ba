"""What the API shows of subscriptions and deliveries, and what creating one accepts."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.events import PUBLISHED_TYPES
from api.serializers import StrictSerializer
from webhooks.addresses import MAX_URL_LENGTH, UrlInvalid, url_syntax_check
from webhooks.models import DELIVERY_STATES, Delivery, Subscription


class SubscriptionCreateSerializer(StrictSerializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        help_text="A public http(s) address; it must answer the verification handshake.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PUBLISHED_TYPES),
        min_length=1,
        max_length=len(PUBLISHED_TYPES) * 2,
        help_text="The CloudEvents types to receive.",
    )

    def validate_url(self, url: str) -> str:
        try:
            url_syntax_check(url)
        except UrlInvalid as error:
            raise serializers.ValidationError(str(error)) from error
        return url

    def validate_event_types(self, event_types: list[str]) -> list[str]:
        if len(set(event_types)) != len(event_types):
            raise serializers.ValidationError(_("Name each event type once"))
        return event_types


class SubscriptionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PUBLISHED_TYPES), read_only=True
    )

    class Meta:
        model = Subscription
        fields = ["id", "url", "event_types", "status", "created_at", "verified_at", "paused_at"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(serializers.ModelSerializer):
    """The creation's answer: the only time the signing secret is shown."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PUBLISHED_TYPES), read_only=True
    )
    secret = serializers.CharField(
        read_only=True, help_text="Verifies the signatures (Standard Webhooks); shown once."
    )

    class Meta:
        model = Subscription
        fields = ["id", "url", "event_types", "status", "secret", "created_at", "verified_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.CharField(
        source="webhook_id", read_only=True, help_text="The `webhook-id` header it is sent with."
    )
    event_id = serializers.SerializerMethodField(help_text="The CloudEvent's `id`.")
    type = serializers.ChoiceField(
        source="event_type",
        choices=PUBLISHED_TYPES,
        read_only=True,
        help_text="The CloudEvent's `type`.",
    )
    journey = serializers.UUIDField(source="journey.public_id", read_only=True)
    status = serializers.ChoiceField(
        source="state",
        choices=DELIVERY_STATES,
        read_only=True,
        help_text="pending: not tried yet; failing: tried and failed, to be tried again at "
        "`next_attempt_at`; delivered: answered 2xx; given_up: failed for 24 hours or more, "
        "the subscription was paused (resume it to send again).",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "type",
            "journey",
            "status",
            "created_at",
            "attempts",
            "last_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields

    def get_event_id(self, delivery: Delivery) -> str:
        return f"event-{delivery.event_id}"
