"""The applicant's own data (issue 18, item 6): a page that says what the portal holds about
them and offers it as one zip (citizens.data_export). Staff have no such page: 404."""

import tempfile

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.throttling import rate_exceeded
from citizens.data_export import own_data_export, own_data_overview
from citizens.forms import OwnDataDownloadForm
from units.roles import roles_of

HOUR = 3600


def _citizen_only(request) -> None:
    """The export is of a citizen's account: a member of staff's is not theirs to download
    here (their reads are in the access log, which the data protection officer answers for)."""
    if not roles_of(request.user).is_citizen:
        raise Http404


def _render(request, form: OwnDataDownloadForm, status: int = 200):
    return render(
        request,
        "citizens/own_data.html",
        {
            "form": form,
            "overview": own_data_overview(user=request.user),
            "per_hour": settings.OWN_DATA_DOWNLOADS_PER_HOUR,
        },
        status=status,
    )


@login_required
@require_GET
def own_data(request):
    _citizen_only(request)
    return _render(request, OwnDataDownloadForm())


@login_required
@require_POST
def own_data_download(request):
    """Build the zip in a temporary file (deleted when the response closes it) and send it."""
    _citizen_only(request)
    form = OwnDataDownloadForm(request.POST)
    per_hour = settings.OWN_DATA_DOWNLOADS_PER_HOUR
    if rate_exceeded(
        scope="own-data", key=str(request.user.pk), limit=per_hour, period_seconds=HOUR
    ):
        form.refuse(
            ngettext(
                "You can download your data %(count)d time an hour. Try again in an hour.",
                "You can download your data %(count)d times an hour. Try again in an hour.",
                per_hour,
            )
            % {"count": per_hour}
        )
        return _render(request, form, status=429)
    # Open past the view: the response closes it (and so deletes it) once it is sent.
    out = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    try:
        export = own_data_export(user=request.user, now=timezone.now(), out=out, path=request.path)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = FileResponse(
        out, as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
