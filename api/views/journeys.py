from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from api.filters import JourneyFilter
from api.serializers import JourneyDetailSerializer, JourneySerializer
from journeys.disclosure import journey_disclosure
from journeys.models import Journey


class JourneyViewSet(viewsets.ReadOnlyModelViewSet):
    """Submitted journeys in the client's scope: those with a step that reached its unit, or
    every one for a coordination client."""

    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    filterset_class = JourneyFilter
    serializer_class = JourneySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Journey.objects.none()
        return (
            Journey.objects.visible_to(self.request.user)
            .exclude(status=Journey.Status.DRAFT)
            .select_related("journey_type")
        )

    @extend_schema(responses=JourneyDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        journey = self.get_object()
        steps = list(journey.steps.select_related("step_type", "unit"))
        context = self.get_serializer_context() | {
            "steps": steps,
            "disclosure": journey_disclosure(journey, request.user, steps=steps),
        }
        return Response(JourneyDetailSerializer(journey, context=context).data)
