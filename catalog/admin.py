from django.contrib import admin

from .models import Certification, Company, HSCode, Product, ProductImage, Sector
from .services import company_products_sync, product_fill_derived_fields


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ko", "is_strategic", "display_order")


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "description")
    search_fields = ("code", "name")


@admin.register(HSCode)
class HSCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "level", "section", "description")
    list_filter = ("level", "section")
    search_fields = ("code", "description")
    raw_id_fields = ("parent",)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_ko", "business_registration_number", "sector", "status", "seoul_award")
    list_filter = ("status", "sector", "seoul_award")
    list_select_related = ("sector",)
    search_fields = ("name_en", "name_ko", "business_registration_number")
    filter_horizontal = ("certifications",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The products carry copies of the company's status, sector and award, and its names
        # in their search text.
        names_changed = bool({"name_ko", "name_en"} & set(form.changed_data))
        company_products_sync(company=obj, names_changed=names_changed)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "alt_text", "position")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_ko", "company", "hs_code", "moq", "status")
    list_filter = ("status", "company__sector")
    list_select_related = ("company", "hs_code")
    search_fields = ("name_en", "name_ko", "company__name_en", "hs_code__code")
    raw_id_fields = ("company", "hs_code")
    filter_horizontal = ("certifications",)
    inlines = [ProductImageInline]

    def save_model(self, request, obj, form, change):
        product_fill_derived_fields(obj)
        super().save_model(request, obj, form, change)
