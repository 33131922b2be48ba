"""Journeys in the client's scope, with what the client may see of each: its steps, answers,
documents and log (journeys.disclosure decides, as for the web pages)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.access import AccessLogged, What
from api.filters import JourneyFilter
from api.serializers import (
    DocumentSerializer,
    JourneyDetailSerializer,
    JourneyEventSerializer,
    JourneySerializer,
)
from journeys.disclosure import (
    Disclosure,
    disclosed_documents,
    journey_disclosure,
    secret_shown,
)
from journeys.models import Journey, Step


class JourneyViewSet(AccessLogged, viewsets.ReadOnlyModelViewSet):
    """Submitted journeys in the client's scope: those with a step that reached its unit, or
    every one for a coordination client."""

    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    filterset_class = JourneyFilter
    serializer_class = JourneySerializer
    access_what = {
        "list": What.JOURNEY_LIST,
        "retrieve": What.JOURNEY,
        "documents": What.DOCUMENT_LIST,
        "events": What.EVENTS,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Journey.objects.none()
        return (
            Journey.objects.visible_to(self.request.user)
            .exclude(status=Journey.Status.DRAFT)
            .select_related("journey_type")
        )

    def _journey_and_disclosure(self) -> tuple[Journey, list[Step], Disclosure]:
        journey = self.get_object()
        steps = list(journey.steps.select_related("step_type", "unit"))
        return journey, steps, journey_disclosure(journey, self.request.user, steps=steps)

    @extend_schema(responses=JourneyDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        journey, steps, disclosure = self._journey_and_disclosure()
        context = self.get_serializer_context() | {"steps": steps, "disclosure": disclosure}
        data = JourneyDetailSerializer(journey, context=context).data
        shown = [{"key": key} for key in data["answers"]]
        self.access_note_secret(journey, secret_shown(disclosure, answers=shown))
        return Response(data)

    @extend_schema(responses=DocumentSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def documents(self, request, id=None):
        """The journey's documents this client may see: those attached to its unit's steps
        (a coordination client sees none: it follows journeys, it does not decide steps)."""
        journey, _steps, disclosure = self._journey_and_disclosure()
        documents = (
            disclosed_documents(journey, disclosure)
            .select_related("unit")
            .prefetch_related(Prefetch("steps", queryset=Step.objects.only("id")))
        )
        page = self.paginate_queryset(documents)
        self.access_note_secret(journey, secret_shown(disclosure, documents=page))
        context = {"secret_documents": disclosure.secret_documents}
        return self.get_paginated_response(
            DocumentSerializer(page, many=True, context=context).data
        )

    @extend_schema(responses=JourneyEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, id=None):
        """The journey's log, oldest first, as its case page shows it to this client: every
        event, its internal ones too; the message of an answer or a document added to another
        unit's step is withheld (`withheld`: the applicant's data of a step it does not handle)."""
        journey, _steps, disclosure = self._journey_and_disclosure()
        events = journey.events.select_related("step__step_type", "step__unit", "actor")
        page = self.paginate_queryset(events)
        for event in page:
            if not disclosure.shows_event(event):
                event.message, event.withheld = "", True
        return self.get_paginated_response(JourneyEventSerializer(page, many=True).data)
