"""The coordinator's view above the units: the stuck journeys first, and what to do about them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coordination import services
from coordination.bottlenecks import bottleneck_map
from coordination.dashboard import JOURNEY_VIEWS, VIEWS, Dashboard
from coordination.forms import (
    AccessLogSearchForm,
    ContactForm,
    CoordinationFilterForm,
    EscalateForm,
    InsightForm,
    LegalHoldForm,
)
from coordination.insight import Period, insight_cached
from coordination.insight_exports import insight_charts, insight_csv
from coordination.rows import journey_rows_attach
from coordination.timelines import journey_gantt
from journeys import selectors
from journeys import services as journey_services
from journeys.counting import CappedPaginator
from journeys.disclosure import journey_disclosure
from journeys.models import Handoff, Journey, JourneyType
from journeys.versions import dashboard_versions
from portal.conditional import PageValidator
from records import disposal
from records.models import AccessLogEntry, LegalHold
from records.retention import (
    current_rules,
    disposal_due_page,
    disposal_records,
    journeys_retention,
    rules_table,
)
from records.selectors import access_log_search
from records.services import access_record
from units.models import Unit
from units.roles import roles_of
from webhooks import selectors as webhook_selectors
from webhooks.deliveries import delivery_send_again, subscription_resume
from webhooks.models import Delivery, Subscription

PAGE_SIZE = 25


def _require_coordinator(request) -> None:
    if not roles_of(request.user).is_coordinator:
        raise Http404


@login_required
@require_GET
def dashboard(request):
    """The dashboard, or 304 to a reload that has it as it is: its version and the catalogue's
    read in one query (portal/conditional.py)."""
    _require_coordinator(request)
    now = timezone.now()
    versions = dashboard_versions()
    validator = PageValidator(request, "dashboard", versions)
    if not_modified := validator.not_modified(now=now):
        return not_modified
    view = request.GET.get("view", "journeys")
    if view not in VIEWS:
        view = "journeys"
    form = CoordinationFilterForm(
        request.GET,
        units=Unit.objects.order_by("name"),
        journey_types=JourneyType.objects.filter(is_current=True).order_by("name"),
    )
    board = Dashboard(now=now, filters=form.filters(), user=request.user)
    counts = board.counts()
    page = CappedPaginator(board.listing(view), PAGE_SIZE, count=counts[view]).get_page(
        request.GET.get("page")
    )
    if view in JOURNEY_VIEWS:
        journey_rows_attach(list(page.object_list), now=now, catalogue=versions[1])
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("view", None)
    context = {
        "form": form,
        "view": view,
        "views": [
            {"key": key, "label": label, "count": counts[key], "current": key == view}
            for key, label in VIEWS.items()
        ],
        "page": page,
        "query": query.urlencode(),
        "now": now,
    }
    template = "coordination/dashboard.html"
    if request.htmx:
        template += "#results"
    fresh_until = board.changes_at(view, list(page.object_list))
    return validator.finish(render(request, template, context), fresh_until)


def _journey(request, public_id) -> Journey:
    _require_coordinator(request)
    return selectors.journey_for_page(
        Journey.objects.visible_to(request.user).select_related(*selectors.CONTACT_RELATED),
        public_id=public_id,
    )


def _render_journey(request, journey: Journey, escalate_form=None, contact_form=None, status=200):
    now = timezone.now()
    access_record(
        user=request.user,
        what=AccessLogEntry.What.JOURNEY_PAGE,
        path=request.path,
        now=now,
        journey=journey,
    )
    plan = selectors.journey_plan(journey, now=now)
    rows = plan.rows
    context = {
        "journey": journey,
        "steps": rows,
        "plan": plan,
        "journey_contact": selectors.journey_contact(journey),
        "contact_form": contact_form or ContactForm(journey=journey),
        "gantt": journey_gantt(journey, steps=[r.step for r in rows], now=now),
        "events": selectors.journey_timeline(
            journey,
            for_applicant=False,
            disclosure=journey_disclosure(journey, request.user, steps=[r.step for r in rows]),
            steps=[r.step for r in rows],
        ),
        "requests": selectors.journey_information_requests(journey),
        "failed_handoffs": list(
            Handoff.objects.overdue_for_delivery(now=now)
            .filter(step__journey=journey)
            .select_related("step__step_type", "unit")
        ),
        "escalate_form": escalate_form or EscalateForm(journey=journey),
        "invalid_form": escalate_form if escalate_form is not None else contact_form,
        "now": now,
    }
    return render(request, "coordination/journey.html", context, status=status)


@login_required
@require_GET
def journey_detail(request, public_id):
    return _render_journey(request, _journey(request, public_id))


@login_required
@require_POST
def journey_escalate(request, public_id):
    journey = _journey(request, public_id)
    form = EscalateForm(request.POST, journey=journey)
    if not form.is_valid():
        return _render_journey(request, journey, escalate_form=form, status=422)
    services.journey_escalate(
        journey=journey,
        step=form.cleaned_data["step"],
        by=request.user,
        message=form.cleaned_data["message"],
        now=timezone.now(),
    )
    messages.success(request, _("The unit lead has been told."))
    return redirect("coordination:journey", public_id=journey.public_id)


@login_required
@require_POST
def journey_contact_assign(request, public_id):
    journey = _journey(request, public_id)
    form = ContactForm(request.POST, journey=journey)
    if not form.is_valid():
        return _render_journey(request, journey, contact_form=form, status=422)
    contact = form.cleaned_data["contact"]
    if journey_services.journey_contact_assign(
        journey=journey, contact=contact, by=request.user, now=timezone.now()
    ):
        messages.success(request, _("The journey's contact is now named."))
    else:
        messages.info(request, _("That person already was the journey's contact."))
    return redirect("coordination:journey", public_id=journey.public_id)


@login_required
@require_GET
def access_log(request):
    """Who read which journey, when, what of it and through which client: newest first."""
    _require_coordinator(request)
    form = AccessLogSearchForm(request.GET)
    context = {"form": form, "retention_days": settings.ACCESS_LOG_RETENTION_DAYS}
    if not form.is_valid():
        return render(request, "coordination/access_log.html", context, status=422)
    query = request.GET.copy()
    query.pop("page", None)
    context["page"] = CappedPaginator(access_log_search(**form.search()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context["query"] = query.urlencode()
    return render(request, "coordination/access_log.html", context)


@login_required
@require_GET
def bottlenecks(request):
    """Where journeys queue: units by week, median time in the queue and the overdue share."""
    _require_coordinator(request)
    return render(
        request,
        "coordination/bottlenecks.html",
        {"map": bottleneck_map(today=timezone.localdate())},
    )


@login_required
@require_POST
def journey_remind(request, public_id):
    journey = _journey(request, public_id)
    reminded = services.applicant_remind(journey=journey, by=request.user, now=timezone.now())
    if reminded:
        messages.success(request, _("The applicant has been reminded."))
    else:
        messages.info(request, _("The applicant has no unanswered request past its date."))
    return redirect("coordination:journey", public_id=journey.public_id)


@login_required
@require_POST
def handoff_republish(request, pk: int):
    _require_coordinator(request)
    handoff = get_object_or_404(Handoff.objects.select_related("step__journey"), pk=pk)
    if services.handoff_republish(handoff=handoff, by=request.user, now=timezone.now()):
        messages.success(request, _("The handoff has been sent again."))
    else:
        messages.info(request, _("The handoff had already been delivered."))
    if request.POST.get("return_to") == "dashboard":
        return redirect(f"{reverse('coordination:dashboard')}?view=handoffs")
    return redirect("coordination:journey", public_id=handoff.step.journey.public_id)


@login_required
@require_GET
def insight(request):
    """Lead times, deadlines, handoff latency and who carries the work, for a chosen period."""
    _require_coordinator(request)
    today = timezone.localdate()
    data = request.GET.copy()
    journey_types = list(JourneyType.objects.filter(is_current=True).order_by("name"))
    if not journey_types:
        raise Http404
    default = Period.default(journey_types[0], today)
    data.setdefault("journey_type", default.journey_type.slug)
    data.setdefault("start", default.start.isoformat())
    data.setdefault("end", default.end.isoformat())
    form = InsightForm(data, units=Unit.objects.order_by("name"), journey_types=journey_types)
    if not form.is_valid():
        return render(request, "coordination/insight.html", {"form": form}, status=422)
    period = form.period()
    figures = insight_cached(period)
    if request.GET.get("format") == "csv":
        return insight_csv(period, figures)
    return render(
        request,
        "coordination/insight.html",
        {
            "form": form,
            "period": period,
            "figures": figures,
            "charts": insight_charts(figures),
            "refresh_minutes": settings.INSIGHT_REFRESH_SECONDS // 60,
        },
    )


@login_required
@require_GET
def webhook_deliveries(request):
    """Events the units' systems have not received: paused subscriptions, failed deliveries."""
    _require_coordinator(request)
    page = CappedPaginator(webhook_selectors.failed_deliveries(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "paused": list(webhook_selectors.paused_subscriptions()),
        "now": timezone.now(),
    }
    return render(request, "coordination/webhook_deliveries.html", context)


@login_required
@require_POST
def webhook_send_again(request, pk: int):
    _require_coordinator(request)
    delivery = get_object_or_404(Delivery, pk=pk)
    if delivery_send_again(delivery=delivery, now=timezone.now()):
        messages.success(request, _("The event will be sent again now."))
    else:
        messages.info(
            request,
            _("The event had already been delivered, or its subscription is paused: resume it."),
        )
    return redirect("coordination:webhook_deliveries")


@login_required
@require_POST
def webhook_resume(request, public_id):
    _require_coordinator(request)
    subscription = get_object_or_404(Subscription, public_id=public_id)
    if subscription_resume(subscription=subscription, now=timezone.now()):
        messages.success(request, _("The subscription is resumed: its waiting events follow."))
    else:
        messages.info(request, _("The subscription was not paused."))
    return redirect("coordination:webhook_deliveries")


def _render_retention(request, journey: Journey, form=None, status=200):
    now = timezone.now()
    access_record(
        user=request.user,
        what=AccessLogEntry.What.JOURNEY_PAGE,
        path=request.path,
        now=now,
        journey=journey,
    )
    holds = list(LegalHold.objects.filter(journey=journey).select_related("set_by", "lifted_by"))
    hold = next((h for h in holds if h.is_active), None)
    types = current_rules([journey.journey_type.slug])
    current = types.get(journey.journey_type.slug)
    held = {journey.pk} if hold is not None else set()
    kept = journeys_retention([journey], now=now, held=held, types=types)[journey.pk]
    context = {
        "journey": journey,
        "rules_type": current,
        "rules": rules_table(current) if current is not None else [],
        "kept": kept,
        "hold": hold,
        "past_holds": [h for h in holds if not h.is_active],
        "form": form or LegalHoldForm(lifting=hold is not None),
        "disposed": list(disposal_records(journey)),
    }
    return render(request, "coordination/retention.html", context, status=status)


@login_required
@require_GET
def journey_retention(request, public_id):
    """What of the journey is kept, under which rule and until when; what was disposed of;
    its legal hold."""
    return _render_retention(request, _journey(request, public_id))


@login_required
@require_POST
def journey_legal_hold(request, public_id):
    """Set a legal hold on the journey's records, or lift the one in force, with a reason."""
    journey = _journey(request, public_id)
    lifting = LegalHold.objects.active().filter(journey=journey).exists()
    form = LegalHoldForm(request.POST, lifting=lifting)
    if not form.is_valid():
        return _render_retention(request, journey, form=form, status=422)
    change = disposal.legal_hold_lift if lifting else disposal.legal_hold_set
    try:
        change(
            journey=journey, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except (disposal.AlreadyHeld, disposal.NotHeld):
        messages.info(
            request, _("Someone else changed the hold meanwhile: here it is as it is now.")
        )
    else:
        if lifting:
            messages.success(request, _("The hold is lifted: the retention rules apply again."))
        else:
            messages.success(request, _("The journey's records are held: nothing is disposed of."))
    return redirect("coordination:retention", public_id=journey.public_id)


DUE_SHOWN = 50


@login_required
@require_GET
def disposals(request):
    """The disposal register: what the next sweep would dispose of (the dry run), the holds in
    force, and what was disposed of, newest first."""
    _require_coordinator(request)
    due, due_count = disposal_due_page(now=timezone.now(), limit=DUE_SHOWN)
    context = {
        "due": due,
        "due_count": due_count,
        "holds": list(
            LegalHold.objects.active()
            .select_related("journey", "set_by")
            .defer("journey__data")
            .order_by("-set_at")[:DUE_SHOWN]
        ),
        "page": CappedPaginator(disposal_records(), PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "coordination/disposals.html", context)
