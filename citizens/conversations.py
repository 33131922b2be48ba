"""The applicant writes to the unit of a step (journeys.services.conversations): the thread and
its form on one page, reached from the tracking page's "Messages"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from citizens.views import _own_journey
from journeys import selectors, services
from journeys.forms import ConversationMessageForm
from journeys.models import Journey, Step


def _closed(step: Step) -> str:
    if not step.journey.is_open:
        return _("This application is closed, so no more messages can be sent about it.")
    return _("%(unit)s does not have this step yet, so you cannot write about it yet.") % {
        "unit": step.unit.display_name
    }


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request, public_id, pk: int):
    """The thread with the unit of one step of the journey, and a message to it."""
    journey = _own_journey(request, public_id)
    step = get_object_or_404(
        Step.objects.select_related("step_type", "unit").exclude(
            journey__status=Journey.Status.DRAFT
        ),
        pk=pk,
        journey=journey,
    )
    step.journey = journey
    thread = selectors.conversation_thread(step)
    if not (thread.messages or step.has_reached_unit):
        raise Http404  # a step no unit has yet has no one to write to
    form = ConversationMessageForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    track_url = reverse("citizens:application_track", args=[public_id])
    status = 200
    if request.method == "POST":
        status = 422
        if thread.is_open and form.is_valid():
            try:
                services.conversation_message_send(
                    step=step,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    files=[form.cleaned_data["upload"]] if form.cleaned_data["upload"] else [],
                    now=timezone.now(),
                )
            except services.ConversationClosed:
                journey.refresh_from_db()
                step.refresh_from_db()
                step.journey = journey
            else:
                messages.success(
                    request,
                    _("Your message has been sent to %(unit)s.") % {"unit": step.unit.display_name},
                )
                return redirect(f"{track_url}#conversation-{step.pk}")
        if not services.conversation_is_open(step):
            # Closed meanwhile: said as the form's error, what was written kept.
            form.is_valid()
            form.add_error(None, _closed(step))
            status = 409
    elif thread.unread(by_applicant=True):
        services.conversation_read(journey=journey, step=step, by=request.user, now=timezone.now())
    return render(
        request,
        "citizens/conversation.html",
        {
            "journey": journey,
            "step": step,
            "thread": thread,
            "form": form,
            "closed": "" if thread.is_open else _closed(step),
            "back_url": f"{track_url}#conversation-{step.pk}",
        },
        status=status,
    )
