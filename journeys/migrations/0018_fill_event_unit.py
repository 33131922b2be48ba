"""Fill the units of the events written before JourneyEvent.unit and other_unit existed.

An event's unit is the unit that held its step then: the unit of the step's latest activating
handoff written by that time (a transfer's own event: the one before it, the sender's), else
the step's unit, for every step that reached a unit's queue, as the API's scope has shown
these events so far. The other unit is read where it was recorded: a transfer's from the
handoff it wrote, a consultation's from the consultation asked or answered at that moment.

The log is append-only in the database (migration 0002): its update trigger is set aside for
this one backfill of new columns, in this migration's transaction, and put back."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

SQLITE_NO_UPDATE = """CREATE TRIGGER journeys_event_no_update BEFORE UPDATE ON journeys_journeyevent
       BEGIN SELECT RAISE(ABORT, 'journey events are append-only (UPDATE refused)'); END;"""


def fill(apps, schema_editor):
    JourneyEvent = apps.get_model("journeys", "JourneyEvent")
    Handoff = apps.get_model("journeys", "Handoff")
    Step = apps.get_model("journeys", "Step")
    Consultation = apps.get_model("journeys", "Consultation")

    activating = Handoff.objects.filter(step=OuterRef("step"), kind="activate").order_by(
        "-created_at", "-pk"
    )
    step_unit = Step.objects.filter(pk=OuterRef("step")).values("unit")[:1]
    reached = JourneyEvent.objects.filter(step__isnull=False).filter(
        Q(step__activated_at__isnull=False)
        | Exists(JourneyEvent.objects.filter(step=OuterRef("step"), kind="step_queued"))
    )

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # The foreign keys are checked now, not at commit, so the table can be altered again.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(
            "ALTER TABLE journeys_journeyevent DISABLE TRIGGER journeys_event_append_only"
        )
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS journeys_event_no_update")

    reached.exclude(kind="step_transferred").update(
        unit=Coalesce(
            Subquery(activating.filter(created_at__lte=OuterRef("created_at")).values("unit")[:1]),
            Subquery(step_unit),
        )
    )
    reached.filter(kind="step_transferred").update(
        unit=Coalesce(
            Subquery(activating.filter(created_at__lt=OuterRef("created_at")).values("unit")[:1]),
            Subquery(step_unit),
        ),
        other_unit=Subquery(
            activating.filter(created_at=OuterRef("created_at")).values("unit")[:1]
        ),
    )
    asked = Consultation.objects.filter(step=OuterRef("step")).order_by("-pk")
    JourneyEvent.objects.filter(kind="consultation_requested").update(
        other_unit=Subquery(asked.filter(requested_at=OuterRef("created_at")).values("unit")[:1])
    )
    JourneyEvent.objects.filter(kind="consultation_answered").update(
        other_unit=Subquery(asked.filter(answered_at=OuterRef("created_at")).values("unit")[:1])
    )

    if vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE journeys_journeyevent ENABLE TRIGGER journeys_event_append_only"
        )
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_UPDATE)


class Migration(migrations.Migration):
    dependencies = [("journeys", "0017_event_unit")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
