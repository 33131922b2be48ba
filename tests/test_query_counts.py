"""Pages run as many queries for many journeys as for a few (no N+1 as data grows)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import ConversationMessage
from records.models import AccessLogEntry
from records.services import access_record
from tests.factories import (
    bulk_queued_steps,
    decide,
    make_caseworker,
    make_coordinator,
    make_user,
    submitted_journey,
)
from tests.journey_types import journey_type, unit_for


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def assert_constant(client, urls, grow, django_assert_max_num_queries):
    client.get(urls[0])  # a staff member's first request stamps the session (idle timeout)
    small = {url: count_queries(client, url) for url in urls}
    grow()
    client.get(urls[0])  # growing made users, which made cached roles stale: read them again
    for url, queries in small.items():
        with django_assert_max_num_queries(queries):
            client.get(url)
        # No more than with little data; fewer where what the page draws is kept (a dashboard
        # row, coordination.rows, once drawn after the growth).
        assert count_queries(client, url) <= queries, url


@pytest.fixture
def trail(db):
    """parallel-1 -> chain-1, and parallel-2."""
    return journey_type(parallel=2, chain=1)


@pytest.fixture
def a_few(trail):
    """Five journeys through the services (every kind of row a page shows), one applicant."""
    applicant = make_user()
    journeys = [submitted_journey(trail, applicant) for _ in range(5)]
    for journey in journeys[:3]:
        decide(journey.steps.get(step_type__key="parallel-2"))
    return journeys


def test_the_tracking_page_queries_do_not_grow(client, trail, a_few, django_assert_max_num_queries):
    client.force_login(a_few[0].applicant)
    url = reverse("citizens:application_track", args=[a_few[0].public_id])
    permit = trail.steps.get(key="parallel-1")
    assert_constant(
        client, [url], lambda: bulk_queued_steps(permit, 50), django_assert_max_num_queries
    )


def test_a_decision_letter_and_receipt_download_queries_do_not_grow(
    client, trail, a_few, django_assert_max_num_queries
):
    journey = a_few[0]
    client.force_login(journey.applicant)
    decided = journey.steps.get(step_type__key="parallel-2")
    urls = [
        reverse("citizens:decision_letter", args=[journey.public_id, decided.pk]),
        reverse("citizens:receipt", args=[journey.public_id]),
    ]
    for url in urls:
        client.get(url)  # the first download prints the letter; the count is of the next ones
    permit = trail.steps.get(key="parallel-1")
    assert_constant(
        client, urls, lambda: bulk_queued_steps(permit, 50), django_assert_max_num_queries
    )


def test_the_queue_runs_as_many_queries_for_1000_cases_as_for_10(
    client, trail, django_assert_max_num_queries
):
    permit = trail.steps.get(key="parallel-1")
    client.force_login(make_caseworker(permit.unit))
    bulk_queued_steps(permit, 10)
    url = reverse("casework:queue")
    urls = [f"{url}?filter={name}" for name in ("all", "mine", "overdue", "due_soon", "new")]
    assert_constant(
        client, urls, lambda: bulk_queued_steps(permit, 990), django_assert_max_num_queries
    )


def test_the_coordinator_dashboard_runs_as_many_queries_for_1000_journeys_as_for_10(
    client, trail, a_few, django_assert_max_num_queries
):
    from coordination.dashboard import VIEWS as COORDINATION_VIEWS

    client.force_login(make_coordinator())
    permit = trail.steps.get(key="parallel-1")
    bulk_queued_steps(permit, 5)
    url = reverse("coordination:dashboard")
    urls = [f"{url}?view={view}" for view in COORDINATION_VIEWS]
    unit = unit_for("parallel-1")
    urls.append(f"{url}?view=journeys&unit={unit}&journey_type=permit-trail&min_age_days=7")
    assert_constant(
        client, urls, lambda: bulk_queued_steps(permit, 990), django_assert_max_num_queries
    )


def test_consultations_cost_the_same_queries_for_30_as_for_1(
    client, trail, django_assert_max_num_queries
):
    """The consulted unit's queue lists them, the consultation page shows one, the asking
    case page shows its step's: none grows with their number."""
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")
    consulted = journey.steps.get(step_type__key="parallel-2").unit
    asker = make_caseworker(step.unit)
    step = services.step_claim(step=step, by=asker, now=timezone.now())

    def ask(times: int):
        for _ in range(times):
            services.consultation_request(
                step=step,
                by=asker,
                unit=consulted,
                question="An opinion, please.",
                due_date=timezone.localdate(),
                now=timezone.now(),
            )

    ask(1)
    first = step.consultations.get()
    client.force_login(make_caseworker(consulted))
    urls = [reverse("casework:queue"), reverse("casework:consultation", args=[first.pk])]
    assert_constant(client, urls, lambda: ask(29), django_assert_max_num_queries)
    client.force_login(asker)
    case = reverse("casework:case", args=[step.pk])
    assert_constant(client, [case], lambda: ask(10), django_assert_max_num_queries)


def test_new_messages_cost_the_queue_no_query_per_case(
    client, trail, django_assert_max_num_queries
):
    """Each row's "new message" mark and the filter's count come with the queue's own queries."""
    permit = trail.steps.get(key="parallel-1")
    client.force_login(make_caseworker(permit.unit))

    def written_about(count: int):
        ConversationMessage.objects.bulk_create(
            ConversationMessage(
                journey=step.journey,
                step=step,
                unit_id=step.unit_id,
                author_id=step.journey.applicant_id,
                from_applicant=True,
                body="A question.",
                created_at=timezone.now(),
            )
            for step in bulk_queued_steps(permit, count)
        )

    written_about(10)
    url = reverse("casework:queue")
    urls = [f"{url}?filter={name}" for name in ("all", "messages")]
    assert_constant(client, urls, lambda: written_about(990), django_assert_max_num_queries)


def test_conversations_cost_the_same_queries_for_30_messages_as_for_1(
    client, trail, django_assert_max_num_queries
):
    """The tracking page's threads, a thread's page and the case page's thread (files too)."""
    journey = submitted_journey(trail)
    step = journey.steps.get(step_type__key="parallel-1")

    def write(times: int):
        for _ in range(times):
            services.conversation_message_send(
                step=step,
                by=journey.applicant,
                body="A question.",
                files=[SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n")],
                now=timezone.now(),
            )

    write(1)
    client.force_login(journey.applicant)
    urls = [
        reverse("citizens:application_track", args=[journey.public_id]),
        reverse("citizens:conversation", args=[journey.public_id, step.pk]),
    ]
    assert_constant(client, urls, lambda: write(29), django_assert_max_num_queries)
    client.force_login(make_coordinator())  # reads without marking: the same page every time
    case = reverse("casework:case", args=[step.pk])
    assert_constant(client, [case], lambda: write(10), django_assert_max_num_queries)


def test_the_own_data_download_runs_as_many_queries_for_8_applications_as_for_2(
    client, trail, settings, django_assert_max_num_queries
):
    """Everything about an applicant (citizens.data_export): applications with a conversation
    and its file, a decision and its letter, messages to them and reads by staff. Letters not
    printed yet are printed on the way, so each count is of a download after the first."""
    settings.OWN_DATA_DOWNLOADS_PER_HOUR = 100
    applicant = make_user()
    url = reverse("citizens:own_data_download")

    def apply(count: int):
        for _ in range(count):
            journey = submitted_journey(trail, applicant)
            step = journey.steps.get(step_type__key="parallel-1")
            services.conversation_message_send(
                step=step,
                by=applicant,
                body="A question.",
                files=[SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n")],
                now=timezone.now(),
            )
            decided = decide(journey.steps.get(step_type__key="parallel-2"))
            access_record(
                user=decided.assignee,
                what=AccessLogEntry.What.CASE_PAGE,
                path="/work/",
                now=timezone.now(),
                journey=journey,
                step=decided,
            )
        client.force_login(applicant)
        client.post(url)  # prints the new applications' receipts and letters

    def download_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url)
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(queries)

    apply(2)
    few = download_queries()
    apply(6)
    with django_assert_max_num_queries(few):
        b"".join(client.post(url).streaming_content)
    assert download_queries() == few


# Each benchmarked page's queries (docs/performance.md), pinned: a change that adds one fails
# here and says which page. Lower a number when a change saves a query. Roles come from the
# cache here (units.roles), as on every request but a person's first.
# A polled or reloaded page reads its version first (for a 304, portal/conditional.py), and a
# list reads the next moments its rows cross a line in time (the validator's expiry).
PINNED = {
    "citizen tracking page": 10,  # the conversations with the units (none here); its version
    # Its cases, the consultations put to the unit (none here), when a due date next passes.
    "caseworker queue": 7,
    # The units a received case can be transferred to, consultations, the conversation, its
    # access log entry, the journey's secrecy markings and the grounds a caseworker may mark
    # an item under.
    "case page": 13,
    "unit lead's workload": 8,
    # Its version; when its rows next cross a line in time (due, stalled, a handoff's grace).
    # Its journeys' steps (for projected dates and "at risk") are read only for rows drawn
    # anew: here every row is kept from the first request (coordination.rows).
    "coordinator dashboard": 10,
    "coordinator dashboard, stalled": 8,  # none stalled here: an empty list reads no rows
    "coordinator dashboard, overdue": 8,
    "insight": 4,  # its figures come from the cache
}


def test_each_benchmarked_page_runs_its_pinned_number_of_queries(client, trail, a_few):
    journey = a_few[0]
    step = journey.steps.get(step_type__key="parallel-1")
    caseworker, coordinator = make_caseworker(step.unit), make_coordinator()
    pages = {
        "citizen tracking page": (
            journey.applicant,
            reverse("citizens:application_track", args=[journey.public_id]),
        ),
        "caseworker queue": (caseworker, reverse("casework:queue")),
        "case page": (caseworker, reverse("casework:case", args=[step.pk])),
        "unit lead's workload": (
            make_caseworker(step.unit, lead=True),
            reverse("casework:workload"),
        ),
        "coordinator dashboard": (coordinator, reverse("coordination:dashboard")),
        "coordinator dashboard, stalled": (
            coordinator,
            reverse("coordination:dashboard") + "?view=stalled",
        ),
        "coordinator dashboard, overdue": (
            coordinator,
            reverse("coordination:dashboard") + "?view=overdue",
        ),
        "insight": (coordinator, reverse("coordination:insight") + "?journey_type=permit-trail"),
    }
    counted = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        client.get(url)  # the first request stamps a staff session; the insight fills its cache
        counted[name] = count_queries(client, url)
    assert counted == PINNED, counted


def test_the_tracking_pages_refresh_reads_only_what_its_region_shows(client, trail, a_few):
    """The 30 s refresh (htmx) swaps the progress region: the requests to answer, decisions
    asked for and conversations outside it are not read for it."""
    journey = a_few[0]
    client.force_login(journey.applicant)
    url = reverse("citizens:application_track", args=[journey.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as refresh:
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="progress"' in response.content.decode()
    assert len(refresh) == PINNED["citizen tracking page"] - 3, [q["sql"] for q in refresh]
