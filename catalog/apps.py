from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self):
        from tradeon.pagination import count_kept_by_database

        from .models import Product

        # The products a buyer may see: their number is kept by migration 0008's triggers.
        count_kept_by_database(
            lambda: Product.objects.filter(is_listed=True),
            sql="SELECT n FROM catalog_listed_product_count",
            vendor="postgresql",
        )
