"""The number of listed products, kept exact by PostgreSQL (bench/api.py, 10^5 products).

Counting the 88,000 products a buyer may see costs ~4-5 ms with any index, half of what a whole
page of the list may take; tradeon.pagination remembers counts for a minute, but the first
request of each minute paid it. Here a one-row table holds the count and statement-level
triggers on catalog_product keep it, whatever writes the products (services, imports, the admin,
`QuerySet.update()`, bulk inserts, TRUNCATE), in the writer's transaction. The list reads it in
one row (catalog.apps registers it with tradeon.pagination).

The row is touched only by statements that change how many products are listed (an edit that
leaves `is_listed` alone takes no lock on it), so concurrent product edits do not queue on it.
SQLite (the embedded default) keeps no such table and counts as before.
"""

from django.db import migrations

TABLE = """
CREATE TABLE catalog_listed_product_count (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n bigint NOT NULL CHECK (n >= 0)
);
INSERT INTO catalog_listed_product_count (n) SELECT count(*) FROM catalog_product WHERE is_listed;
"""

# Migration 0009 replaces this function (it also keeps blocks) and puts it back when reversed.
KEEP_FUNCTION = """
CREATE OR REPLACE FUNCTION catalog_listed_product_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE catalog_listed_product_count SET n = 0;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        delta := delta + (SELECT count(*) FROM new_rows WHERE is_listed);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        delta := delta - (SELECT count(*) FROM old_rows WHERE is_listed);
    END IF;
    IF delta <> 0 THEN
        UPDATE catalog_listed_product_count SET n = n + delta;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER catalog_listed_product_count_insert AFTER INSERT ON catalog_product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listed_product_count_keep();
CREATE TRIGGER catalog_listed_product_count_update AFTER UPDATE ON catalog_product
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listed_product_count_keep();
CREATE TRIGGER catalog_listed_product_count_delete AFTER DELETE ON catalog_product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listed_product_count_keep();
CREATE TRIGGER catalog_listed_product_count_truncate AFTER TRUNCATE ON catalog_product
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listed_product_count_keep();
"""

FORWARDS = TABLE + KEEP_FUNCTION + TRIGGERS

BACKWARDS = """
DROP TRIGGER IF EXISTS catalog_listed_product_count_truncate ON catalog_product;
DROP TRIGGER IF EXISTS catalog_listed_product_count_delete ON catalog_product;
DROP TRIGGER IF EXISTS catalog_listed_product_count_update ON catalog_product;
DROP TRIGGER IF EXISTS catalog_listed_product_count_insert ON catalog_product;
DROP FUNCTION IF EXISTS catalog_listed_product_count_keep();
DROP TABLE IF EXISTS catalog_listed_product_count;
"""


def on_postgresql(sql: str):
    """A RunPython function that runs `sql` on PostgreSQL and nothing on SQLite (also for 0009)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Without parameters (params=None) the statements go as one simple query.
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_alter_product_currency")]
    operations = [migrations.RunPython(on_postgresql(FORWARDS), on_postgresql(BACKWARDS))]
