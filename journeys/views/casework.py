"""A unit caseworker's pages: the unit queue and the case page with the caseworker's own step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from journeys import selectors, services
from journeys.forms import DecisionForm
from journeys.models import Step
from units.models import Unit
from units.roles import roles_of

QUEUE_PAGE_SIZE = 25


def _member_units(request):
    roles = roles_of(request.user)
    if not roles.unit_ids:
        raise Http404
    return Unit.objects.filter(pk__in=roles.unit_ids)


@login_required
@require_GET
def queue(request):
    units = list(_member_units(request))
    unit = next((u for u in units if u.slug == request.GET.get("unit")), units[0])
    page = Paginator(selectors.unit_queue(unit), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "journeys/casework/queue.html",
        {"units": units, "unit": unit, "page": page, "now": timezone.now()},
    )


def _case_step(request, pk: int) -> Step:
    return get_object_or_404(
        Step.objects.visible_to(request.user).select_related(
            "journey__journey_type", "journey__applicant", "step_type", "unit", "assignee"
        ),
        pk=pk,
    )


def _may_act(request, step: Step) -> bool:
    return step.unit_id in roles_of(request.user).unit_ids


def _render_case(request, step: Step, decision_form=None, status=200):
    journey = step.journey
    if decision_form is None:
        decision_form = DecisionForm(initial={"version": step.version})
    may_act = _may_act(request, step)
    context = {
        "step": step,
        "journey": journey,
        "steps": selectors.journey_steps(journey),
        "events": selectors.journey_timeline(journey, for_applicant=False),
        "may_claim": may_act and step.status == Step.Status.QUEUED,
        "may_decide": may_act
        and step.status == Step.Status.IN_PROGRESS
        and step.assignee_id == request.user.pk,
        "decision_form": decision_form,
        "answers": [
            {"label": f["label"], "value": journey.data.get(f["key"])}
            for f in journey.journey_type.fields
        ],
    }
    return render(request, "journeys/casework/case.html", context, status=status)


@login_required
@require_GET
def case(request, pk: int):
    return _render_case(request, _case_step(request, pk))


@login_required
@require_POST
def case_claim(request, pk: int):
    step = _case_step(request, pk)
    if not _may_act(request, step):
        raise Http404
    try:
        services.step_claim(step=step, by=request.user, now=timezone.now())
    except services.StepChanged:
        messages.error(request, _("Someone else has already taken this case."))
    return redirect("casework:case", pk=step.pk)


@login_required
@require_POST
def case_decide(request, pk: int):
    step = _case_step(request, pk)
    if not _may_act(request, step):
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_case(request, step, decision_form=form, status=422)
    try:
        services.step_decide(
            step=step,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            reasons=form.cleaned_data["reasons"],
            expected_version=form.cleaned_data["version"],
            now=timezone.now(),
        )
    except services.StepChanged as refused:
        step.refresh_from_db()
        if isinstance(refused, services.NotAssignee):
            message = _("Another caseworker has taken this case, so only they can decide it.")
        else:
            message = _(
                "The case changed after you opened it, so your decision was not saved. "
                "Here is its current state."
            )
        messages.error(request, message)
        return _render_case(request, step, status=409)
    messages.success(request, _("Decision recorded."))
    return redirect("casework:case", pk=step.pk)
