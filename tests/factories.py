"""Test data built through the real services, so every row is one the portal could have written."""

import datetime as dt
import itertools
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone, translation

from journeys import services
from journeys.definitions import journey_type_load
from journeys.models import Handoff, Journey, JourneyType, OutgoingEmail, Step
from tests.journey_types import default_answers as _trail_answers
from units.models import Membership, Unit

CATALOGUE = Path(__file__).resolve().parent.parent / "journeys" / "catalogue"
CATALOGUE_SLUGS = {"open-a-cafe", "extend-a-house"}
CAFE_ANSWERS = {
    "company_name": "Kaffekoppen AB",
    "org_number": "556016-0680",
    "contact_name": "Anna Andersson",
    "contact_email": "anna@example.org",
    "contact_phone": "070-123 45 67",
    "premises_address": "Storgatan 1, Stockholm",
    # Outside both district offices' postcodes: food registration goes to the central office.
    "premises_postcode": "164 40",
    "opening_date": "2027-03-15",
    "serves_alcohol": True,
    "outdoor_seating": True,
    "uses_lpg": True,
}
_numbers = itertools.count(1)


def make_user(username: str | None = None, **extra):
    username = username or f"user{next(_numbers)}"
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password="pw-for-tests-only", **extra
    )


def make_units() -> dict[str, Unit]:
    """The demo units, with their Swedish names."""
    from demo.management.commands.seed_demo import BANKGIRO, UNITS

    return {
        slug: Unit.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "translations": {"sv": {"name": name_sv}},
                "bankgiro": BANKGIRO[slug],
            },
        )[0]
        for slug, name, name_sv, _level, _phone in UNITS
    }


def load_catalogue() -> dict[str, JourneyType]:
    """The shipped journey types (and the demo units they name), published from their files."""
    make_units()
    return {
        jt.slug: jt for jt in (journey_type_load(p)[0] for p in sorted(CATALOGUE.glob("*.yaml")))
    }


def catalogue_in_database() -> dict[str, JourneyType]:
    """The shipped catalogue as loaded once for the session (tests/conftest.py), or loaded now
    if a transactional test's flush has emptied the database since."""
    current = {
        jt.slug: jt for jt in JourneyType.objects.filter(is_current=True, slug__in=CATALOGUE_SLUGS)
    }
    return current if len(current) == len(CATALOGUE_SLUGS) else load_catalogue()


def answers_for(journey_type: JourneyType) -> dict:
    """Complete answers: the café's own, or a synthetic type's (tests/journey_types.py)."""
    return CAFE_ANSWERS if journey_type.slug == "open-a-cafe" else _trail_answers(journey_type)


def make_caseworker(unit: Unit, *, lead: bool = False, username: str | None = None):
    user = make_user(username)
    role = Membership.Role.LEAD if lead else Membership.Role.CASEWORKER
    Membership.objects.create(unit=unit, user=user, role=role)
    return user


def make_coordinator(username: str | None = None):
    user = make_user(username)
    user.user_permissions.add(Permission.objects.get(codename="coordinate"))
    return get_user_model().objects.get(pk=user.pk)  # fresh: permission cache


def deliver_all(now: dt.datetime | None = None) -> None:
    """Deliver every pending handoff in-process, as a worker would (for tests of the rules)."""
    now = now or timezone.now()
    for pk in Handoff.objects.undelivered().values_list("pk", flat=True):
        services.handoff_deliver(handoff_id=pk, now=now)


def send_emails(now: dt.datetime | None = None, **filters) -> int:
    """Send every unsent outbox e-mail (matching `filters`) in-process, as a worker would."""
    now = now or timezone.now()
    unsent = OutgoingEmail.objects.unsent().filter(**filters).order_by("pk")
    return sum(
        services.outgoing_email_send(email_id=pk, now=now)
        for pk in unsent.values_list("pk", flat=True)
    )


def submitted_journey(
    journey_type: JourneyType,
    applicant=None,
    *,
    answers: dict | None = None,
    now: dt.datetime | None = None,
    deliver: bool = True,
    files: dict | None = None,
) -> Journey:
    """`files`: uploads answering the type's file questions, by key."""
    now = now or timezone.now()
    applicant = applicant or make_user()
    journey = services.journey_start(journey_type=journey_type, applicant=applicant, now=now)
    answers = answers or answers_for(journey_type)
    services.journey_save_answers(journey=journey, answers=answers)
    for key, upload in (files or {}).items():
        services.journey_file_answer(journey=journey, key=key, upload=upload, by=applicant, now=now)
    journey = services.journey_submit(
        journey=journey, by=applicant, language=translation.get_language(), now=now
    )
    if deliver:
        deliver_all(now)
    return journey


def decide(step: Step, outcome: str = "approve", *, by=None, now=None) -> Step:
    now = now or timezone.now()
    by = by or make_caseworker(step.unit)
    step = services.step_claim(step=step, by=by, now=now)
    return services.step_decide(step=step, by=by, outcome=outcome, reasons="Reasons.", now=now)


def bulk_queued_steps(
    step_type, count: int, *, now: dt.datetime | None = None, due_at: dt.datetime | None = None
) -> list[Step]:
    """`count` journeys each with one step received by `step_type`'s unit, due one hour apart;
    written in bulk, for tests about queues of hundreds or thousands of cases."""
    now = now or timezone.now()
    applicant = make_user()
    journeys = Journey.objects.bulk_create(
        Journey(
            journey_type=step_type.journey_type,
            applicant=applicant,
            reference=f"BULK-{now.year}-{next(_numbers):06d}",
            status=Journey.Status.IN_PROGRESS,
            data=answers_for(step_type.journey_type),
            created_at=now,
            submitted_at=now,
            last_event_at=now,
        )
        for _ in range(count)
    )
    return Step.objects.bulk_create(
        Step(
            journey=journey,
            step_type=step_type,
            unit_id=step_type.unit_id,
            status=Step.Status.QUEUED,
            activated_at=now,
            due_at=due_at or now + dt.timedelta(hours=index),
        )
        for index, journey in enumerate(journeys)
    )


def answer_questions(client, journey: Journey, answers: dict) -> None:
    """Answer a draft's question pages one by one through the test client, as a citizen does."""
    from django.urls import reverse

    for key, value in answers.items():
        url = reverse("citizens:application_question", args=[journey.public_id, key])
        response = client.post(url, {key: value})
        assert response.status_code == 302, (key, response.content.decode()[-2000:])


def make_person(number: str, given: str = "Test", family: str = "Person", *, now=None):
    """A citizen as a sign-in with e-ID makes them (accounts.services.person_sign_in)."""
    from accounts.claims import CitizenIdentity
    from accounts.services import person_sign_in

    identity = CitizenIdentity(
        personal_identity_number=number,
        given_name=given,
        family_name=family,
        assurance="http://id.elegnamnden.se/loa/1.0/loa3",
    )
    return person_sign_in(identity=identity, now=now or timezone.now())


def organisation_draft(journey_type: JourneyType, applicant, *, number: str, name: str, now=None):
    """A draft for the organisation `number`, applied for by `applicant` (who has a Person)."""
    now = now or timezone.now()
    journey = services.journey_start(journey_type=journey_type, applicant=applicant, now=now)
    services.journey_applying_for_organisation(
        journey=journey, person=applicant.person, number=number, name=name, now=now
    )
    return Journey.objects.get(pk=journey.pk)


def organisation_journey(journey_type: JourneyType, applicant, *, number: str, name: str, now=None):
    """A submitted journey for an organisation (see organisation_draft), handed to its units."""
    now = now or timezone.now()
    journey = organisation_draft(journey_type, applicant, number=number, name=name, now=now)
    answers = {**answers_for(journey_type), **journey.data}
    services.journey_save_answers(journey=journey, answers=answers)
    journey = services.journey_submit(
        journey=journey, by=applicant, language=translation.get_language(), now=now
    )
    deliver_all(now)
    return journey


def mark_secret(
    step: Step,
    *,
    by=None,
    document=None,
    field_key: str = "",
    ground: tuple[int, int] = (21, 1),
    reason: str = "Details of the applicant's health.",
    now: dt.datetime | None = None,
):
    """Mark a document or an answer of `step`'s journey as secret for `step`'s unit, under the
    seeded ground OSL chapter:section, by one of its caseworkers."""
    from journeys.models import SecrecyGround

    secrecy_grounds_seed()
    chapter, section = ground
    return services.secrecy_mark(
        step=step,
        by=by or make_caseworker(step.unit),
        ground=SecrecyGround.objects.get(chapter=chapter, section=section, section_letter=""),
        reason=reason,
        document=document,
        field_key=field_key,
        now=now or timezone.now(),
    )


def secrecy_grounds_seed() -> None:
    """The secrecy grounds as their data migration seeds them: a test on a transactional
    database (the browser's live server) finds its tables emptied by the tests before it."""
    import importlib
    from pathlib import Path

    from django.apps import apps

    from journeys.models import SecrecyGround

    if SecrecyGround.objects.exists():
        return
    (migration,) = (Path(__file__).parent.parent / "journeys" / "migrations").glob(
        "*_secrecy_grounds.py"
    )
    importlib.import_module(f"journeys.migrations.{migration.stem}").seed(apps, None)
