from django.db.models import Prefetch
from rest_framework import viewsets

from api.access import AccessLogged
from api.filters import JourneyTypeFilter
from api.serializers import JourneyTypeSerializer
from journeys.models import JourneyType, StepType


class JourneyTypeViewSet(AccessLogged, viewsets.ReadOnlyModelViewSet):
    """Published journey types, every version, each with its step graph (public information)."""

    serializer_class = JourneyTypeSerializer
    filterset_class = JourneyTypeFilter
    queryset = JourneyType.objects.prefetch_related(
        Prefetch(
            "steps",
            queryset=StepType.objects.select_related("unit").prefetch_related("depends_on"),
        )
    )
