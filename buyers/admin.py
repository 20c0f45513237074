from django.contrib import admin

from .models import BuyerOrganisation, SourcingRequest


@admin.register(BuyerOrganisation)
class BuyerOrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "buyer_type", "verification_state", "reviewed_at")
    list_filter = ("verification_state", "buyer_type", "country")
    search_fields = ("name", "city", "contact_email")
    filter_horizontal = ("sectors",)
    raw_id_fields = ("hs_codes", "reviewed_by")
    readonly_fields = ("reviewed_by", "reviewed_at")


@admin.register(SourcingRequest)
class SourcingRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "buyer", "status", "wanted_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("buyer",)
    search_fields = ("title", "buyer__name")
    raw_id_fields = ("buyer", "hs_codes")
    filter_horizontal = ("required_certifications",)
