"""The access log is append-only in the database itself, like the journey event log: a trigger
refuses every UPDATE, and every DELETE but the retention sweep's. The sweep marks its own
transaction (records.services.access_log_dispose): on PostgreSQL with `SET LOCAL
portal.access_log_disposal = 'on'`, which ends with the transaction; on SQLite (the embedded
default, no session settings) with a row in a marker table that it removes before committing."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION records_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND current_setting('portal.access_log_disposal', true) IS NOT DISTINCT FROM 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER records_access_log_append_only
    BEFORE UPDATE OR DELETE ON records_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION records_access_log_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS records_access_log_append_only ON records_accesslogentry;
DROP FUNCTION IF EXISTS records_access_log_append_only();
"""
SQLITE = [
    "CREATE TABLE records_access_log_disposal (started_at TEXT NOT NULL);",
    """CREATE TRIGGER records_access_log_no_update BEFORE UPDATE ON records_accesslogentry
       BEGIN SELECT RAISE(ABORT, 'the access log is append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER records_access_log_no_delete BEFORE DELETE ON records_accesslogentry
       WHEN NOT EXISTS (SELECT 1 FROM records_access_log_disposal)
       BEGIN SELECT RAISE(ABORT, 'the access log is append-only (DELETE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS records_access_log_no_update;",
    "DROP TRIGGER IF EXISTS records_access_log_no_delete;",
    "DROP TABLE IF EXISTS records_access_log_disposal;",
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
    dependencies = [("records", "0001_access_log")]
    operations = [migrations.RunPython(create, drop)]
