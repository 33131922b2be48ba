"""A unit's steps: its queue, one step (with its version as ETag), and what its system does."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import StepFilter
from api.idempotency import idempotent
from api.problems import Problem
from api.schema import problem_responses
from api.serializers import (
    ConversationMessageSerializer,
    DecisionSerializer,
    HandoffSerializer,
    InformationRequestSerializer,
    MessageSerializer,
    StepSerializer,
)
from journeys import services
from journeys.models import Document, Step
from payments.services import PaymentDue
from units.roles import acts_in_unit, roles_of

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The step's ETag as last read: the change is made only if it is still current.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The step's version: send it back as If-Match to change the step.",
)


LIST_COLUMNS = [
    *(f.name for f in Step._meta.concrete_fields if f.name in StepSerializer.Meta.fields),
    "journey__public_id",
    "journey__reference",
    "step_type__key",
    "step_type__name",
    "unit__slug",
    "assignee__username",
]


def _etag(step: Step) -> str:
    return f'"{step.version}"'


def _expected_version(request, step: Step) -> int:
    """The version named by If-Match: required, and the step's current one."""
    header = request.headers.get("If-Match")
    if not header:
        raise Problem(
            status.HTTP_428_PRECONDITION_REQUIRED,
            "if-match-required",
            _("Send If-Match with the step's ETag"),
        )
    tag = header.strip().removeprefix("W/").strip('"')
    if tag != str(step.version):
        raise Problem(
            status.HTTP_412_PRECONDITION_FAILED,
            "version-mismatch",
            _("The step has changed since it was read"),
            _("Read the step again and decide on what it shows now."),
        )
    return step.version


class StepViewSet(viewsets.ReadOnlyModelViewSet):
    """Steps that reached the client's unit (every step for a coordination client)."""

    serializer_class = StepSerializer
    filterset_class = StepFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Step.objects.none()
        steps = Step.objects.visible_to(self.request.user).select_related(
            "journey", "step_type", "unit", "assignee"
        )
        if self.action == "list":
            # A page's rows read only what a row shows: the journey's answers and the step
            # type's JSON columns, decoded for every row, were most of the queue's time.
            steps = steps.only(*LIST_COLUMNS)
        return steps

    @extend_schema(parameters=[ETAG])
    def retrieve(self, request, *args, **kwargs):
        step = self.get_object()
        return self._step_response(step)

    def _step_response(self, step: Step, code: int = status.HTTP_200_OK) -> Response:
        step = self.get_queryset().get(pk=step.pk)
        return Response(self.get_serializer(step).data, status=code, headers={"ETag": _etag(step)})

    def _acting_step(self) -> Step:
        step = self.get_object()
        if not acts_in_unit(roles_of(self.request.user), step.unit_id):
            raise Problem(status.HTTP_403_FORBIDDEN, "forbidden", _("This client may not do that"))
        return step

    @extend_schema(
        request=None,
        parameters=[ETAG],
        responses={200: StepSerializer, **problem_responses(409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def take(self, request, pk=None):
        """Take a received step (as the unit's caseworkers do); taking it again changes nothing."""
        step = self._acting_step()
        try:
            step = services.step_claim(step=step, by=request.user, now=timezone.now())
        except services.StepChanged as error:
            raise _conflict(error) from error
        return self._step_response(step)

    @extend_schema(
        request=DecisionSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: StepSerializer, **problem_responses(409, 412, 428)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decision(self, request, pk=None):
        """Approve or reject the step (with reasons; a rejection also with how to appeal and the
        applicant's chance to comment); the journey is handed on or closed."""
        step = self._acting_step()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = _expected_version(request, step)
        try:
            step = services.step_decide(
                step=step,
                by=request.user,
                now=timezone.now(),
                expected_version=version,
                **body.validated_data,
            )
        except PaymentDue as error:
            raise Problem(
                status.HTTP_409_CONFLICT,
                "payment-due",
                _("The step's invoice is not paid yet"),
                PaymentDue.message,
            ) from error
        except services.StepChanged as error:
            raise _conflict(error) from error
        return self._step_response(step)

    @extend_schema(
        request=InformationRequestSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={201: StepSerializer, **problem_responses(409, 412, 428)},
    )
    @action(detail=True, methods=["post"], url_path="information-requests")
    @idempotent
    def information_requests(self, request, pk=None):
        """Ask the applicant for information; the step's clock stops until they answer."""
        step = self._acting_step()
        body = InformationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = _expected_version(request, step)
        try:
            with transaction.atomic():
                services.information_request_create(
                    step=step,
                    by=request.user,
                    items=body.validated_data["items"],
                    due_date=body.validated_data["due_date"],
                    now=timezone.now(),
                    expected_version=version,
                )
        except services.StepChanged as error:
            raise _conflict(error) from error
        return self._step_response(step, status.HTTP_201_CREATED)

    @extend_schema(responses=HandoffSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def handoffs(self, request, pk=None):
        """The step's handoffs: when each was written, published and delivered, how often it
        was tried, and its last error (what coordinators see as a failed handoff)."""
        step = self.get_object()
        page = self.paginate_queryset(step.handoffs.select_related("unit"))
        context = self.get_serializer_context() | {"now": timezone.now()}
        return self.get_paginated_response(HandoffSerializer(page, many=True, context=context).data)

    @extend_schema(responses=ConversationMessageSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def messages(self, request, pk=None):
        """The conversation between the applicant and the step's unit, oldest first (the unit's
        client and coordination clients read it; reading marks nothing as read)."""
        step = self.get_object()
        attachments = Document.objects.only("pk", "conversation_message")
        page = self.paginate_queryset(
            step.conversation_messages.prefetch_related(Prefetch("attachments", attachments))
        )
        return self.get_paginated_response(ConversationMessageSerializer(page, many=True).data)

    @extend_schema(
        request=MessageSerializer,
        responses={201: ConversationMessageSerializer, **problem_responses(409)},
    )
    @messages.mapping.post
    @idempotent
    def message_send(self, request, pk=None):
        """Write to the applicant about the step (the unit's client only): they are told and
        read it on their application's page; what they wrote before counts as read. 409
        `conversation-closed` once the journey is closed."""
        step = self._acting_step()
        body = MessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            message = services.conversation_message_send(
                step=step, by=request.user, body=body.validated_data["body"], now=timezone.now()
            )
        except services.ConversationClosed as error:
            raise Problem(
                status.HTTP_409_CONFLICT,
                "conversation-closed",
                _("The conversation is closed"),
                _("The journey is closed, so no more messages can be sent about it."),
            ) from error
        return Response(ConversationMessageSerializer(message).data, status=status.HTTP_201_CREATED)


def _conflict(error: Exception) -> Problem:
    if isinstance(error, services.NotAssignee):
        return Problem(
            status.HTTP_409_CONFLICT,
            "not-assignee",
            _("Another caseworker holds this step"),
            _("Only the one who took the step may do this."),
        )
    if isinstance(error, services.StepClosed):
        return Problem(status.HTTP_409_CONFLICT, "step-closed", _("The step is closed"))
    return Problem(
        status.HTTP_409_CONFLICT,
        "step-changed",
        _("The step is not in a state that allows this"),
        _("Read the step again: it was taken, decided or paused meanwhile."),
    )
