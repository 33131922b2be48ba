"""A caseworker works the unit queue: open a case, claim it, decide with reasons."""

import pytest
from django.urls import reverse

from journeys.models import Handoff, Journey, Step
from tests.factories import make_caseworker, submitted_journey
from tests.html import link_texts, parse
from tests.journey_types import journey_type


@pytest.fixture
def trail(db):
    return journey_type(parallel=2, chain=1, deadline_days=70)


@pytest.fixture
def step(trail):
    return submitted_journey(trail).steps.get(step_type__key="parallel-1")


@pytest.fixture
def caseworker(client, step):
    user = make_caseworker(step.unit)
    client.force_login(user)
    return user


def test_the_queue_lists_the_units_cases_earliest_due_first(client, trail, caseworker, step):
    later = submitted_journey(trail)
    html = client.get(reverse("casework:queue")).content.decode()
    assert html.index(step.journey.reference) < html.index(later.reference)


def test_the_case_page_shows_the_whole_journey_read_only_and_offers_to_take_the_case(
    client, caseworker, step
):
    html = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    assert "Parallel step 2" in html  # another unit's step, shown
    assert "Ada Applicant" in html  # the applicant's data
    assert "Take this case" in html
    assert "Record the decision" not in html


def test_claiming_then_deciding_records_the_decision_with_reasons(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS and step.assignee == caseworker
    assert (
        "Record the decision"
        in client.get(reverse("casework:case", args=[step.pk])).content.decode()
    )
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {
            "outcome": "reject",
            "reasons": "Not allowed by the plan.",
            "appeal_instructions": "Write to us within three weeks.",
            "communication_note": "Applicant commented by phone on 3 May.",
            "version": step.version,
        },
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == Step.Status.REJECTED and step.reasons == "Not allowed by the plan."
    assert step.appeal_instructions == "Write to us within three weeks."
    assert step.communication_note == "Applicant commented by phone on 3 May."
    assert step.journey.status == Journey.Status.REJECTED
    assert "Not allowed by the plan." in client.get(response.url).content.decode()


def test_a_decision_without_reasons_is_refused_with_a_clear_message(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    response = client.post(
        reverse("casework:decide", args=[step.pk]), {"outcome": "approve", "version": step.version}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the reasons for the decision" in html and "There is a problem" in html
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_a_rejection_needs_appeal_instructions_and_a_record_of_the_chance_to_comment(
    client, caseworker, step
):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    case = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    assert "You can appeal against this decision" in case  # the unit's default, editable
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "reject", "reasons": "No.", "appeal_instructions": "", "version": step.version},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter how the applicant can appeal the rejection" in html
    assert "Record when the applicant could comment on the material" in html
    step.refresh_from_db()
    assert step.status == Step.Status.IN_PROGRESS


def test_a_case_someone_else_took_cannot_be_taken_or_decided(client, caseworker, step):
    colleague = make_caseworker(step.unit)
    client.force_login(colleague)
    client.post(reverse("casework:claim", args=[step.pk]))
    client.force_login(caseworker)
    response = client.post(reverse("casework:claim", args=[step.pk]))
    assert response.status_code == 409
    assert "Another caseworker holds this case" in response.content.decode()
    step.refresh_from_db()
    response = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "Fine.", "version": step.version},
    )
    assert response.status_code == 409
    assert "only they can do that" in response.content.decode()
    step.refresh_from_db()
    assert step.assignee == colleague and step.status == Step.Status.IN_PROGRESS


def test_a_decision_on_a_form_loaded_before_a_change_is_refused(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    first = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "First.", "version": step.version},
    )
    assert first.status_code == 302
    second = client.post(
        reverse("casework:decide", args=[step.pk]),
        {"outcome": "approve", "reasons": "Second.", "version": step.version},
    )
    assert second.status_code == 409
    assert "The case changed after you opened it, so nothing was saved" in second.content.decode()
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED and step.reasons == "First."


def test_queue_filters_show_counts_and_swap_only_the_results_for_htmx(client, trail, caseworker):
    import datetime as dt

    from django.utils import timezone

    from journeys import services

    now = timezone.now()
    old = submitted_journey(trail, now=now - dt.timedelta(days=80))  # overdue (70 days)
    mine = old.steps.get(step_type__key="parallel-1")
    services.step_claim(step=mine, by=caseworker, now=now)
    url = reverse("casework:queue")
    html = client.get(url, {"filter": "mine"}).content.decode()
    links = link_texts(html)
    assert {"Mine (1)", "All (2)", "Overdue (1)", "New (1)"} <= set(links)
    assert html.count("/work/steps/") == 1 and "days overdue" in html

    partial = client.get(url, {"filter": "new"}, headers={"HX-Request": "true"}).content.decode()
    fragment = parse(partial)
    assert [(e.tag, e.attrs.get("id")) for e in fragment.elements] == [("div", "queue-results")]
    assert not fragment.find_all("html") and old.reference not in partial


def test_take_next_hands_over_the_earliest_due_unclaimed_case(client, trail, caseworker, step):
    import datetime as dt

    from django.utils import timezone

    earlier = submitted_journey(trail, now=timezone.now() - dt.timedelta(days=5))
    response = client.post(reverse("casework:take_next"))
    target = earlier.steps.get(step_type__key="parallel-1")
    assert response.url == reverse("casework:case", args=[target.pk])
    target.refresh_from_db()
    assert target.assignee == caseworker and target.status == Step.Status.IN_PROGRESS
    client.post(reverse("casework:take_next"))
    client.post(reverse("casework:take_next"))  # nothing left: a message, no error
    step.refresh_from_db()
    assert step.assignee == caseworker


def test_releasing_puts_the_case_back_for_anyone(client, caseworker, step):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    client.post(reverse("casework:release", args=[step.pk]), {"version": step.version})
    step.refresh_from_db()
    assert step.status == Step.Status.QUEUED and step.assignee is None


def test_journal_entries_record_author_and_time_and_internal_ones_stay_internal(
    client, caseworker, step
):
    for text, visible in (("Called the applicant about the signs.", True), ("Internal.", False)):
        step.refresh_from_db()
        response = client.post(
            reverse("casework:note", args=[step.pk]),
            {
                "kind": "call",
                "text": text,
                "visible_to_applicant": "on" if visible else "",
                "version": step.version,
            },
        )
        assert response.status_code == 302
    case = client.get(reverse("casework:case", args=[step.pk])).content.decode()
    assert "Called the applicant about the signs." in case and "Internal." in case
    assert caseworker.username in case
    client.force_login(step.journey.applicant)
    track = client.get(
        reverse("citizens:application_track", args=[step.journey.public_id])
    ).content.decode()
    assert "Called the applicant about the signs." in track
    assert "Internal." not in track


def test_a_note_on_a_case_that_changed_since_the_form_loaded_is_refused(client, caseworker, step):
    stale = step.version
    client.post(reverse("casework:claim", args=[step.pk]))
    response = client.post(
        reverse("casework:note", args=[step.pk]),
        {"kind": "note", "text": "Late note.", "version": stale},
    )
    assert response.status_code == 409
    assert "nothing was saved" in response.content.decode()
    assert not step.events.filter(message="Late note.").exists()


def test_a_unit_lead_sees_the_workload_and_reassigns_within_the_unit(client, step):
    lead = make_caseworker(step.unit, lead=True)
    worker = make_caseworker(step.unit)
    client.force_login(lead)
    workload = client.get(reverse("casework:workload"))
    assert workload.status_code == 200 and worker.username in workload.content.decode()
    assert step.journey.reference in workload.content.decode()  # its open cases, reassignable
    response = client.post(
        reverse("casework:reassign", args=[step.pk]),
        {"assignee": worker.pk, "version": step.version, "return_to": "workload"},
    )
    assert response.url == f"{reverse('casework:workload')}?unit={step.unit.slug}"
    step.refresh_from_db()
    assert step.assignee == worker and step.status == Step.Status.IN_PROGRESS
    html = client.get(reverse("casework:workload")).content.decode()
    workers = [row[:2] for row in parse(html).rows()]  # every table's rows
    assert [worker.username, "1"] in workers  # one case in progress


def test_a_caseworker_who_is_not_a_lead_cannot_reassign_or_see_the_workload(
    client, caseworker, step
):
    other = make_caseworker(step.unit)
    assert client.get(reverse("casework:workload")).status_code == 404
    response = client.post(
        reverse("casework:reassign", args=[step.pk]), {"assignee": other.pk, "version": 0}
    )
    assert response.status_code == 404


def test_a_queue_past_a_thousand_cases_says_more_than_a_thousand_instead_of_counting(
    client, caseworker, step
):
    from journeys.counting import COUNT_CAP
    from tests.factories import bulk_queued_steps

    bulk_queued_steps(step.step_type, COUNT_CAP + 30)
    html = client.get(reverse("casework:queue")).content.decode()
    assert {"All (1,000+)", "New (1,000+)", "Mine (0)"} <= set(link_texts(html))
    assert "More than 1,000 cases shown" in html
    assert page_number(html) == "Page 1"
    # Past the cap it pages on, as far as there are cases.
    beyond = client.get(reverse("casework:queue") + "?page=41").content.decode()
    assert "Next page" in beyond and page_number(beyond) == "Page 41"
    last = client.get(reverse("casework:queue") + "?page=42").content.decode()
    assert "Next page" not in last and "Previous page" in last and page_number(last) == "Page 42"
    cases = parse(last).find("table").find("tbody").find_all("th", scope="row")
    assert len(cases) == 6  # 1,031 in all


def page_number(html: str) -> str:
    """The pager's "Page n" or "Page n of m"."""
    (text,) = [p.text for p in parse(html).find_all("p") if p.text.startswith("Page ")]
    return text


def test_the_same_decision_sent_twice_is_recorded_once_and_answered_as_done(
    client, caseworker, step
):
    client.post(reverse("casework:claim", args=[step.pk]))
    step.refresh_from_db()
    form = {"outcome": "approve", "reasons": "All in order.", "version": step.version}
    first = client.post(reverse("casework:decide", args=[step.pk]), form)
    events = step.journey.events.count()
    handoffs = Handoff.objects.filter(step__journey=step.journey).count()
    again = client.post(reverse("casework:decide", args=[step.pk]), form)  # a double click
    assert first.status_code == again.status_code == 302
    assert step.journey.events.count() == events
    assert Handoff.objects.filter(step__journey=step.journey).count() == handoffs
    step.refresh_from_db()
    assert step.status == Step.Status.APPROVED and step.reasons == "All in order."
