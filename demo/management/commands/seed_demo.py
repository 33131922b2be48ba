"""Demo data: units, both journey types, an account per role and journeys in telling states;
the Tax Agency works in its own system, with the reference client's credentials in
var/reference-client.json."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Person
from api.clients import api_client_create, api_client_revoke
from api.models import ApiClient
from demo.documents import floor_plan_pdf
from demo.reference_credentials import FILE_NAME, credentials_read, credentials_write
from journeys import services
from journeys.definitions import journey_type_load
from journeys.models import Handoff, Journey, JourneyType, Step
from units.models import Membership, StaffProfile, Unit

DEMO_PASSWORD = "demo-portal-2026"
CATALOGUE = Path(__file__).resolve().parents[3] / "journeys" / "catalogue"

# slug, English name, Swedish name, level, phone
UNITS = [
    ("tax-agency", "Tax Agency", "Skatteverket", Unit.Level.NATIONAL, "+46 771 567 567"),
    (
        "urban-planning",
        "Urban Planning",
        "Stadsbyggnadskontoret",
        Unit.Level.MUNICIPAL,
        "+46 8 508 270 00",
    ),
    (
        "environment-health",
        "Environment & Health Protection",
        "Miljöförvaltningen",
        Unit.Level.MUNICIPAL,
        "+46 8 508 280 00",
    ),
    # Two district offices of Environment & Health Protection: the café's food registration is
    # routed to one of them by the premises' postcode (journeys/catalogue/open-a-cafe.yaml).
    (
        "environment-health-north",
        "Environment & Health Protection, North office",
        "Miljöförvaltningen, norra kontoret",
        Unit.Level.MUNICIPAL,
        "+46 8 508 281 00",
    ),
    (
        "environment-health-south",
        "Environment & Health Protection, South office",
        "Miljöförvaltningen, södra kontoret",
        Unit.Level.MUNICIPAL,
        "+46 8 508 282 00",
    ),
    (
        "licences-alcohol",
        "Licences & Alcohol",
        "Tillståndsenheten",
        Unit.Level.MUNICIPAL,
        "+46 8 508 290 00",
    ),
    ("police", "Police", "Polisen", Unit.Level.NATIONAL, "114 14"),
    ("fire-rescue", "Fire & Rescue", "Räddningstjänsten", Unit.Level.REGIONAL, "+46 8 454 870 00"),
    (
        "building-control",
        "Building Control",
        "Byggnadsinspektionen",
        Unit.Level.MUNICIPAL,
        "+46 8 508 270 50",
    ),
    (
        "water-utility",
        "Water & Drainage",
        "Vatten och avlopp",
        Unit.Level.MUNICIPAL,
        "+46 8 522 120 00",
    ),
]
# Made-up bankgiro numbers (valid check digits, in no real register) the demo units' fees are
# paid to; the invoices' OCR references and the BgMax files refer to them.
BANKGIRO = {
    "tax-agency": "5550-1019",
    "urban-planning": "5550-1027",
    "environment-health": "5550-1035",
    "licences-alcohol": "5550-1043",
    "police": "5550-1050",
    "fire-rescue": "5550-1068",
    "building-control": "5550-1076",
    "water-utility": "5550-1084",
    "environment-health-north": "5550-1092",
    "environment-health-south": "5550-1100",
}
# The demo units' registers: the prefixes their registration numbers start with (MHN 2026-000123).
REGISTER_PREFIX = {
    "tax-agency": "SKV",
    "urban-planning": "SBN",
    "environment-health": "MHN",
    "licences-alcohol": "TN",
    "police": "POL",
    "fire-rescue": "RTJ",
    "building-control": "BYGG",
    "water-utility": "VA",
    "environment-health-north": "MHNN",
    "environment-health-south": "MHNS",
}
# The unit that works in its own system in the demo, and its reference client
# (demo/reference_system.py, `manage.py reference_unit_system`).
EXTERNAL_UNIT = "tax-agency"
REFERENCE_CLIENT_NAME = "Tax Agency reference client (demo)"


def reference_credentials_path() -> Path:
    return Path(settings.VAR_DIR) / FILE_NAME


class Command(BaseCommand):
    help = "Load demo units, journey types, accounts and journeys (only with DEBUG on or --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force: bool, **options):
        if not (settings.DEBUG or force):
            raise CommandError(
                "seed_demo creates accounts with a known password: it runs only "
                "with DEBUG on, or with --force."
            )
        credentials = reference_credentials_path()
        with transaction.atomic():
            self._units()
            for path in sorted(CATALOGUE.glob("*.yaml")):
                journey_type_load(path)
            accounts = self._accounts()
            self.reference_client, secret = self._reference_client(credentials)
            citizen = get_user_model().objects.get(username="citizen")
            if not Journey.objects.filter(applicant=citizen).exists():
                self._journeys(citizen)
        if secret is not None:  # a new client: its secret exists only here, after this commit
            credentials_write(
                credentials,
                {
                    "client_id": self.reference_client.application.client_id,
                    "client_secret": secret,
                    "unit": EXTERNAL_UNIT,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Accounts (password for all: {DEMO_PASSWORD}):")
        )
        for username, what in accounts:
            self.stdout.write(f"  {username:<28} {what}")
        self.stdout.write(
            f"The Tax Agency works in its own system: its reference client's credentials are in "
            f"{credentials} (`make run` starts it: manage.py reference_unit_system)."
        )

    def _units(self):
        for slug, name, name_sv, level, phone in UNITS:
            Unit.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "translations": {"sv": {"name": name_sv}},
                    "level": level,
                    "phone": phone,
                    "email": f"{slug}@example.org",
                    "works_in_own_system": slug == EXTERNAL_UNIT,
                    "bankgiro": BANKGIRO[slug],
                    "register_prefix": REGISTER_PREFIX[slug],
                },
            )

    def _reference_client(self, credentials: Path) -> tuple[ApiClient, str | None]:
        """The external unit's client: the one the credentials file names, if its secret still
        matches; else a new one (any earlier demo client revoked) and its secret, to be written
        to the file. A client without its file is of no use: the secret is nowhere else."""
        saved = credentials_read(credentials) or {}
        clients = ApiClient.objects.filter(
            unit__slug=EXTERNAL_UNIT, name=REFERENCE_CLIENT_NAME, revoked_at__isnull=True
        ).select_related("application", "user")
        kept = next(
            (
                client
                for client in clients
                if client.application.client_id == saved.get("client_id")
                and check_password(
                    saved.get("client_secret") or "", client.application.client_secret
                )
            ),
            None,
        )
        now = timezone.now()
        for client in clients:
            if client != kept:
                api_client_revoke(client=client, now=now)
        if kept is not None:
            return kept, None
        return api_client_create(
            name=REFERENCE_CLIENT_NAME, unit=Unit.objects.get(slug=EXTERNAL_UNIT), now=now
        )

    def _user(self, username, **extra):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org", **extra}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _accounts(self) -> list[tuple[str, str]]:
        accounts = [
            ("citizen", "Citizen with demo applications, signatory of Kaffekoppen AB"),
            ("citizen2", "Another citizen, no applications"),
        ]
        # As if identified by e-ID: a personal identity number (Skatteverket's test numbers),
        # so they can apply for an organisation. The stand-in companies register lists the
        # first as a signatory of Kaffekoppen AB (556016-0680).
        for username, number, given, family in (
            ("citizen", "19121212-1212", "Tolvan", "Tolvansson"),
            ("citizen2", "19820411-2380", "Nilla", "Nilsson"),
        ):
            Person.objects.get_or_create(
                user=self._user(username, first_name=given, last_name=family),
                defaults={
                    "personal_identity_number": number,
                    "assurance": "http://id.elegnamnden.se/loa/1.0/loa3",
                    "last_signed_in_at": timezone.now(),
                },
            )
        for unit in Unit.objects.order_by("name"):
            username = f"caseworker-{unit.slug}"
            Membership.objects.get_or_create(unit=unit, user=self._user(username))
            what = "reads the queue: the unit works in its own system"
            accounts.append(
                (
                    username,
                    f"Caseworker, {unit.name}"
                    + (f" ({what})" if unit.slug == EXTERNAL_UNIT else ""),
                )
            )
        lead = self._user("lead-urban-planning")
        Membership.objects.update_or_create(
            unit=Unit.objects.get(slug="urban-planning"),
            user=lead,
            defaults={"role": Membership.Role.LEAD},
        )
        accounts.append(("lead-urban-planning", "Unit lead, Urban Planning"))
        Membership.objects.update_or_create(
            unit=Unit.objects.get(slug="urban-planning"),
            user=self._user("finance-urban-planning"),
            defaults={"role": Membership.Role.FINANCE},
        )
        accounts.append(("finance-urban-planning", "Finance, Urban Planning: imports BgMax files"))
        coordinator = self._user("coordinator", first_name="Cora", last_name="Samordnare")
        coordinator.user_permissions.add(Permission.objects.get(codename="coordinate"))
        # The named contact of the demo's journeys (journeys.services.contacts): a phone to show.
        StaffProfile.objects.update_or_create(
            user=coordinator, defaults={"phone": "+46 8 000 000 01"}
        )
        accounts.append(("coordinator", "Coordinator of all journeys"))
        self._user("admin", is_staff=True, is_superuser=True)
        accounts.append(("admin", "Administrator (Django admin)"))
        return accounts

    def _journeys(self, citizen):
        now = timezone.now()
        cafe = JourneyType.objects.get(slug="open-a-cafe", is_current=True)
        house = JourneyType.objects.get(slug="extend-a-house", is_current=True)
        cafe_data = {
            "company_name": "Kaffekoppen AB",
            "org_number": "556016-0680",
            "contact_name": "Anna Andersson",
            "contact_email": "anna@example.org",
            "contact_phone": "070-123 45 67",
            "premises_address": "Storgatan 1, Stockholm",
            # Routes food registration to the North office (journeys/catalogue/open-a-cafe.yaml).
            "premises_postcode": "114 55",
            "opening_date": (now + dt.timedelta(days=120)).date().isoformat(),
            "serves_alcohol": True,
            "outdoor_seating": True,
            "uses_lpg": False,
        }
        house_data = {
            "owner_name": "Anna Andersson",
            "personal_number": "19811218-9876",
            "contact_email": "anna@example.org",
            "property_designation": "Stadsdelen 1:23",
            "extension_area": "25",
            "new_drainage": True,
        }
        # Completed: every step approved, months ago.
        self._run(cafe, citizen, cafe_data, start=now - dt.timedelta(days=200), approve="all")
        # Overdue: the Tax Agency (its own system) has not decided its step for 30 days (deadline
        # 20 working days).
        journey = self._run(
            cafe,
            citizen,
            {**cafe_data, "company_name": "Bönan HB"},
            start=now - dt.timedelta(days=30),
            approve=[],
        )
        self._work(journey, "building-permit", now - dt.timedelta(days=1), decide=False)
        # Stalled: building permit in progress, nothing has happened for 10 days. Its floor
        # plan came with the application: the building permit's case lists it.
        journey = self._run(
            cafe,
            citizen,
            {**cafe_data, "company_name": "Smulan AB"},
            start=now - dt.timedelta(days=14),
            approve=["company-registration"],
            files={"floor_plan": SimpleUploadedFile("floor-plan-smulan.pdf", floor_plan_pdf())},
        )
        self._work(journey, "building-permit", now - dt.timedelta(days=10), decide=False)
        self._work(journey, "outdoor-seating", now - dt.timedelta(days=10), decide=False)
        # Waiting for the applicant: Urban Planning asked for drawings two days ago.
        journey = self._run(
            house, citizen, house_data, start=now - dt.timedelta(days=3), approve=[]
        )
        step = self._work(journey, "building-permit", now - dt.timedelta(days=2), decide=False)
        services.information_request_create(
            step=step,
            by=step.assignee,
            items=["Facade drawings of the extension", "Site plan with distances to boundaries"],
            due_date=(now + dt.timedelta(days=12)).date(),
            now=now - dt.timedelta(days=2),
        )
        # Rejected: the building permit was refused, the other steps cancelled.
        journey = self._run(
            house,
            citizen,
            {**house_data, "property_designation": "Ängen 4:2"},
            start=now - dt.timedelta(days=60),
            approve=[],
        )
        self._work(journey, "building-permit", now - dt.timedelta(days=40), decide="reject")
        # A draft, to continue.
        services.journey_start(journey_type=cafe, applicant=citizen, now=now)

    def _run(self, journey_type, citizen, data, *, start, approve, files=None):
        journey = services.journey_start(journey_type=journey_type, applicant=citizen, now=start)
        services.journey_save_answers(journey=journey, answers=data)
        for key, upload in (files or {}).items():
            services.journey_file_answer(
                journey=journey, key=key, upload=upload, by=citizen, now=start
            )
        services.journey_submit(journey=journey, by=citizen, language="en", now=start)
        self._deliver(start)
        moment = start
        while approve:
            ready = list(
                journey.steps.filter(status=Step.Status.QUEUED).select_related("step_type")
            )
            ready = [s for s in ready if approve == "all" or s.step_type.key in approve]
            if not ready:
                break
            for step in ready:
                moment += dt.timedelta(days=3)
                self._work(journey, step.step_type.key, moment, decide="approve")
        return journey

    def _work(self, journey, key, moment, *, decide):
        step = journey.steps.get(step_type__key=key)
        if step.unit.slug == EXTERNAL_UNIT:  # decided in its own system, through the API
            worker = self.reference_client.user
        else:
            worker = get_user_model().objects.get(username=f"caseworker-{step.unit.slug}")
        step = services.step_claim(step=step, by=worker, now=moment)
        decided = moment + dt.timedelta(hours=2)
        if decide == "approve":
            services.step_decide(
                step=step,
                by=worker,
                outcome=decide,
                reasons="The application meets the requirements.",
                now=decided,
            )
        elif decide == "reject":
            services.step_decide(
                step=step,
                by=worker,
                outcome=decide,
                reasons="The extension exceeds the building rights in the detailed plan.",
                appeal_instructions=step.unit.appeal_instructions,
                communication_note="The applicant commented on the plan assessment by e-mail.",
                now=decided,
            )
        if decide:
            self._deliver(decided + dt.timedelta(minutes=1))
        return step

    @staticmethod
    def _deliver(moment):
        for pk in Handoff.objects.undelivered().values_list("pk", flat=True):
            services.handoff_deliver(handoff_id=pk, now=moment)
