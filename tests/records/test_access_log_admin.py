"""The admin shows the access log to read: no adding, changing or deleting an entry."""

from django.urls import reverse
from django.utils import timezone

from records.models import AccessLogEntry
from records.services import AccessRead, access_record_many
from tests.factories import make_user, submitted_journey
from tests.journey_types import journey_type


def test_the_admin_lists_and_shows_entries_read_only(client, db):
    journey = submitted_journey(journey_type(parallel=1, chain=0))
    admin = make_user("root", is_staff=True, is_superuser=True)
    access_record_many(
        user=admin,
        what=AccessLogEntry.What.JOURNEY_PAGE,
        path="/coordination/",
        now=timezone.now(),
        reads=[AccessRead.of(journey)],
    )
    entry = AccessLogEntry.objects.get()
    client.force_login(admin)
    listing = client.get(reverse("admin:records_accesslogentry_changelist"))
    assert listing.status_code == 200 and journey.reference in listing.content.decode()
    shown = client.get(reverse("admin:records_accesslogentry_change", args=[entry.pk]))
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()
    assert client.get(reverse("admin:records_accesslogentry_add")).status_code == 403
    deleting = client.post(
        reverse("admin:records_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert deleting.status_code == 403
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
