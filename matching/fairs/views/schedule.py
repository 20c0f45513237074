"""Pages of the schedule (staff): run the scheduler and follow its progress (htmx polling), read
the result and why pairs were not placed, see the draft or published schedule as a grid (slots x
rooms, Seoul time) or per participant, edit it (move, swap, cancel, add) with every refusal shown
on the form, publish it, and download it as XLSX."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buyers.models import BuyerOrganisation
from catalog.models import Company
from matching.models import (
    BOOKED_STATUSES,
    ConsultationFair,
    FairPhase,
    Interpreter,
    Meeting,
    MeetingStatus,
    ParticipantStatus,
    ScheduleRun,
    VideoRoom,
)
from matching.scheduler import SEOUL
from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.tabular import CONTENT_TYPES
from tradeon.web import add_service_error, role_required

from .. import booking, scheduling

KEEP = "keep"
NONE = "none"


# --- forms ---------------------------------------------------------------------------------------


def _slot_label(slot) -> str:
    start = slot.start.astimezone(SEOUL)
    return f"{start:%a %Y-%m-%d %H:%M} KST"


def _meeting_label(meeting: Meeting) -> str:
    start = meeting.starts_at.astimezone(SEOUL)
    return f"#{meeting.pk} {start:%a %m-%d %H:%M} · {booking.company_name(meeting.company)} × {meeting.buyer.name}"


class _MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _meeting_label(obj)


class _ScheduleForm(forms.Form):
    """A form of the schedule page: knows the fair, its slots and its booked meetings."""

    def __init__(self, *args, fair: ConsultationFair, slots, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fair, self.slots = fair, slots
        self.slot_choices = [(slot.start.isoformat(), _slot_label(slot)) for slot in slots]
        for name in ("meeting", "other"):
            if name in self.fields:
                self.fields[name].queryset = meetings

    def clean_slot(self):
        value = self.cleaned_data.get("slot")
        if not value:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValidationError(_("Choose one of the fair's slots."))
        return parsed


def _room_choices(fair, *, keep: bool) -> list:
    choices = [(KEEP, _("Keep the room"))] if keep else []
    choices.append((NONE, _("No room (online)")))
    return choices + [(str(room.pk), room.name) for room in fair.rooms.all()]


def _interpreter_choices(*, keep: bool) -> list:
    choices = [(KEEP, _("Keep the interpreter"))] if keep else []
    choices.append((NONE, _("No interpreter")))
    return choices + [
        (str(i.pk), f"{i.name} ({'/'.join(i.languages)})") for i in Interpreter.objects.filter(is_active=True)
    ]


def _pick(value: str, model):
    if value == KEEP:
        return booking.KEEP
    if value in (NONE, "", None):
        return None
    return model.objects.get(pk=int(value))


class MeetingAddForm(_ScheduleForm):
    company = forms.ModelChoiceField(queryset=Company.objects.none(), label=gettext_lazy("SME"))
    buyer = forms.ModelChoiceField(queryset=BuyerOrganisation.objects.none(), label=gettext_lazy("Buyer"))
    slot = forms.ChoiceField(label=gettext_lazy("Slot"))
    room = forms.ChoiceField(label=gettext_lazy("Video room"))
    interpreter = forms.ChoiceField(label=gettext_lazy("Interpreter"))
    force = forms.BooleanField(
        required=False,
        label=gettext_lazy("Outside availability or business hours is fine"),
        help_text=gettext_lazy("Never overrides a clash or a cap."),
    )
    prefix = "add"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = self.fair.participants.filter(status=ParticipantStatus.ACCEPTED)
        self.fields["company"].queryset = Company.objects.filter(
            pk__in=accepted.filter(kind="sme").values("company_id")
        ).order_by("name_en")
        self.fields["company"].label_from_instance = booking.company_name
        self.fields["buyer"].queryset = BuyerOrganisation.objects.filter(
            pk__in=accepted.filter(kind="buyer").values("buyer_id")
        ).order_by("name")
        self.fields["buyer"].label_from_instance = lambda b: f"{b.name} ({b.time_zone})"
        self.fields["slot"].choices = self.slot_choices
        self.fields["room"].choices = _room_choices(self.fair, keep=False)
        self.fields["interpreter"].choices = _interpreter_choices(keep=False)


class MeetingMoveForm(_ScheduleForm):
    meeting = _MeetingChoice(queryset=Meeting.objects.none(), label=gettext_lazy("Meeting"))
    slot = forms.ChoiceField(label=gettext_lazy("To slot"), required=False)
    room = forms.ChoiceField(label=gettext_lazy("Video room"))
    interpreter = forms.ChoiceField(label=gettext_lazy("Interpreter"))
    force = forms.BooleanField(required=False, label=gettext_lazy("Outside availability or business hours is fine"))
    prefix = "move"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", _("Same time"))] + self.slot_choices
        self.fields["room"].choices = _room_choices(self.fair, keep=True)
        self.fields["interpreter"].choices = _interpreter_choices(keep=True)


class MeetingSwapForm(_ScheduleForm):
    meeting = _MeetingChoice(queryset=Meeting.objects.none(), label=gettext_lazy("Meeting"))
    other = _MeetingChoice(queryset=Meeting.objects.none(), label=gettext_lazy("Swap with"))
    force = forms.BooleanField(required=False, label=gettext_lazy("Outside availability or business hours is fine"))
    prefix = "swap"


class MeetingCancelForm(_ScheduleForm):
    meeting = _MeetingChoice(queryset=Meeting.objects.none(), label=gettext_lazy("Meeting"))
    reason = forms.CharField(max_length=300, label=gettext_lazy("Reason (told to the parties once published)"))
    prefix = "cancel"


FORMS = {"add": MeetingAddForm, "move": MeetingMoveForm, "swap": MeetingSwapForm, "cancel": MeetingCancelForm}


# --- the page ------------------------------------------------------------------------------------


def _run_info(run: ScheduleRun | None) -> dict:
    if run is None:
        return {}
    return {
        "stage_label": scheduling.stage_label(run.stage),
        "gap_percent": None if run.gap is None else f"{100 * run.gap:.2f}",
    }


def _fair(pk: int) -> ConsultationFair:
    return get_object_or_404(ConsultationFair.objects.prefetch_related("session_windows", "rooms"), pk=pk)


def _page(request, fair: ConsultationFair, *, bound: dict | None = None, status: int = 200):
    """The schedule page; `bound` holds a submitted form with its errors, shown in place."""
    bound = bound or {}
    meetings = list(
        Meeting.objects.filter(fair=fair)
        .select_related("company", "buyer", "room", "interpreter")
        .order_by("starts_at", "id")
    )
    booked = [m for m in meetings if m.status in BOOKED_STATUSES]
    booked_qs = Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES).select_related("company", "buyer")
    slots = booking.fair_slot_list(fair)
    selected = request.GET.get("meeting")
    initial = {"meeting": selected} if selected and selected.isdigit() else {}
    forms_ = {
        name: bound.get(name) or form_class(fair=fair, slots=slots, meetings=booked_qs, initial=initial)
        for name, form_class in FORMS.items()
    }
    view = "participants" if request.GET.get("view") == "participants" else "grid"
    run = scheduling.schedule_run_latest(fair)
    context = {
        "fair": fair,
        "run": run,
        "run_info": _run_info(run),
        "run_active": run is not None and run.status in scheduling.ACTIVE_RUN_STATUSES,
        "view": view,
        "grid": scheduling.schedule_grid(fair, booked) if view == "grid" else None,
        "agendas": scheduling.schedule_by_participant(fair, booked) if view == "participants" else None,
        "cancelled": [m for m in meetings if m.status == MeetingStatus.CANCELLED],
        "drafts": sum(1 for m in booked if m.status == MeetingStatus.DRAFT),
        "scheduled": sum(1 for m in booked if m.status == MeetingStatus.SCHEDULED),
        "can_run": fair.phase == FairPhase.SCHEDULING,
        "can_edit": fair.phase in booking.EDIT_PHASES,
        "forms": forms_,
        "open_form": next(iter(bound), None),
    }
    return render(request, "fairs/schedule.html", context, status=status)


@role_required(Role.STAFF)
def schedule(request, pk: int):
    return _page(request, _fair(pk))


def _back(fair: ConsultationFair, request) -> str:
    url = reverse("fairs:schedule", args=[fair.pk])
    return f"{url}?view=participants" if request.POST.get("view") == "participants" else url


@require_POST
@role_required(Role.STAFF)
def schedule_run(request, pk: int):
    fair = _fair(pk)
    try:
        scheduling.schedule_run_start(fair=fair, started_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The scheduler run has started; its progress and result show below."))
    return redirect("fairs:schedule", fair.pk)


@role_required(Role.STAFF)
def schedule_run_status(request, pk: int, run_pk: int):
    """The run's progress, polled by htmx while it is queued or running. When a run the page was
    watching finishes, the whole page reloads to show the new draft."""
    run = get_object_or_404(ScheduleRun.objects.select_related("fair"), pk=run_pk, fair_id=pk)
    active = run.status in scheduling.ACTIVE_RUN_STATUSES
    if not active and request.GET.get("poll"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "fairs/_schedule_run.html",
        {"fair": run.fair, "run": run, "run_info": _run_info(run), "run_active": active},
    )


def _edit(request, pk: int, name: str, act) -> HttpResponse:
    fair = _fair(pk)
    booked = Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES).select_related("company", "buyer")
    form = FORMS[name](request.POST, fair=fair, slots=booking.fair_slot_list(fair), meetings=booked)
    if form.is_valid():
        try:
            message = act(fair, form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, message)
            return redirect(_back(fair, request))
    return _page(request, fair, bound={name: form}, status=400)


@require_POST
@role_required(Role.STAFF)
def meeting_add(request, pk: int):
    def act(fair, data):
        booking.meeting_add(
            fair=fair,
            added_by=request.user,
            company=data["company"],
            buyer=data["buyer"],
            starts_at=data["slot"],
            room=_pick(data["room"], VideoRoom),
            interpreter=_pick(data["interpreter"], Interpreter),
            force=data["force"],
        )
        return _("Meeting booked.")

    return _edit(request, pk, "add", act)


@require_POST
@role_required(Role.STAFF)
def meeting_move(request, pk: int):
    def act(fair, data):
        booking.meeting_move(
            meeting=data["meeting"],
            moved_by=request.user,
            starts_at=data["slot"],
            room=_pick(data["room"], VideoRoom),
            interpreter=_pick(data["interpreter"], Interpreter),
            force=data["force"],
        )
        return _("Meeting moved.")

    return _edit(request, pk, "move", act)


@require_POST
@role_required(Role.STAFF)
def meeting_swap(request, pk: int):
    def act(fair, data):
        booking.meeting_swap(meeting=data["meeting"], other=data["other"], swapped_by=request.user, force=data["force"])
        return _("Meetings swapped.")

    return _edit(request, pk, "swap", act)


@require_POST
@role_required(Role.STAFF)
def meeting_cancel(request, pk: int):
    def act(fair, data):
        booking.meeting_cancel(meeting=data["meeting"], cancelled_by=request.user, reason=data["reason"])
        return _("Meeting cancelled.")

    return _edit(request, pk, "cancel", act)


@require_POST
@role_required(Role.STAFF)
def schedule_publish(request, pk: int):
    fair = _fair(pk)
    try:
        scheduling.schedule_publish(fair=fair, published_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The schedule is published; every participant gets their agenda by email."))
    return redirect("fairs:schedule", fair.pk)


@role_required(Role.STAFF)
def schedule_xlsx(request, pk: int):
    fair = _fair(pk)
    response = HttpResponse(scheduling.schedule_xlsx(fair), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="fair-{fair.pk}-schedule.xlsx"'
    return response


urlpatterns: list = [
    path("<int:pk>/schedule/", schedule, name="schedule"),
    path("<int:pk>/schedule.xlsx", schedule_xlsx, name="schedule_xlsx"),
    path("<int:pk>/schedule/run/", schedule_run, name="schedule_run"),
    path("<int:pk>/schedule/runs/<int:run_pk>/", schedule_run_status, name="schedule_run_status"),
    path("<int:pk>/schedule/add/", meeting_add, name="schedule_add"),
    path("<int:pk>/schedule/move/", meeting_move, name="schedule_move"),
    path("<int:pk>/schedule/swap/", meeting_swap, name="schedule_swap"),
    path("<int:pk>/schedule/cancel/", meeting_cancel, name="schedule_cancel"),
    path("<int:pk>/schedule/publish/", schedule_publish, name="schedule_publish"),
]
