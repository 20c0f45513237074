"""Forms of the pipeline pages. They parse input only; the services decide what is allowed, and
their refusals come back onto the field at fault (tradeon.web.add_service_error)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from buyers.models import BuyerOrganisation
from catalog.models import Company, Product
from tradeon.accounts.models import Role

from ..fairs import calendar
from ..models import Currency, DealStage, InterestLevel, NextStep
from ..models.pipeline import MONEY_DIGITS, MONEY_PLACES
from . import deals, outcomes

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_field(label, *, required: bool):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class OutcomeForm(forms.Form):
    """One side's outcome of a meeting; the page decides the side (staff get one form per side)."""

    interest = forms.ChoiceField(label=_("Interest"), choices=InterestLevel.choices, widget=forms.RadioSelect)
    next_step = forms.ChoiceField(label=_("Next step"), choices=NextStep.choices)
    products = forms.ModelMultipleChoiceField(
        label=_("Products discussed"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expected_value = _amount_field(_("Expected order value"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=[("", "—"), *Currency.choices])
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=outcomes.NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["products"].queryset = Product.objects.filter(company_id=meeting.company_id).order_by("name_en")


def outcome_initial(outcome) -> dict:
    if outcome is None:
        return {}
    return {
        "interest": outcome.interest,
        "next_step": outcome.next_step,
        "products": list(outcome.products.all()),
        "expected_value": outcome.expected_value,
        "currency": outcome.currency,
        "notes": outcome.notes,
    }


class DealEditForm(forms.Form):
    """A deal's value and terms, with the version it was read at (the optimistic lock)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(label=_("Title"), required=False, max_length=deals.TITLE_MAX_LENGTH)
    expected_value = _amount_field(_("Expected value"), required=True)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        help_text=_("Set by the stage unless you change it; a signed deal is 100 %, a lost one 0 %."),
    )
    expected_close_on = forms.DateField(label=_("Expected close date"), required=False, widget=_DATE)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=deals.NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )

    @classmethod
    def initial_for(cls, deal) -> dict:
        return {
            "version": deal.version,
            "title": deal.title,
            "expected_value": deal.expected_value,
            "currency": deal.currency,
            "probability": deal.probability,
            "expected_close_on": deal.expected_close_on,
            "notes": deal.notes,
        }


class DealStageForm(forms.Form):
    """Move a deal to another stage; a lost deal needs its reason, a signed one its date."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stage = forms.ChoiceField(label=_("New stage"), choices=DealStage.choices)
    lost_reason = forms.CharField(
        label=_("Reason lost"),
        required=False,
        max_length=deals.LOST_REASON_MAX_LENGTH,
        help_text=_("Needed when the deal is lost."),
    )
    signed_on = forms.DateField(
        label=_("Signed on"), required=False, widget=_DATE, help_text=_("When signed; today if left empty.")
    )

    def __init__(self, *args, deal, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(deals.allowed_stages(deal, user))
        # The select offers the allowed moves; any stage is valid input, so a move the rules
        # refuse is answered with the service's own message.
        self.fields["stage"].widget.choices = [(value, label) for value, label in DealStage.choices if value in allowed]
        self.allowed = allowed


class _IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses a number no id column holds before asking the database
    (SQLite raises OverflowError on one)."""

    def to_python(self, value):
        if value not in self.empty_values and len(str(value)) > 18:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class DealFilterForm(forms.Form):
    """Filters of the deal list, with choices from what the viewer may see."""

    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=[("", _("Any stage")), *DealStage.choices])
    fair = _IdChoiceField(label=_("Fair"), required=False, queryset=None, empty_label=_("Any fair"))
    company = _IdChoiceField(label=_("SME"), required=False, queryset=None, empty_label=_("Any SME"))
    buyer = _IdChoiceField(label=_("Buyer"), required=False, queryset=None, empty_label=_("Any buyer"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fair"].queryset = calendar.fair_list_for_agenda(user).order_by("-starts_on", "-id")
        role = getattr(user, "role", None)
        if role == Role.STAFF:
            self.fields["company"].queryset = Company.objects.filter(deals__isnull=False).distinct().order_by("name_en")
            self.fields["buyer"].queryset = (
                BuyerOrganisation.objects.filter(deals__isnull=False).distinct().order_by("name")
            )
        else:
            del self.fields["company"]
            if role == Role.SME:
                self.fields["buyer"].queryset = (
                    BuyerOrganisation.objects.filter(deals__company_id=user.company_id).distinct().order_by("name")
                )
            else:
                del self.fields["buyer"]
