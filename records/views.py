"""A journey's public-access copy: what it will hold and what is withheld, and the copy itself
as a download (coordinators, and leads of the unit that owns the journey type)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from journeys.models import Journey
from portal.http import HtmxHttpRequest
from records.models import AccessLogEntry
from records.public_copies import public_copy, public_copy_zip
from records.services import access_record
from units.roles import roles_of


def _journey(request: HtmxHttpRequest, public_id) -> Journey:
    return get_object_or_404(
        Journey.objects.public_copies_for(request.user).select_related("journey_type"),
        public_id=public_id,
    )


@login_required
@require_GET
def copy_page(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """What the copy holds and which items it withholds, under which ground."""
    journey = _journey(request, public_id)
    return render(
        request,
        "records/public_copy.html",
        {
            "journey": journey,
            "copy": public_copy(journey),
            "is_coordinator": roles_of(request.user).is_coordinator,
        },
    )


@login_required
@require_GET
def copy_download(request: HtmxHttpRequest, public_id) -> FileResponse:
    """The copy as a zip. Making it is a read of the journey (the access log)."""
    journey = _journey(request, public_id)
    now = timezone.now()
    copy = public_copy(journey)
    access_record(
        user=request.user,
        what=AccessLogEntry.What.PUBLIC_COPY,
        path=request.path,
        now=now,
        journey=journey,
    )
    response = FileResponse(
        public_copy_zip(copy, now=now),
        as_attachment=True,
        filename=f"{copy.folder}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
