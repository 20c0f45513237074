from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class TradeOnUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "company", "buyer_organisation", "is_active")
    list_filter = ("role", "is_active")
    list_select_related = ("company", "buyer_organisation")
    raw_id_fields = ("company", "buyer_organisation")
    fieldsets = UserAdmin.fieldsets + (
        ("Trade On", {"fields": ("role", "company", "buyer_organisation", "preferred_language")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (("Trade On", {"fields": ("role", "company", "buyer_organisation")}),)
