from django.db import migrations

# On PostgreSQL the table itself rejects UPDATE and DELETE, so that not even
# raw SQL or a bug that bypasses the model can rewrite History.
CREATE = """
CREATE OR REPLACE FUNCTION history_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'history_event is append-only: ' || TG_OP || ' is not allowed';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER history_event_append_only
    BEFORE UPDATE OR DELETE ON history_event
    FOR EACH ROW EXECUTE FUNCTION history_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS history_event_append_only ON history_event;
DROP FUNCTION IF EXISTS history_event_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("history", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
