"""The journey event log stays append-only, with one narrow exception for disposal under the
retention rules (records.disposal, through journeys.services.events.event_messages_dispose):
inside a transaction that has marked itself as disposing, an UPDATE may replace an event's
message with the disposed-of marker, '[disposed]', and change nothing else. Every other UPDATE,
every DELETE, and this one outside the mark, is refused as before, whoever sends it.

The mark is `SET LOCAL portal.journey_disposal = 'on'` on PostgreSQL (it ends with the
transaction) and a row in a marker table on SQLite (the embedded default), which the disposal
removes before it commits, as the access log's sweep does (records migration 0002).

On PostgreSQL the rest of the row is compared whole (a copy of the new row with the old
message must equal the old row), so a column added later is covered too. SQLite's trigger
names the columns: a column added to the event log must be added to it."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION journeys_event_append_only() RETURNS trigger AS $$
DECLARE
    unchanged journeys_journeyevent;
BEGIN
    IF TG_OP = 'UPDATE'
        AND current_setting('portal.journey_disposal', true) IS NOT DISTINCT FROM 'on'
        AND NEW.message = '[disposed]' THEN
        unchanged := NEW;
        unchanged.message := OLD.message;
        IF unchanged IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'journey events are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
POSTGRESQL_REVERSE = """
CREATE OR REPLACE FUNCTION journeys_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journey events are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "journey_id",
        "step_id",
        "unit_id",
        "other_unit_id",
        "kind",
        "actor_id",
        "created_at",
        "status_before",
        "status_after",
        "visible_to_applicant",
        "transaction_id",
    )
)
SQLITE = [
    "CREATE TABLE journeys_event_disposal (started_at TEXT NOT NULL);",
    "DROP TRIGGER IF EXISTS journeys_event_no_update;",
    f"""CREATE TRIGGER journeys_event_no_update BEFORE UPDATE ON journeys_journeyevent
       WHEN NOT (EXISTS (SELECT 1 FROM journeys_event_disposal)
                 AND NEW.message = '[disposed]' AND {UNCHANGED})
       BEGIN SELECT RAISE(ABORT, 'journey events are append-only (UPDATE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS journeys_event_no_update;",
    """CREATE TRIGGER journeys_event_no_update BEFORE UPDATE ON journeys_journeyevent
       BEGIN SELECT RAISE(ABORT, 'journey events are append-only (UPDATE refused)'); END;""",
    "DROP TABLE IF EXISTS journeys_event_disposal;",
]


def create(apps, schema_editor):
    statements = {"postgresql": [POSTGRESQL], "sqlite": SQLITE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    statements = {"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("journeys", "0028_retention_rules_and_records_protected")]
    operations = [migrations.RunPython(create, drop)]
