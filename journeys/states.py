"""The states of journeys and steps, and the sets of them the code asks about: the domain's
vocabulary in one home, read by the models, the querysets, the services, the graph and the
scale data alike (so none of them imports another for it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JourneyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_APPLICANT = "waiting_for_applicant", _("Waiting for you")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("Cannot start yet")
    QUEUED = "queued", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_APPLICANT = "waiting_for_applicant", _("Waiting for you")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class StepOutcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


# A journey the units still work on.
OPEN_JOURNEY = (
    JourneyStatus.SUBMITTED,
    JourneyStatus.IN_PROGRESS,
    JourneyStatus.WAITING_FOR_APPLICANT,
)
# A step in its unit's hands: received, in progress, or waiting for the applicant.
ACTIVE_STEP = (StepStatus.QUEUED, StepStatus.IN_PROGRESS, StepStatus.WAITING_FOR_APPLICANT)
# A step not finished: active, or waiting for the steps it depends on.
OPEN_STEP = (StepStatus.WAITING, *ACTIVE_STEP)
DECIDED_STEP = (StepStatus.APPROVED, StepStatus.REJECTED)
