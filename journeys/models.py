import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.documents import DocumentStorage
from journeys.querysets import (
    ConsultationQuerySet,
    DocumentQuerySet,
    HandoffQuerySet,
    JourneyQuerySet,
    OutgoingEmailQuerySet,
    SecrecyGroundQuerySet,
    SecrecyMarkingQuerySet,
    StepQuerySet,
)
from journeys.retention import Retention
from journeys.routing import route_unit
from journeys.states import (
    ACTIVE_STEP,
    DECIDED_STEP,
    OPEN_JOURNEY,
    OPEN_STEP,
    JourneyStatus,
    StepOutcome,
    StepStatus,
)
from units.models import Unit
from units.translated import Translated, current_language


class JourneyType(Translated):
    """A published, versioned service definition ("Open a café"). Running journeys keep theirs."""

    slug = models.SlugField(_("slug"))
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(
        _("current version"), default=True, help_text=_("New applications use this version.")
    )
    name = models.CharField(_("name"), max_length=200)
    summary = models.TextField(_("summary"))
    reference_prefix = models.CharField(_("reference prefix"), max_length=10)
    documents_needed = models.JSONField(_("documents needed"), default=list, blank=True)
    fields = models.JSONField(
        _("applicant data fields"),
        default=list,
        help_text=_("Asked once per journey and shared by every step that needs them."),
    )
    cost_min = models.PositiveIntegerField(_("lowest total cost (SEK)"), default=0)
    cost_max = models.PositiveIntegerField(_("highest total cost (SEK)"), default=0)
    time_min_weeks = models.PositiveIntegerField(_("shortest total time (weeks)"), default=0)
    time_max_weeks = models.PositiveIntegerField(_("longest total time (weeks)"), default=0)
    stalled_after_days = models.PositiveIntegerField(
        _("stalled after (days)"),
        null=True,
        blank=True,
        help_text=_("An open journey with no event for this long is stalled; empty: the default."),
    )
    owner_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_journey_types",
        verbose_name=_("owning unit"),
        help_text=_("The unit that owns the whole journey; empty: the coordinators own it."),
    )
    service_norm_days = models.PositiveIntegerField(
        _("service norm (days)"),
        null=True,
        blank=True,
        help_text=_("The target for the whole journey, in calendar days from submission."),
    )
    # The disposal rules written with the type (journeys.retention; records.disposal applies
    # them): empty, nothing of its journeys is ever disposed of.
    retention = models.JSONField(_("retention rules"), default=dict, blank=True)
    disposal_decision = models.TextField(
        _("disposal decision"),
        blank=True,
        help_text=_("The authority's decision the retention rules follow."),
    )
    source_hash = models.CharField(_("definition fingerprint"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("journey type")
        verbose_name_plural = _("journey types")
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="journeytype_slug_version"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(is_current=True), name="journeytype_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def stalled_days(self) -> int:
        return self.stalled_after_days or settings.STALLED_AFTER_DAYS

    def field(self, key: str) -> dict:
        return next(f for f in self.display_fields if f["key"] == key)

    @property
    def display_name(self) -> str:
        return self.localized("name")

    @property
    def display_summary(self) -> str:
        return self.localized("summary")

    @property
    def display_disposal_decision(self) -> str:
        return self.localized("disposal_decision")

    @property
    def rules(self) -> Retention | None:
        """Its disposal rules; None: it has none, and nothing of its journeys is disposed of."""
        return Retention.of(self.retention)

    @property
    def display_documents(self) -> list[str]:
        return self.localized("documents_needed")

    @property
    def display_fields(self) -> list[dict]:
        """The applicant data fields with label and hint in the reader's language."""
        translated = self.translations.get(current_language(), {}).get("fields", {})
        return [{**f, **translated.get(f["key"], {})} for f in self.fields]


class StepType(Translated):
    """One step of a journey type, owned by a unit, run once its dependencies are approved."""

    journey_type = models.ForeignKey(JourneyType, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("key"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="step_types")
    order = models.PositiveIntegerField(_("order"), default=0)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    deadline_days = models.PositiveIntegerField(_("deadline (days)"), null=True, blank=True)
    deadline_working_days = models.BooleanField(_("deadline counts working days"), default=False)
    fee = models.PositiveIntegerField(_("fee (SEK)"), null=True, blank=True)
    fee_note = models.CharField(_("fee note"), max_length=200, blank=True)
    invoice_at = models.CharField(
        _("invoice the fee at"),
        max_length=20,
        choices=[("submission", _("submission")), ("decision", _("decision"))],
        blank=True,
        help_text=_("Empty: the fee is shown, not invoiced."),
    )
    pay_before_decision = models.BooleanField(
        _("approval waits for payment"),
        default=False,
        help_text=_("The step cannot be approved until its invoice is paid."),
    )
    needs = models.JSONField(_("applicant data it needs"), default=list, blank=True)
    applies_if = models.CharField(
        _("applies only if"),
        max_length=50,
        blank=True,
        help_text=_(
            "A yes/no field: the step is part of the journey only when it is answered yes."
        ),
    )
    routing = models.JSONField(
        _("routing rule"),
        default=dict,
        blank=True,
        help_text=_(
            "Chooses the step's unit by the applicant's answers (journeys.routing); "
            "empty: always the unit above, which is also the rule's default."
        ),
    )
    legal_basis = models.TextField(
        _("legal basis"), blank=True, help_text=_("The law the decision rests on, for the letter.")
    )

    class Meta:
        ordering = ["journey_type", "order"]
        verbose_name = _("step type")
        verbose_name_plural = _("step types")
        constraints = [
            models.UniqueConstraint(fields=["journey_type", "key"], name="steptype_key_per_type")
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, data: dict) -> bool:
        return not self.applies_if or data.get(self.applies_if) is True

    def unit_slug_for(self, data: dict) -> str | None:
        """The slug of the unit its routing rule chooses for these answers; None: no rule."""
        return route_unit(self.routing, data) if self.routing else None

    @property
    def display_name(self) -> str:
        return self.localized("name")

    @property
    def display_description(self) -> str:
        return self.localized("description")

    @property
    def display_fee_note(self) -> str:
        return self.localized("fee_note")

    @property
    def display_legal_basis(self) -> str:
        return self.localized("legal_basis")


class Journey(models.Model):
    """One applicant's run through a journey type, from draft to a final outcome."""

    Status = JourneyStatus
    OPEN_STATUSES = OPEN_JOURNEY

    class ApplyingAs(models.TextChoices):
        PERSON = "person", _("A private person")
        ORGANISATION = "organisation", _("An organisation")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    journey_type = models.ForeignKey(JourneyType, on_delete=models.PROTECT, related_name="journeys")
    # The person who applied: for an organisation, the representative who applied for it.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="journeys"
    )
    applying_as = models.CharField(
        _("applying as"),
        max_length=20,
        choices=ApplyingAs,
        blank=True,
        help_text=_("Empty until the applicant has chosen (then a private person at sending)."),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journeys",
        help_text=_("The organisation applied for; its recorded representatives act on it too."),
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    data = models.JSONField(_("applicant data"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=Status, default=Status.DRAFT)
    created_at = models.DateTimeField(_("started"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last activity"))
    stalled_since = models.DateTimeField(
        _("flagged as stalled"), null=True, blank=True, help_text=_("Set and cleared by the sweep.")
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        default=settings.LANGUAGE_CODE,
        help_text=_("The applicant's language when applying; messages to them use it."),
    )
    # The one person the applicant calls about the whole journey (journeys.services.contacts).
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_journeys",
        verbose_name=_("named contact"),
    )
    # What journeys.projections foresaw at submission: a later projection is compared with it.
    projected_completion_at_submission = models.DateTimeField(
        _("completion expected at submission"), null=True, blank=True
    )
    # Set when the case's personal data was disposed of (records.disposal): what remains is the
    # journey's skeleton (reference, type, dates, steps with units and registration numbers, the
    # event log's kinds) and the documents whose own rule keeps them longer.
    disposed_at = models.DateTimeField(_("personal data disposed of"), null=True, blank=True)
    # Moves with every change the journey's pages show, in the transaction that makes it
    # (journeys.versions): the validator of its pages' conditional requests.
    version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        indexes = [
            # The stalled scan: open journeys with no event since a cut-off.
            models.Index(fields=["status", "last_event_at"], name="journey_status_activity"),
            models.Index(fields=["applicant", "-created_at"], name="journey_applicant"),
            models.Index(
                fields=["organisation", "-created_at"],
                condition=Q(organisation__isnull=False),
                name="journey_organisation",
            ),
            # The coordinator's lists: open journeys, quietest first.
            models.Index(
                fields=["last_event_at", "id"],
                condition=Q(status__in=OPEN_JOURNEY),
                name="journey_open_quietest",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or str(self.public_id)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def tag_class(self) -> str:
        """The design system's tag colour; the same colour means the same thing everywhere."""
        return TAG_CLASSES.get(self.status, "")


# Status tag colours, shared by journeys and steps (blue, the default, needs no class).
TAG_CLASSES = {
    "draft": "govuk-tag--grey",
    "waiting": "govuk-tag--grey",
    "in_progress": "govuk-tag--turquoise",
    "waiting_for_applicant": "govuk-tag--yellow",
    "approved": "govuk-tag--green",
    "completed": "govuk-tag--green",
    "rejected": "govuk-tag--red",
    "cancelled": "govuk-tag--grey",
    "withdrawn": "govuk-tag--grey",
}


class Step(models.Model):
    """One step of a journey, worked by its unit; its status drives the unit's queue."""

    Status = StepStatus
    Outcome = StepOutcome
    OPEN_STATUSES = OPEN_STEP
    ACTIVE_STATUSES = ACTIVE_STEP
    DECIDED_STATUSES = DECIDED_STEP
    # The warnings a round of work leaves on a step, as they are before any: a reopening, a
    # send-back or a recall starts a new round, whose delay notice, overdue flag and review
    # flag then fire afresh (the sweeps act only on a step not flagged yet).
    WARNINGS_CLEARED = {
        "overdue_flagged_at": None,
        "delay_reason": "",
        "delay_notified_at": None,
        "review_reason": "",
        "review_flagged_at": None,
        "answers_changed_at": None,
    }

    # PROTECT, here and on every record that hangs off a journey: a journey's records go only
    # through the disposal rules (records.disposal), never with a deleted row.
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="steps")
    step_type = models.ForeignKey(StepType, on_delete=models.PROTECT, related_name="+")
    # Denormalised from the step type so the unit queue is one index scan.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="steps")
    status = models.CharField(_("status"), max_length=30, choices=Status, default=Status.WAITING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_steps",
    )
    activated_at = models.DateTimeField(_("received"), null=True, blank=True)
    # The unit's register number, given when the case reaches the unit (units/registers.py); a
    # case transferred to another unit is registered there anew (the journal keeps both).
    registration_number = models.CharField(
        _("registration number"), max_length=80, blank=True, db_default=""
    )
    registered_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    documents_registered = models.PositiveIntegerField(default=0, db_default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    paused_at = models.DateTimeField(_("waiting for the applicant since"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("days waiting for the applicant"), default=0)
    reasons = models.TextField(_("reasons for the decision"), blank=True)
    appeal_instructions = models.TextField(_("how to appeal"), blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged as overdue"), null=True, blank=True)
    delay_reason = models.TextField(
        _("reason for a delay"),
        blank=True,
        help_text=_("Told to the applicant when the step is likely to miss its due date."),
    )
    delay_notified_at = models.DateTimeField(_("applicant told of a delay"), null=True, blank=True)
    review_reason = models.TextField(
        _("why the decision should be reviewed"),
        blank=True,
        help_text=_("Set when a step it depended on was reopened after this step was decided."),
    )
    review_flagged_at = models.DateTimeField(_("flagged for review"), null=True, blank=True)
    answers_changed_at = models.DateTimeField(
        _("answers changed while in progress"),
        null=True,
        blank=True,
        help_text=_("The applicant changed an answer this step needs while it was worked on."),
    )
    communication_note = models.TextField(
        _("the applicant's chance to comment"),
        blank=True,
        help_text=_("Required for a rejection (Administrative Procedure Act, section 25)."),
    )
    projected_decision_at_submission = models.DateTimeField(
        _("decision expected at submission"), null=True, blank=True
    )
    # Optimistic locking: every state change increments it.
    version = models.PositiveIntegerField(default=0)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["journey", "step_type__order"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.UniqueConstraint(fields=["journey", "step_type"], name="step_once_per_journey"),
            models.UniqueConstraint(
                fields=["registered_unit", "registration_number"],
                condition=~Q(registration_number=""),
                name="registration_number_once",
            ),
        ]
        # The queues read 25 rows in queue order (earliest due, then longest held) straight off
        # these indexes, so a page costs the same with a backlog of 100 or of 100,000.
        indexes = [
            models.Index(
                fields=["unit", "due_at", "activated_at", "id"],
                condition=Q(status__in=ACTIVE_STEP),
                name="step_unit_queue_order",
            ),
            models.Index(
                fields=["unit", "status", "due_at", "activated_at", "id"],
                name="step_unit_queue",
            ),
            models.Index(
                fields=["assignee", "unit", "due_at", "activated_at", "id"],
                condition=Q(status__in=ACTIVE_STEP),
                name="step_assignee_queue",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=ACTIVE_STEP),
                name="step_active_due",
            ),
            models.Index(fields=["assignee", "status"], name="step_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.journey} – {self.step_type}"

    # The same states in a caseworker's words (the choices above are the applicant's).
    UNIT_LABELS = {
        Status.WAITING: _("Not in the queue yet"),
        Status.QUEUED: _("Not started"),
        Status.IN_PROGRESS: _("In progress"),
        Status.WAITING_FOR_APPLICANT: _("Started – information missing"),
    }

    @property
    def tag_class(self) -> str:
        return TAG_CLASSES.get(self.status, "")

    @property
    def unit_status_label(self) -> str:
        return self.UNIT_LABELS.get(self.status) or self.get_status_display()

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STEP

    @property
    def has_reached_unit(self) -> bool:
        """Received by its unit, now or before (worked on, decided): not waiting to be."""
        return self.status != self.Status.WAITING and self.activated_at is not None

    def days_remaining(self, now) -> int | None:
        """Whole days until the due date (negative when overdue); None without a deadline."""
        if self.due_at is None:
            return None
        return (timezone.localtime(self.due_at).date() - timezone.localtime(now).date()).days


class InformationRequest(models.Model):
    """What a caseworker asks the applicant for; the step's clock stops until it is answered."""

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="information_requests")
    items = models.JSONField(_("what is asked for"), default=list)
    due_date = models.DateField(_("answer by"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The journey-wide clock stop: every step listed here pauses with the asking step and
    # resumes when the answer comes (the asking step is always one of them).
    blocks = models.ManyToManyField(
        Step, blank=True, related_name="blocking_requests", verbose_name=_("steps it pauses")
    )

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        constraints = [
            # One open request per step at a time: the step waits for one answer.
            models.UniqueConstraint(
                fields=["step"],
                condition=Q(answered_at__isnull=True),
                name="one_open_request_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step}: {', '.join(self.items)}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class JourneyEvent(models.Model):
    """An append-only row of a journey's history: the citizen timeline and the case journal."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Application started")
        SUBMITTED = "submitted", _("Application submitted")
        STEP_QUEUED = "step_queued", _("Step received by the unit")
        STEP_CLAIMED = "step_claimed", _("Caseworker started work")
        STEP_RELEASED = "step_released", _("Case put back in the queue")
        STEP_REASSIGNED = "step_reassigned", _("Case handed to another caseworker")
        INFORMATION_REQUESTED = (
            "information_requested",
            _("Information requested from the applicant"),
        )
        INFORMATION_ANSWERED = "information_answered", _("The applicant answered")
        STEP_RESUMED = "step_resumed", _("Back with the unit after the answer")
        DOCUMENT_ADDED = "document_added", _("Document added")
        ESCALATED = "escalated", _("Escalated to the unit lead")
        APPLICANT_REMINDED = "applicant_reminded", _("Applicant reminded")
        HANDOFF_REPUBLISHED = "handoff_republished", _("Handoff sent again")
        DELAY_NOTICE = "delay_notice", _("Applicant told of a delay")
        DECISION_REQUESTED = "decision_requested", _("The applicant asked for a decision")
        REPRESENTATIVE_RECORDED = (
            "representative_recorded",
            _("Right to represent the organisation recorded"),
        )
        NOTE = "note", _("Note")
        CALL = "call", _("Phone call")
        SITE_VISIT = "site_visit", _("Site visit")
        STEP_APPROVED = "step_approved", _("Step approved")
        STEP_REJECTED = "step_rejected", _("Step rejected")
        STEP_CANCELLED = "step_cancelled", _("Step cancelled")
        HANDOFF_SENT = "handoff_sent", _("Case handed to the next unit")
        COMPLETED = "completed", _("Journey completed")
        CLOSED_REJECTED = "closed_rejected", _("Journey closed after a rejection")
        STEP_PAUSED = "step_paused", _("Paused until the applicant answers")
        STEP_REOPENED = "step_reopened", _("Decision reopened by the unit")
        STEP_SENT_BACK = "step_sent_back", _("Sent back to an earlier step")
        STEP_RECALLED = "step_recalled", _("Back to waiting for an earlier step")
        REVIEW_FLAGGED = "review_flagged", _("Decision flagged for review")
        STEP_TRANSFERRED = "step_transferred", _("Case transferred to another unit")
        CONTACT_ASSIGNED = "contact_assigned", _("Named contact assigned")
        ANSWERS_AMENDED = "answers_amended", _("The applicant changed their answers")
        STEP_REROUTED = "step_rerouted", _("Step routed to another unit")
        CONSULTATION_REQUESTED = "consultation_requested", _("Another unit consulted")
        CONSULTATION_ANSWERED = "consultation_answered", _("Consulted unit answered")
        CONSULTATION_WITHDRAWN = "consultation_withdrawn", _("Consultation withdrawn")
        ANSWER_CHANGED = "answer_changed", _("An answer this step needs was changed")
        WITHDRAWN = "withdrawn", _("Application withdrawn by the applicant")
        MESSAGE_RECEIVED = "message_received", _("The applicant wrote to the unit")
        MESSAGE_SENT = "message_sent", _("The unit wrote to the applicant")
        SECRECY_MARKED = "secrecy_marked", _("Marked as subject to secrecy")
        SECRECY_REMOVED = "secrecy_removed", _("Secrecy marking removed")
        LEGAL_HOLD_SET = "legal_hold_set", _("Legal hold set: nothing is disposed of")
        LEGAL_HOLD_LIFTED = "legal_hold_lifted", _("Legal hold lifted")
        DISPOSED = "disposed", _("Disposed of under the retention rules")

    # Kinds that are not the journey moving on: an applicant writing "any news?" to a unit does
    # not restart the clock that marks a journey as stalled (last_event_at), nor do the records'
    # own events (secrecy markings, legal holds, disposal).
    NOT_PROGRESS_KINDS = (
        Kind.MESSAGE_RECEIVED,
        Kind.SECRECY_MARKED,
        Kind.SECRECY_REMOVED,
        Kind.LEGAL_HOLD_SET,
        Kind.LEGAL_HOLD_LIFTED,
        Kind.DISPOSED,
    )

    # Kinds whose message is the applicant's data (an answer, a document's name, what the
    # applicant and a unit wrote to each other): shown only to those who may see that step's
    # data (journeys.disclosure).
    APPLICANT_DATA_KINDS = (
        Kind.INFORMATION_ANSWERED,
        Kind.DOCUMENT_ADDED,
        Kind.ANSWER_CHANGED,
        Kind.MESSAGE_RECEIVED,
        Kind.MESSAGE_SENT,
    )
    # Kinds about a secrecy marking (SecrecyMarking): they name the item and the reason, so
    # only the marking unit sees their message (journeys.disclosure).
    SECRECY_KINDS = (Kind.SECRECY_MARKED, Kind.SECRECY_REMOVED)

    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="events")
    step = models.ForeignKey(
        Step, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    # Whose scope the event is in, fixed when it is written (journeys.services.events): the
    # unit that held the step then, once the step had reached a unit's queue; and the other
    # unit it concerns, the receiving unit of a transfer or the consulted unit of a
    # consultation. The API's change feed and the webhooks read these, not the step's unit
    # now, so a transfer moves the step's later events to the new unit and leaves the earlier
    # ones with the old. Not indexed: the feed filters them row by row along its (transaction,
    # id) scan, and nothing looks events up by unit. PROTECT: the log is append-only.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("unit"),
    )
    other_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("other unit concerned"),
    )
    kind = models.CharField(_("what happened"), max_length=30, choices=Kind)
    # PROTECT: the log cannot be changed, so an actor is never set to nothing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"))
    status_before = models.CharField(max_length=30, blank=True)
    status_after = models.CharField(max_length=30, blank=True)
    message = models.TextField(_("message"), blank=True)
    visible_to_applicant = models.BooleanField(default=True)
    # The writing transaction's id, set by a PostgreSQL trigger (migration 0006): the API's change
    # feed reads events in (transaction, id) order up to the oldest transaction still running,
    # so an event committed late never lands behind a client's cursor. Empty on SQLite, whose
    # one writer at a time commits in id order.
    transaction_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("journey event")
        verbose_name_plural = _("journey events")
        indexes = [models.Index(fields=["journey", "created_at"], name="event_journey_time")]

    def __str__(self) -> str:
        return f"{self.journey} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Journey events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Journey events are append-only.")


class Consultation(models.Model):
    """A unit's question to another unit about its step (remiss): it waits in the consulted
    unit's queue until answered, and the answer is attached to the asking step. When the asking
    step no longer needs the opinion (decided, cancelled, moved or back to waiting) it is
    withdrawn: out of the queue, and no longer answerable."""

    class WithdrawnBecause(models.TextChoices):
        STEP_DECIDED = "step_decided", _("The asking unit has decided its step")
        STEP_CANCELLED = "step_cancelled", _("The asking step was cancelled")
        STEP_RECALLED = "step_recalled", _("The asking step waits for an earlier step again")
        STEP_SENT_BACK = "step_sent_back", _("The asking step was sent back to an earlier step")
        STEP_TRANSFERRED = (
            "step_transferred",
            _("The asking step was transferred to another unit"),
        )
        JOURNEY_CLOSED = "journey_closed", _("The journey is closed")

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="consultations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="consultations")
    question = models.TextField(_("question"))
    due_date = models.DateField(_("answer by"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_because = models.CharField(
        _("withdrawn because"), max_length=30, choices=WithdrawnBecause, blank=True
    )

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            # The consulted unit's open consultations, earliest due first.
            models.Index(
                fields=["unit", "due_date", "id"],
                condition=Q(answered_at__isnull=True, withdrawn_at__isnull=True),
                name="consultation_unit_open",
            )
        ]
        constraints = [
            # Answered or withdrawn, never both; a withdrawal always says why.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_because="")
                | (
                    Q(withdrawn_at__isnull=False, answered_at__isnull=True)
                    & ~Q(withdrawn_because="")
                ),
                name="consultation_withdrawn_unanswered_with_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} → {self.unit}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.withdrawn_at is None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def is_overdue(self, now) -> bool:
        return self.is_open and self.due_date < timezone.localtime(now).date()


def _document_path(document: "Document", filename: str) -> str:
    return f"{document.journey.public_id}/{uuid.uuid4().hex}"


class DecisionRequest(models.Model):
    """An applicant's request for a decision in a step undecided after six months (FL 12 §);
    the unit must decide within four weeks or reject the request."""

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="decision_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    due_at = models.DateTimeField(_("the unit must answer by"))

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("request for a decision")
        verbose_name_plural = _("requests for a decision")
        constraints = [models.UniqueConstraint(fields=["step"], name="one_decision_request")]

    def __str__(self) -> str:
        return f"{self.step} ({self.requested_at:%Y-%m-%d})"


class Document(models.Model):
    """A file uploaded once per journey and attachable to several of its steps."""

    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="documents")
    steps = models.ManyToManyField(Step, blank=True, related_name="documents")
    information_request = models.ForeignKey(
        "InformationRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    conversation_message = models.ForeignKey(
        "ConversationMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(storage=DocumentStorage(), upload_to=_document_path, max_length=300)
    # Registered to its case when it reached a case already registered (units/registers.py):
    # the case's number and the document's running number, for example MHN 2026-000123-2.
    registration_number = models.CharField(
        _("registration number"), max_length=90, blank=True, db_default=""
    )

    class GeneratedAs(models.TextChoices):
        """A document the portal wrote itself (journeys.letters), not one that was uploaded."""

        UPLOAD = "", _("uploaded")
        DECISION_LETTER = "decision_letter", _("decision letter")
        # The letter of a decision its unit reopened or had sent back: kept (it was sent), no
        # longer the step's letter; the next decision gets a letter of its own.
        SUPERSEDED_DECISION_LETTER = "superseded_letter", _("superseded decision letter")
        RECEIPT = "receipt", _("receipt")

    generated_as = models.CharField(
        _("written by the portal as"), max_length=20, choices=GeneratedAs, blank=True, default=""
    )
    # The journey type's file field this document answers (its key), on the application: one
    # document per field, attached at submission to every step that needs the field.
    field_key = models.CharField(_("answers the question"), max_length=50, blank=True, default="")
    # Set for a document a unit's caseworker added to its case (a site-visit photo, a letter);
    # empty for the applicant's own and the portal's letters.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by unit"),
    )
    # The applicant's own documents and the letters are theirs; a unit's may be internal.
    visible_to_applicant = models.BooleanField(_("visible to the applicant"), default=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "field_key"],
                condition=~Q(field_key=""),
                name="document_one_per_question",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SecrecyGround(models.Model):
    """A provision of the Public Access to Information and Secrecy Act (offentlighets- och
    sekretesslagen, 2009:400, OSL) that a unit may name when it marks an item as secret: a list
    kept as data, edited in the admin. A ground no longer offered is made inactive, never
    deleted (markings name it)."""

    chapter = models.PositiveSmallIntegerField(_("chapter"))
    section = models.PositiveSmallIntegerField(_("section"))
    section_letter = models.CharField(
        _("section letter"),
        max_length=2,
        blank=True,
        help_text=_("For a section such as 3 a §: the letter a; empty for most sections."),
    )
    title = models.CharField(_("title in English"), max_length=200)
    title_sv = models.CharField(_("title in Swedish"), max_length=200)
    active = models.BooleanField(
        _("offered"),
        default=True,
        help_text=_("Caseworkers can choose it when they mark an item; markings keep it anyway."),
    )

    objects = SecrecyGroundQuerySet.as_manager()

    class Meta:
        ordering = ["chapter", "section", "section_letter"]
        verbose_name = _("secrecy ground")
        verbose_name_plural = _("secrecy grounds")
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "section", "section_letter"], name="secrecy_ground_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.display_title}"

    @property
    def label(self) -> str:
        """The short citation tags and withheld lines show: OSL 21:1 (OSL 10:3 a)."""
        section = f"{self.section} {self.section_letter}" if self.section_letter else self.section
        return f"OSL {self.chapter}:{section}"

    @property
    def citation(self) -> str:
        """The citation in full, as the archive's metadata gives it."""
        section = f"{self.section} {self.section_letter}" if self.section_letter else self.section
        return f"Offentlighets- och sekretesslagen (2009:400) {self.chapter} kap. {section} §"

    @property
    def display_title(self) -> str:
        return self.title_sv if current_language() == "sv" and self.title_sv else self.title


class SecrecyMarking(models.Model):
    """A unit's marking of one item of a journey, a document or one of the application's
    answers, as subject to secrecy under a ground (OSL 5 kap. 5 §: the provision, the date and
    who marked it). While it stands, the item reaches no other unit, no coordinator and no
    public-access copy (journeys.disclosure); the applicant still sees it (OSL 12 kap. 1 §).
    Removing it keeps the row, with who removed it, when and why; both changes are in the
    journey's event log (journeys.services.secrecy)."""

    # PROTECT, as every record of a journey: a marked document goes only by disposal, which
    # takes the document's markings with it and records that (records.disposal).
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="secrecy_markings")
    # The case it was marked on, and the unit that marked it (whose members alone see it).
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        "Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secrecy_markings",
        verbose_name=_("document"),
    )
    field_key = models.CharField(_("answer"), max_length=50, blank=True, default="")
    ground = models.ForeignKey(
        SecrecyGround, on_delete=models.PROTECT, related_name="markings", verbose_name=_("ground")
    )
    reason = models.TextField(_("reason"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.TextField(_("reason for removing it"), blank=True)

    objects = SecrecyMarkingQuerySet.as_manager()

    class Meta:
        ordering = ["marked_at", "pk"]
        verbose_name = _("secrecy marking")
        verbose_name_plural = _("secrecy markings")
        constraints = [
            # A document or an answer, never both, never neither.
            models.CheckConstraint(
                condition=(Q(document__isnull=False) & Q(field_key=""))
                | (Q(document__isnull=True) & ~Q(field_key="")),
                name="secrecy_marking_one_item",
            ),
            # Removed with who and why, or standing with neither.
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_by__isnull=True, removal_reason="")
                | (Q(removed_at__isnull=False, removed_by__isnull=False) & ~Q(removal_reason="")),
                name="secrecy_marking_removed_with_reason",
            ),
            # One standing marking per item.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(removed_at__isnull=True, document__isnull=False),
                name="secrecy_marking_document_once",
            ),
            models.UniqueConstraint(
                fields=["journey", "field_key"],
                condition=Q(removed_at__isnull=True) & ~Q(field_key=""),
                name="secrecy_marking_answer_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journey} {self.ground.label}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class ConversationMessage(models.Model):
    """One message of the conversation between the applicant's side and the unit of one step of
    their journey (journeys.services.conversations): written by either, read by the other."""

    BODY_MAX_LENGTH = 5000

    journey = models.ForeignKey(
        Journey, on_delete=models.PROTECT, related_name="conversation_messages"
    )
    # The step the thread is about; its unit is the other side.
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="conversation_messages")
    # The unit written to (or writing) at the time: a later transfer of the step does not
    # rewrite who the message was between.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="conversation_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_applicant = models.BooleanField(_("from the applicant"))
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(
        _("read"), null=True, blank=True, help_text=_("When the other side first read it.")
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message between the applicant and a unit")
        verbose_name_plural = _("messages between applicants and units")
        indexes = [
            models.Index(fields=["journey", "created_at"], name="conversation_journey"),
            models.Index(fields=["step", "created_at"], name="conversation_step"),
            # The queues' "new messages": the applicants' messages no one in the unit has read,
            # a handful at any time however many were ever written.
            models.Index(
                fields=["step"],
                condition=Q(from_applicant=True, read_at__isnull=True),
                name="conversation_unread_by_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} ({self.created_at:%Y-%m-%d %H:%M})"


class ApplicantMessage(models.Model):
    """A message to the applicant: shown in the portal's message list and sent by e-mail."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_messages"
    )
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="messages")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message to the applicant")
        verbose_name_plural = _("messages to applicants")
        indexes = [models.Index(fields=["recipient", "-created_at"], name="message_recipient")]

    def __str__(self) -> str:
        return self.subject


class OutboxRow(models.Model):
    """What every outbox row keeps: when it was written and published, how often its task was
    published and tried, and the last error (journeys.services.outbox)."""

    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    publish_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        abstract = True


class Handoff(OutboxRow):
    """The outbox: "this step changes hands in this unit", written with the decision that caused it.

    A Celery task on the unit's queue delivers it; the sweep re-publishes any left undelivered.
    """

    class Kind(models.TextChoices):
        ACTIVATE = "activate", _("Put in the unit's queue")
        RESUME = "resume", _("Back to the unit after the applicant's answer")
        CANCEL = "cancel", _("Cancel in the unit")
        RECALL = "recall", _("Back to waiting for an earlier step")

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="handoffs")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="handoffs")
    information_request = models.ForeignKey(
        InformationRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs",
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.ACTIVATE)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Set when a reopening, a send-back or a transfer made the handoff moot: a superseded handoff
    # still in the broker changes nothing when it arrives, and a step may be handed on anew.
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        constraints = [
            # A step is put in a queue once and cancelled once, whatever retries happen, until
            # a reopening supersedes it; it resumes once per answered request.
            models.UniqueConstraint(
                fields=["step", "kind"],
                condition=~Q(kind="resume") & Q(superseded_at__isnull=True),
                name="handoff_once_per_step_kind",
            ),
            models.UniqueConstraint(
                fields=["step", "information_request"],
                condition=Q(kind="resume"),
                name="handoff_resume_once_per_request",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(delivered_at__isnull=True),
                name="handoff_undelivered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.step} → {self.unit.queue_name}"


class OutgoingEmail(OutboxRow):
    """The e-mail outbox: one row per e-mail a change causes, written in that change's transaction.

    A task sends it after commit and marks it sent; the sweep publishes again any left unsent, so
    a lost message costs delay, never the e-mail. Recipients and the unit e-mails' text are worked
    out when it is sent: a unit's members then (someone who left the unit in between no longer
    sees its cases; someone who joined does), each in their own language. An applicant's e-mail
    is the portal message written with the change (what they read in the portal) plus links.
    """

    class Kind(models.TextChoices):
        APPLICANT_MESSAGE = "applicant_message", _("Message to the applicant")
        STEP_QUEUED = "step_queued", _("New case, to the unit")
        STEP_RESUMED = "step_resumed", _("The applicant answered, to the unit")
        STEP_CANCELLED = "step_cancelled", _("Case cancelled, to the unit")
        ESCALATION = "escalation", _("Escalation, to the unit's leads")
        ACCOUNT = "account", _("About an account, to its address")
        CONSULTATION = "consultation", _("Consultation, to the consulted unit")
        ANSWERS_CHANGED = "answers_changed", _("The applicant changed answers, to the unit")
        STEP_RECALLED = "step_recalled", _("Case back to waiting, to the unit")
        CONSULTATION_WITHDRAWN = (
            "consultation_withdrawn",
            _("Consultation withdrawn, to the consulted unit"),
        )
        CONVERSATION_MESSAGE = (
            "conversation_message",
            _("The applicant wrote to the unit, to the unit"),
        )

    UNIT_KINDS = (Kind.STEP_QUEUED, Kind.STEP_RESUMED, Kind.STEP_CANCELLED, Kind.STEP_RECALLED)

    kind = models.CharField(max_length=30, choices=Kind)
    journey = models.ForeignKey(
        Journey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outgoing_emails",
    )
    step = models.ForeignKey(
        Step, on_delete=models.PROTECT, null=True, blank=True, related_name="outgoing_emails"
    )
    event = models.ForeignKey(
        JourneyEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.OneToOneField(
        ApplicantMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="email"
    )
    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    # An account e-mail (no journey): its address, its template (emails/<template>.txt) and
    # what the template needs, written when the account's change was made.
    address = models.EmailField(blank=True)
    template = models.CharField(max_length=100, blank=True)
    context = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, blank=True)
    queue = models.CharField(max_length=100, help_text=_("The Celery queue its task goes to."))
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            # Each kind names what it is about: the message, the step, or the escalation event.
            models.CheckConstraint(
                condition=~Q(kind="applicant_message") | Q(message__isnull=False),
                name="outgoing_email_applicant_has_message",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["step_queued", "step_resumed", "step_cancelled"])
                | Q(step__isnull=False),
                name="outgoing_email_unit_notice_has_step",
            ),
            models.CheckConstraint(
                condition=~Q(kind="escalation") | Q(event__isnull=False, step__isnull=False),
                name="outgoing_email_escalation_has_event",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["consultation", "consultation_withdrawn"])
                | Q(consultation__isnull=False),
                name="outgoing_email_consultation_has_consultation",
            ),
            models.CheckConstraint(
                condition=~Q(kind="conversation_message") | Q(step__isnull=False),
                name="outgoing_email_conversation_has_step",
            ),
            # Every e-mail but an account's concerns a journey; an account's names its address.
            models.CheckConstraint(
                condition=(Q(kind="account") & ~Q(address="") & ~Q(template=""))
                | (~Q(kind="account") & Q(journey__isnull=False)),
                name="outgoing_email_journey_or_account",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="outgoing_email_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.journey or self.template}"


class FailedTask(models.Model):
    """The dead letter: a task that failed after its last retry, kept where coordinators see it."""

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    error = models.TextField()
    failed_at = models.DateTimeField()
    handoff = models.ForeignKey(
        Handoff, on_delete=models.SET_NULL, null=True, blank=True, related_name="failures"
    )
    outgoing_email = models.ForeignKey(
        OutgoingEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="failures"
    )

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}: {self.error[:60]}"

    @property
    def journey(self) -> Journey | None:
        """The journey the failed handoff or e-mail concerns, if it was one of those."""
        if self.handoff is not None:
            return self.handoff.step.journey
        return self.outgoing_email.journey if self.outgoing_email is not None else None

    @property
    def step(self) -> Step | None:
        if self.handoff is not None:
            return self.handoff.step
        return self.outgoing_email.step if self.outgoing_email is not None else None


class ReferenceSequence(models.Model):
    """The last reference number handed out per prefix and year (CAFE-2026-000123)."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="reference_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


class ListVersion(models.Model):
    """How often a list over many journeys has changed: a unit's queue, the coordinator's
    dashboard, the catalogue of names they show (journeys.versions). Moved once each change is
    committed; a page answers a conditional request from it without reading the list."""

    key = models.CharField(max_length=40, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.version}"
