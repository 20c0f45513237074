from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PairDecision


class PairDecisionForm(forms.Form):
    company = forms.IntegerField(min_value=1)
    buyer = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(choices=[*PairDecision.Decision.choices, ("clear", _("Clear"))])
