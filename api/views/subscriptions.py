"""A client's webhook subscriptions: made after the verification handshake, listed, deleted,
resumed when paused, and each one's deliveries (webhooks/)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.access import AccessLogged, What
from api.idempotency import idempotent
from api.pagination import IdCursorPagination
from api.permissions import IsAnyApiClient
from api.problems import Problem
from webhooks.addresses import AddressRefused, UrlInvalid
from webhooks.deliveries import subscription_resume
from webhooks.models import Delivery, Subscription
from webhooks.serializers import (
    DeliverySerializer,
    SubscriptionCreatedSerializer,
    SubscriptionCreateSerializer,
    SubscriptionSerializer,
)
from webhooks.subscriptions import NotVerified, subscription_create, subscription_delete

PROBLEM = OpenApiResponse(description="A problem document (RFC 9457).")


class NewestFirst(IdCursorPagination):
    ordering = "-id"


class SubscriptionViewSet(
    AccessLogged,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The client's own subscriptions (a coordination client's too: it may manage them)."""

    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    serializer_class = SubscriptionSerializer
    permission_classes = [IsAnyApiClient]
    access_what = {"deliveries": What.DELIVERIES}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Subscription.objects.none()
        return Subscription.objects.filter(client=self.request.user.api_client)

    @extend_schema(
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionCreatedSerializer, 400: PROBLEM, 422: PROBLEM},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Subscribe an address to event types. Before anything is saved the portal posts it a
        signed `webhook.verification` CloudEvent with `{"challenge": "..."}` as its data; the
        address must answer 2xx with the JSON `{"challenge": "<the same>"}`. The answer holds
        the signing secret, shown this once."""
        body = SubscriptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            subscription, secret = subscription_create(
                client=request.user.api_client, now=timezone.now(), **body.validated_data
            )
        except UrlInvalid as error:  # not reached: the body's check is the same
            raise Problem(status.HTTP_400_BAD_REQUEST, "validation-error", str(error)) from error
        except AddressRefused as error:
            raise Problem(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "url-not-allowed",
                _("The portal does not post to this address"),
                str(error),
            ) from error
        except NotVerified as error:
            raise Problem(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "subscription-not-verified",
                _("The address did not answer the verification"),
                str(error),
            ) from error
        subscription.secret = secret
        return Response(
            SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Stop the subscription; its undelivered events are dropped."""
        subscription_delete(subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request, id=None):
        """Deliver again to a subscription the portal paused after it failed for 24 hours;
        its waiting events follow, oldest first. Resuming an active one changes nothing."""
        subscription = self.get_object()
        subscription_resume(subscription=subscription, now=timezone.now())
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=NewestFirst)
    def deliveries(self, request, id=None):
        """Each event sent or to be sent to the subscription, newest first, with its status."""
        subscription = self.get_object()
        rows = Delivery.objects.filter(subscription=subscription).select_related("event", "journey")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
