"""Pages of fair setup: the fair list, creating and editing a fair, its phase, invitations and
participants (staff); a participant's own fair page (answer the invitation, availability, cap);
interpreters (staff)."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.imports import ImportRejected
from matching.models import ConsultationFair, FairParticipant, FairPhase, Interpreter, ParticipantStatus
from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.web import add_service_error, role_required

from .. import selectors, setup
from ..calendar import zone_of_buyer
from ..forms import (
    SEOUL,
    FairForm,
    InterpreterForm,
    InviteForm,
    InviteImportForm,
    ParticipationForm,
    format_dated_windows,
)

ALL_ROLES = (Role.STAFF, Role.SME, Role.BUYER)


@role_required(*ALL_ROLES)
def fair_list(request):
    fairs = selectors.fair_list(user=request.user)
    page = Paginator(fairs, 25).get_page(request.GET.get("page"))
    return render(request, "fairs/fair_list.html", {"page": page, "fairs": page.object_list})


@role_required(Role.STAFF)
def fair_create(request):
    setup.video_rooms_ensure()
    form = FairForm(request.POST or None, initial={"rooms": setup.video_rooms_ensure()})
    if request.method == "POST" and form.is_valid():
        try:
            fair = setup.fair_create(created_by=request.user, **form.service_arguments())
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Fair created. Invite SMEs and buyers next."))
            return redirect("fairs:participants", fair.pk)
    return render(request, "fairs/fair_form.html", {"form": form})


@role_required(Role.STAFF)
def fair_edit(request, pk: int):
    fair = get_object_or_404(ConsultationFair, pk=pk)
    form = FairForm(request.POST or None, instance=fair)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        current_windows = [(w.opens_at, w.closes_at) for w in fair.session_windows.all()]
        if arguments["session_windows"] == current_windows:
            arguments.pop("session_windows")  # unchanged: allowed in any phase
        try:
            fair.refresh_from_db()
            setup.fair_update(fair=fair, updated_by=request.user, **arguments)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Fair saved."))
            return redirect("fairs:detail", fair.pk)
    return render(request, "fairs/fair_form.html", {"form": form, "fair": fair})


@role_required(*ALL_ROLES)
def fair_detail(request, pk: int):
    """Staff: the fair's hub. SMEs and buyers: their own page of the fair."""
    fair = get_object_or_404(selectors.fair_list(user=request.user).prefetch_related("session_windows", "rooms"), pk=pk)
    if request.user.role != Role.STAFF:
        return redirect("fairs:my_fair", fair.pk)
    counts = fair.participants.aggregate(
        smes=Count("id", filter=Q(kind="sme", status=ParticipantStatus.ACCEPTED)),
        buyers=Count("id", filter=Q(kind="buyer", status=ParticipantStatus.ACCEPTED)),
        invited=Count("id", filter=Q(status=ParticipantStatus.INVITED)),
        declined=Count("id", filter=Q(status=ParticipantStatus.DECLINED)),
    )
    requests = fair.meeting_requests.aggregate(
        pending=Count("id", filter=Q(status="pending")), accepted=Count("id", filter=Q(status="accepted"))
    )
    next_phases = [FairPhase(p) for p in setup.PHASE_ORDER if p in setup.ALLOWED_TRANSITIONS.get(fair.phase, set())]
    return render(
        request,
        "fairs/fair_detail.html",
        {
            "fair": fair,
            "counts": counts,
            "requests": requests,
            "phases": [FairPhase(p) for p in setup.PHASE_ORDER],
            "phase_index": setup.PHASE_ORDER.index(fair.phase),
            "next_phases": next_phases,
            "meetings": fair.meetings.filter(status__in=["draft", "scheduled"]).count(),
            "pinned_pairs": fair.pair_decisions.filter(decision="pin").count(),
        },
    )


@require_POST
@role_required(Role.STAFF)
def fair_phase(request, pk: int):
    fair = get_object_or_404(ConsultationFair, pk=pk)
    try:
        fair = setup.fair_phase_advance(fair=fair, to_phase=request.POST.get("phase", ""), changed_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The fair is now in phase “%(phase)s”.") % {"phase": fair.get_phase_display()})
    return redirect("fairs:detail", fair.pk)


@role_required(Role.STAFF)
def participants(request, pk: int):
    fair = get_object_or_404(ConsultationFair, pk=pk)
    candidate_companies, candidate_buyers = setup.invitation_candidates(fair)
    candidate_companies = candidate_companies.exclude(fair_participations__fair=fair).order_by("name_en")
    candidate_buyers = candidate_buyers.exclude(fair_participations__fair=fair).order_by("name")
    invite_form = InviteForm(companies=candidate_companies, buyers=candidate_buyers)
    import_form = InviteImportForm()
    import_errors = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite":
                invite_form = InviteForm(request.POST, companies=candidate_companies, buyers=candidate_buyers)
                if invite_form.is_valid():
                    invited = setup.participants_invite(
                        fair=fair,
                        invited_by=request.user,
                        companies=invite_form.cleaned_data["companies"],
                        buyers=invite_form.cleaned_data["buyers"],
                    )
                    messages.success(request, _("%(count)s invited.") % {"count": len(invited)})
                    return redirect("fairs:participants", fair.pk)
            elif action == "invite_filter":
                invited = setup.participants_invite(
                    fair=fair, invited_by=request.user, companies=candidate_companies, buyers=candidate_buyers
                )
                messages.success(request, _("%(count)s invited.") % {"count": len(invited)})
                return redirect("fairs:participants", fair.pk)
            elif action == "import":
                import_form = InviteImportForm(request.POST, request.FILES)
                if import_form.is_valid():
                    invited = setup.participants_invite_from_table(
                        fair=fair, invited_by=request.user, file=import_form.cleaned_data["file"]
                    )
                    messages.success(request, _("%(count)s invited from the file.") % {"count": len(invited)})
                    return redirect("fairs:participants", fair.pk)
        except ImportRejected as rejected:
            import_errors = rejected
        except DomainError as error:
            messages.error(request, error.message)
    rows = selectors.participant_list(user=request.user, fair_id=fair.pk).order_by("kind", "status", "id")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "fairs/participants.html",
        {
            "fair": fair,
            "page": page,
            "participants": page.object_list,
            "invite_form": invite_form,
            "import_form": import_form,
            "import_errors": import_errors,
            "candidate_counts": (candidate_companies.count(), candidate_buyers.count()),
        },
    )


def _zone_of(participant: FairParticipant) -> ZoneInfo:
    if participant.kind == FairParticipant.Kind.BUYER:
        return zone_of_buyer(participant.buyer)
    return SEOUL


@role_required(Role.SME, Role.BUYER)
def my_fair(request, pk: int):
    """A participant's page of a fair: answer the invitation, set availability and cap; its
    requests and agenda are linked from here."""
    fair = get_object_or_404(selectors.fair_list(user=request.user).prefetch_related("session_windows"), pk=pk)
    participant = setup.participant_for_user(fair, request.user)
    if participant is None:  # pragma: no cover - fair_list only holds fairs the user is in
        return redirect("fairs:list")
    zone = _zone_of(participant)
    form = ParticipationForm(
        initial={
            "availability": format_dated_windows(participant.availability.all(), zone),
            "meeting_cap": participant.meeting_cap,
            "uses_video_room": participant.uses_video_room,
        },
        zone=zone,
        is_sme=participant.kind == FairParticipant.Kind.SME,
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") in ("accept", "decline"):
                setup.invitation_respond(
                    participant=participant, user=request.user, accept=request.POST["action"] == "accept"
                )
                messages.success(request, _("Thank you, your answer is saved."))
                return redirect("fairs:my_fair", fair.pk)
            form = ParticipationForm(request.POST, zone=zone, is_sme=participant.kind == FairParticipant.Kind.SME)
            if form.is_valid():
                data = form.cleaned_data
                setup.participation_update(
                    participant=participant,
                    user=request.user,
                    availability=data["availability"],
                    meeting_cap=data["meeting_cap"],
                    clear_cap=data["meeting_cap"] is None,
                    uses_video_room=data.get("uses_video_room") if "uses_video_room" in form.fields else None,
                )
                messages.success(request, _("Your availability is saved."))
                return redirect("fairs:my_fair", fair.pk)
        except DomainError as error:
            if request.POST.get("action") in ("accept", "decline"):
                messages.error(request, error.message)
                return redirect("fairs:my_fair", fair.pk)
            add_service_error(form, error)
    return render(
        request,
        "fairs/my_fair.html",
        {
            "fair": fair,
            "participant": participant,
            "form": form,
            "zone": zone.key,
            "effective_cap": setup.participant_cap(participant),
        },
    )


@role_required(Role.STAFF)
def interpreters(request):
    form = InterpreterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            setup.interpreter_save(saved_by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Interpreter saved."))
            return redirect("fairs:interpreters")
    page = Paginator(selectors.interpreter_list(), 50).get_page(request.GET.get("page"))
    return render(request, "fairs/interpreters.html", {"form": form, "page": page, "interpreters": page.object_list})


@role_required(Role.STAFF)
def interpreter_edit(request, pk: int):
    interpreter = get_object_or_404(Interpreter, pk=pk)
    initial = {
        "name": interpreter.name,
        "email": interpreter.email,
        "languages": ", ".join(interpreter.languages),
        "availability": format_dated_windows(interpreter.availability.all(), SEOUL),
        "is_active": interpreter.is_active,
    }
    form = InterpreterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            setup.interpreter_save(saved_by=request.user, interpreter=interpreter, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Interpreter saved."))
            return redirect("fairs:interpreters")
    return render(request, "fairs/interpreter_form.html", {"form": form, "interpreter": interpreter})


urlpatterns = [
    path("", fair_list, name="list"),
    path("new/", fair_create, name="create"),
    path("interpreters/", interpreters, name="interpreters"),
    path("interpreters/<int:pk>/", interpreter_edit, name="interpreter_edit"),
    path("<int:pk>/", fair_detail, name="detail"),
    path("<int:pk>/edit/", fair_edit, name="edit"),
    path("<int:pk>/phase/", fair_phase, name="phase"),
    path("<int:pk>/participants/", participants, name="participants"),
    path("<int:pk>/me/", my_fair, name="my_fair"),
]
