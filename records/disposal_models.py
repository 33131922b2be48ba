"""Retention and disposal's records: what was disposed of, when and under which rule; the legal
holds that stop it; and the applicants' requests for erasure (records.disposal does the work).

Imported by records/models.py, so Django finds these models there."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey
from journeys.retention import Rule, kind_label


class ErasureRequest(models.Model):
    """An applicant's request to erase their data (GDPR article 17), as it was answered: what
    was erased at once (its `disposals`, DisposalRecords) and what is kept, with the rule and
    the date it goes, as the applicant was told. Append-only like the disposal records."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="erasure_requests",
        verbose_name=_("who asked"),
    )
    at = models.DateTimeField(_("asked"))
    # [{"journey": reference or "", "what": kind, "name": ..., "rule": Rule.as_data or {},
    #   "due_at": ISO time or null, "held": bool}]: the answer's list of what is kept.
    kept = models.JSONField(_("what is kept, and until when"), default=list)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("request for erasure")
        verbose_name_plural = _("requests for erasure")
        indexes = [models.Index(fields=["user", "-at"], name="erasure_user_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Requests for erasure are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Requests for erasure are append-only.")


class DisposalRecord(models.Model):
    """One thing disposed of: a journey's case (its personal data: answers, what was written in
    it, the event log's messages) or one of its documents, when, and under which rule. The
    journey's skeleton stays and this says what left it. Append-only in the database
    (migration 0006): nothing changes or deletes a record, not even the disposal."""

    class What(models.TextChoices):
        CASE = "case", _("The case's personal data")
        DOCUMENT = "document", _("Document")

    class Basis(models.TextChoices):
        RULE = "rule", _("Its retention rule fell due")
        ERASURE = "erasure", _("The applicant asked for erasure; no rule keeps it")

    journey = models.ForeignKey(
        Journey, on_delete=models.PROTECT, related_name="+", verbose_name=_("journey")
    )
    # The reference as text too, as the access log keeps it (a draft has none).
    journey_reference = models.CharField(_("journey reference"), max_length=32, blank=True)
    at = models.DateTimeField(_("disposed of"))
    what = models.CharField(_("what"), max_length=10, choices=What)
    basis = models.CharField(_("why"), max_length=10, choices=Basis, default=Basis.RULE)
    # The rule: the kind it covers ("case" or a document kind), how long it keeps ({"keep":
    # "years", "years": 10}; empty for an erased draft, which no rule covers), the journey
    # type's version and disposal decision it was read from, and the date it fell due.
    kind = models.CharField(_("kind"), max_length=50)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    journey_type_version = models.PositiveIntegerField(_("journey type version"))
    disposal_decision = models.TextField(_("disposal decision"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # A document's register entry, kept when the document goes: its id and registration
    # number, size and SHA-256 (not its name, which may be personal), and when it came in.
    document_id = models.BigIntegerField(_("document id"), null=True, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=90, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(_("size"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    erasure_request = models.ForeignKey(
        ErasureRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disposals",
        verbose_name=_("request for erasure"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")
        indexes = [
            models.Index(fields=["journey", "-at"], name="disposal_journey_time"),
            models.Index(fields=["at"], name="disposal_time"),
        ]
        constraints = [
            # A journey's case goes once; a document once.
            models.UniqueConstraint(
                fields=["journey"], condition=Q(what="case"), name="disposal_case_once"
            ),
            models.UniqueConstraint(
                fields=["document_id"], condition=Q(what="document"), name="disposal_document_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.journey_reference} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Disposal records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Disposal records are append-only.")

    @property
    def rule_description(self) -> str:
        if not self.rule:
            return str(_("No rule: a draft never sent is not kept"))
        return Rule.of(self.kind, self.rule).description

    @property
    def kind_name(self) -> str:
        """Its kind in the reader's words (reads the journey and its type)."""
        return kind_label(self.journey.journey_type, self.kind)


class LegalHoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A hold on a journey's records (a lawsuit, an appeal, a supervisory inquiry): while it is
    in force nothing of the journey is disposed of, whatever the rules say. Set and lifted by a
    coordinator with a reason (records.disposal), both on the journey's event log."""

    journey = models.ForeignKey(
        Journey, on_delete=models.PROTECT, related_name="legal_holds", verbose_name=_("journey")
    )
    reason = models.TextField(_("why it is held"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lift_reason = models.TextField(_("why it was lifted"), blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            # One hold in force per journey at a time.
            models.UniqueConstraint(
                fields=["journey"],
                condition=Q(lifted_at__isnull=True),
                name="legal_hold_one_active",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason=""),
                name="legal_hold_lifted_by_someone_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journey} ({self.set_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
