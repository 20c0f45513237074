"""Forms of the catalogue pages. They only parse what a person typed; the services validate
against the model rules and the permissions, so the page, the API and the import agree."""

from django import forms
from django.conf.global_settings import LANGUAGES as ALL_LANGUAGES
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Certification, Currency, HSCode, PublicationStatus, RevenueBand, Sector
from .validators import LANGUAGE_CODES

_LANGUAGE_NAMES = dict(ALL_LANGUAGES) | {"zh": "Chinese", "fil": "Filipino"}
# Names go through gettext: Django's own catalogues translate them (e.g. "Thai" -> "태국어").
LANGUAGE_CHOICES = [
    (code, _(name)) for name, code in sorted((_LANGUAGE_NAMES.get(code, code), code) for code in LANGUAGE_CODES)
]


def sector_label(sector: Sector) -> str:
    return f"{sector.name_en} · {sector.name_ko}"


class SectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return sector_label(obj)


class SectorMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return sector_label(obj)


class LanguagesField(forms.MultipleChoiceField):
    """ISO 639-1 codes, as the models store them."""

    widget = forms.SelectMultiple(attrs={"size": 6})

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", LANGUAGE_CHOICES)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Languages"))
        kwargs.setdefault("help_text", _("Hold Ctrl (⌘ on a Mac) to choose several."))
        super().__init__(**kwargs)


class CountriesField(forms.MultipleChoiceField):
    widget = forms.SelectMultiple(attrs={"size": 6})

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", lambda: list(countries))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class CertificationsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Certification.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Certifications"))
        super().__init__(**kwargs)


class HSSubheadingField(forms.CharField):
    """A product's HS code: a 6-digit subheading that exists in the nomenclature."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 9)
        kwargs.setdefault("label", _("HS code"))
        kwargs.setdefault("help_text", _("6 digits, e.g. 330499. Not sure? Search by word below."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "pattern": r"\d{4}\.?\d{2}", "autocomplete": "off"})

    def clean(self, value):
        value = (super().clean(value) or "").replace(".", "").replace(" ", "")
        if not (len(value) == 6 and value.isdigit()):
            raise ValidationError(_("Enter the 6-digit HS subheading, such as 330499."))
        hs_code = HSCode.objects.filter(code=value, level=6).first()
        if hs_code is None:
            raise ValidationError(_("HS code %(code)s is not in the HS nomenclature."), params={"code": value})
        return hs_code


class HSCodesOfInterestField(forms.CharField):
    """HS codes at any level (chapter, heading, subheading), typed separated by commas or spaces."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("HS codes"))
        kwargs.setdefault("help_text", _("Chapters (2 digits), headings (4) or subheadings (6), separated by commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(getattr(v, "code", str(v)) for v in value)
        return value

    def clean(self, value):
        codes = [c.replace(".", "") for c in (super().clean(value) or "").replace(",", " ").split()]
        bad = [c for c in codes if not (c.isdigit() and len(c) in (2, 4, 6))]
        if bad:
            raise ValidationError(
                _("Not an HS code: %(codes)s. Use 2, 4 or 6 digits."), params={"codes": ", ".join(bad)}
            )
        found = {hs.code: hs for hs in HSCode.objects.filter(code__in=codes)}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(_("Not in the HS nomenclature: %(codes)s."), params={"codes": ", ".join(missing)})
        return [found[c] for c in dict.fromkeys(codes)]


class CompanyForm(forms.Form):
    """What an SME edits about its own company. The business registration number and the
    Seoul Award are shown, not edited: only staff change them."""

    name_ko = forms.CharField(label=_("Name (Korean)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    sector = SectorChoiceField(label=_("Sector"), queryset=Sector.objects.all())
    description_ko = forms.CharField(
        label=_("Description (Korean)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    founded_year = forms.IntegerField(label=_("Founding year"), required=False, min_value=1900, max_value=2100)
    employees = forms.IntegerField(label=_("Employees"), required=False, min_value=0)
    revenue_band = forms.ChoiceField(
        label=_("Annual revenue"), required=False, choices=[("", "—"), *RevenueBand.choices]
    )
    export_countries = CountriesField(label=_("Already exports to"))
    target_countries = CountriesField(label=_("Target countries"))
    certifications = CertificationsField()
    languages = LanguagesField(label=_("Languages spoken"))
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    status = forms.ChoiceField(
        label=_("Visibility"),
        choices=PublicationStatus.choices,
        help_text=_("Buyers see your company and its published products only once the company is published."),
    )

    @classmethod
    def initial_for(cls, company) -> dict:
        initial = {name: getattr(company, name) for name in cls.base_fields if name != "certifications"}
        initial["certifications"] = list(company.certifications.all())
        initial["export_countries"] = [c.code for c in company.export_countries]
        initial["target_countries"] = [c.code for c in company.target_countries]
        return initial


class ProductForm(forms.Form):
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_ko = forms.CharField(label=_("Name (Korean)"), max_length=200)
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_ko = forms.CharField(
        label=_("Description (Korean)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    hs_code = HSSubheadingField()
    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=500, help_text=_("Comma-separated, in English or Korean.")
    )
    moq = forms.IntegerField(label=_("Minimum order quantity"), min_value=1, initial=1)
    moq_unit = forms.CharField(label=_("MOQ unit"), max_length=30, initial="pcs")
    price_min = forms.DecimalField(
        label=_("Unit price from"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Unit price to"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.USD)
    lead_time_days = forms.IntegerField(label=_("Lead time (days)"), required=False, min_value=0, max_value=32767)
    certifications = CertificationsField()
    status = forms.ChoiceField(
        label=_("Visibility"),
        choices=PublicationStatus.choices,
        initial=PublicationStatus.DRAFT,
        help_text=_("Drafts are seen only by your company and agency staff."),
    )

    @classmethod
    def initial_for(cls, product) -> dict:
        initial = {
            name: getattr(product, name) for name in cls.base_fields if name not in ("certifications", "hs_code")
        }
        initial["hs_code"] = product.hs_code_id
        initial["certifications"] = list(product.certifications.all())
        return initial


class ProductImageForm(forms.Form):
    # A plain file field: the model's validator (size, then what Pillow says the file is) decides.
    image = forms.FileField(
        label=_("Picture"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
    )
    alt_text = forms.CharField(label=_("Short description"), max_length=200, required=False)


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Product, company or keyword — English or 한국어")}
        ),
    )
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    hs = forms.RegexField(
        label=_("HS code starts with"),
        regex=r"^(\d{2}|\d{4}|\d{6})$",
        required=False,
        error_messages={"invalid": _("Use a 2-digit chapter, 4-digit heading or 6-digit subheading.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "33, 3304, 330499"}),
    )
    certification = forms.ChoiceField(label=_("Certification"), required=False)
    seoul_award = forms.BooleanField(label=_("Seoul Award only"), required=False)
    moq_max = forms.IntegerField(label=_("MOQ at most"), required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All sectors"))] + [
            (s.code, sector_label(s)) for s in Sector.objects.all()
        ]
        self.fields["certification"].choices = [("", _("Any"))] + list(
            Certification.objects.values_list("code", "name")
        )

    def search_arguments(self) -> dict:
        """Keyword arguments for catalog.selectors.product_search from the valid fields."""
        self.is_valid()  # an invalid filter is dropped (and its error shown); the valid ones still apply
        data = self.cleaned_data
        return {
            "text": data.get("q") or "",
            "sector": data.get("sector") or "",
            "hs": data.get("hs") or "",
            "certification": data.get("certification") or "",
            "seoul_award": True if data.get("seoul_award") else None,
            "moq_max": data.get("moq_max"),
        }

    def active_filter_count(self) -> int:
        arguments = self.search_arguments()
        return sum(1 for key, value in arguments.items() if key != "text" and value not in ("", None))
