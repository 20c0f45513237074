"""Sign-up forms: an account plus the company (SME) or organisation (buyer) it belongs to.

They parse and tidy the input; the sign-up services check the account and the models' rules."""

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from buyers.models import BuyerType
from catalog.forms import LanguagesField, SectorChoiceField
from catalog.models import Sector
from catalog.validators import normalise_business_registration_number


def time_zone_choices():
    return [("", "—")] + [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class AccountForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_confirm")
            and cleaned["password"] != cleaned["password_confirm"]
        ):
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned

    def account_arguments(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("username", "email", "password")}


class SMESignUpForm(AccountForm):
    name_ko = forms.CharField(label=_("Company name (Korean)"), max_length=200)
    name_en = forms.CharField(label=_("Company name (English)"), max_length=200)
    business_registration_number = forms.CharField(
        label=_("Business registration number"),
        max_length=12,
        help_text=_("10 digits, written 123-45-67890."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "123-45-67890"}),
    )
    sector = SectorChoiceField(label=_("Sector"), queryset=Sector.objects.all(), empty_label="—")

    def clean_business_registration_number(self):
        # Whether the number is taken is the service's to say (catalog.services), for every path.
        return normalise_business_registration_number(self.cleaned_data["business_registration_number"].strip())

    def company_arguments(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("name_ko", "name_en", "business_registration_number", "sector")
        }


class BuyerSignUpForm(AccountForm):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=lambda: [("", "—"), *countries])
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    buyer_type = forms.ChoiceField(label=_("Type of business"), choices=[("", "—"), *BuyerType.choices])
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Meeting times are shown to you in this time zone."),
        widget=forms.Select(attrs={"data-detect-timezone": ""}),
    )
    languages = LanguagesField(label=_("Languages you do business in"))

    def organisation_arguments(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "country", "city", "buyer_type", "time_zone", "languages")
        }
