import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Person, mask_number


class OrganisationQuerySet(models.QuerySet):
    def represented_by(self, user):
        """The organisations the user has a recorded right to represent."""
        return self.filter(pk__in=Representative.objects.recorded().of(user).values("organisation"))


class Organisation(models.Model):
    """A company, association or other organisation that applies through its representatives."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        _("organisation number"), max_length=11, unique=True, help_text="NNNNNN-NNNN"
    )
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("first applied"))

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class RepresentativeQuerySet(models.QuerySet):
    def recorded(self):
        return self.filter(recorded_at__isnull=False)

    def of(self, user):
        """The rights of the person signed in as `user` (by their e-ID's number); none for an
        account without one."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            personal_identity_number__in=Person.objects.filter(user=user).values(
                "personal_identity_number"
            )
        )


class Representative(models.Model):
    """A person's right to act for an organisation, keyed by their personal identity number (so
    it can be recorded before their first sign-in), and how it was recorded. A right claimed by
    applying, and not yet recorded, lets its holder follow only the journey they applied with."""

    class Basis(models.TextChoices):
        REGISTER = "register", _("Signatory in the companies register")
        INVITATION = "invitation", _("Invited by a representative")
        CASEWORKER = "caseworker", _("Confirmed by a caseworker")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="representatives"
    )
    personal_identity_number = models.CharField(_("personal identity number"), max_length=13)
    name = models.CharField(_("name"), max_length=300, blank=True)
    basis = models.CharField(
        _("how the right was recorded"), max_length=20, choices=Basis, blank=True
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The representative who invited, or the caseworker who confirmed."),
    )
    created_at = models.DateTimeField(_("first named"))

    objects = RepresentativeQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "personal_identity_number"], name="representative_once"
            ),
            # Recorded means a basis and a time, or neither (claimed only).
            models.CheckConstraint(
                condition=Q(basis="", recorded_at__isnull=True)
                | (~Q(basis="") & Q(recorded_at__isnull=False)),
                name="representative_recorded_with_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.masked_number} – {self.organisation}"

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None

    @property
    def masked_number(self) -> str:
        return mask_number(self.personal_identity_number)
