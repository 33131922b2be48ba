"""The applicant's pages: thin views over the journeys services and selectors."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Person
from citizens.forms import (
    ApplicantDataForm,
    ApplyingAsForm,
    InformationAnswerForm,
    OrganisationForm,
    RepresentativeInviteForm,
)
from journeys import selectors, services
from journeys.disclosure import disclosed_identity_number, journey_disclosure
from journeys.documents import document_response
from journeys.freshness import tracking_changes_at
from journeys.models import (
    DecisionRequest,
    Document,
    InformationRequest,
    Journey,
    JourneyType,
    Step,
)
from journeys.versions import journey_versions
from organisations import services as organisation_services
from organisations.models import Organisation, Representative
from organisations.selectors import organisations_represented, representative_for
from payments.selectors import journey_invoices
from portal.conditional import PageValidator


@require_GET
def service_list(request):
    journey_types = JourneyType.objects.filter(is_current=True).order_by("name")
    return render(request, "citizens/service_list.html", {"journey_types": journey_types})


@require_GET
def service_start(request, slug: str):
    journey_type = get_object_or_404(JourneyType, slug=slug, is_current=True)
    drafts = []
    if request.user.is_authenticated:
        drafts = Journey.objects.acting_for(request.user).filter(
            journey_type__slug=slug, status=Journey.Status.DRAFT
        )
    return render(
        request,
        "citizens/service_start.html",
        {
            "journey_type": journey_type,
            "stages": selectors.journey_type_stages(journey_type),
            "drafts": drafts,
        },
    )


@login_required
@require_POST
def application_start(request, slug: str):
    journey_type = get_object_or_404(JourneyType, slug=slug, is_current=True)
    journey = services.journey_start(
        journey_type=journey_type, applicant=request.user, now=timezone.now()
    )
    return redirect("citizens:application_resume", public_id=journey.public_id)


@login_required
@require_GET
def application_list(request):
    """The applications the person acts on: their own and their organisations'."""
    journeys = (
        Journey.objects.acting_for(request.user)
        .select_related("journey_type", "organisation")
        .order_by("-created_at")
    )
    person = Person.objects.filter(user=request.user).first()
    return render(
        request,
        "citizens/application_list.html",
        {
            "journeys": journeys,
            "person": person,
            "organisations": organisations_represented(request.user),
        },
    )


def _own_journey(request, public_id, **filters) -> Journey:
    """A journey the person acts on (theirs, or an organisation's they represent), else 404."""
    return get_object_or_404(
        Journey.objects.acting_for(request.user).select_related(
            "journey_type", "organisation", *selectors.CONTACT_RELATED
        ),
        public_id=public_id,
        **filters,
    )


def _question_keys(journey: Journey) -> list[str]:
    return [field["key"] for field in journey.journey_type.fields]


@login_required
@require_GET
def application_resume(request, public_id):
    """Continue a draft where it stands: who it is for, then its first unanswered question,
    then the check-answers page."""
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    if not journey.applying_as:
        return redirect("citizens:application_applicant", public_id=public_id)
    if journey.applying_as == Journey.ApplyingAs.ORGANISATION and not journey.organisation_id:
        return redirect("citizens:application_organisation", public_id=public_id)
    for key in _question_keys(journey):
        if journey.data.get(key) in (None, ""):
            return redirect("citizens:application_question", public_id=public_id, key=key)
    return redirect("citizens:application_check", public_id=public_id)


@login_required
@require_http_methods(["GET", "POST"])
def application_applicant(request, public_id):
    """Who the application is for: the applicant, or an organisation they represent."""
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    initial = {"applying_as": journey.applying_as} if journey.applying_as else {}
    form = ApplyingAsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["applying_as"] == Journey.ApplyingAs.ORGANISATION:
            return redirect(_with_change(request, "citizens:application_organisation", public_id))
        services.journey_applying_for_self(journey=journey)
        return redirect(_after_applicant(request, journey))
    return render(
        request,
        "citizens/application_applicant.html",
        {
            "journey": journey,
            "form": form,
            "back_url": _change_back(request, journey)
            or reverse("citizens:service_start", args=[journey.journey_type.slug]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_organisation(request, public_id):
    """The organisation applied for; the companies register records the applicant's right to
    represent it when it lists them as a signatory, else a caseworker confirms it."""
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    person = Person.objects.filter(user=request.user).first()
    initial = {}
    if journey.organisation:
        initial = {"number": journey.organisation.number, "name": journey.organisation.name}
    form = OrganisationForm(
        request.POST if request.method == "POST" else None, initial=initial, person=person
    )
    if request.method == "POST" and form.is_valid():
        applying = services.journey_applying_for_organisation(
            journey=journey,
            person=person,
            number=form.cleaned_data["number"],
            name=form.cleaned_data["name"],
            now=timezone.now(),
        )
        if applying.representative.is_recorded:
            messages.success(
                request,
                _("You are recorded as a representative of %(name)s.")
                % {"name": applying.organisation.name},
            )
        else:
            messages.info(
                request,
                _(
                    "The companies register does not list you as a signatory of %(name)s. A "
                    "caseworker will confirm your right to represent it; until then only you "
                    "see this application."
                )
                % {"name": applying.organisation.name},
            )
        return redirect(_after_applicant(request, journey))
    return render(
        request,
        "citizens/application_organisation.html",
        {
            "journey": journey,
            "form": form,
            "back_url": reverse("citizens:application_applicant", args=[public_id])
            + ("?change" if "change" in request.GET else ""),
        },
    )


def _with_change(request, name: str, public_id) -> str:
    url = reverse(name, args=[public_id])
    return url + "?change" if "change" in request.GET else url


def _change_back(request, journey: Journey) -> str:
    if "change" in request.GET:
        return reverse("citizens:application_check", args=[journey.public_id])
    return ""


def _after_applicant(request, journey: Journey) -> str:
    """From the who-is-it-for pages: back to the answers when changing, else onwards."""
    return _change_back(request, journey) or reverse(
        "citizens:application_resume", args=[journey.public_id]
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_question(request, public_id, key: str):
    """One question per page; the answer is saved as soon as the applicant continues."""
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    keys = _question_keys(journey)
    if key not in keys:
        raise Http404
    index = keys.index(key)
    changing = "change" in request.GET
    posted = request.method == "POST"
    form = ApplicantDataForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        journey_type=journey.journey_type,
        only=[key],
        initial=ApplicantDataForm.initial_from(journey.data),
    )
    check_url = reverse("citizens:application_check", args=[public_id])
    if posted and form.is_valid():
        if answers := form.answers():
            services.journey_save_answers(journey=journey, answers=answers)
        for file_key, (upload, remove) in form.file_answers().items():
            services.journey_file_answer(
                journey=journey,
                key=file_key,
                upload=upload,
                remove=remove,
                by=request.user,
                now=timezone.now(),
            )
        if changing or index == len(keys) - 1:
            return redirect(check_url)
        return redirect("citizens:application_question", public_id=public_id, key=keys[index + 1])
    if changing:
        back_url = check_url
    elif index:
        back_url = reverse("citizens:application_question", args=[public_id, keys[index - 1]])
    elif journey.applying_as == Journey.ApplyingAs.ORGANISATION:
        back_url = reverse("citizens:application_organisation", args=[public_id])
    else:
        back_url = reverse("citizens:application_applicant", args=[public_id])
    return render(
        request,
        "citizens/question.html",
        {
            "journey": journey,
            "form": form,
            "question": journey.journey_type.field(key),
            "number": index + 1,
            "total": len(keys),
            "back_url": back_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_check(request, public_id):
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    given = ApplicantDataForm.initial_from(journey.data)
    form = ApplicantDataForm(given, journey_type=journey.journey_type, initial=given)
    if request.method == "POST":
        if form.is_valid():
            services.journey_submit(
                journey=journey,
                by=request.user,
                language=request.LANGUAGE_CODE,
                now=timezone.now(),
            )
            return redirect("citizens:application_confirmation", public_id=journey.public_id)
        messages.error(
            request,
            _("Some answers are missing: %(answers)s. Complete them, then send.")
            % {"answers": ", ".join(_missing(form))},
        )
        return redirect("citizens:application_resume", public_id=journey.public_id)
    answers = [
        {"key": field["key"], "label": field["label"], "value": journey.data.get(field["key"])}
        for field in journey.journey_type.display_fields
    ]
    steps = [
        s for s in journey.journey_type.steps.select_related("unit") if s.applies_to(journey.data)
    ]
    keys = _question_keys(journey)
    return render(
        request,
        "citizens/application_check.html",
        {
            "journey": journey,
            "answers": answers,
            "steps": steps,
            "complete": form.is_valid(),
            "missing": _missing(form),
            "identity_number": disclosed_identity_number(
                journey, journey_disclosure(journey, request.user)
            ),
            "representative": representative_for(
                organisation_id=journey.organisation_id, user=request.user
            ),
            "back_url": reverse("citizens:application_question", args=[public_id, keys[-1]]),
        },
    )


def _missing(form: ApplicantDataForm) -> list[str]:
    """The questions a checked draft has no acceptable answer to, by their labels."""
    return [str(form.fields[key].label) for key in form.errors if key in form.fields]


@login_required
@require_GET
def application_confirmation(request, public_id):
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_check", public_id=journey.public_id)
    plan = selectors.journey_plan(journey, now=timezone.now())
    return render(
        request,
        "citizens/application_confirmation.html",
        {
            "journey": journey,
            "steps": plan.rows,
            "plan": plan,
            "journey_contact": selectors.journey_contact(journey),
        },
    )


def _render_track(
    request,
    journey: Journey,
    invalid=None,
    status: int = 200,
    validator: PageValidator | None = None,
):
    """The tracking page; `invalid` is the (request, bound form) pair that failed validation.
    With a `validator` (a GET), the page carries it, and the refresh sends it back."""
    # The 30 s refresh (htmx) replaces the progress region only: what the page shows outside it
    # (requests to answer, decisions asked for, the conversations) is not read for it.
    whole = not request.htmx
    open_requests = [
        (info, InformationAnswerForm(prefix=f"request-{info.pk}", journey=journey))
        for info in (selectors.journey_information_requests(journey) if whole else [])
        if info.is_open and journey.is_open
    ]
    if invalid:
        open_requests = [
            invalid if info.pk == invalid[0].pk else (info, form) for info, form in open_requests
        ]
    now = timezone.now()
    plan = selectors.journey_plan(journey, now=now)
    events = selectors.journey_timeline(
        journey, for_applicant=True, steps=[row.step for row in plan.rows]
    )
    steps = selectors.with_status_reasons(plan.rows, journey=journey, events=events)
    decision_requests = (
        list(
            DecisionRequest.objects.filter(step__journey=journey).select_related(
                "step__step_type", "step__unit"
            )
        )
        if whole
        else []
    )
    asked = {request.step_id for request in decision_requests}
    threads = selectors.conversation_threads(journey, [row.step for row in steps]) if whole else []
    # Read when the page is shown whole: the refresh replaces only the progress, not the threads.
    if whole and any(thread.unread(by_applicant=True) for thread in threads):
        services.conversation_read(journey=journey, by=request.user, now=now)
    # The applicant's own and those a unit showed them, in one read (a unit's internal: never).
    documents = list(journey.documents.uploaded().for_applicant().select_related("unit"))
    context = {
        "journey": journey,
        "steps": steps,
        "decision_requestable": [
            row.step
            for row in steps
            if row.step.pk not in asked and services.may_request_decision(row.step, now)
        ],
        "decision_requests": decision_requests,
        "plan": plan,
        "journey_contact": selectors.journey_contact(journey),
        "events": events,
        "status_reason": selectors.journey_status_reason(
            journey, steps=[row.step for row in steps], events=events
        ),
        "documents": [d for d in documents if d.unit_id is None],
        "unit_documents": [d for d in documents if d.unit_id is not None],
        "invoices": journey_invoices(
            journey, today=timezone.localdate(now), steps=[row.step for row in steps]
        ),
        "open_requests": open_requests,
        "answers": services.journey_answers(journey, [row.step for row in steps]),
        "threads": threads,
        "invalid_form": invalid[1] if invalid else None,
        "refresh_seconds": settings.TRACKING_REFRESH_SECONDS,
        "now": now,
    }
    template = "citizens/application_track.html"
    if request.htmx:
        template += "#progress"
    if validator is None:
        return render(request, template, context, status=status)
    fresh_until = tracking_changes_at(journey, plan, now=now)
    context["refresh_headers"] = json.dumps(
        {"If-None-Match": validator.etag(fresh_until, fragment=True)}
    )
    return validator.finish(render(request, template, context, status=status), fresh_until)


@login_required
@require_GET
def application_track(request, public_id):
    """The tracking page, or 304 to a refresh (or reload) that has it as it is: the journey's
    version read with the scope check, in one query (portal/conditional.py)."""
    validator = None
    if seen := journey_versions(request.user, public_id=public_id):
        status, versions = seen
        validator = PageValidator(request, "track", versions)
        if status != Journey.Status.DRAFT and (
            not_modified := validator.not_modified(now=timezone.now())
        ):
            return not_modified
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_check", public_id=journey.public_id)
    return _render_track(request, journey, validator=validator)


@login_required
@require_POST
def information_answer(request, public_id, pk: int):
    journey = _own_journey(request, public_id)
    if not journey.is_open:  # withdrawn or closed since the page was loaded
        messages.info(
            request, _("This application is closed, so the request no longer needs an answer.")
        )
        return redirect("citizens:application_track", public_id=journey.public_id)
    info = get_object_or_404(
        InformationRequest.objects.select_related("step__unit"),
        pk=pk,
        step__journey=journey,
        answered_at__isnull=True,
    )
    form = InformationAnswerForm(
        request.POST, request.FILES, prefix=f"request-{info.pk}", journey=journey
    )
    if not form.is_valid():
        return _render_track(request, journey, invalid=(info, form), status=422)
    data = form.cleaned_data
    services.information_request_answer(
        request=info,
        by=request.user,
        answer=data["answer"],
        uploads=[data["upload"]] if data.get("upload") else [],
        existing_documents=data.get("documents") or [],
        amendments=form.amendments(),
        now=timezone.now(),
    )
    messages.success(request, _("Thank you. Your answer has been sent to the unit."))
    return redirect("citizens:application_track", public_id=journey.public_id)


@login_required
@require_GET
def document_download(request, public_id, pk: int):
    journey = _own_journey(request, public_id)
    return document_response(
        get_object_or_404(Document.objects.for_applicant(), pk=pk, journey=journey)
    )


@login_required
@require_GET
def decision_letter_download(request, public_id, pk: int):
    """A decided step's letter; printed now if the task that prints it has not run yet."""
    journey = _own_journey(request, public_id)
    step = get_object_or_404(Step, pk=pk, journey=journey)
    letter = services.decision_letter_create(step=step, now=timezone.now())
    if letter is None:
        raise Http404
    return document_response(letter)


@login_required
@require_GET
def receipt_download(request, public_id):
    """A submitted application's receipt; printed now if its task has not run yet."""
    journey = _own_journey(request, public_id)
    receipt = services.receipt_create(journey=journey, now=timezone.now())
    if receipt is None:
        raise Http404
    return document_response(receipt)


@login_required
@require_GET
def message_list(request):
    page = Paginator(
        request.user.portal_messages.select_related("journey").order_by("-created_at", "-pk"), 20
    ).get_page(request.GET.get("page"))
    return render(request, "citizens/message_list.html", {"page": page})


@login_required
@require_POST
def decision_request(request, public_id, pk: int):
    """After six months without a decision the applicant may ask for one (FL 12 §)."""
    journey = _own_journey(request, public_id)
    step = get_object_or_404(Step.objects.select_related("journey"), pk=pk, journey=journey)
    if services.decision_request_create(step=step, by=request.user, now=timezone.now()):
        messages.success(
            request, _("Your request for a decision is registered. The unit has four weeks.")
        )
    return redirect("citizens:application_track", public_id=journey.public_id)


def _represented(request, public_id) -> Organisation:
    """An organisation the person has a recorded right to represent, else 404."""
    return get_object_or_404(Organisation.objects.represented_by(request.user), public_id=public_id)


def _render_organisation(request, organisation: Organisation, form, status: int = 200):
    journeys = (
        Journey.objects.filter(organisation=organisation)
        .select_related("journey_type", "applicant")
        .order_by("-created_at")
    )
    return render(
        request,
        "citizens/organisation.html",
        {
            "organisation": organisation,
            "journeys": journeys,
            "representatives": Representative.objects.recorded()
            .filter(organisation=organisation)
            .order_by("name"),
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def organisation(request, public_id):
    """An organisation's applications and representatives, for its representatives."""
    return _render_organisation(
        request, _represented(request, public_id), RepresentativeInviteForm()
    )


@login_required
@require_POST
def representative_invite(request, public_id):
    """A representative records another person's right to represent the organisation."""
    organisation = _represented(request, public_id)
    form = RepresentativeInviteForm(request.POST)
    if not form.is_valid():
        return _render_organisation(request, organisation, form, status=422)
    invited = organisation_services.representative_invite(
        organisation=organisation,
        by=request.user,
        number=form.cleaned_data["number"],
        name=form.cleaned_data["name"],
        now=timezone.now(),
    )
    messages.success(
        request,
        _("%(name)s may now see and continue the applications of %(organisation)s.")
        % {"name": invited.name, "organisation": organisation.name},
    )
    return redirect("citizens:organisation", public_id=organisation.public_id)
