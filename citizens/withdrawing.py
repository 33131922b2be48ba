"""The applicant withdraws a submitted application (journeys.services.withdrawing): a
confirmation page reached from the tracking page, in the design system's "are you sure" pattern."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from citizens.forms import WithdrawForm
from citizens.views import _own_journey
from journeys import services
from journeys.models import Journey


def _refusal(journey: Journey) -> str:
    """Why a journey that is not open cannot be withdrawn, in the applicant's words."""
    if journey.status == Journey.Status.WITHDRAWN:
        return _("This application has already been withdrawn.")
    if journey.status == Journey.Status.COMPLETED:
        return _(
            "This application is complete: every step has been decided, so there is nothing "
            "left to withdraw."
        )
    return _(
        "This application is closed because a step was rejected, so there is nothing left to "
        "withdraw. The decision says how to appeal."
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request, public_id):
    """Are you sure? Then withdraw: steps not yet decided are cancelled, the units told."""
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_check", public_id=public_id)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    refusal = "" if journey.is_open else _refusal(journey)
    track_url = reverse("citizens:application_track", args=[public_id])
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            services.journey_withdraw(
                journey=journey,
                by=request.user,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except services.NotWithdrawable:
            journey.refresh_from_db()
            refusal = _refusal(journey)
        else:
            messages.success(
                request,
                _(
                    "Your application has been withdrawn. The units have been told, and we "
                    "have sent you a confirmation."
                ),
            )
            return redirect(track_url)
    status = 200
    if refusal:
        status = 409
    elif request.method == "POST":
        status = 400
    steps = list(journey.steps.select_related("step_type", "unit"))
    return render(
        request,
        "citizens/application_withdraw.html",
        {
            "journey": journey,
            "form": form,
            "refusal": refusal,
            "cancelled": [s for s in steps if s.is_open],
            "standing": [s for s in steps if s.is_decided],
            "back_url": track_url,
        },
        status=status,
    )
