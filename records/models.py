"""The access log: who read which journey, when, what of it, and through which client; and
every showing of an item marked as secret."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from api.models import ApiClient
from journeys.models import Document, Journey, SecrecyMarking, Step


class AccessLogEntry(models.Model):
    """One read of a journey (or of a list or feed naming it) by a member of staff on a page
    or by a system through the API, or an applicant's download of their own data. Append-only
    in the database (migration 0002): only the retention sweep
    (records.services.access_log_dispose) deletes, and nothing updates.

    The journey, step and document are referred to without a database constraint and are never
    cascaded to: the log outlives what it names (a disposed document, a journey's data), which
    is why it keeps the journey's reference and the document's name as text too.

    A read that showed an item marked as secret (journeys.SecrecyMarking: a document, or an
    answer named by `field_key`) writes, beside its own entry, one `secret_item` entry per such
    item, naming the marking and its ground."""

    class Via(models.TextChoices):
        WEB = "web", _("Portal page")
        API = "api", _("API")

    class What(models.TextChoices):
        CASE_PAGE = "case_page", _("Case page with the answers")
        CONSULTATION = "consultation", _("Consultation with the answers")
        JOURNEY_PAGE = "journey_page", _("Journey page")
        DOCUMENT = "document", _("Document")
        JOURNEY = "journey", _("Journey with the answers")
        JOURNEY_LIST = "journey_list", _("List of journeys")
        DOCUMENT_LIST = "document_list", _("Journey's list of documents")
        EVENTS = "events", _("Journey's events")
        STEP = "step", _("Step")
        STEP_LIST = "step_list", _("List of steps")
        HANDOFFS = "handoffs", _("Step's handoffs")
        FEED = "feed", _("Change feed")
        DELIVERIES = "deliveries", _("Webhook subscription's deliveries")
        OTHER = "other", _("Other read, naming no journey")
        # Not a staff read: the applicant downloading everything held about them (GDPR art.
        # 15), kept here so that a data protection officer finds when each copy was given.
        OWN_DATA = "own_data", _("The applicant's own data, downloaded")
        SECRET_ITEM = "secret_item", _("Item marked as secret")
        PUBLIC_COPY = "public_copy", _("Public-access copy")

    at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (user, at) index below leads with it
        verbose_name=_("who"),
    )
    api_client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # clients are revoked, never deleted: nothing looks entries up by one
        verbose_name=_("API client"),
    )
    via = models.CharField(_("through"), max_length=10, choices=Via)
    what = models.CharField(_("what"), max_length=20, choices=What)
    journey = models.ForeignKey(
        Journey,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (journey, at) index below leads with it
        verbose_name=_("journey"),
    )
    journey_reference = models.CharField(_("journey reference"), max_length=32, blank=True)
    step = models.ForeignKey(
        Step,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("step"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("document"),
    )
    document_name = models.CharField(_("document name"), max_length=200, blank=True)
    # A secret item's entry: the marking, its ground as text (the log outlives the marking),
    # and the answer's field key when the item is an answer.
    secrecy_marking = models.ForeignKey(
        SecrecyMarking,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("secrecy marking"),
    )
    secrecy_ground = models.CharField(_("secrecy ground"), max_length=40, blank=True)
    field_key = models.CharField(_("answer"), max_length=50, blank=True)
    path = models.CharField(_("address"), max_length=500)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        indexes = [
            # The two searches (per journey, per person), newest first.
            models.Index(fields=["journey", "-at"], name="access_journey_time"),
            models.Index(fields=["user", "-at"], name="access_user_time"),
            # The unfiltered search, newest first, and the retention sweep's oldest first.
            models.Index(fields=["at"], name="access_time"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_what_display()} {self.journey_reference}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The access log is append-only.")


# Retention and disposal's models live in a module of their own; imported here for Django.
from records.disposal_models import DisposalRecord, ErasureRequest, LegalHold  # noqa: E402

__all__ = ["AccessLogEntry", "DisposalRecord", "ErasureRequest", "LegalHold"]
