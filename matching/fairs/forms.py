"""Forms of fair setup. Times people type are wall-clock times: session windows in Seoul time,
a participant's availability in its own time zone, an interpreter's in Seoul time."""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from buyers.models import BuyerOrganisation
from catalog.models import Company, Sector
from matching.scheduler import SEOUL

from ..models import ConsultationFair, VideoRoom

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")
_DATED_WINDOW = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


def _clock(hours: str, minutes: str) -> time:
    hours, minutes = int(hours), int(minutes)
    if hours == 24 and minutes == 0:
        return time(23, 59, 59)
    return time(hours, minutes)


def parse_session_windows(text: str) -> list[tuple[time, time]]:
    """ "09:00-12:00, 13:00-17:00" → [(09:00, 12:00), (13:00, 17:00)]."""
    windows = []
    for part in re.split(r"[,\n;]+", text or ""):
        if not part.strip():
            continue
        match = _WINDOW.match(part)
        if not match:
            raise forms.ValidationError(
                _("“%(part)s” is not a window; write them like 09:00-12:00, 13:00-17:00.") % {"part": part.strip()}
            )
        try:
            windows.append((_clock(*match.group(1, 2)), _clock(*match.group(3, 4))))
        except ValueError:
            raise forms.ValidationError(_("“%(part)s” is not a time of day.") % {"part": part.strip()}) from None
    return windows


def parse_dated_windows(text: str, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Lines of "2026-12-07 09:00-12:00" in `zone` → aware datetimes."""
    windows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _DATED_WINDOW.match(line)
        if not match:
            raise forms.ValidationError(
                _("Line %(number)s: write each window like 2026-12-07 09:00-12:00.") % {"number": number}
            )
        try:
            day = datetime.strptime(match.group(1), "%Y-%m-%d").date()
            starts = datetime.combine(day, _clock(*match.group(2, 3)), zone)
            ends = datetime.combine(day, _clock(*match.group(4, 5)), zone)
        except ValueError:
            raise forms.ValidationError(_("Line %(number)s: not a real date or time.") % {"number": number}) from None
        if ends <= starts:
            raise forms.ValidationError(_("Line %(number)s: the window ends before it starts.") % {"number": number})
        windows.append((starts, ends))
    return windows


def format_dated_windows(windows, zone: ZoneInfo) -> str:
    lines = []
    for window in windows:
        starts, ends = window.starts_at.astimezone(zone), window.ends_at.astimezone(zone)
        lines.append(f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M}")
    return "\n".join(lines)


class FairForm(forms.ModelForm):
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"), queryset=Sector.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    target_countries = forms.MultipleChoiceField(
        label=_("Target countries"),
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    session_windows_text = forms.CharField(
        label=_("Daily session windows (Seoul time)"),
        initial="09:00-12:00, 13:00-17:00",
        help_text=_("Comma-separated, e.g. 09:00-12:00, 13:00-17:00."),
    )
    rooms = forms.ModelMultipleChoiceField(
        label=_("Video rooms"),
        queryset=VideoRoom.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Rooms SMEs sit in for their meetings; none for an online-only fair."),
    )

    class Meta:
        model = ConsultationFair
        fields = [
            "name",
            "sectors",
            "target_countries",
            "starts_on",
            "ends_on",
            "meeting_minutes",
            "break_minutes",
            "rooms",
            "local_hours_from",
            "local_hours_to",
            "request_expiry_hours",
            "max_pending_requests",
            "default_meeting_cap",
            "min_meetings_per_sme",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].required = True
        self.fields["ends_on"].required = True
        if self.instance.pk:
            self.fields["session_windows_text"].initial = ", ".join(
                f"{w.opens_at:%H:%M}-{w.closes_at:%H:%M}" for w in self.instance.session_windows.all()
            )
            self.initial["target_countries"] = [str(c) for c in self.instance.target_countries]

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The fair cannot end before it starts."))
        return data

    def clean_session_windows_text(self):
        windows = parse_session_windows(self.cleaned_data["session_windows_text"])
        if not windows:
            raise forms.ValidationError(_("Give at least one session window."))
        return windows

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["session_windows"] = data.pop("session_windows_text")
        data["sectors"] = list(data["sectors"])
        data["rooms"] = list(data["rooms"])
        return data


class InviteForm(forms.Form):
    companies = forms.ModelMultipleChoiceField(
        label=_("SMEs"), queryset=Company.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    buyers = forms.ModelMultipleChoiceField(
        label=_("Verified buyers"),
        queryset=BuyerOrganisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, companies=None, buyers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = companies if companies is not None else Company.objects.none()
        self.fields["buyers"].queryset = buyers if buyers is not None else BuyerOrganisation.objects.none()
        self.fields["companies"].label_from_instance = lambda c: f"{c.name_en} ({c.name_ko})"
        self.fields["buyers"].label_from_instance = lambda b: f"{b.name} ({b.country.code})"

    def clean(self):
        data = super().clean()
        if not data.get("companies") and not data.get("buyers"):
            raise forms.ValidationError(_("Choose at least one SME or buyer."))
        return data


class InviteImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Columns: business_registration_number (SMEs) and/or buyer_email (buyers' contact email)."),
    )


class ParticipationForm(forms.Form):
    availability = forms.CharField(
        label=_("When you can meet"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2026-12-07 09:00-12:00"}),
    )
    meeting_cap = forms.IntegerField(label=_("Most meetings"), required=False, min_value=1, max_value=100)
    uses_video_room = forms.BooleanField(label=_("We sit in one of the agency's video rooms"), required=False)

    def __init__(self, *args, zone: ZoneInfo, is_sme: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["availability"].help_text = _(
            "One window per line, in your time zone (%(zone)s). Empty: whenever the fair runs."
        ) % {"zone": zone.key}
        if not is_sme:
            del self.fields["uses_video_room"]

    def clean_availability(self):
        return parse_dated_windows(self.cleaned_data["availability"], self.zone)


class InterpreterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    email = forms.EmailField(label=_("Email"), required=False)
    languages = forms.CharField(label=_("Languages"), help_text=_("ISO 639-1 codes, comma-separated, e.g. ko, en, th."))
    availability = forms.CharField(
        label=_("Availability (Seoul time)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-07 09:00-17:00"}),
        help_text=_("One window per line. Empty: available whenever a fair runs."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_languages(self):
        codes = [code.strip().lower() for code in re.split(r"[,\s]+", self.cleaned_data["languages"]) if code.strip()]
        if not codes:
            raise forms.ValidationError(_("Give at least one language."))
        return codes

    def clean_availability(self):
        return parse_dated_windows(self.cleaned_data["availability"], SEOUL)
