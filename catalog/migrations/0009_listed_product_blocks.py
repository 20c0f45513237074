"""Where each listed product stands in the newest-first list, kept by PostgreSQL (bench/api.py).

A deep page of the product list (page 900 of 1,761) made PostgreSQL step over every product before
it in the listed products' index: ~100 ns each, ~9 ms for a page in the middle. Here the triggers of
migration 0008 also keep how many listed products fall in each block of 1,024 ids
(`id >> 10`), in the writer's transaction like the count. A page then reads, with the count, the
block that holds its first row and how many listed products come before that block, and starts
the index scan at the block's upper bound: at most ~1,000 entries are stepped over
(tradeon.pagination, registered in catalog.apps).

As with the count, a block's row is touched only by statements that change how many products in
that block are listed. SQLite keeps no such table and pages as before.
"""

import importlib

from django.db import migrations

# A block is the ids sharing `id >> 10`; catalog.apps reads them with the same shift.
KEEP = """
CREATE OR REPLACE FUNCTION catalog_listed_product_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE catalog_listed_product_count SET n = 0;
        DELETE FROM catalog_listed_product_block;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO catalog_listed_product_block AS b (block, n)
            SELECT id >> 10, count(*) FROM new_rows WHERE is_listed GROUP BY 1
            ON CONFLICT (block) DO UPDATE SET n = b.n + excluded.n;
        delta := (SELECT count(*) FROM new_rows WHERE is_listed);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE catalog_listed_product_block AS b SET n = b.n - d.n
            FROM (SELECT id >> 10 AS block, count(*) AS n FROM old_rows WHERE is_listed GROUP BY 1) AS d
            WHERE b.block = d.block;
        delta := -(SELECT count(*) FROM old_rows WHERE is_listed);
    ELSE
        -- Blocks that lose listed products exist already; only gains may need a new row (and
        -- INSERT checks n >= 0 on the row it proposes, before ON CONFLICT).
        WITH changes AS (
            SELECT block, sum(n) AS n FROM (
                SELECT id >> 10 AS block, 1 AS n FROM new_rows WHERE is_listed
                UNION ALL
                SELECT id >> 10, -1 FROM old_rows WHERE is_listed
            ) AS moves GROUP BY block HAVING sum(n) <> 0
        ), updated AS (
            UPDATE catalog_listed_product_block AS b SET n = b.n + changes.n
                FROM changes WHERE b.block = changes.block RETURNING b.block
        )
        INSERT INTO catalog_listed_product_block AS b (block, n)
            SELECT block, n FROM changes WHERE n > 0 AND block NOT IN (SELECT block FROM updated)
            ON CONFLICT (block) DO UPDATE SET n = b.n + excluded.n;
        delta := (SELECT count(*) FROM new_rows WHERE is_listed) - (SELECT count(*) FROM old_rows WHERE is_listed);
    END IF;
    IF delta <> 0 THEN
        UPDATE catalog_listed_product_count SET n = n + delta;
    END IF;
    RETURN NULL;
END
$$;
"""

FORWARDS = (
    """
CREATE TABLE catalog_listed_product_block (
    block bigint PRIMARY KEY,
    n bigint NOT NULL CHECK (n >= 0)
);
INSERT INTO catalog_listed_product_block (block, n)
    SELECT id >> 10, count(*) FROM catalog_product WHERE is_listed GROUP BY 1;
"""
    + KEEP
)

_0008 = importlib.import_module("catalog.migrations.0008_listed_product_count")

# Put back migration 0008's function, which keeps the count alone.
BACKWARDS = _0008.KEEP_FUNCTION + "DROP TABLE IF EXISTS catalog_listed_product_block;"


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_listed_product_count")]
    operations = [migrations.RunPython(_0008.on_postgresql(FORWARDS), _0008.on_postgresql(BACKWARDS))]
