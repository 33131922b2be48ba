"""Each journey event records the id of the transaction that wrote it (PostgreSQL), for the
API's change feed: see JourneyEvent.transaction_id."""

from django.db import migrations, models

POSTGRESQL = """
CREATE OR REPLACE FUNCTION journeys_event_transaction_id() RETURNS trigger AS $$
BEGIN
    NEW.transaction_id := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journeys_event_transaction_id
    BEFORE INSERT ON journeys_journeyevent
    FOR EACH ROW EXECUTE FUNCTION journeys_event_transaction_id();
CREATE INDEX event_transaction_order ON journeys_journeyevent (transaction_id, id);
"""
POSTGRESQL_REVERSE = """
DROP INDEX IF EXISTS event_transaction_order;
DROP TRIGGER IF EXISTS journeys_event_transaction_id ON journeys_journeyevent;
DROP FUNCTION IF EXISTS journeys_event_transaction_id();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("journeys", "0005_account_emails")]
    operations = [
        migrations.AddField(
            model_name="journeyevent",
            name="transaction_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
