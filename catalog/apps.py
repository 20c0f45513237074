from django.apps import AppConfig

# The listed products at or above each block of 1,024 ids (catalog migration 0009), with the count:
# for an offset (both parameters), the bound below which the row at that offset lies, newest first.
_LISTED_POSITION_SQL = """
SELECT c.n, (p.block + 1) << 10, p.before
FROM catalog_listed_product_count AS c
LEFT JOIN LATERAL (
    SELECT block, before FROM (
        SELECT block, n, sum(n) OVER (ORDER BY block DESC) - n AS before
        FROM catalog_listed_product_block WHERE n > 0
    ) AS blocks
    WHERE before <= %s AND before + n > %s
) AS p ON true
"""


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self):
        from tradeon.pagination import count_kept_by_database

        from .models import Product

        # The products a buyer may see: their number, and how many in each block of ids, are kept
        # by the triggers of migrations 0008 and 0009.
        count_kept_by_database(
            lambda: Product.objects.filter(is_listed=True),
            sql="SELECT n FROM catalog_listed_product_count",
            vendor="postgresql",
            position_sql=_LISTED_POSITION_SQL,
        )
