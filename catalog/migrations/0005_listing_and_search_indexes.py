"""Indexes for catalogue lists and short Korean search words on PostgreSQL (bench/api.py, 10^5 products).

- Korean words are often one or two syllables (크림 cream, 김치 kimchi, 꿀 honey). The trigram index
  of 0004 cannot serve a substring pattern shorter than three characters, so `LIKE '%크림%'`
  scanned every product (~100 ms per query at 10^5 products). `catalog_short_grams(text)` lists the
  one- and two-character substrings of each run of non-ASCII characters; a GIN index over it finds
  the products containing those syllables, and the LIKE still decides (catalog.selectors.product_search).
- Every product list joins the published companies; a covering index lets PostgreSQL read them
  (id, sector, Seoul Award) from the index instead of the wide company rows (count ~25 -> ~15 ms).
- The company list is ordered by English name; an index on it serves a page without sorting
  every company (~34 -> ~4 ms for an early page).

SQLite (the embedded default) is unaffected: it scans, which is fine at demo scale.
"""

from django.db import migrations

SHORT_GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION catalog_short_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT substr(m.run[1], i, n)), '{}')
    FROM regexp_matches(value, '[^\x01-\x7f]+', 'g') AS m(run)
    CROSS JOIN LATERAL generate_series(1, length(m.run[1])) AS i
    CROSS JOIN (VALUES (1), (2)) AS sizes(n)
    WHERE i + n - 1 <= length(m.run[1])
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SHORT_GRAMS_FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_product_search_short_grams "
        "ON catalog_product USING gin (catalog_short_grams(search_text))"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_company_listing "
        "ON catalog_company (status, sector_id) INCLUDE (id, seoul_award)"
    )
    schema_editor.execute("CREATE INDEX IF NOT EXISTS catalog_company_name_en ON catalog_company (name_en)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalog_company_name_en")
    schema_editor.execute("DROP INDEX IF EXISTS catalog_company_listing")
    schema_editor.execute("DROP INDEX IF EXISTS catalog_product_search_short_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS catalog_short_grams(text)")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
