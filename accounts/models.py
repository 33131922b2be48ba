from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A citizen as their e-ID names them. The personal identity number keys the account, so
    every sign-in with the same number reaches the same account and its journeys. Kept: the
    number, the assurance level and time of the latest sign-in; the name is the account's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    personal_identity_number = models.CharField(
        _("personal identity number"), max_length=13, unique=True, help_text="YYYYMMDD-NNNN"
    )
    assurance = models.CharField(
        _("level of assurance"),
        max_length=100,
        help_text=_("The `acr` of the latest sign-in."),
    )
    last_signed_in_at = models.DateTimeField(_("last signed in"))

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.masked_number

    @property
    def masked_number(self) -> str:
        """The number as shown to its holder: the date of birth, not the last four digits."""
        return mask_number(self.personal_identity_number)


def mask_number(number: str) -> str:
    return number[:9] + "****"


class StaffIdentity(models.Model):
    """A member of staff as their organisation's identity provider names them (issuer and
    subject), so each sign-in reaches the same account whatever their name or address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_identity"
    )
    issuer = models.CharField(_("issuer"), max_length=300)
    subject = models.CharField(_("subject"), max_length=255)
    last_signed_in_at = models.DateTimeField(_("last signed in"))

    class Meta:
        verbose_name = _("staff identity")
        verbose_name_plural = _("staff identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="staff_identity_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.issuer})"
