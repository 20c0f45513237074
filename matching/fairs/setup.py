"""Setting a fair up: its details, session windows and rooms, its phases, invitations and the
participants' answers, availability and caps, and the interpreters the agency can book.

Services take keyword arguments, check who acts, validate, and write in one transaction; they
raise `tradeon.errors` exceptions with the field at fault.
"""

from collections.abc import Iterable
from datetime import datetime, time

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers.models import BuyerOrganisation, VerificationState
from catalog.models import Company
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, InvalidTransition, NotAllowed, NotVerified

from ..models import (
    AvailabilityWindow,
    ConsultationFair,
    FairParticipant,
    FairPhase,
    Interpreter,
    InterpreterAvailability,
    ParticipantStatus,
    SessionWindow,
    VideoRoom,
)

PHASE_ORDER = [
    FairPhase.REGISTRATION,
    FairPhase.REQUESTS_OPEN,
    FairPhase.SCHEDULING,
    FairPhase.PUBLISHED,
    FairPhase.LIVE,
    FairPhase.FOLLOW_UP,
]
# Forward one step at a time; back only from scheduling to requests (to take more requests before
# solving again). Publishing is its own service (it turns the draft into the schedule).
ALLOWED_TRANSITIONS = {
    FairPhase.REGISTRATION: {FairPhase.REQUESTS_OPEN},
    FairPhase.REQUESTS_OPEN: {FairPhase.SCHEDULING},
    FairPhase.SCHEDULING: {FairPhase.REQUESTS_OPEN},
    FairPhase.PUBLISHED: {FairPhase.LIVE},
    FairPhase.LIVE: {FairPhase.FOLLOW_UP},
    FairPhase.FOLLOW_UP: set(),
}
AGENCY_ROOM_COUNT = 9  # the agency's video consultation rooms (화상상담실)


def require_staff(user, action: str) -> None:
    if getattr(user, "role", None) != Role.STAFF:
        raise NotAllowed(_("Only agency staff can %(action)s.") % {"action": action})


def require_phase(fair: ConsultationFair, phases: Iterable[str], action: str) -> None:
    """Refuse an action outside the phases it belongs to, naming the phase the fair is in."""
    phases = list(phases)
    if fair.phase not in phases:
        allowed = ", ".join(str(FairPhase(p).label) for p in phases)
        raise InvalidTransition(
            _("You cannot %(action)s while the fair is in phase “%(phase)s” (only in: %(allowed)s).")
            % {"action": action, "phase": fair.get_phase_display(), "allowed": allowed},
            field="phase",
        )


# --- the fair --------------------------------------------------------------------------------------


def video_rooms_ensure() -> list[VideoRoom]:
    """The agency's nine video rooms, created on first use."""
    for number in range(1, AGENCY_ROOM_COUNT + 1):
        VideoRoom.objects.get_or_create(name=f"Video room {number}")
    return list(VideoRoom.objects.filter(is_active=True))


def _check_windows(windows: list[tuple[time, time]]) -> list[tuple[time, time]]:
    windows = sorted(windows)
    for opens, closes in windows:
        if closes <= opens:
            raise DomainError(
                _("A session window must close after it opens (%(opens)s-%(closes)s).")
                % {"opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"},
                field="session_windows",
            )
    for (_o1, c1), (o2, _c2) in zip(windows, windows[1:], strict=False):
        if o2 < c1:
            raise DomainError(_("Session windows must not overlap."), field="session_windows")
    return windows


@transaction.atomic
def fair_create(
    *,
    created_by,
    name: str,
    sectors,
    target_countries=(),
    starts_on=None,
    ends_on=None,
    session_windows: list[tuple[time, time]] | None = None,
    rooms=None,
    **settings,
) -> ConsultationFair:
    """A new fair in the registration phase. Without session windows it gets the agency's usual
    day (09:00-12:00 and 13:00-17:00 Seoul time); without rooms, all nine video rooms."""
    require_staff(created_by, _("create consultation fairs"))
    fair = ConsultationFair(
        name=name, target_countries=list(target_countries), starts_on=starts_on, ends_on=ends_on, **settings
    )
    _validate_fair(fair)
    fair.save()
    fair.sectors.set(sectors)
    windows = session_windows if session_windows is not None else [(time(9), time(12)), (time(13), time(17))]
    for opens, closes in _check_windows(list(windows)):
        SessionWindow.objects.create(fair=fair, opens_at=opens, closes_at=closes)
    fair.rooms.set(rooms if rooms is not None else video_rooms_ensure())
    return fair


UPDATABLE_FIELDS = {
    "name",
    "target_countries",
    "starts_on",
    "ends_on",
    "meeting_minutes",
    "break_minutes",
    "local_hours_from",
    "local_hours_to",
    "request_expiry_hours",
    "max_pending_requests",
    "default_meeting_cap",
    "min_meetings_per_sme",
}
# Changing these moves every slot: only before a schedule exists.
SLOT_FIELDS = {"starts_on", "ends_on", "meeting_minutes", "break_minutes"}


@transaction.atomic
def fair_update(
    *, fair: ConsultationFair, updated_by, sectors=None, session_windows=None, rooms=None, **changes
) -> ConsultationFair:
    require_staff(updated_by, _("change consultation fairs"))
    fair = ConsultationFair.objects.select_for_update().get(pk=fair.pk)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise DomainError(_("Unknown fair field: %(field)s") % {"field": sorted(unknown)[0]}, field=sorted(unknown)[0])
    moves_slots = any(getattr(fair, key) != value for key, value in changes.items() if key in SLOT_FIELDS)
    if (moves_slots or session_windows is not None) and fair.phase not in (
        FairPhase.REGISTRATION,
        FairPhase.REQUESTS_OPEN,
        FairPhase.SCHEDULING,
    ):
        raise InvalidTransition(
            _("The schedule is published: dates, windows and meeting length can no longer change."), field="phase"
        )
    if (moves_slots or session_windows is not None) and fair.meetings.filter(
        status__in=["draft", "scheduled"]
    ).exists():
        raise InvalidTransition(
            _("The fair has a draft schedule: clear it before changing dates, windows or meeting length."),
            field="phase",
        )
    for key, value in changes.items():
        setattr(fair, key, value)
    _validate_fair(fair)
    fair.save()
    if sectors is not None:
        fair.sectors.set(sectors)
    if session_windows is not None:
        windows = _check_windows(list(session_windows))
        fair.session_windows.all().delete()
        SessionWindow.objects.bulk_create(SessionWindow(fair=fair, opens_at=o, closes_at=c) for o, c in windows)
    if rooms is not None:
        fair.rooms.set(rooms)
    return fair


def _validate_fair(fair: ConsultationFair) -> None:
    fair.full_clean(exclude=["sectors", "rooms"])
    if fair.starts_on and fair.ends_on and fair.ends_on < fair.starts_on:
        raise DomainError(_("The fair cannot end before it starts."), field="ends_on")
    if fair.local_hours_to <= fair.local_hours_from:
        raise DomainError(_("The latest local hour must come after the earliest."), field="local_hours_to")


@transaction.atomic
def fair_phase_advance(*, fair: ConsultationFair, to_phase: str, changed_by) -> ConsultationFair:
    """Move a fair to its next phase (or back from scheduling to requests)."""
    require_staff(changed_by, _("change a fair's phase"))
    fair = ConsultationFair.objects.select_for_update().get(pk=fair.pk)
    if to_phase == FairPhase.PUBLISHED:
        raise InvalidTransition(_("Publish the draft schedule to move the fair to “Published”."), field="phase")
    if to_phase not in ALLOWED_TRANSITIONS.get(fair.phase, set()):
        raise InvalidTransition(
            _("A fair in phase “%(phase)s” cannot move to “%(to)s”.")
            % {
                "phase": fair.get_phase_display(),
                "to": FairPhase(to_phase).label if to_phase in FairPhase.values else to_phase,
            },
            field="phase",
        )
    if to_phase == FairPhase.REQUESTS_OPEN and not (fair.starts_on and fair.ends_on):
        raise DomainError(_("Set the fair's dates before opening requests."), field="starts_on")
    fair.phase = to_phase
    fair.save(update_fields=["phase"])
    return fair


# --- invitations and participants -------------------------------------------------------------------


def _invite_one(fair, *, company=None, buyer=None, invited_by) -> tuple[FairParticipant, bool]:
    if buyer is not None and buyer.verification_state != VerificationState.VERIFIED:
        raise NotVerified(
            _("%(buyer)s is not a verified buyer yet; verify it before inviting it.") % {"buyer": buyer.name},
            field="buyer",
        )
    kind = FairParticipant.Kind.SME if company is not None else FairParticipant.Kind.BUYER
    lookup = {"company": company} if company is not None else {"buyer": buyer}
    participant, created = FairParticipant.objects.get_or_create(
        fair=fair, **lookup, defaults={"kind": kind, "invited_by": invited_by}
    )
    return participant, created


@transaction.atomic
def participants_invite(
    *, fair: ConsultationFair, invited_by, companies: Iterable[Company] = (), buyers: Iterable[BuyerOrganisation] = ()
) -> list[FairParticipant]:
    """Invite SMEs and verified buyers; all or nothing (one unverified buyer refuses the lot).
    Someone already invited is left as is. Returns the newly invited, whom the invitation email
    goes to after commit."""
    require_staff(invited_by, _("invite participants"))
    require_phase(fair, [FairPhase.REGISTRATION, FairPhase.REQUESTS_OPEN], _("invite participants"))
    invited = []
    for company in companies:
        participant, created = _invite_one(fair, company=company, invited_by=invited_by)
        if created:
            invited.append(participant)
    for buyer in buyers:
        participant, created = _invite_one(fair, buyer=buyer, invited_by=invited_by)
        if created:
            invited.append(participant)
    from . import emails, notifications

    ids = [p.pk for p in invited]

    def notify():
        notifications.notify_invitations(ids)
        emails.notify_invitations(ids)

    transaction.on_commit(notify)
    return invited


def invitation_candidates(fair: ConsultationFair) -> tuple[QuerySet, QuerySet]:
    """Whom "invite by filter" invites: published companies in the fair's sectors, and verified
    buyers from its target countries (any country when it names none)."""
    sectors = list(fair.sectors.all())
    companies = Company.objects.filter(status="published", sector__in=sectors)
    buyers = BuyerOrganisation.objects.filter(verification_state=VerificationState.VERIFIED)
    if fair.target_countries:
        buyers = buyers.filter(country__in=[str(c) for c in fair.target_countries])
    return companies, buyers


def participant_for_user(fair: ConsultationFair, user) -> FairParticipant | None:
    """The user's side in the fair: their company's or their buyer organisation's participation."""
    if getattr(user, "role", None) == Role.SME and user.company_id:
        return fair.participants.filter(company_id=user.company_id).first()
    if getattr(user, "role", None) == Role.BUYER and user.buyer_organisation_id:
        return fair.participants.filter(buyer_id=user.buyer_organisation_id).first()
    return None


def _require_own(participant: FairParticipant, user) -> None:
    """Only the participant's own people (or staff) answer for it."""
    if getattr(user, "role", None) == Role.STAFF:
        return
    own = (participant.kind == FairParticipant.Kind.SME and user.company_id == participant.company_id) or (
        participant.kind == FairParticipant.Kind.BUYER and user.buyer_organisation_id == participant.buyer_id
    )
    if not own:
        raise NotAllowed(_("You can only answer for your own company or organisation."))


@transaction.atomic
def invitation_respond(*, participant: FairParticipant, user, accept: bool) -> FairParticipant:
    _require_own(participant, user)
    participant = FairParticipant.objects.select_for_update().select_related("fair").get(pk=participant.pk)
    require_phase(participant.fair, [FairPhase.REGISTRATION, FairPhase.REQUESTS_OPEN], _("answer the invitation"))
    participant.status = ParticipantStatus.ACCEPTED if accept else ParticipantStatus.DECLINED
    participant.responded_at = timezone.now()
    participant.save(update_fields=["status", "responded_at"])
    return participant


@transaction.atomic
def participation_update(
    *,
    participant: FairParticipant,
    user,
    availability: list[tuple[datetime, datetime]] | None = None,
    meeting_cap: int | None = None,
    uses_video_room: bool | None = None,
    clear_cap: bool = False,
) -> FairParticipant:
    """Set a participant's availability windows (replacing them) and cap. Windows must lie inside
    the fair's days; an empty list means "whenever the fair runs"."""
    _require_own(participant, user)
    participant = FairParticipant.objects.select_for_update().select_related("fair").get(pk=participant.pk)
    fair = participant.fair
    require_phase(
        fair, [FairPhase.REGISTRATION, FairPhase.REQUESTS_OPEN, FairPhase.SCHEDULING], _("change availability")
    )
    if participant.status == ParticipantStatus.DECLINED:
        raise InvalidTransition(_("You declined this fair's invitation."), field="status")
    if meeting_cap is not None:
        if meeting_cap < 1:
            raise DomainError(_("The cap must be at least one meeting."), field="meeting_cap")
        participant.meeting_cap = meeting_cap
    elif clear_cap:
        participant.meeting_cap = None
    if uses_video_room is not None:
        participant.uses_video_room = uses_video_room
    participant.save(update_fields=["meeting_cap", "uses_video_room"])
    if availability is not None:
        windows = sorted(availability)
        for index, (starts, ends) in enumerate(windows):
            field = f"availability[{index}]"
            if timezone.is_naive(starts) or timezone.is_naive(ends):
                raise DomainError(_("Availability times need a time zone."), field=field)
            if ends <= starts:
                raise DomainError(_("An availability window must end after it starts."), field=field)
            if fair.starts_on and fair.ends_on:
                first = timezone.make_aware(
                    datetime.combine(fair.starts_on, time()), timezone.get_fixed_timezone(14 * 60)
                )
                last = timezone.make_aware(
                    datetime.combine(fair.ends_on, time(23, 59)), timezone.get_fixed_timezone(-12 * 60)
                )
                if ends <= first or starts >= last:
                    raise DomainError(_("This window lies outside the fair's dates."), field=field)
        participant.availability.all().delete()
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(participant=participant, starts_at=s, ends_at=e) for s, e in windows
        )
    return participant


def participant_cap(participant: FairParticipant) -> int:
    return participant.meeting_cap or participant.fair.default_meeting_cap


# --- interpreters -------------------------------------------------------------------------------------


@transaction.atomic
def interpreter_save(
    *,
    saved_by,
    name: str,
    languages: list[str],
    email: str = "",
    availability: list[tuple[datetime, datetime]] | None = None,
    interpreter: Interpreter | None = None,
    is_active: bool = True,
) -> Interpreter:
    """Register or change an interpreter: languages (ISO 639-1) and availability (replacing it)."""
    require_staff(saved_by, _("manage interpreters"))
    if not languages:
        raise DomainError(_("An interpreter speaks at least one language."), field="languages")
    interpreter = interpreter or Interpreter()
    interpreter.name, interpreter.email, interpreter.is_active = name, email, is_active
    interpreter.languages = sorted({code.strip().lower() for code in languages})
    interpreter.full_clean(exclude=["user"])
    interpreter.save()
    if availability is not None:
        for index, (starts, ends) in enumerate(availability):
            if ends <= starts:
                raise DomainError(_("An availability window must end after it starts."), field=f"availability[{index}]")
        interpreter.availability.all().delete()
        InterpreterAvailability.objects.bulk_create(
            InterpreterAvailability(interpreter=interpreter, starts_at=s, ends_at=e) for s, e in sorted(availability)
        )
    return interpreter


def participants_invite_from_table(*, fair: ConsultationFair, invited_by, file) -> list[FairParticipant]:
    """Invite from a CSV or XLSX file with a column `business_registration_number` (SMEs) and/or
    `buyer_email` (a buyer organisation's contact email). All or nothing: any unknown or
    unverified row rejects the file with a row-by-row report."""
    from catalog.imports import ImportRejected, RowError
    from tradeon.tabular import read_table

    require_staff(invited_by, _("invite participants"))
    table = read_table(file, max_bytes=5 * 1_048_576, max_rows=20_000)
    columns = {name: index for index, name in enumerate(table.header)}
    if "business_registration_number" not in columns and "buyer_email" not in columns:
        raise ImportRejected(
            [RowError(None, None, "The file needs a column business_registration_number or buyer_email.")]
        )
    errors, companies, buyers = [], [], []

    def cell(cells, name):
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for row, cells in table.rows:
        digits = "".join(ch for ch in cell(cells, "business_registration_number") if ch.isdigit())
        # Stored as written on the certificate, 123-45-67890; accept it with or without dashes.
        brn = f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits
        email = cell(cells, "buyer_email")
        if brn:
            company = Company.objects.filter(business_registration_number=brn).first()
            if company is None:
                errors.append(RowError(row, "business_registration_number", f"No company has number {brn}."))
            else:
                companies.append(company)
        if email:
            buyer = BuyerOrganisation.objects.filter(contact_email__iexact=email).first()
            if buyer is None:
                errors.append(RowError(row, "buyer_email", f"No buyer organisation has contact email {email}."))
            elif buyer.verification_state != VerificationState.VERIFIED:
                errors.append(RowError(row, "buyer_email", f"{buyer.name} is not verified yet."))
            else:
                buyers.append(buyer)
        if not brn and not email:
            errors.append(RowError(row, None, "The row names neither a company nor a buyer."))
    if errors:
        raise ImportRejected(errors[:50], error_count=len(errors))
    return participants_invite(fair=fair, invited_by=invited_by, companies=companies, buyers=buyers)
