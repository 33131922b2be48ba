"""A unit caseworker's pages: the unit queue, the case page with their own step, the lead view."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from casework import selectors as queue_selectors
from casework.forms import (
    ConsultationAnswerForm,
    ConsultationForm,
    DecisionForm,
    DelayForm,
    DocumentForm,
    InformationRequestForm,
    MessageForm,
    NoteForm,
    ReassignForm,
    ReopenForm,
    SecrecyMarkForm,
    SecrecyRemoveForm,
    SendBackForm,
    TransferForm,
)
from journeys import selectors, services
from journeys.counting import CappedPaginator
from journeys.disclosure import (
    consultation_disclosure,
    disclosed_answers,
    disclosed_documents,
    disclosed_identity_number,
    disclosed_organisation,
    journey_disclosure,
    secret_shown,
)
from journeys.documents import document_response
from journeys.models import Consultation, Document, SecrecyGround, Step
from journeys.templatetags.people import STAFF_NAME_RELATED
from journeys.versions import catalogue_version, queue_version
from organisations.selectors import representative_for
from payments.selectors import step_invoice
from payments.services import PaymentDue
from portal.conditional import PageValidator
from portal.http import HtmxHttpRequest
from records.models import AccessLogEntry
from records.services import access_record
from units.models import Membership, Unit
from units.roles import (
    acts_in_unit,
    case_actions,
    leads_unit,
    may_make_public_copy,
    may_mark_secret,
    roles_of,
)

QUEUE_PAGE_SIZE = 25
STALE = gettext_lazy(
    "The case changed after you opened it, so nothing was saved. Here is its current state; "
    "check it and try again."
)
NOT_YOURS = gettext_lazy("Another caseworker holds this case, so only they can do that.")
CLOSED = gettext_lazy("This case is closed, so nothing more can be added to it.")
CONVERSATION_CLOSED = gettext_lazy(
    "The application is closed, so no more messages can be sent about it. Nothing was sent."
)


def _member_units(request: HtmxHttpRequest) -> list[Unit]:
    """The user's units, each with its queue's version and the catalogue's (journeys.versions)."""
    roles = roles_of(request.user)
    if not roles.unit_ids:
        raise Http404
    return list(
        Unit.objects.filter(pk__in=roles.unit_ids).annotate(
            queue_version=queue_version(), catalogue_version=catalogue_version()
        )
    )


def _chosen_unit(request: HtmxHttpRequest, units: list[Unit]) -> Unit:
    slug = request.GET.get("unit") or request.POST.get("unit")
    return next((u for u in units if u.slug == slug), units[0])


@login_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The queue, or 304 to a reload that has it as it is: the versions come with the user's
    units, read anyway (portal/conditional.py)."""
    units = _member_units(request)
    unit = _chosen_unit(request, units)
    validator = PageValidator(
        request,
        "queue",
        [(u.pk, u.slug, u.queue_version) for u in units],
        unit.catalogue_version,
    )
    if not_modified := validator.not_modified(now=timezone.now()):
        return not_modified
    return _render_queue(request, units, unit, validator=validator)


def _render_queue(
    request: HtmxHttpRequest,
    units: list[Unit],
    unit: Unit,
    status: int = 200,
    validator: PageValidator | None = None,
) -> HttpResponse:
    now = timezone.now()
    chosen = request.GET.get("filter", "all")
    if chosen not in queue_selectors.QUEUE_FILTERS:
        chosen = "all"
    steps = queue_selectors.unit_queue(unit, user=request.user, now=now, filter=chosen)
    counts = queue_selectors.unit_queue_counts(unit, user=request.user, now=now)
    context = {
        "units": units,
        "unit": unit,
        "page": CappedPaginator(steps, QUEUE_PAGE_SIZE, count=counts[chosen]).get_page(
            request.GET.get("page")
        ),
        "filters": [
            {"key": key, "label": label, "count": counts[key], "current": key == chosen}
            for key, label in queue_selectors.QUEUE_FILTERS.items()
        ],
        "chosen": chosen,
        "is_lead": leads_unit(roles_of(request.user), unit.pk),
        "consultations": queue_selectors.unit_consultations(unit, now=now),
        "now": now,
    }
    template = "casework/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#queue-results"
    if validator is None:
        return render(request, template, context, status=status)
    fresh_until = queue_selectors.unit_queue_changes_at(unit, now=now)
    return validator.finish(render(request, template, context, status=status), fresh_until)


@login_required
@require_POST
def take_next(request: HtmxHttpRequest) -> HttpResponse:
    units = _member_units(request)
    unit = _chosen_unit(request, units)
    if unit.works_in_own_system:
        messages.error(request, _worked_elsewhere(unit))
        return _render_queue(request, units, unit, status=403)
    step = services.step_take_next(unit=unit, by=request.user, now=timezone.now())
    if step is None:
        messages.info(request, _("There is no unclaimed case in the queue."))
        return redirect(f"{reverse('casework:queue')}?unit={unit.slug}")
    messages.success(request, _("This case is now yours."))
    return redirect("casework:case", pk=step.pk)


class WorkedInOwnSystem(Exception):
    """The step's unit works its cases in its own system (through the API), not on these pages."""


def _worked_elsewhere(unit: Unit) -> str:
    return _(
        "%(unit)s works its cases in its own system, so they cannot be taken, worked or "
        "decided here. Nothing was saved."
    ) % {"unit": unit.display_name}


def _case_step(request: HtmxHttpRequest, pk: int) -> Step:
    return get_object_or_404(
        Step.objects.visible_to(request.user).select_related(
            "journey__journey_type",
            "journey__applicant",
            "journey__organisation",
            "step_type",
            "unit",
            f"assignee__{STAFF_NAME_RELATED}",
        ),
        pk=pk,
    )


def _actionable_step(request: HtmxHttpRequest, pk: int) -> Step:
    """A step the user may act on: one of their own units' (a coordinator only reads), unless
    that unit works in its own system (then its members read it here too)."""
    step = _case_step(request, pk)
    if not acts_in_unit(roles_of(request.user), step.unit_id):
        raise Http404
    if step.unit.works_in_own_system:
        raise WorkedInOwnSystem
    return step


def _render_case(request: HtmxHttpRequest, step: Step, status: int = 200, **forms) -> HttpResponse:
    journey = step.journey
    roles = roles_of(request.user)
    initial = {"version": step.version}
    steps = selectors.journey_steps(journey, now=timezone.now())
    disclosure = journey_disclosure(journey, request.user, steps=[row.step for row in steps])
    answers = disclosed_answers(journey, disclosure)
    documents = list(
        disclosed_documents(journey, disclosure)
        .select_related("unit")
        .prefetch_related("steps__step_type")
    )
    # Every showing of the case page is a read of the answers it discloses, and of each item
    # marked as secret that it shows (the access log).
    access_record(
        user=request.user,
        what=AccessLogEntry.What.CASE_PAGE,
        path=request.path,
        now=timezone.now(),
        journey=journey,
        step=step,
        secret=secret_shown(disclosure, answers=answers, documents=documents),
    )
    for document in documents:
        document.secret = disclosure.secret_documents.get(document.pk)
    may_mark = may_mark_secret(roles, unit_id=step.unit_id)
    secrecy = queue_selectors.case_secrecy(
        journey, disclosure, answers=answers, documents=documents
    )
    in_unit = acts_in_unit(roles, step.unit_id) and not step.unit.works_in_own_system
    held = step.assignee_id == request.user.pk
    works = in_unit and held and step.status == Step.Status.IN_PROGRESS
    blockable = services.blockable_steps(step) if works else []
    targets = services.send_back_targets(step) if works else []
    thread = selectors.conversation_thread(step)
    new_messages = len(thread.unread(by_applicant=False))
    if in_unit and new_messages:
        services.conversation_read(journey=journey, step=step, by=request.user, now=timezone.now())
    context = {
        "step": step,
        "journey": journey,
        "steps": steps,
        "may_reopen": in_unit and step.status == Step.Status.APPROVED and journey.is_open,
        "may_send_back": bool(targets) and journey.is_open,
        "may_transfer": in_unit
        and journey.is_open
        and (
            step.status == Step.Status.QUEUED or (held and step.status == Step.Status.IN_PROGRESS)
        ),
        "reopen_form": forms.get("reopen_form") or ReopenForm(initial=initial),
        "send_back_form": forms.get("send_back_form")
        or SendBackForm(initial=initial, targets=targets),
        "transfer_form": forms.get("transfer_form")
        or TransferForm(initial=initial, units=services.transfer_targets(step)),
        "events": selectors.journey_timeline(
            journey,
            for_applicant=False,
            disclosure=disclosure,
            steps=[row.step for row in steps],
        ),
        "requests": selectors.journey_information_requests(journey),
        "disclosed_step_ids": disclosure.step_ids,
        "documents": documents,
        "secret_documents": disclosure.secret_documents,
        "may_mark": may_mark,
        "secrecy": secrecy,
        "secrecy_form": forms.get("secrecy_form")
        or (SecrecyMarkForm(items=secrecy.items) if may_mark else None),
        "unmark_form": forms.get("unmark_form")
        or (SecrecyRemoveForm(markings=secrecy.markings) if may_mark else None),
        "may_make_public_copy": may_make_public_copy(
            roles, owner_unit_id=journey.journey_type.owner_unit_id
        ),
        "may": case_actions(
            roles,
            unit_id=step.unit_id,
            held_by_user=step.assignee_id == request.user.pk,
            queued=step.status == Step.Status.QUEUED,
            in_progress=step.status == Step.Status.IN_PROGRESS,
            active=step.status in Step.ACTIVE_STATUSES,
            in_own_system=step.unit.works_in_own_system,
        ),
        "decision_form": forms.get("decision_form")
        or DecisionForm(initial={**initial, "appeal_instructions": step.unit.appeal_instructions}),
        "request_form": forms.get("request_form")
        or InformationRequestForm(
            initial=initial,
            blockable=blockable,
            default=services.default_blocked(step, blockable) if blockable else (),
        ),
        "note_form": forms.get("note_form") or NoteForm(initial=initial),
        "document_form": forms.get("document_form") or DocumentForm(initial=initial),
        "delay_form": forms.get("delay_form")
        or DelayForm(initial={**initial, "reason": step.delay_reason}),
        "reassign_form": forms.get("reassign_form")
        or ReassignForm(initial=initial, members=_unit_members(step.unit)),
        "consult_form": forms.get("consult_form")
        or ConsultationForm(initial=initial, asking_unit=step.unit),
        "consultations": list(
            step.consultations.select_related("unit", f"answered_by__{STAFF_NAME_RELATED}")
        ),
        "answers": answers,
        "identity_number": disclosed_identity_number(journey, disclosure),
        "organisation": (organisation := disclosed_organisation(journey, disclosure)),
        "representative": organisation
        and representative_for(organisation_id=organisation.pk, user=journey.applicant),
        "invoice": step_invoice(step),
        "thread": thread,
        "new_messages": new_messages,
        "may_write": in_unit and thread.is_open,
        "message_form": forms.get("message_form") or MessageForm(),
        "now": timezone.now(),
    }
    context["invalid_form"] = next(iter(forms.values()), None)
    return render(request, "casework/case.html", context, status=status)


def _unit_members(unit: Unit):
    return (
        get_user_model()
        .objects.filter(memberships__unit=unit, memberships__role__in=Membership.CASEWORK_ROLES)
        .select_related(STAFF_NAME_RELATED)
        .order_by("username")
    )


def case_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A case form's view: signed in, POST only, and a service that refused (the case changed,
    is someone else's, or is closed) answers with the case as it is now (409) and why; a case
    of a unit that works in its own system is refused the same way (403)."""

    @login_required
    @require_POST
    @wraps(view)
    def refusing(request: HtmxHttpRequest, pk: int) -> HttpResponse:
        try:
            return view(request, pk)
        except WorkedInOwnSystem:
            step = _case_step(request, pk)
            messages.error(request, _worked_elsewhere(step.unit))
            return _render_case(request, step, status=403)
        except services.StepChanged as refused:
            if isinstance(refused, services.NotAssignee):
                messages.error(request, NOT_YOURS)
            else:
                messages.error(
                    request, CLOSED if isinstance(refused, services.StepClosed) else STALE
                )
            return _render_case(request, _actionable_step(request, pk), status=409)

    return refusing


def _done(request: HtmxHttpRequest, step: Step, success: str) -> HttpResponse:
    """Saved: back to the case (or to the lead's workload page, where the form was)."""
    messages.success(request, success)
    if request.POST.get("return_to") == "workload":
        return redirect(f"{reverse('casework:workload')}?unit={step.unit.slug}")
    return redirect("casework:case", pk=step.pk)


def _posted_version(request: HtmxHttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@login_required
@require_GET
def case(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case_step(request, pk))


@case_action
def case_claim(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    services.step_claim(step=step, by=request.user, now=timezone.now())
    return _done(request, step, _("This case is now yours."))


@case_action
def case_release(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    services.step_release(
        step=step,
        by=request.user,
        now=timezone.now(),
        expected_version=_posted_version(request),
    )
    return _done(request, step, _("The case is back in the queue."))


@case_action
def case_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_case(request, step, status=422, decision_form=form)
    try:
        services.step_decide(
            step=step,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            reasons=form.cleaned_data["reasons"],
            appeal_instructions=form.cleaned_data["appeal_instructions"],
            communication_note=form.cleaned_data["communication_note"],
            expected_version=form.cleaned_data["version"],
            now=timezone.now(),
        )
    except PaymentDue:
        messages.error(request, PaymentDue.message)
        return _render_case(request, step, status=409, decision_form=form)
    return _done(request, step, _("Decision recorded."))


@case_action
def case_request_information(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    blockable = services.blockable_steps(step)
    form = InformationRequestForm(request.POST, blockable=blockable)
    if not form.is_valid():
        return _render_case(request, step, status=422, request_form=form)
    services.information_request_create(
        step=step,
        by=request.user,
        items=form.cleaned_data["items"],
        due_date=form.cleaned_data["due_date"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
        blocks=list(form.cleaned_data.get("blocks", [])),
    )
    return _done(
        request,
        step,
        _("The request has been sent to the applicant. The step's clock has stopped."),
    )


@case_action
def case_note(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, step, status=422, note_form=form)
    services.note_add(
        step=step,
        by=request.user,
        kind=form.cleaned_data["kind"],
        text=form.cleaned_data["text"],
        visible_to_applicant=form.cleaned_data["visible_to_applicant"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    return _done(request, step, _("Journal entry saved."))


@case_action
def case_document_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_case(request, step, status=422, document_form=form)
    document = services.step_document_add(
        step=step,
        by=request.user,
        upload=form.cleaned_data["upload"],
        visible_to_applicant=form.cleaned_data["visible_to_applicant"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    if document.visible_to_applicant:
        return _done(request, step, _("The document is added. The applicant can see it."))
    return _done(request, step, _("The document is added, for your unit only."))


@case_action
def case_delay(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = DelayForm(request.POST)
    if not form.is_valid():
        return _render_case(request, step, status=422, delay_form=form)
    services.step_delay_explain(
        step=step,
        by=request.user,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    return _done(
        request,
        step,
        _("The reason is saved; the applicant is told if the step is about to be late."),
    )


@case_action
def case_reassign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    if not leads_unit(roles_of(request.user), step.unit_id):
        raise Http404
    form = ReassignForm(request.POST, members=_unit_members(step.unit))
    if not form.is_valid():
        return _render_case(request, step, status=422, reassign_form=form)
    services.step_reassign(
        step=step,
        by=request.user,
        to=form.cleaned_data["assignee"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    return _done(request, step, _("The case has been reassigned."))


@case_action
def case_reopen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_case(request, step, status=422, reopen_form=form)
    services.step_reopen(
        step=step,
        by=request.user,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    return _done(
        request, step, _("The decision is reopened. The steps that depend on it wait for it.")
    )


@case_action
def case_send_back(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = SendBackForm(request.POST, targets=services.send_back_targets(step))
    if not form.is_valid():
        return _render_case(request, step, status=422, send_back_form=form)
    services.step_send_back(
        step=step,
        to=form.cleaned_data["to"],
        by=request.user,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    # The step waits again, so it has left the unit's queue (and its page): back to the queue.
    messages.success(
        request, _("The case is sent back. This step waits until the earlier one is done.")
    )
    return redirect(f"{reverse('casework:queue')}?unit={step.unit.slug}")


@case_action
def case_transfer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = TransferForm(request.POST, units=services.transfer_targets(step))
    if not form.is_valid():
        return _render_case(request, step, status=422, transfer_form=form)
    services.step_transfer(
        step=step,
        to=form.cleaned_data["unit"],
        by=request.user,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    messages.success(request, _("The case is transferred to the other unit's queue."))
    return redirect(f"{reverse('casework:queue')}?unit={step.unit.slug}")


@case_action
def case_representative_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    # Only a unit that sees which organisation it is can confirm who may represent it.
    if disclosed_organisation(step.journey, journey_disclosure(step.journey, request.user)) is None:
        raise Http404
    try:
        services.journey_representative_confirm(step=step, by=request.user, now=timezone.now())
    except services.NoClaimToConfirm:
        raise Http404 from None
    return _done(
        request, step, _("The applicant's right to represent the organisation is recorded.")
    )


@case_action
def case_consult(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    step = _actionable_step(request, pk)
    form = ConsultationForm(request.POST, asking_unit=step.unit)
    if not form.is_valid():
        return _render_case(request, step, status=422, consult_form=form)
    consultation = services.consultation_request(
        step=step,
        by=request.user,
        unit=form.cleaned_data["unit"],
        question=form.cleaned_data["question"],
        due_date=form.cleaned_data["due_date"],
        expected_version=form.cleaned_data["version"],
        now=timezone.now(),
    )
    return _done(
        request,
        step,
        _("The question has been sent to %(unit)s.") % {"unit": consultation.unit.display_name},
    )


def _consultation(request: HtmxHttpRequest, pk: int) -> Consultation:
    """A consultation put to one of the user's units (404 for anyone else)."""
    return get_object_or_404(
        Consultation.objects.visible_to(request.user).select_related(
            "unit",
            "step__unit",
            "step__step_type",
            "step__journey__journey_type",
            f"requested_by__{STAFF_NAME_RELATED}",
            f"answered_by__{STAFF_NAME_RELATED}",
        ),
        pk=pk,
    )


def _render_consultation(
    request: HtmxHttpRequest,
    consultation: Consultation,
    form: ConsultationAnswerForm | None = None,
    status: int = 200,
    unsent_answer: str = "",
) -> HttpResponse:
    journey = consultation.step.journey
    disclosure = consultation_disclosure(consultation)
    answers = disclosed_answers(journey, disclosure)
    access_record(
        user=request.user,
        what=AccessLogEntry.What.CONSULTATION,
        path=request.path,
        now=timezone.now(),
        journey=journey,
        step=consultation.step,
        secret=secret_shown(disclosure, answers=answers),
    )
    return render(
        request,
        "casework/consultation.html",
        {
            "consultation": consultation,
            "journey": journey,
            "answers": answers,
            "may_answer": consultation.is_open
            and acts_in_unit(roles_of(request.user), consultation.unit_id),
            "form": form or ConsultationAnswerForm(),
            "invalid_form": form,
            "unsent_answer": unsent_answer,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def consultation(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The consulted unit's page: the question and what the asking step may see, and its answer."""
    return _render_consultation(request, _consultation(request, pk))


@login_required
@require_POST
def consultation_answer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    if not acts_in_unit(roles_of(request.user), consultation.unit_id):
        raise Http404
    form = ConsultationAnswerForm(request.POST)
    if not form.is_valid():
        return _render_consultation(request, consultation, form, status=422)
    try:
        services.consultation_answer(
            consultation=consultation,
            by=request.user,
            answer=form.cleaned_data["answer"],
            now=timezone.now(),
        )
    except services.ConsultationWithdrawn:
        # Nothing typed is lost: the page says why and shows the answer that was not sent.
        return _render_consultation(
            request,
            _consultation(request, pk),
            status=409,
            unsent_answer=form.cleaned_data["answer"],
        )
    except services.ConsultationAnswered:
        messages.error(request, _("This consultation has been answered already."))
        return _render_consultation(
            request,
            _consultation(request, pk),
            status=409,
            unsent_answer=form.cleaned_data["answer"],
        )
    messages.success(request, _("Your answer has been sent to the unit that asked."))
    return redirect(f"{reverse('casework:queue')}?unit={consultation.unit.slug}")


@case_action
def case_message(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The unit writes to the applicant about its step (any member, the case taken or not)."""
    step = _actionable_step(request, pk)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_case(request, step, status=422, message_form=form)
    try:
        services.conversation_message_send(
            step=step,
            by=request.user,
            body=form.cleaned_data["body"],
            files=[form.cleaned_data["upload"]] if form.cleaned_data["upload"] else [],
            now=timezone.now(),
        )
    except services.ConversationClosed:
        form.add_error(None, CONVERSATION_CLOSED)
        return _render_case(request, _case_step(request, pk), status=409, message_form=form)
    messages.success(request, _("Your message has been sent to the applicant."))
    return redirect(f"{reverse('casework:case', args=[step.pk])}#conversation")


@login_required
@require_GET
def case_document(request: HtmxHttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """A document attached to a step of the caseworker's unit in this journey."""
    step = _case_step(request, pk)
    journey = step.journey
    disclosure = journey_disclosure(journey, request.user)
    document = get_object_or_404(disclosed_documents(journey, disclosure), pk=document_pk)
    access_record(
        user=request.user,
        what=AccessLogEntry.What.DOCUMENT,
        path=request.path,
        now=timezone.now(),
        journey=journey,
        step=step,
        document=document,
        secret=secret_shown(disclosure, documents=[document]),
    )
    return document_response(document)


def _secrecy_step(request: HtmxHttpRequest, pk: int) -> Step:
    """A case whose unit the user marks for (404 for anyone else, a coordinator too)."""
    step = _case_step(request, pk)
    if not may_mark_secret(roles_of(request.user), unit_id=step.unit_id):
        raise Http404
    return step


def _case_secrecy(request: HtmxHttpRequest, step: Step):
    """The case page's secrecy section as the user sees it (what the forms choose from)."""
    journey = step.journey
    disclosure = journey_disclosure(journey, request.user)
    answers = disclosed_answers(journey, disclosure)
    documents = list(disclosed_documents(journey, disclosure))
    return queue_selectors.case_secrecy(journey, disclosure, answers=answers, documents=documents)


@login_required
@require_POST
def case_secrecy_mark(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark a document or an answer the unit sees as subject to secrecy, naming the ground."""
    step = _secrecy_step(request, pk)
    secrecy = _case_secrecy(request, step)
    form = SecrecyMarkForm(request.POST, items=secrecy.items)
    if not form.is_valid():
        return _render_case(request, step, status=422, secrecy_form=form)
    kind, _dash, item = form.cleaned_data["item"].partition("-")
    ground: SecrecyGround = form.cleaned_data["ground"]
    try:
        services.secrecy_mark(
            step=step,
            by=request.user,
            ground=ground,
            reason=form.cleaned_data["reason"],
            document=Document.objects.get(pk=item) if kind == "document" else None,
            field_key=item if kind == "answer" else "",
            now=timezone.now(),
        )
    except services.AlreadyMarked:
        form.add_error("item", _("This document or answer is marked as secret already."))
        return _render_case(request, step, status=409, secrecy_form=form)
    messages.success(
        request,
        _("Marked as secret under %(ground)s. Other units no longer see it.")
        % {"ground": ground.label},
    )
    return redirect(f"{reverse('casework:case', args=[step.pk])}#secrecy")


@login_required
@require_POST
def case_secrecy_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Remove one of the unit's secrecy markings on the journey, saying why."""
    step = _secrecy_step(request, pk)
    secrecy = _case_secrecy(request, step)
    form = SecrecyRemoveForm(request.POST, markings=secrecy.markings)
    if not form.is_valid():
        return _render_case(request, step, status=422, unmark_form=form)
    marking = secrecy.marking(form.cleaned_data["marking"])
    if not may_mark_secret(roles_of(request.user), unit_id=marking.unit_id):
        raise Http404
    services.secrecy_unmark(
        marking=marking, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
    )
    messages.success(
        request, _("The marking is removed. The units that need the item see it again.")
    )
    return redirect(f"{reverse('casework:case', args=[step.pk])}#secrecy")


@login_required
@require_GET
def workload(request: HtmxHttpRequest) -> HttpResponse:
    """The unit lead's view: open and overdue cases per caseworker."""
    roles = roles_of(request.user)
    units = [u for u in _member_units(request) if leads_unit(roles, u.pk)]
    if not units:
        raise Http404
    unit = _chosen_unit(request, units)
    now = timezone.now()
    counts = queue_selectors.unit_queue_counts(unit, user=request.user, now=now)
    members = _unit_members(unit)
    page = CappedPaginator(queue_selectors.unit_queue(unit), QUEUE_PAGE_SIZE, count=counts["all"])
    page = page.get_page(request.GET.get("page"))
    return render(
        request,
        "casework/workload.html",
        {
            "unit": unit,
            "units": units,
            "members": queue_selectors.unit_workload(unit, now=now),
            "assignable": list(members),
            "page": page,
            "unassigned": counts["new"],
            "open_total": counts["all"],
            "overdue_total": counts["overdue"],
            "consultations": queue_selectors.unit_consultations(unit, now=now, with_rows=False),
            "now": now,
        },
    )
