"""Trigram indexes for catalogue search on PostgreSQL.

`icontains` becomes ILIKE '%term%', which a pg_trgm GIN index serves for Korean and English
alike. SQLite (the embedded default) has no such index and scans, which is fine at demo scale.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_product_search_trgm "
        "ON catalog_product USING gin (search_text gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_hscode_description_trgm "
        "ON catalog_hscode USING gin (lower(description) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalog_product_search_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS catalog_hscode_description_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_hs_nomenclature")]
    operations = [migrations.RunPython(forwards, backwards)]
