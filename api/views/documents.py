"""A document's content, sent to a client that may see it (journeys.disclosure), as a download."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.negotiation import DefaultContentNegotiation

from api.access import AccessLogged, What
from journeys.disclosure import disclosed_documents, journey_disclosure, secret_shown
from journeys.documents import SIGNATURES, document_response
from journeys.models import Document, Journey

CONTENT_TYPES = sorted(set(SIGNATURES.values()))


class DownloadNegotiation(DefaultContentNegotiation):
    """A download is sent as what it is, whatever the Accept header says; only a problem
    document is rendered, as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DocumentViewSet(AccessLogged, viewsets.GenericViewSet):
    """Documents, by id: only their content, for a client whose scope includes them."""

    queryset = Document.objects.none()
    content_negotiation_class = DownloadNegotiation
    filter_backends = []
    access_what = {"content": What.DOCUMENT}

    @extend_schema(
        responses={
            (200, content_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            )
            for content_type in CONTENT_TYPES
        }
    )
    @action(detail=True, methods=["get"])
    def content(self, request, pk=None):
        """The document's file, if it is attached to a step of this client's unit (the rule of
        the case page's documents); otherwise 404."""
        document = get_object_or_404(
            Document.objects.select_related("journey__journey_type"), pk=pk
        )
        journeys = Journey.objects.visible_to(request.user).exclude(status=Journey.Status.DRAFT)
        if not journeys.filter(pk=document.journey_id).exists():
            raise Http404
        disclosure = journey_disclosure(document.journey, request.user)
        shown = get_object_or_404(disclosed_documents(document.journey, disclosure), pk=document.pk)
        self.access_note([document])
        self.access_note_secret(document.journey, secret_shown(disclosure, documents=[shown]))
        return document_response(shown)
