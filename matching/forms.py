from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalog.models import Sector

from .models import PairDecision


class FairForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"), queryset=Sector.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    target_countries = forms.MultipleChoiceField(
        label=_("Target countries"),
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The fair cannot end before it starts."))
        return data


class PairDecisionForm(forms.Form):
    company = forms.IntegerField(min_value=1)
    buyer = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(choices=[*PairDecision.Decision.choices, ("clear", _("Clear"))])
