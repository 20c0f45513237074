"""Catalogue lists without a join to the company (bench/api.py, PostgreSQL, 10^5 products).

- A buyer sees a product only if it and its company are published; testing that through a join
  made every list and count visit the company table (the count alone 15-25 ms). Each product now
  carries `is_listed` and copies of its company's sector and Seoul Award (the search filters),
  kept from here on by `catalog.services`. Filling them rewrites every product row, and on
  PostgreSQL each rewritten row also updates the search indexes of 0004/0005: about half a
  minute at 10^5 products.
- Partial indexes over the listed products for the lists' two orders and for a sector's products.
- An index on (certification, product) of the products' certifications, so the certification
  filter reads a certification's products from the index alone.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When

PUBLISHED = "published"


def fill_copies(apps, schema_editor):
    Company = apps.get_model("catalog", "Company")
    Product = apps.get_model("catalog", "Product")
    company = Company.objects.filter(pk=OuterRef("company_id"))
    Product.objects.update(
        company_sector_id=Subquery(company.values("sector_id")[:1]),
        company_seoul_award=Subquery(company.values("seoul_award")[:1]),
        is_listed=Case(
            When(Q(status=PUBLISHED) & Exists(company.filter(status=PUBLISHED)), then=Value(True)),
            default=Value(False),
        ),
    )
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now: ALTER TABLE (NOT NULL below) refuses to run in a
        # transaction with deferred constraint checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# Django makes the many-to-many table itself, with an index on each column and a unique one on
# (product, certification): none gives a certification's products without reading the table.
CERTIFICATION_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_product_certifications_by_certification "
    "ON catalog_product_certifications (certification_id, product_id)"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_listing_and_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="is_listed",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Published, and its company is published: what buyers see.",
                verbose_name="listed",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="company_seoul_award",
            field=models.BooleanField(default=False, editable=False),
        ),
        # Nullable until filled: existing rows have no value to default to.
        migrations.AddField(
            model_name="product",
            name="company_sector",
            field=models.ForeignKey(
                null=True,
                editable=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.sector",
            ),
        ),
        migrations.RunPython(fill_copies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="product",
            name="company_sector",
            field=models.ForeignKey(
                editable=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.sector",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(condition=models.Q(("is_listed", True)), fields=["id"], name="product_listed_newest"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_listed", True)),
                fields=["-company_seoul_award", "id"],
                name="product_listed_award_first",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_listed", True)),
                fields=["company_sector", "id"],
                name="product_listed_by_sector",
            ),
        ),
        migrations.AddIndex(
            model_name="company",
            index=models.Index(
                condition=models.Q(("status", "published")), fields=["name_en", "id"], name="company_published_by_name"
            ),
        ),
        migrations.RunSQL(CERTIFICATION_INDEX, "DROP INDEX IF EXISTS catalog_product_certifications_by_certification"),
    ]
