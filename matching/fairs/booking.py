"""Booking meetings: the one way a meeting is written. Staff add, move, swap and cancel meetings
here, and the scheduler run stores its draft through `drafts_replace`.

Every write checks first, on SQLite and PostgreSQL alike, and says who clashes: nobody (SME or
buyer, in any fair), no video room and no interpreter in two meetings at once; the time is one of
the fair's slots; both sides are accepted participants; the room is one of the fair's and is there
when the SME sits in one; an interpreter who speaks both sides' languages when they share none;
caps; the parties' availability windows and business hours in their own time zones (the one rule
staff may override, with `force=True`). On PostgreSQL the exclusion constraints of migration 0004
then refuse whatever a concurrent booking slipped past the check; that refusal becomes a
`Conflict` (409) naming what was double-booked.

Edits of one fair are serialised on the fair's row (`select_for_update`), so caps, which no
constraint guards, hold under concurrency too, and a scheduler run cannot store its draft over an
edit made while it solved. Once a meeting is published, every change raises its calendar
`sequence` and tells its parties after commit.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers.models import BuyerOrganisation
from catalog.models import Company
from matching import scheduler
from matching.scheduler import SEOUL
from tradeon.errors import Conflict, DomainError, InvalidTransition

from ..models import (
    BOOKED_STATUSES,
    ConsultationFair,
    FairParticipant,
    FairPhase,
    Interpreter,
    MatchingRun,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Pairing,
    ParticipantStatus,
    RequestStatus,
    VideoRoom,
)
from .setup import participant_cap, require_phase, require_staff

SME_TIME_ZONE = "Asia/Seoul"
# Whom a party speaks to when its profile names no language: a Seoul SME speaks Korean, a buyer
# is addressed in English.
DEFAULT_SME_LANGUAGES = frozenset({"ko"})
DEFAULT_BUYER_LANGUAGES = frozenset({"en"})
EDIT_PHASES = (FairPhase.SCHEDULING, FairPhase.PUBLISHED, FairPhase.LIVE)
# The constraints of migration 0004 and what each one guards.
DOUBLE_BOOKING_CONSTRAINTS = {
    "meeting_no_double_booking_company": "company",
    "meeting_no_double_booking_buyer": "buyer",
    "meeting_no_double_booking_room": "room",
    "meeting_no_double_booking_interpreter": "interpreter",
}


class _Keep:
    """The default of `meeting_move`'s room and interpreter: leave it as it is (None clears it)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


# --- the fair's slots and its parties -----------------------------------------------------------


def fair_days(fair: ConsultationFair) -> list[date]:
    if not (fair.starts_on and fair.ends_on):
        return []
    return [fair.starts_on + timedelta(days=n) for n in range((fair.ends_on - fair.starts_on).days + 1)]


def fair_slot_list(fair: ConsultationFair) -> list[scheduler.Slot]:
    """The fair's meeting slots in UTC: its days x its Seoul-time session windows, cut into
    meetings with breaks between them."""
    windows = [(w.opens_at, w.closes_at) for w in fair.session_windows.all()]
    return scheduler.fair_slots(fair_days(fair), windows, fair.meeting_minutes, fair.break_minutes)


def company_languages(company: Company) -> frozenset[str]:
    return frozenset(company.languages or ()) or DEFAULT_SME_LANGUAGES


def buyer_languages(buyer: BuyerOrganisation) -> frozenset[str]:
    return frozenset(buyer.languages or ()) or DEFAULT_BUYER_LANGUAGES


def needs_interpreter(company: Company, buyer: BuyerOrganisation) -> bool:
    return not (company_languages(company) & buyer_languages(buyer))


def interpreter_fits(interpreter: Interpreter, company: Company, buyer: BuyerOrganisation) -> bool:
    languages = frozenset(interpreter.languages or ())
    return bool(languages & company_languages(company)) and bool(languages & buyer_languages(buyer))


def fair_has_rooms(fair: ConsultationFair) -> bool:
    return fair.rooms.exists()


def needs_room(participant: FairParticipant, fair: ConsultationFair) -> bool:
    return participant.uses_video_room and fair_has_rooms(fair)


def seoul_text(starts_at: datetime, ends_at: datetime) -> str:
    """ "10:00-10:40 KST on 2026-03-02", the way staff read the schedule."""
    starts, ends = starts_at.astimezone(SEOUL), ends_at.astimezone(SEOUL)
    return _("%(starts)s-%(ends)s KST on %(day)s") % {
        "starts": f"{starts:%H:%M}",
        "ends": f"{ends:%H:%M}",
        "day": f"{starts:%Y-%m-%d}",
    }


def company_name(company: Company) -> str:
    return company.name_en or company.name_ko


# --- the checks --------------------------------------------------------------------------------


@dataclass
class _Proposal:
    """A meeting as it would be after the write."""

    fair: ConsultationFair
    company: Company
    buyer: BuyerOrganisation
    starts_at: datetime
    ends_at: datetime
    room: VideoRoom | None
    interpreter: Interpreter | None
    sme: FairParticipant
    buyer_side: FairParticipant


def _slot_at(fair: ConsultationFair, starts_at: datetime) -> scheduler.Slot:
    if starts_at is None or timezone.is_naive(starts_at):
        raise DomainError(_("Give the meeting's start with its time zone."), field="starts_at")
    slots = fair_slot_list(fair)
    for slot in slots:
        if slot.start == starts_at:
            return slot
    starts = starts_at.astimezone(SEOUL)
    examples = ", ".join(sorted({f"{s.start.astimezone(SEOUL):%H:%M}" for s in slots})[:8])
    raise DomainError(
        _("%(when)s KST is not one of the fair's slots (meetings start at %(examples)s KST on the fair's days).")
        % {"when": f"{starts:%Y-%m-%d %H:%M}", "examples": examples or _("no time: the fair has no slots")},
        field="starts_at",
    )


def _participants(
    fair: ConsultationFair, company: Company, buyer: BuyerOrganisation
) -> tuple[FairParticipant, FairParticipant]:
    rows = {
        (p.kind, p.company_id or p.buyer_id): p
        for p in FairParticipant.objects.filter(fair=fair)
        .filter(Q(company=company) | Q(buyer=buyer))
        .prefetch_related("availability")
    }
    sme = rows.get((FairParticipant.Kind.SME, company.pk))
    buyer_side = rows.get((FairParticipant.Kind.BUYER, buyer.pk))
    if sme is None or sme.status != ParticipantStatus.ACCEPTED:
        raise DomainError(
            _("%(company)s is not an accepted participant of this fair.") % {"company": company_name(company)},
            field="company",
        )
    if buyer_side is None or buyer_side.status != ParticipantStatus.ACCEPTED:
        raise DomainError(
            _("%(buyer)s is not an accepted participant of this fair.") % {"buyer": buyer.name}, field="buyer"
        )
    return sme, buyer_side


def _check_room_and_interpreter(p: _Proposal) -> None:
    company, buyer = p.company, p.buyer
    if p.room is not None:
        if not p.fair.rooms.filter(pk=p.room.pk).exists():
            raise DomainError(
                _("%(room)s is not one of this fair's video rooms.") % {"room": p.room.name}, field="room"
            )
        if not p.sme.uses_video_room:
            raise DomainError(
                _("%(company)s meets online from its own office; it takes no video room.")
                % {"company": company_name(company)},
                field="room",
            )
    elif needs_room(p.sme, p.fair):
        raise DomainError(
            _("%(company)s sits in one of the agency's video rooms: choose a room.")
            % {"company": company_name(company)},
            field="room",
        )
    if p.interpreter is not None:
        if not p.interpreter.is_active:
            raise DomainError(
                _("%(interpreter)s is not an active interpreter.") % {"interpreter": p.interpreter.name},
                field="interpreter",
            )
        if not interpreter_fits(p.interpreter, company, buyer):
            raise DomainError(
                _("%(interpreter)s (%(speaks)s) does not speak both %(buyer_langs)s and %(sme_langs)s.")
                % {
                    "interpreter": p.interpreter.name,
                    "speaks": "/".join(sorted(p.interpreter.languages)),
                    "buyer_langs": "/".join(sorted(buyer_languages(buyer))),
                    "sme_langs": "/".join(sorted(company_languages(company))),
                },
                field="interpreter",
            )
    elif needs_interpreter(company, buyer):
        raise DomainError(
            _(
                "%(company)s (%(sme_langs)s) and %(buyer)s (%(buyer_langs)s) share no language: choose an "
                "interpreter who speaks both."
            )
            % {
                "company": company_name(company),
                "sme_langs": "/".join(sorted(company_languages(company))),
                "buyer": buyer.name,
                "buyer_langs": "/".join(sorted(buyer_languages(buyer))),
            },
            field="interpreter",
        )


def _check_clashes(p: _Proposal, exclude: Iterable[int]) -> None:
    """Nobody, no room and no interpreter in two booked meetings at once, in any fair."""
    who = Q(company_id=p.company.pk) | Q(buyer_id=p.buyer.pk)
    if p.room is not None:
        who |= Q(room_id=p.room.pk)
    if p.interpreter is not None:
        who |= Q(interpreter_id=p.interpreter.pk)
    others = (
        Meeting.objects.filter(who, status__in=BOOKED_STATUSES, starts_at__lt=p.ends_at, ends_at__gt=p.starts_at)
        .exclude(pk__in=list(exclude))
        .select_related("company", "buyer", "room", "interpreter")
        .order_by("starts_at", "id")
    )
    for other in others:
        when = seoul_text(other.starts_at, other.ends_at)
        if other.company_id == p.company.pk:
            raise Conflict(
                _("%(who)s already has a meeting %(when)s (with %(other)s).")
                % {"who": company_name(p.company), "when": when, "other": other.buyer.name},
                field="company",
            )
        if other.buyer_id == p.buyer.pk:
            raise Conflict(
                _("%(who)s already has a meeting %(when)s (with %(other)s).")
                % {"who": p.buyer.name, "when": when, "other": company_name(other.company)},
                field="buyer",
            )
        if p.room is not None and other.room_id == p.room.pk:
            raise Conflict(
                _("%(room)s is already taken %(when)s (%(company)s with %(buyer)s).")
                % {
                    "room": p.room.name,
                    "when": when,
                    "company": company_name(other.company),
                    "buyer": other.buyer.name,
                },
                field="room",
            )
        if p.interpreter is not None and other.interpreter_id == p.interpreter.pk:
            raise Conflict(
                _("%(interpreter)s is already interpreting %(when)s (%(company)s with %(buyer)s).")
                % {
                    "interpreter": p.interpreter.name,
                    "when": when,
                    "company": company_name(other.company),
                    "buyer": other.buyer.name,
                },
                field="interpreter",
            )


def _check_caps(p: _Proposal) -> None:
    booked = Meeting.objects.filter(fair=p.fair, status__in=BOOKED_STATUSES)
    for participant, lookup, name, field in (
        (p.sme, {"company": p.company}, company_name(p.company), "company"),
        (p.buyer_side, {"buyer": p.buyer}, p.buyer.name, "buyer"),
    ):
        cap = participant_cap(participant)
        if booked.filter(**lookup).count() >= cap:
            raise Conflict(
                _("%(who)s already has its maximum of %(cap)s meetings in this fair.") % {"who": name, "cap": cap},
                field=field,
            )


def _hours_text(fair: ConsultationFair) -> str:
    return f"{fair.local_hours_from:02d}:00-{fair.local_hours_to:02d}:00"


def _check_times(p: _Proposal) -> None:
    """Availability windows and business hours (Monday to Friday, the fair's local hours) in
    each party's own time zone, converted on the meeting's date: the one check staff may override."""
    slot = scheduler.Slot(p.starts_at, p.ends_at)
    hours = (p.fair.local_hours_from, p.fair.local_hours_to)
    for participant, name, zone, field in (
        (p.sme, company_name(p.company), SME_TIME_ZONE, "company"),
        (p.buyer_side, p.buyer.name, p.buyer.time_zone or "UTC", "buyer"),
    ):
        windows = list(participant.availability.all())
        if windows and not any(w.starts_at <= p.starts_at and p.ends_at <= w.ends_at for w in windows):
            raise DomainError(
                _("%(who)s is not available %(when)s (outside its availability windows).")
                % {"who": name, "when": seoul_text(p.starts_at, p.ends_at)},
                field=field,
            )
        if not scheduler.business_hours_mask([slot], zone, hours)[0]:
            local = p.starts_at.astimezone(ZoneInfo(zone))
            local_end = p.ends_at.astimezone(ZoneInfo(zone))
            raise DomainError(
                _(
                    "%(when)s is %(local)s-%(local_end)s on a %(weekday)s for %(who)s (%(zone)s): outside "
                    "business hours (%(hours)s, Monday to Friday)."
                )
                % {
                    "when": seoul_text(p.starts_at, p.ends_at),
                    "local": f"{local:%H:%M}",
                    "local_end": f"{local_end:%H:%M}",
                    "weekday": f"{local:%A}",
                    "who": name,
                    "zone": zone,
                    "hours": _hours_text(p.fair),
                },
                field=field,
            )
    if p.interpreter is not None:
        windows = interpreter_windows(p.interpreter, p.fair)
        if windows is not None and not any(s <= p.starts_at and p.ends_at <= e for s, e in windows):
            raise DomainError(
                _("%(interpreter)s is not available %(when)s.")
                % {"interpreter": p.interpreter.name, "when": seoul_text(p.starts_at, p.ends_at)},
                field="interpreter",
            )


def interpreter_windows(interpreter: Interpreter, fair: ConsultationFair) -> list[tuple[datetime, datetime]] | None:
    """The interpreter's availability during the fair, or None when it gave none for the fair's
    dates (then it is available throughout)."""
    days = fair_days(fair)
    if not days:
        return None
    # A day either side: Seoul's day starts 9 hours before UTC's.
    first = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(), SEOUL)
    last = datetime.combine(days[-1] + timedelta(days=2), datetime.min.time(), SEOUL)
    windows = [
        (w.starts_at, w.ends_at) for w in interpreter.availability.all() if w.starts_at < last and w.ends_at > first
    ]
    return windows or None


def _check(p: _Proposal, *, exclude: Iterable[int] = (), force: bool = False, caps: bool = True) -> None:
    _check_room_and_interpreter(p)
    _check_clashes(p, exclude)  # never overridable
    if caps:
        _check_caps(p)
    if not force:
        _check_times(p)


# --- the database's word -----------------------------------------------------------------------


def _constraint_name(exc: IntegrityError) -> str | None:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None)


def _double_booked(exc: IntegrityError, proposals: Iterable[_Proposal]) -> Conflict | None:
    """The Conflict a refused exclusion constraint stands for (a booking that raced ours), or None
    for any other integrity error."""
    kind = DOUBLE_BOOKING_CONSTRAINTS.get(_constraint_name(exc) or "")
    if kind is None:
        return None
    names = []
    for p in proposals:
        subject = {
            "company": company_name(p.company),
            "buyer": p.buyer.name,
            "room": p.room.name if p.room else None,
            "interpreter": p.interpreter.name if p.interpreter else None,
        }[kind]
        if subject and subject not in names:
            names.append(subject)
    return Conflict(
        _(
            "%(who)s was booked for an overlapping time by another change at the same moment; reload the "
            "schedule and try again."
        )
        % {"who": " / ".join(names) or kind},
        field=kind,
    )


def _write(proposals_of, write):
    """Run `write()` in a transaction; a double booking the database refuses becomes a Conflict."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        conflict = _double_booked(exc, proposals_of())
        if conflict is None:
            raise
        raise conflict from exc


def _lock_fair(fair: ConsultationFair) -> ConsultationFair:
    return ConsultationFair.objects.select_for_update().get(pk=fair.pk)


def _changed(meeting: Meeting) -> None:
    """A published meeting's calendar event moves to its next version; its parties hear after commit."""
    if meeting.published_at is None:
        return
    meeting.sequence += 1
    meeting_id = meeting.pk

    def notify():
        from . import emails, notifications

        notifications.notify_meeting_changed(meeting_id)
        emails.notify_meeting_changed(meeting_id)

    transaction.on_commit(notify)


def _pair_score_and_request(fair: ConsultationFair, company: Company, buyer: BuyerOrganisation):
    request = (
        MeetingRequest.objects.filter(fair=fair, company=company, buyer=buyer, status=RequestStatus.ACCEPTED)
        .order_by("-id")
        .first()
    )
    score = request.score if request is not None and request.score is not None else None
    if score is None:
        score = (
            Pairing.objects.filter(run__fair=fair, run__status=MatchingRun.Status.ACTIVE, company=company, buyer=buyer)
            .values_list("score", flat=True)
            .first()
        )
    return request, float(score or 0.0)


# --- the services ------------------------------------------------------------------------------


def meeting_add(
    *,
    fair: ConsultationFair,
    added_by,
    company: Company,
    buyer: BuyerOrganisation,
    starts_at: datetime,
    room: VideoRoom | None = None,
    interpreter: Interpreter | None = None,
    force: bool = False,
) -> Meeting:
    """Staff book a meeting of an SME and a buyer at one of the fair's slots. A draft while the
    fair is being scheduled; once published, a scheduled meeting its parties hear of at once."""
    require_staff(added_by, _("book meetings"))
    proposal: list[_Proposal] = []

    def write() -> Meeting:
        locked = _lock_fair(fair)
        require_phase(locked, EDIT_PHASES, _("book meetings"))
        slot = _slot_at(locked, starts_at)
        sme, buyer_side = _participants(locked, company, buyer)
        p = _Proposal(locked, company, buyer, slot.start, slot.end, room, interpreter, sme, buyer_side)
        proposal.append(p)
        if Meeting.objects.filter(fair=locked, company=company, buyer=buyer, status__in=BOOKED_STATUSES).exists():
            raise Conflict(
                _("%(company)s and %(buyer)s already have a meeting in this fair; move it instead.")
                % {"company": company_name(company), "buyer": buyer.name},
                field="buyer",
            )
        _check(p, force=force)
        request, score = _pair_score_and_request(locked, company, buyer)
        published = locked.phase != FairPhase.SCHEDULING
        meeting = Meeting.objects.create(
            fair=locked,
            company=company,
            buyer=buyer,
            request=request,
            source=Meeting.Source.STAFF,
            starts_at=slot.start,
            ends_at=slot.end,
            room=room,
            interpreter=interpreter,
            status=MeetingStatus.SCHEDULED if published else MeetingStatus.DRAFT,
            published_at=timezone.now() if published else None,
            score=score,
        )
        if published:
            # The parties hear of a meeting added to a published schedule like of a change.
            meeting_id = meeting.pk

            def notify():
                from . import emails, notifications

                notifications.notify_meeting_added(meeting_id)
                emails.notify_meeting_changed(meeting_id)

            transaction.on_commit(notify)
        return meeting

    return _write(lambda: proposal, write)


def _editable(meeting: Meeting, user, action: str) -> tuple[ConsultationFair, Meeting]:
    fair = _lock_fair(meeting.fair)
    require_phase(fair, EDIT_PHASES, action)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("company", "buyer", "room", "interpreter")
        .get(pk=meeting.pk)
    )
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidTransition(_("This meeting is cancelled; book a new one instead."), field="status")
    return fair, meeting


def meeting_move(
    *,
    meeting: Meeting,
    moved_by,
    starts_at: datetime | None = None,
    room=KEEP,
    interpreter=KEEP,
    force: bool = False,
) -> Meeting:
    """Move a meeting to another slot and/or room or interpreter (None clears the room or the
    interpreter; leaving them out keeps them). A draft meeting staff move becomes theirs
    (source "staff"), which a new scheduler run keeps where staff put it."""
    require_staff(moved_by, _("move meetings"))
    proposal: list[_Proposal] = []

    def write() -> Meeting:
        fair, locked = _editable(meeting, moved_by, _("move meetings"))
        slot = _slot_at(fair, starts_at) if starts_at is not None else scheduler.Slot(locked.starts_at, locked.ends_at)
        new_room = locked.room if room is KEEP else room
        new_interpreter = locked.interpreter if interpreter is KEEP else interpreter
        if (slot.start, slot.end, getattr(new_room, "pk", None), getattr(new_interpreter, "pk", None)) == (
            locked.starts_at,
            locked.ends_at,
            locked.room_id,
            locked.interpreter_id,
        ):
            raise DomainError(_("Nothing to change: the meeting is already there."), field="starts_at")
        sme, buyer_side = _participants(fair, locked.company, locked.buyer)
        p = _Proposal(
            fair, locked.company, locked.buyer, slot.start, slot.end, new_room, new_interpreter, sme, buyer_side
        )
        proposal.append(p)
        _check(p, exclude=[locked.pk], force=force, caps=False)
        locked.starts_at, locked.ends_at = slot.start, slot.end
        locked.room, locked.interpreter = new_room, new_interpreter
        if locked.status == MeetingStatus.DRAFT:
            locked.source = Meeting.Source.STAFF
        _changed(locked)
        locked.save()
        return locked

    return _write(lambda: proposal, write)


def _defer_double_booking(deferred: bool) -> None:
    """PostgreSQL checks the exclusion constraints at each statement; a swap passes through a
    state where the two meetings overlap, so check them at the end instead. Setting them back to
    IMMEDIATE checks what was deferred right then, inside our error handling."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(DOUBLE_BOOKING_CONSTRAINTS)
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {names} {'DEFERRED' if deferred else 'IMMEDIATE'}")


def meeting_swap(*, meeting: Meeting, other: Meeting, swapped_by, force: bool = False) -> tuple[Meeting, Meeting]:
    """Two meetings of a fair exchange their times and rooms (each keeps its interpreter, who
    speaks its languages). A meeting whose SME sits in a room and gets none from the other keeps
    its own room."""
    require_staff(swapped_by, _("swap meetings"))
    if meeting.pk == other.pk:
        raise DomainError(_("Choose two different meetings to swap."), field="other")
    if meeting.fair_id != other.fair_id:
        raise DomainError(_("Both meetings must belong to the same fair."), field="other")
    proposals: list[_Proposal] = []

    def write() -> tuple[Meeting, Meeting]:
        # Lock both in id order, so two opposite swaps cannot deadlock.
        first, second = sorted([meeting, other], key=lambda m: m.pk)
        fair, a = _editable(first, swapped_by, _("swap meetings"))
        _fair, b = _editable(second, swapped_by, _("swap meetings"))
        if (a.starts_at, a.room_id) == (b.starts_at, b.room_id):
            raise DomainError(_("These meetings are at the same time in the same room."), field="other")
        planned = []
        for this, that in ((a, b), (b, a)):
            sme, buyer_side = _participants(fair, this.company, this.buyer)
            wants_room = needs_room(sme, fair)
            new_room = that.room if wants_room and that.room is not None else (this.room if wants_room else None)
            p = _Proposal(
                fair,
                this.company,
                this.buyer,
                that.starts_at,
                that.ends_at,
                new_room,
                this.interpreter,
                sme,
                buyer_side,
            )
            proposals.append(p)
            planned.append((this, p))
        for _meeting, p in planned:
            _check(p, exclude=[a.pk, b.pk], force=force, caps=False)
        (a_new, b_new) = (planned[0][1], planned[1][1])
        same_room = a_new.room is not None and b_new.room is not None and a_new.room.pk == b_new.room.pk
        if same_room and a_new.starts_at < b_new.ends_at and b_new.starts_at < a_new.ends_at:
            raise Conflict(_("Both meetings would be in %(room)s at once.") % {"room": a_new.room.name}, field="room")
        _defer_double_booking(True)
        for this, p in planned:
            this.starts_at, this.ends_at, this.room = p.starts_at, p.ends_at, p.room
            if this.status == MeetingStatus.DRAFT:
                this.source = Meeting.Source.STAFF
            _changed(this)
            this.save()
        _defer_double_booking(False)
        return (a, b) if a.pk == meeting.pk else (b, a)

    return _write(lambda: proposals, write)


def meeting_cancel(*, meeting: Meeting, cancelled_by, reason: str) -> Meeting:
    """Cancel a meeting (it frees its people, room and interpreter). The reason goes to the
    parties of a published meeting; a cancelled draft stays cancelled when the scheduler runs again."""
    require_staff(cancelled_by, _("cancel meetings"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the meeting is cancelled."), field="reason")
    if len(reason) > 300:
        raise DomainError(_("Keep the reason under 300 characters."), field="reason")

    @transaction.atomic
    def write() -> Meeting:
        _fair, locked = _editable(meeting, cancelled_by, _("cancel meetings"))
        locked.status = MeetingStatus.CANCELLED
        locked.cancel_reason = reason
        _changed(locked)
        locked.save()
        return locked

    return write()


# --- the scheduler's draft ---------------------------------------------------------------------

# Meetings a new scheduler run replaces: the drafts it placed itself. Staff's own (added, moved,
# swapped) and cancelled ones stay.
REPLACEABLE = Q(status=MeetingStatus.DRAFT, source__in=[Meeting.Source.REQUEST, Meeting.Source.PROPOSAL])


def kept_meetings_signature(fair: ConsultationFair) -> list[tuple]:
    """What a run must find unchanged when it stores its draft: the meetings it planned around."""
    return list(
        Meeting.objects.filter(fair=fair)
        .exclude(REPLACEABLE)
        .order_by("pk")
        .values_list("pk", "status", "starts_at", "room_id", "interpreter_id")
    )


@transaction.atomic
def drafts_replace(*, fair: ConsultationFair, meetings: list[Meeting], planned_around: list[tuple]) -> list[Meeting]:
    """Store a scheduler run's draft: the fair's replaceable drafts go, the new ones come, in one
    transaction. Refused when the fair left the scheduling phase or staff changed the schedule
    while the solver ran (its answer was planned around the old one)."""
    locked = _lock_fair(fair)
    require_phase(locked, [FairPhase.SCHEDULING], _("store a draft schedule"))
    if kept_meetings_signature(locked) != planned_around:
        raise Conflict(
            _("Staff changed the schedule while the scheduler ran; run it again to plan around the changes."),
            field="fair",
        )
    Meeting.objects.filter(REPLACEABLE, fair=locked).delete()
    for meeting in meetings:
        meeting.fair = locked
        meeting.status = MeetingStatus.DRAFT
    try:
        with transaction.atomic():
            return Meeting.objects.bulk_create(meetings)
    except IntegrityError as exc:
        kind = DOUBLE_BOOKING_CONSTRAINTS.get(_constraint_name(exc) or "")
        if kind is None:
            raise
        # Another fair's booking took the same people, room or interpreter while the solver ran.
        raise Conflict(
            _("A %(kind)s the scheduler used was booked elsewhere meanwhile; run the scheduler again.")
            % {"kind": kind},
            field=kind,
        ) from exc
