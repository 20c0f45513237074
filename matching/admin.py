"""Admin of the matching app: the pipeline's deals and their history.

Deals are added and changed through the deal services (matching.pipeline.deals), like on the
pages and in the API: the same stage rules, the optimistic lock (the form carries the version it
was opened at; a stale form is refused with who changed the deal and when), and history rows
recorded "via admin". History itself is read-only here, as everywhere.
"""

from django import forms
from django.contrib import admin
from django.db import transaction

from tradeon.errors import DomainError
from tradeon.web import add_service_error

from .models import ChangeChannel, Deal, DealChange, MeetingOutcome
from .pipeline import deals as deal_services
from .pipeline.history import DealConflict

# The fields the admin form edits, in the order of the services' arguments.
_EDITABLE = list(deal_services.EDITABLE_FIELDS)


class DealAdminForm(forms.ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Deal
        fields = ["company", "buyer", *_EDITABLE]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        self.fields["probability"].help_text = "Empty: the stage's default."
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def changes(self) -> dict:
        """The services' keyword changes: on a change form the fields the person changed, on an
        add form every field given."""
        names = [name for name in _EDITABLE if name in self.changed_data or not self.instance.pk]
        values = {name: self.cleaned_data.get(name) for name in names}
        if self._probability_blank:
            values["probability"] = None  # the stage's default
        if not self.instance.pk:
            values = {name: value for name, value in values.items() if value is not None}
        return values

    def clean(self):
        data = super().clean()
        self._probability_blank = data.get("probability") is None
        user = getattr(self, "request_user", None)
        if user is None or self.errors:
            return data
        try:
            if self.instance.pk:
                # The admin saves inside one transaction: lock the row so that this check and
                # the save see the same version.
                current = Deal.objects.select_for_update().filter(pk=self.instance.pk).values("version").first()
                if current is not None and data.get("loaded_version") != current["version"]:
                    raise DealConflict(self.instance.pk, current["version"])
                deal_services.deal_check_update(self.instance, by=user, **self.changes())
            else:
                deal_services.deal_check_create(by=user, company=data["company"], buyer=data["buyer"], **self.changes())
        except DomainError as error:
            add_service_error(self, error)
        if self._probability_blank:
            # The model requires a number; the service sets the stage's default on save.
            data["probability"] = deal_services.DEFAULT_PROBABILITY.get(data.get("stage"), 0)
        return data


class _ReadOnly:
    """Rows to read here, never to add, change or delete (for model admins and inlines alike)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DealChangeInline(_ReadOnly, admin.TabularInline):
    model = DealChange
    extra = 0
    fields = ("changed_at", "field", "old_value", "new_value", "changed_by", "via")
    readonly_fields = fields
    ordering = ("changed_at", "id")
    can_delete = False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    form = DealAdminForm
    list_display = ("__str__", "title", "company", "buyer", "stage", "expected_value", "currency", "probability")
    list_filter = ("stage", "currency")
    list_select_related = ("company", "buyer")
    search_fields = ("title", "company__name_en", "company__name_ko", "buyer__name")
    raw_id_fields = ("company", "buyer", "meetings", "products")
    readonly_fields = ("version", "created_by", "created_at", "updated_at", "stage_changed_at")
    inlines = [DealChangeInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["company", "buyer"]  # a deal stays between its two parties
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        return type(base.__name__, (base,), {"request_user": request.user})

    def has_delete_permission(self, request, obj=None):
        return False  # its history would go with it; close a deal as lost instead

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        # `obj` already holds the form's values; the services read the row itself.
        if change:
            saved = deal_services.deal_update(
                obj,
                by=request.user,
                expected_version=form.cleaned_data.get("loaded_version"),
                via=ChangeChannel.ADMIN,
                **form.changes(),
            )
        else:
            saved = deal_services.deal_create(
                by=request.user,
                company=form.cleaned_data["company"],
                buyer=form.cleaned_data["buyer"],
                via=ChangeChannel.ADMIN,
                **form.changes(),
            )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The services set the meetings and products (with their history), so the form's own
        # save_m2m is skipped; the history inline is read-only and saves nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(DealChange)
class DealChangeAdmin(_ReadOnly, admin.ModelAdmin):
    """History: to read, never to add, change or delete."""

    list_display = ("deal", "field", "old_value", "new_value", "changed_by", "via", "changed_at")
    list_filter = ("via", "field")
    list_select_related = ("deal", "changed_by")
    search_fields = ("deal__title", "old_value", "new_value")
    date_hierarchy = "changed_at"


@admin.register(MeetingOutcome)
class MeetingOutcomeAdmin(_ReadOnly, admin.ModelAdmin):
    """Outcomes to read; staff record and correct them on the outcome page (which also keeps the
    pair's deal up to date)."""

    list_display = ("meeting", "side", "interest", "next_step", "expected_value", "currency", "by_staff", "updated_at")
    list_filter = ("side", "interest", "next_step", "by_staff")
    list_select_related = ("meeting",)
    raw_id_fields = ("meeting", "products", "recorded_by")
