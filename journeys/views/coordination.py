"""The coordinator's view above the units: every open journey, the stuck ones first."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from journeys import selectors
from journeys.models import Journey
from units.roles import roles_of

DASHBOARD_PAGE_SIZE = 50


def _require_coordinator(request) -> None:
    if not roles_of(request.user).is_coordinator:
        raise Http404


@login_required
@require_GET
def dashboard(request):
    _require_coordinator(request)
    now = timezone.now()
    page = Paginator(selectors.coordination_journeys(now=now), DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "journeys/coordination/dashboard.html", {"page": page, "now": now})


@login_required
@require_GET
def journey_detail(request, public_id):
    _require_coordinator(request)
    journey = selectors.journey_for_page(
        Journey.objects.visible_to(request.user), public_id=public_id
    )
    return render(
        request,
        "journeys/coordination/journey.html",
        {
            "journey": journey,
            "steps": selectors.journey_steps(journey),
            "events": selectors.journey_timeline(journey, for_applicant=False),
            "now": timezone.now(),
        },
    )
