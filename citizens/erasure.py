"""The applicant asks for their data to be erased (GDPR article 17; records.disposal): a page
that says what would be erased at once and what is kept, under which rule and until when,
and a button that asks. Apart from the export of the applicant's data (its own pages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from records.disposal import erasure_preview, erasure_request_make


@login_required
@require_http_methods(["GET", "POST"])
def erasure(request):
    """What erasure would do now; asking for it erases what no rule keeps and records the
    request with what is kept."""
    now = timezone.now()
    if request.method == "POST":
        made = erasure_request_make(user=request.user, now=now)
        erased = made.disposals.count()
        if erased:
            messages.success(
                request,
                ngettext(
                    "We have erased %(count)d item. What we must keep is listed below.",
                    "We have erased %(count)d items. What we must keep is listed below.",
                    erased,
                )
                % {"count": erased},
            )
        else:
            messages.info(
                request,
                _("Your request is recorded. Nothing could be erased now: see below when it goes."),
            )
        return redirect("citizens:erasure")
    drafts, due, kept = erasure_preview(user=request.user, now=now)
    return render(
        request,
        "citizens/erasure.html",
        {
            "drafts": drafts,
            "due": due,
            "kept": kept,
            "requests": request.user.erasure_requests.annotate(erased=Count("disposals"))[:20],
        },
    )
