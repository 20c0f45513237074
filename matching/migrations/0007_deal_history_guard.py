"""Deal history cannot be edited, not even with raw SQL: on PostgreSQL a trigger refuses every
UPDATE and DELETE of matching_dealchange. One exception: deleting a user sets changed_by to NULL
(the FK's SET NULL) and nothing else, so people can still be removed. (SQLite has the Django-level
guards in matching.pipeline.history only.)"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION matching_dealchange_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.changed_by_id IS NULL
       AND OLD.changed_by_id IS NOT NULL
       AND (NEW.id, NEW.deal_id, NEW.field, NEW.old_value, NEW.new_value, NEW.via, NEW.changed_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.deal_id, OLD.field, OLD.old_value, OLD.new_value, OLD.via, OLD.changed_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'deal history is append-only: % of matching_dealchange refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER matching_dealchange_immutable
    BEFORE UPDATE OR DELETE ON matching_dealchange
    FOR EACH ROW EXECUTE FUNCTION matching_dealchange_immutable();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS matching_dealchange_immutable ON matching_dealchange;
DROP FUNCTION IF EXISTS matching_dealchange_immutable();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is a no-op elsewhere (plpgsql is PostgreSQL's)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("matching", "0006_pipeline")]

    operations = [PostgreSQLOnly(GUARD, reverse_sql=UNGUARD)]
