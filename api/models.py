"""Who calls the API: a unit's case system or a coordination tool, each an OAuth 2 client."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from units.models import Unit


class ApiClient(models.Model):
    """An OAuth 2 client (client-credentials grant) and the account it acts as.

    A unit's client acts as a caseworker of that unit and a coordination client as a reader with
    the coordinator's permission, so the API applies the same scope rules as the web pages
    (journeys.querysets, journeys.disclosure) and its decisions are journaled under its name."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("A unit's case system")
        COORDINATION = "coordination", _("Coordination (read only)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="api_clients"
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="api_client"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="unit", unit__isnull=False)
                | Q(kind="coordination", unit__isnull=True),
                name="api_client_unit_names_its_unit",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def read_only(self) -> bool:
        return self.kind == self.Kind.COORDINATION


class IdempotencyRecord(models.Model):
    """A write done under an `Idempotency-Key`: its request's fingerprint and the response, so a
    retry of the same request gets the same answer and the work is done once."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("Method, path and body, hashed."))
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]
        # The hourly sweep forgets keys older than 24 hours (api.idempotency).
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.client}: {self.key}"
