"""Site-wide pages: the role-aware home page and the statements every footer links to."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from journeys.models import JourneyType
from units.roles import roles_of


@require_GET
def home(request):
    """Each kind of user lands on their own page: queue, dashboard, applications or admin."""
    roles = roles_of(request.user)
    if not request.user.is_authenticated:
        journey_types = JourneyType.objects.filter(is_current=True).order_by("name")
        return render(request, "home.html", {"journey_types": journey_types})
    if roles.is_caseworker:
        return redirect("casework:queue")
    if roles.is_coordinator and not request.user.is_superuser:
        return redirect("coordination:dashboard")
    if roles.is_admin:
        return redirect("admin:index")
    return redirect("citizens:applications")


@require_GET
def accessibility(request):
    return render(request, "accessibility.html")


@require_GET
def privacy(request):
    return render(request, "privacy.html")


@require_GET
def contact(request):
    return render(request, "contact.html")


@require_GET
def health(request):
    """The lightest page the stack can serve: a liveness probe, and the benchmark's ceiling."""
    return HttpResponse("ok", content_type="text/plain")
