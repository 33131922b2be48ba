"""The journey event log is append-only in the database itself: a trigger refuses UPDATE and
DELETE, whatever code (or person with SQL access) tries."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION journeys_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journey events are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journeys_event_append_only
    BEFORE UPDATE OR DELETE ON journeys_journeyevent
    FOR EACH ROW EXECUTE FUNCTION journeys_event_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS journeys_event_append_only ON journeys_journeyevent;
DROP FUNCTION IF EXISTS journeys_event_append_only();
"""
SQLITE = [
    """CREATE TRIGGER journeys_event_no_update BEFORE UPDATE ON journeys_journeyevent
       BEGIN SELECT RAISE(ABORT, 'journey events are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER journeys_event_no_delete BEFORE DELETE ON journeys_journeyevent
       BEGIN SELECT RAISE(ABORT, 'journey events are append-only (DELETE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS journeys_event_no_update;",
    "DROP TRIGGER IF EXISTS journeys_event_no_delete;",
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
    dependencies = [("journeys", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
