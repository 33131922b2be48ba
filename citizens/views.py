"""The applicant's pages: thin views over the journeys services and selectors."""

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

from citizens.forms import ApplicantDataForm, InformationAnswerForm
from journeys import selectors, services
from journeys.documents import document_response
from journeys.models import (
    DecisionRequest,
    Document,
    InformationRequest,
    Journey,
    JourneyType,
    Step,
)


@require_GET
def service_list(request):
    journey_types = JourneyType.objects.filter(is_current=True).order_by("name")
    return render(request, "citizens/service_list.html", {"journey_types": journey_types})


@require_GET
def service_start(request, slug: str):
    journey_type = get_object_or_404(JourneyType, slug=slug, is_current=True)
    drafts = []
    if request.user.is_authenticated:
        drafts = Journey.objects.filter(
            applicant=request.user, journey_type__slug=slug, status=Journey.Status.DRAFT
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
    journeys = (
        Journey.objects.filter(applicant=request.user)
        .select_related("journey_type")
        .order_by("-created_at")
    )
    return render(request, "citizens/application_list.html", {"journeys": journeys})


def _own_journey(request, public_id, **filters) -> Journey:
    return get_object_or_404(
        Journey.objects.filter(applicant=request.user).select_related("journey_type"),
        public_id=public_id,
        **filters,
    )


def _question_keys(journey: Journey) -> list[str]:
    return [field["key"] for field in journey.journey_type.fields]


@login_required
@require_GET
def application_resume(request, public_id):
    """Continue a draft at its first unanswered question, or at the check-answers page."""
    journey = _own_journey(request, public_id, status=Journey.Status.DRAFT)
    for key in _question_keys(journey):
        if journey.data.get(key) in (None, ""):
            return redirect("citizens:application_question", public_id=public_id, key=key)
    return redirect("citizens:application_check", public_id=public_id)


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
    form = ApplicantDataForm(
        request.POST if request.method == "POST" else None,
        journey_type=journey.journey_type,
        only=[key],
        initial=ApplicantDataForm.initial_from(journey.data),
    )
    check_url = reverse("citizens:application_check", args=[public_id])
    if request.method == "POST" and form.is_valid():
        services.journey_save_answers(journey=journey, answers=form.answers())
        if changing or index == len(keys) - 1:
            return redirect(check_url)
        return redirect("citizens:application_question", public_id=public_id, key=keys[index + 1])
    if changing:
        back_url = check_url
    elif index:
        back_url = reverse("citizens:application_question", args=[public_id, keys[index - 1]])
    else:
        back_url = reverse("citizens:service_start", args=[journey.journey_type.slug])
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
    form = ApplicantDataForm(
        ApplicantDataForm.initial_from(journey.data), journey_type=journey.journey_type
    )
    if request.method == "POST":
        if form.is_valid():
            services.journey_submit(
                journey=journey,
                by=request.user,
                language=request.LANGUAGE_CODE,
                now=timezone.now(),
            )
            return redirect("citizens:application_confirmation", public_id=journey.public_id)
        messages.error(request, _("Some answers are missing. Complete them, then send."))
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
            "back_url": reverse("citizens:application_question", args=[public_id, keys[-1]]),
        },
    )


@login_required
@require_GET
def application_confirmation(request, public_id):
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_check", public_id=journey.public_id)
    return render(
        request,
        "citizens/application_confirmation.html",
        {"journey": journey, "steps": selectors.journey_steps(journey, now=timezone.now())},
    )


def _render_track(request, journey: Journey, invalid=None, status: int = 200):
    """The tracking page; `invalid` is the (request, bound form) pair that failed validation."""
    open_requests = [
        (info, InformationAnswerForm(prefix=f"request-{info.pk}", journey=journey))
        for info in selectors.journey_information_requests(journey)
        if info.is_open
    ]
    if invalid:
        open_requests = [
            invalid if info.pk == invalid[0].pk else (info, form) for info, form in open_requests
        ]
    now = timezone.now()
    steps = selectors.journey_steps(journey, now=now)
    decision_requests = list(
        DecisionRequest.objects.filter(step__journey=journey).select_related(
            "step__step_type", "step__unit"
        )
    )
    asked = {request.step_id for request in decision_requests}
    context = {
        "journey": journey,
        "steps": steps,
        "decision_requestable": [
            row.step
            for row in steps
            if row.step.pk not in asked and services.may_request_decision(row.step, now)
        ],
        "decision_requests": decision_requests,
        "events": selectors.journey_timeline(journey, for_applicant=True),
        "documents": list(journey.documents.all()),
        "open_requests": open_requests,
        "invalid_form": invalid[1] if invalid else None,
        "refresh_seconds": settings.TRACKING_REFRESH_SECONDS,
        "now": now,
    }
    template = "citizens/application_track.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context, status=status)


@login_required
@require_GET
def application_track(request, public_id):
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_check", public_id=journey.public_id)
    return _render_track(request, journey)


@login_required
@require_POST
def information_answer(request, public_id, pk: int):
    journey = _own_journey(request, public_id)
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
        now=timezone.now(),
    )
    messages.success(request, _("Thank you. Your answer has been sent to the unit."))
    return redirect("citizens:application_track", public_id=journey.public_id)


@login_required
@require_GET
def document_download(request, public_id, pk: int):
    journey = _own_journey(request, public_id)
    return document_response(get_object_or_404(Document, pk=pk, journey=journey))


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
