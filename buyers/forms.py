"""Forms of the buyer pages. They parse the input; the buyer services validate and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalog.forms import (
    CertificationsField,
    HSCodesOfInterestField,
    LanguagesField,
    SectorMultipleChoiceField,
    sector_label,
)
from catalog.models import Currency, Sector
from tradeon.accounts.forms import time_zone_choices

from .models import BuyerType, ImportVolumeBand, SourcingRequestStatus, VerificationState


class BuyerOrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=lambda: list(countries))
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    buyer_type = forms.ChoiceField(label=_("Type of business"), choices=BuyerType.choices)
    sectors = SectorMultipleChoiceField(
        label=_("Sectors of interest"),
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hs_codes = HSCodesOfInterestField(label=_("HS codes of interest"))
    import_volume_band = forms.ChoiceField(
        label=_("Annual import volume"), required=False, choices=[("", "—"), *ImportVolumeBand.choices]
    )
    languages = LanguagesField()
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)

    @classmethod
    def initial_for(cls, buyer) -> dict:
        initial = {
            name: getattr(buyer, name) for name in cls.base_fields if name not in ("sectors", "hs_codes", "country")
        }
        initial["country"] = buyer.country.code
        initial["sectors"] = list(buyer.sectors.all())
        initial["hs_codes"] = list(buyer.hs_codes.all())
        return initial


class SourcingRequestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    hs_codes = HSCodesOfInterestField()
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=1)
    quantity_unit = forms.CharField(label=_("Unit"), max_length=30, initial="pcs")
    target_price = forms.DecimalField(
        label=_("Target unit price"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)
    required_certifications = CertificationsField(label=_("Required certifications"))
    wanted_by = forms.DateField(label=_("Wanted by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"), choices=SourcingRequestStatus.choices, initial=SourcingRequestStatus.OPEN
    )

    @classmethod
    def initial_for(cls, sourcing_request) -> dict:
        relations = ("hs_codes", "required_certifications")
        initial = {name: getattr(sourcing_request, name) for name in cls.base_fields if name not in relations}
        initial["hs_codes"] = list(sourcing_request.hs_codes.all())
        initial["required_certifications"] = list(sourcing_request.required_certifications.all())
        return initial


class BuyerFilterForm(forms.Form):
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    verification_state = forms.ChoiceField(
        label=_("Verification"), required=False, choices=[("", _("Any")), *VerificationState.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All sectors"))] + [
            (s.code, sector_label(s)) for s in Sector.objects.all()
        ]
        self.fields["country"].choices = [("", _("All countries")), *countries]


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("The buyer will see this."),
    )
