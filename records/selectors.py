"""Reading the access log: its entries per journey, per person and per period, newest first."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from journeys.models import Journey
from journeys.templatetags.people import STAFF_NAME_RELATED
from records.models import AccessLogEntry


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def access_log_search(
    *,
    journey_reference: str = "",
    person: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    secret_only: bool = False,
) -> QuerySet[AccessLogEntry]:
    """Entries about the journey with this reference, by the people whose username is `person`
    or whose name contains it, from `start` to `end` (local days, both included); each left
    empty means any; with `secret_only`, only the showings of items marked as secret. A page
    reads its rows and whom and what they name in one query."""
    entries = AccessLogEntry.objects.select_related(
        f"user__{STAFF_NAME_RELATED}", "api_client", "journey", "step__step_type", "document"
    ).defer("journey__data")
    if journey_reference:
        journeys = Journey.objects.filter(reference__iexact=journey_reference.strip())
        entries = entries.filter(journey_id__in=journeys.values("pk"))
    if person:
        person = person.strip()
        people = (
            get_user_model()
            .objects.alias(name=Concat("first_name", Value(" "), "last_name"))
            .filter(Q(username__iexact=person) | Q(name__icontains=person))
        )
        entries = entries.filter(user_id__in=people.values("pk"))
    if secret_only:
        entries = entries.filter(what=AccessLogEntry.What.SECRET_ITEM)
    if start is not None:
        entries = entries.filter(at__gte=_start_of(start))
    if end is not None:
        entries = entries.filter(at__lt=_start_of(end + dt.timedelta(days=1)))
    return entries.order_by("-at", "-id")
