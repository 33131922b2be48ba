"""The applicant corrects an answer after submitting (journeys.services.amending): one page per
answer, reached from the tracking page's "Your answers"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from citizens.forms import ApplicantDataForm
from citizens.views import _own_journey
from journeys import services
from journeys.models import Journey


def _refusal(error: services.AmendRefused, journey: Journey, answer) -> str:
    if isinstance(error, services.JourneyNotOpen) or not journey.is_open:
        return _("This application is closed, so its answers can no longer be changed.")
    return _(
        "This answer can no longer be changed: a step that needs it has been decided (%(steps)s)."
    ) % {"steps": ", ".join(answer.decided_by)}


@login_required
@require_http_methods(["GET", "POST"])
def answer_change(request, public_id, key: str):
    """Change one answer of a submitted application, while no step that needs it is decided."""
    journey = _own_journey(request, public_id)
    if journey.status == Journey.Status.DRAFT:
        return redirect("citizens:application_question", public_id=public_id, key=key)
    steps = list(journey.steps.select_related("step_type", "unit"))
    answer = next((a for a in services.journey_answers(journey, steps) if a.key == key), None)
    if answer is None:
        raise Http404
    form = ApplicantDataForm(
        request.POST if request.method == "POST" else None,
        journey_type=journey.journey_type,
        only=[key],
        initial=ApplicantDataForm.initial_from(journey.data),
    )
    refusal = "" if answer.changeable else _refusal(services.AmendRefused(), journey, answer)
    track_url = reverse("citizens:application_track", args=[public_id])
    status = 200
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            changed = services.journey_amend(
                journey=journey, by=request.user, answers=form.answers(), now=timezone.now()
            )
        except services.AmendRefused as error:
            journey.refresh_from_db()
            steps = list(journey.steps.select_related("step_type", "unit"))
            answer = next(a for a in services.journey_answers(journey, steps) if a.key == key)
            refusal = _refusal(error, journey, answer)
        else:
            if changed:
                messages.success(
                    request,
                    _(
                        "Your answer was changed. The units that need it have been told, "
                        "and the change is on your application's history."
                    ),
                )
            else:
                messages.info(request, _("Your answer was the same as before: nothing changed."))
            return redirect(f"{track_url}#answers")
    if request.method == "POST":
        status = 400
        if refusal:  # decided meanwhile: said as the form's error, what was typed kept
            form.is_valid()
            form.add_error(None, refusal)
            status = 409
    return render(
        request,
        "citizens/answer_change.html",
        {
            "journey": journey,
            "form": form,
            "answer": answer,
            "refusal": refusal,
            "back_url": f"{track_url}#answers",
        },
        status=status,
    )
