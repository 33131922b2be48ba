import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from units import calendars
from units.bankgiro import validate_bankgiro
from units.translated import Translated


def _default_appeal_instructions() -> str:
    return (
        "You can appeal against this decision. Write to us within three weeks of the day you "
        "received it: say which decision you appeal against and how you want it changed. "
        "We send the appeal on to the court if we do not change the decision ourselves."
    )


class Unit(Translated):
    """A municipal, regional or national unit that owns steps and works its own queue."""

    class Level(models.TextChoices):
        MUNICIPAL = "municipal", _("Municipal")
        REGIONAL = "regional", _("Regional")
        NATIONAL = "national", _("National")

    slug = models.SlugField(_("slug"), unique=True, help_text=_("Its Celery queue is unit.<slug>."))
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level, default=Level.MUNICIPAL)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="SE", help_text=_("Its public holidays apply.")
    )
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default=calendars.DEFAULT_WORKING_WEEKDAYS,
        help_text=_("ISO weekday numbers, Monday = 1; for example 12345."),
    )
    works_in_own_system = models.BooleanField(
        _("works in its own case system"),
        default=False,
        help_text=_(
            "Its steps reach it as events through the API and its decisions come back the same "
            "way; the portal's queue shows its cases read-only."
        ),
    )
    bankgiro = models.CharField(
        _("bankgiro number"),
        max_length=9,
        blank=True,
        validators=[validate_bankgiro],
        help_text=_("Fees for its steps are paid here; for example 5050-1055."),
    )
    register_prefix = models.CharField(
        _("register prefix"),
        max_length=10,
        blank=True,
        validators=[
            RegexValidator(r"^[A-ZÅÄÖ0-9]{1,10}$", _("Capital letters and digits, at most ten."))
        ],
        help_text=_(
            "Starts the registration numbers of its register, for example MHN for MHN "
            "2026-000123; if empty, the unit's slug in capitals."
        ),
    )
    appeal_instructions = models.TextField(
        _("appeal instructions"),
        default=_default_appeal_instructions,
        help_text=_("Offered with every rejection; the caseworker can adapt them."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        permissions = [("coordinate", _("Can follow and coordinate every journey"))]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.localized("name")

    @property
    def register_code(self) -> str:
        return self.register_prefix or self.slug.upper()

    @property
    def queue_name(self) -> str:
        return f"unit.{self.slug}"

    def due_at(self, start: dt.datetime, days: int, *, working_days: bool) -> dt.datetime:
        """When a step activated at `start` with a deadline of `days` falls due in this unit."""
        return calendars.add_days(
            start,
            days,
            working_days=working_days,
            country=self.country,
            weekdays=self.working_weekdays,
        )

    def due_after_pause(
        self, due: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime, *, working_days
    ) -> dt.datetime:
        return calendars.shift_for_pause(
            due,
            paused_at,
            resumed_at,
            working_days=working_days,
            country=self.country,
            weekdays=self.working_weekdays,
        )

    def member_recipients(self, *, leads_only: bool = False) -> list[tuple[str, str]]:
        """Each member's e-mail address and language (the site's default if they have none)."""
        members = (
            self.memberships.leads()
            if leads_only
            else self.memberships.exclude(role=Membership.Role.FINANCE)
        )
        return [
            (email, language or settings.LANGUAGE_CODE)
            for email, language in members.order_by("user__email").values_list(
                "user__email", "user__staff_profile__language"
            )
            if email
        ]


class RegisterCounter(models.Model):
    """The last number a unit's register gave in a year. Taken by one UPDATE that holds the row
    until the taking transaction ends, so numbers are consecutive: a rolled-back registration
    gives its number back (units/registers.py)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="register_counters")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="register_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit.register_code} {self.year}: {self.last}"


class MembershipQuerySet(models.QuerySet):
    def leads(self):
        return self.filter(role=Membership.Role.LEAD)


class Membership(models.Model):
    """A person working in a unit, as caseworker or as unit lead (a caseworker who also leads),
    or in its finance staff (who import its payment files and work no cases)."""

    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        LEAD = "lead", _("Unit lead")
        # Imports the unit's payment files (payments app); not a caseworker.
        FINANCE = "finance", _("Finance")

    # The roles that work cases (finance staff see payment files, not cases).
    CASEWORK_ROLES = (Role.CASEWORKER, Role.LEAD)

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.CASEWORKER)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["unit", "user"], name="membership_once_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.unit} ({self.get_role_display()})"


class StaffProfile(models.Model):
    """What a member of staff prefers: the language the portal's e-mails to them are written in.

    It follows the interface: set from the language they sign in with and each time they choose
    one, so nobody has to find a setting to get e-mails in the language they work in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("E-mails from the portal are written in this language."),
    )
    phone = models.CharField(
        _("phone"),
        max_length=40,
        blank=True,
        help_text=_("Shown to applicants whose named contact this person is."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"
