"""The change feed (api.feed): everything in the client's scope since its cursor."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api.access import AccessLogged, What
from api.events import cloud_event
from api.feed import InvalidCursor, Position, feed_page
from api.problems import Problem
from api.serializers import FeedSerializer


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The `next` cursor of the previous page; leave it out (or empty) to start "
        "at the beginning.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=1000, default=100, help_text="Events per page."
    )


class FeedView(AccessLogged, GenericAPIView):
    """The client's published events (the same CloudEvents documents webhooks post), oldest
    first, after the cursor `after`; store `next` and ask with it again to get what came since.
    An event appears once its transaction and every older one have committed, so nothing ever
    lands behind a cursor already given."""

    serializer_class = FeedSerializer
    pagination_class = None
    filter_backends = []
    access_what = {"get": What.FEED}

    @extend_schema(parameters=[FeedQuerySerializer], responses=FeedSerializer)
    def get(self, request):
        # A plain dict: read as a form (a QueryDict), an empty `limit=` would mean "the default".
        query = FeedQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        try:
            after = Position.decode(query.validated_data.get("after") or Position().encode())
        except InvalidCursor as error:
            raise Problem(
                status.HTTP_400_BAD_REQUEST,
                "invalid-cursor",
                _("The cursor is not valid"),
                _("Send a `next` cursor the feed gave, or none to start at the beginning."),
            ) from error
        events, position, has_more = feed_page(
            client=request.user.api_client, after=after, limit=query.validated_data["limit"]
        )
        self.access_note(event.journey for event in events)
        return Response(
            {
                "events": [cloud_event(event) for event in events],
                "next": position.encode(),
                "has_more": has_more,
            }
        )
