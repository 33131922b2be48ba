"""What the API shows of journey types, journeys and steps, and what its writes accept.

Applicant data is shown only through journeys.disclosure, the rule every page follows."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.events import EVENT_TYPES, PUBLISHED_TYPES
from journeys.disclosure import Disclosure
from journeys.models import (
    ConversationMessage,
    Document,
    Handoff,
    Journey,
    JourneyEvent,
    JourneyType,
    Step,
    StepType,
)


class StepTypeSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    depends_on = serializers.SerializerMethodField(help_text="Keys of the steps it waits for.")

    class Meta:
        model = StepType
        fields = [
            "key",
            "name",
            "unit",
            "depends_on",
            "deadline_days",
            "deadline_working_days",
            "fee",
            "needs",
            "applies_if",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_depends_on(self, step_type: StepType) -> list[str]:
        return sorted(d.key for d in step_type.depends_on.all())


class JourneyTypeSerializer(serializers.ModelSerializer):
    steps = StepTypeSerializer(many=True, read_only=True, help_text="The step graph.")

    class Meta:
        model = JourneyType
        fields = [
            "id",
            "slug",
            "version",
            "is_current",
            "name",
            "summary",
            "reference_prefix",
            "fields",
            "published_at",
            "steps",
        ]


class StepSummarySerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="step_type.key", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Step
        fields = ["id", "key", "unit", "status", "activated_at", "decided_at", "due_at"]


class JourneySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    journey_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    journey_type_version = serializers.IntegerField(source="journey_type.version", read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id",
            "reference",
            "journey_type",
            "journey_type_version",
            "status",
            "submitted_at",
            "closed_at",
            "last_event_at",
        ]


class JourneyDetailSerializer(JourneySerializer):
    steps = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField(
        help_text="The applicant's answers this client may see (the steps' needs and shared "
        "fields), less those another unit marked as secret."
    )
    secret_answers = serializers.SerializerMethodField(
        help_text="The answers above that this client's unit marked as secret, each with the "
        "ground (for example OSL 21:1). Nobody outside the unit receives them."
    )

    class Meta(JourneySerializer.Meta):
        fields = [*JourneySerializer.Meta.fields, "steps", "answers", "secret_answers"]

    @extend_schema_field(StepSummarySerializer(many=True))
    def get_steps(self, journey: Journey) -> list[dict]:
        return StepSummarySerializer(self.context["steps"], many=True).data

    @extend_schema_field(serializers.DictField())
    def get_answers(self, journey: Journey) -> dict:
        disclosure: Disclosure = self.context["disclosure"]
        return {
            key: value
            for key, value in journey.data.items()
            if disclosure.everything or key in disclosure.fields
        }

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_secret_answers(self, journey: Journey) -> dict:
        disclosure: Disclosure = self.context["disclosure"]
        return {
            key: marking.ground.label
            for key, marking in disclosure.secret_fields.items()
            if key in journey.data and (disclosure.everything or key in disclosure.fields)
        }


class StepSerializer(serializers.ModelSerializer):
    journey = serializers.UUIDField(source="journey.public_id", read_only=True)
    journey_reference = serializers.CharField(source="journey.reference", read_only=True)
    key = serializers.CharField(source="step_type.key", read_only=True)
    name = serializers.CharField(source="step_type.name", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Step
        fields = [
            "id",
            "journey",
            "journey_reference",
            "key",
            "name",
            "unit",
            "registration_number",
            "status",
            "assignee",
            "activated_at",
            "started_at",
            "due_at",
            "paused_days",
            "decided_at",
            "reasons",
            "appeal_instructions",
            "version",
        ]


class StrictSerializer(serializers.Serializer):
    """A write body: a field it does not know is an error, not silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field is not known.")] for name in unknown}
                )
        return super().to_internal_value(data)


class DecisionSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=Step.Outcome.choices)
    reasons = serializers.CharField(max_length=5000)
    appeal_instructions = serializers.CharField(max_length=5000, required=False, default="")
    communication_note = serializers.CharField(max_length=5000, required=False, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs["outcome"] == Step.Outcome.REJECT:
            errors = {}
            if not attrs["appeal_instructions"].strip():
                errors["appeal_instructions"] = _(
                    "Enter how the applicant can appeal the rejection"
                )
            if not attrs["communication_note"].strip():
                errors["communication_note"] = _(
                    "Record when the applicant could comment on the material, "
                    "or why that was not needed"
                )
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class InformationRequestSerializer(StrictSerializer):
    items = serializers.ListField(
        child=serializers.CharField(max_length=500), min_length=1, max_length=20
    )
    due_date = serializers.DateField()

    def validate_due_date(self, due):
        if due <= timezone.localdate():
            raise serializers.ValidationError(_("Enter a date after today"))
        return due


class MessageSerializer(StrictSerializer):
    body = serializers.CharField(max_length=ConversationMessage.BODY_MAX_LENGTH)


class ConversationMessageSerializer(serializers.ModelSerializer):
    """One message between the applicant and the step's unit, oldest first."""

    from_applicant = serializers.BooleanField(
        help_text="Written by the applicant's side; otherwise by the unit (its system or staff)."
    )
    read_at = serializers.DateTimeField(
        allow_null=True, help_text="When the other side first read it; null: not yet."
    )
    documents = serializers.SerializerMethodField(
        help_text="Where to download each file sent with it."
    )

    class Meta:
        model = ConversationMessage
        fields = ["id", "from_applicant", "body", "created_at", "read_at", "documents"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_documents(self, message: ConversationMessage) -> list[str]:
        return [
            reverse("api:document-content", args=[document.pk])
            for document in message.attachments.all()
        ]


class DocumentSerializer(serializers.ModelSerializer):
    steps = serializers.SerializerMethodField(help_text="The steps it is attached to.")
    content = serializers.SerializerMethodField(help_text="Where to download it.")
    question = serializers.CharField(
        source="field_key",
        read_only=True,
        help_text="The journey type's file question it answers (its key), if it came with the "
        "application; empty otherwise.",
    )
    added_by_unit = serializers.SlugRelatedField(
        source="unit",
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The unit whose caseworker added it to the case; null for the applicant's.",
    )
    visible_to_applicant = serializers.BooleanField(
        read_only=True, help_text="False for a unit's internal document."
    )
    secrecy = serializers.SerializerMethodField(
        help_text="The ground this client's unit marked it as secret under (for example "
        "OSL 21:1); null if it has not. A document another unit marked is never listed."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "name",
            "registration_number",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "steps",
            "question",
            "added_by_unit",
            "visible_to_applicant",
            "secrecy",
            "content",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secrecy(self, document: Document) -> str | None:
        marking = self.context.get("secret_documents", {}).get(document.pk)
        return marking.ground.label if marking is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_steps(self, document: Document) -> list[int]:
        return sorted(step.pk for step in document.steps.all())

    def get_content(self, document: Document) -> str:
        return reverse("api:document-content", args=[document.pk])


class EventStepSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="step_type.key", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Step
        fields = ["id", "key", "unit"]


class JourneyEventSerializer(serializers.ModelSerializer):
    """One row of a journey's log as the client may see it (the case page's history)."""

    title = serializers.CharField(
        source="get_kind_display", help_text="In the client's language (Accept-Language)."
    )
    type = serializers.SerializerMethodField(
        help_text="Its CloudEvents type when the change feed and webhooks publish it."
    )
    step = EventStepSerializer(allow_null=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    internal = serializers.SerializerMethodField(help_text="Not shown to the applicant.")
    withheld = serializers.SerializerMethodField(
        help_text="The message is the applicant's data of another unit's step, so left out."
    )

    class Meta:
        model = JourneyEvent
        fields = [
            "id",
            "kind",
            "title",
            "type",
            "created_at",
            "step",
            "actor",
            "status_before",
            "status_after",
            "message",
            "internal",
            "withheld",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=PUBLISHED_TYPES, allow_null=True))
    def get_type(self, event: JourneyEvent) -> str | None:
        return EVENT_TYPES.get(event.kind)

    def get_internal(self, event: JourneyEvent) -> bool:
        return not event.visible_to_applicant

    def get_withheld(self, event: JourneyEvent) -> bool:
        return getattr(event, "withheld", False)


class HandoffSerializer(serializers.ModelSerializer):
    """One handoff of a step (the outbox row that puts it in, or takes it out of, a queue)."""

    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    state = serializers.SerializerMethodField(
        help_text="delivered; pending (within the grace period); or overdue (undelivered past "
        "it: the sweep publishes it again, and coordinators see it as a failed handoff)."
    )

    class Meta:
        model = Handoff
        fields = [
            "id",
            "kind",
            "unit",
            "state",
            "created_at",
            "published_at",
            "delivered_at",
            "attempts",
            "publish_count",
            "last_error",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["delivered", "pending", "overdue"]))
    def get_state(self, handoff: Handoff) -> str:
        if handoff.delivered_at is not None:
            return "delivered"
        grace = dt.timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
        return "overdue" if handoff.created_at < self.context["now"] - grace else "pending"


class CloudEventSerializer(serializers.Serializer):
    """A published event: a CloudEvents 1.0 document (structured JSON), as webhooks post it.
    Thin by design: it names what happened and where; the API has the rest, in scope."""

    specversion = serializers.ChoiceField(choices=["1.0"])
    id = serializers.CharField()
    source = serializers.CharField()
    type = serializers.ChoiceField(choices=PUBLISHED_TYPES)
    subject = serializers.CharField()
    time = serializers.DateTimeField()
    datacontenttype = serializers.ChoiceField(choices=["application/json"])
    data = serializers.DictField(
        help_text="sequence, journey {id, reference, journey_type}, status_before, "
        "status_after, and for a step's event step {id, key, unit} (unit: the unit that held "
        "the step when it happened); outcome for a decision, transferred_to for a transfer, "
        "consulted_unit for a consultation's events."
    )

    class Meta:
        ref_name = "CloudEvent"


class FeedSerializer(serializers.Serializer):
    events = CloudEventSerializer(many=True, help_text="Oldest first.")
    next = serializers.CharField(
        help_text="The cursor to ask with next (`after`): after the last event given, or the "
        "one asked with when there was none."
    )
    has_more = serializers.BooleanField(help_text="More events were ready than `limit`.")
