"""Site-wide pages: the role-aware home page and the statements every footer links to."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from journeys.models import JourneyType
from units.roles import roles_of
from units.services import staff_language_remember


@require_GET
def home(request):
    """Each kind of user lands on their own page: queue, dashboard, applications or admin."""
    roles = roles_of(request.user)
    if not request.user.is_authenticated:
        journey_types = JourneyType.objects.filter(is_current=True).order_by("name")
        return render(request, "home.html", {"journey_types": journey_types})
    if roles.is_caseworker:
        return redirect("casework:queue")
    if roles.is_finance:
        return redirect("payments:files")
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


@require_POST
def language_set(request):
    """Django's language switch; a member of staff's e-mails follow the language they choose."""
    response = set_language(request)
    staff_language_remember(user=request.user, language=request.POST.get("language", ""))
    return response
