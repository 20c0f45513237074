"""The fair day, live: attendance in each meeting's video room drives the meeting's state
(scheduled, waiting for a side, live, completed, no-show), which the staff live board follows
over the fair's event stream ("fair.<id>").

Every state change is stored on the meeting and published as a "meeting" event carrying the
meeting's board row, so a board that reconnects catches up by sequence number and shows exactly
what the server holds. States that change with the clock alone (a meeting starts with nobody in
the room, a party is N minutes late, the slot ends) are brought up to date by `live_tick`, which
Celery beat runs every minute and an open staff board runs for its fair.

On the day staff also see standby suggestions for a no-show candidate's slot and re-assign the
slot in one action (`slot_reassign`), change the no-show delay, and send announcements."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers.models import BuyerOrganisation, VerificationState
from catalog.models import Company
from matching.scheduler import SEOUL
from realtime import services as realtime
from realtime.models import Event, Stream
from realtime.streams import fair_stream
from tradeon.accounts.models import Role, User
from tradeon.errors import Conflict, DomainError, InvalidTransition

from ..models import (
    BOOKED_STATUSES,
    ConsultationFair,
    FairParticipant,
    FairPhase,
    Interpreter,
    LiveState,
    MatchingRun,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    PairDecision,
    Pairing,
    ParticipantStatus,
    RoomSide,
    VideoRoom,
)
from . import booking, notifications
from .booking import company_name
from .setup import participant_cap, require_phase, require_staff

PARTY_SIDES = (RoomSide.SME, RoomSide.BUYER)
# The phases in which a fair's day runs (meetings are published and may be happening).
DAY_PHASES = (FairPhase.PUBLISHED, FairPhase.LIVE)
# States no clock can change any more: a live meeting stays live while both sides are in, and
# a completed or no-show one is over (only attendance can move them, and attendance updates them).
_SETTLED = (LiveState.LIVE, LiveState.COMPLETED, LiveState.NO_SHOW)
# How far back the tick looks for meetings that may still change: a day, so a tick that was not
# running for a while (a stopped beat) still settles the meetings of the day.
TICK_LOOKBACK = timedelta(days=1)
NO_SHOW_MINUTES_RANGE = (1, 60)
ANNOUNCEMENT_MAX_LENGTH = 500
# Announcements a board shows when it opens (the newest first).
BOARD_ANNOUNCEMENTS = 10


def _now() -> datetime:
    """The clock of this module (one place, so tests can set the time of the fair day)."""
    return timezone.now()


# --- the state of one meeting -------------------------------------------------------------------


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def together_seconds(attendance: list[MeetingAttendance], now: datetime) -> int:
    """Seconds the SME side and the buyer side were in the room at the same time."""
    by_side = {
        side: _merged([(a.joined_at, a.left_at or now) for a in attendance if a.side == side]) for side in PARTY_SIDES
    }
    total = 0.0
    for a_start, a_end in by_side[RoomSide.SME]:
        for b_start, b_end in by_side[RoomSide.BUYER]:
            overlap = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
            total += max(overlap, 0.0)
    return int(total)


def first_together(attendance: list[MeetingAttendance], now: datetime) -> datetime | None:
    """The first moment the SME side and the buyer side were both in the room, if ever."""
    by_side = {
        side: _merged([(a.joined_at, a.left_at or now) for a in attendance if a.side == side]) for side in PARTY_SIDES
    }
    starts = [
        max(a_start, b_start)
        for a_start, a_end in by_side[RoomSide.SME]
        for b_start, b_end in by_side[RoomSide.BUYER]
        if max(a_start, b_start) < min(a_end, b_end) or (a_end == now and b_end == now)
    ]
    return min(starts, default=None)


def state_of(meeting: Meeting, attendance: list[MeetingAttendance], now: datetime) -> dict:
    """What the meeting's live fields should be now, from its attendance and the clock."""
    present = {a.side for a in attendance if a.left_at is None and a.side in PARTY_SIDES}
    joined = {a.side for a in attendance if a.side in PARTY_SIDES}
    # When both sides were first in the room together: as observed, or else from the intervals
    # (attendance recorded after the fact, or a change a crashed process never stored).
    started_at = meeting.live_started_at or first_together(attendance, now)
    missing = [side for side in PARTY_SIDES if side not in present]
    ended_at = meeting.live_ended_at
    no_show_side = ""
    if not missing:
        state = LiveState.LIVE
        ended_at = None  # back in the room together after a pause: not ended (yet)
    elif started_at is not None and (now >= meeting.ends_at or not present):
        state = LiveState.COMPLETED
        ended_at = max((a.left_at for a in attendance if a.left_at is not None), default=now)
    elif started_at is None and now >= meeting.ends_at:
        state = LiveState.NO_SHOW
        no_show_side = _side_label([side for side in PARTY_SIDES if side not in joined] or missing)
    else:
        if len(missing) == 2:
            state = LiveState.SCHEDULED if now < meeting.starts_at else LiveState.WAITING
        else:
            state = LiveState.WAITING_BUYER if missing == [RoomSide.BUYER] else LiveState.WAITING_SME
        if started_at is None and now >= no_show_at(meeting):
            no_show_side = _side_label([side for side in PARTY_SIDES if side not in joined])
    return {
        "live_state": state,
        "no_show_side": no_show_side,
        "live_started_at": started_at,
        "live_ended_at": ended_at,
        "attended_seconds": together_seconds(attendance, min(now, meeting.ends_at) if state != LiveState.LIVE else now),
    }


def no_show_at(meeting: Meeting) -> datetime:
    """When a party not yet in the room makes the meeting a no-show candidate."""
    return meeting.starts_at + timedelta(minutes=meeting.fair.no_show_after_minutes)


def _side_label(sides: list[str]) -> str:
    if len(sides) == 2:
        return "both"
    return sides[0] if sides else ""


def absent_sides(meeting: Meeting) -> list[str]:
    """The sides a no-show candidate (or no-show) is missing: [], ["sme"], ["buyer"] or both."""
    if meeting.no_show_side == "both":
        return list(PARTY_SIDES)
    return [meeting.no_show_side] if meeting.no_show_side else []


def board_state(meeting: Meeting) -> str:
    """What the board shows: the live state, or "cancelled" for a cancelled meeting."""
    return "cancelled" if meeting.status == MeetingStatus.CANCELLED else meeting.live_state


def board_row(meeting: Meeting, present: set[str] | None = None) -> dict:
    """The meeting as the live board shows it (also the data of its "meeting" events). `present`
    holds the party sides in the room now (read from the attendance when not given)."""
    if present is None:
        present = set(
            meeting.attendance.filter(left_at__isnull=True, side__in=PARTY_SIDES)
            .values_list("side", flat=True)
            .distinct()
        )
    cancelled = meeting.status == MeetingStatus.CANCELLED
    return {
        "id": meeting.pk,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "status": meeting.status,
        "live_state": meeting.live_state,
        "board_state": board_state(meeting),
        "no_show_side": meeting.no_show_side,
        # A no-show candidate: a party missing past the no-show time while the slot still runs.
        "no_show_candidate": bool(meeting.no_show_side) and not cancelled and meeting.live_state != LiveState.NO_SHOW,
        "no_show_at": no_show_at(meeting).isoformat(),
        "present": sorted(present),
        "company": {"id": meeting.company_id, "name": company_name(meeting.company)},
        "buyer": {"id": meeting.buyer_id, "name": meeting.buyer.name, "country": str(meeting.buyer.country)},
        "room": meeting.room.name if meeting.room_id else None,
        "interpreter": meeting.interpreter.name if meeting.interpreter_id else None,
        "source": meeting.source,
        "attended_seconds": meeting.attended_seconds,
        "live_started_at": meeting.live_started_at.isoformat() if meeting.live_started_at else None,
        "cancel_reason": meeting.cancel_reason,
        "replaced_by": meeting.replaced_by_id,
    }


def _publish_row(meeting: Meeting, present: set[str] | None = None) -> None:
    realtime.event_publish(fair_stream(meeting.fair_id), "meeting", board_row(meeting, present))


def meeting_state_update(meeting: Meeting, *, now: datetime | None = None) -> bool:
    """Bring the stored live fields of a (locked or freshly read) meeting up to date; publish a
    "meeting" event on the fair's stream when they changed. Returns whether they changed."""
    now = now or _now()
    if meeting.status != MeetingStatus.SCHEDULED:
        return False
    attendance = list(meeting.attendance.all())
    new = state_of(meeting, attendance, now)
    changed = any(getattr(meeting, name) != value for name, value in new.items() if name != "attended_seconds")
    if not changed and new["attended_seconds"] == meeting.attended_seconds:
        return False
    for name, value in new.items():
        setattr(meeting, name, value)
    meeting.save(update_fields=[*new.keys(), "updated_at"])
    if changed:
        present = {a.side for a in attendance if a.left_at is None and a.side in PARTY_SIDES}
        _publish_row(meeting, present)
    return changed


def _locked(meeting_id: int) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("fair", "company", "buyer", "room", "interpreter")
        .get(pk=meeting_id)
    )


# --- attendance -----------------------------------------------------------------------------------


def attendance_join(*, meeting: Meeting, user, side: str, channel_name: str) -> MeetingAttendance:
    """Someone entered the meeting's room (one websocket connection). The first time a party
    side enters, the other side's people are told ("the buyer has joined")."""
    with transaction.atomic():
        locked = _locked(meeting.pk)
        now = _now()
        first_time = side in PARTY_SIDES and not locked.attendance.filter(side=side).exists()
        attendance = MeetingAttendance.objects.create(
            meeting=locked, user=user, side=side, channel_name=channel_name, joined_at=now
        )
        meeting_state_update(locked, now=now)
        if first_time:
            transaction.on_commit(lambda: notifications.notify_party_joined(locked.pk, side))
    return attendance


def attendance_leave(*, attendance_id: int) -> None:
    """That connection closed: the attendance ends and the meeting's state follows."""
    with transaction.atomic():
        attendance = MeetingAttendance.objects.filter(pk=attendance_id, left_at__isnull=True).first()
        if attendance is None:
            return
        locked = _locked(attendance.meeting_id)
        now = _now()
        # Only an open attendance closes: two leaves of one connection at once end it once.
        if not MeetingAttendance.objects.filter(pk=attendance_id, left_at__isnull=True).update(left_at=now):
            return
        meeting_state_update(locked, now=now)


# --- the clock ------------------------------------------------------------------------------------


def _fairs_of_the_day(now: datetime):
    today = now.astimezone(SEOUL).date()
    one_day = timedelta(days=1)
    return ConsultationFair.objects.filter(
        phase__in=DAY_PHASES, starts_on__lte=today + one_day, ends_on__gte=today - one_day
    )


def _fair_tick(fair_id: int, now: datetime) -> int:
    """Clock-driven state changes of one fair's meetings; returns how many changed. One read of
    the meetings that may change (with their attendance); only those that do are locked and
    written, so a tick over a quiet fair writes nothing."""
    meetings = (
        Meeting.objects.filter(
            fair_id=fair_id, status=MeetingStatus.SCHEDULED, starts_at__lte=now, starts_at__gt=now - TICK_LOOKBACK
        )
        .exclude(live_state__in=_SETTLED)
        .select_related("fair")
        .prefetch_related("attendance")
    )
    changed = 0
    for meeting in meetings:
        new = state_of(meeting, list(meeting.attendance.all()), now)
        if all(getattr(meeting, name) == value for name, value in new.items() if name != "attended_seconds"):
            continue
        # Re-read under the row lock and decide again: a second ticker running at the same moment
        # (beat and an open board, or two workers) waits here, then finds the change already
        # stored and publishes nothing, so each change is published once.
        with transaction.atomic():
            if meeting_state_update(_locked(meeting.pk), now=now):
                changed += 1
    return changed


def live_tick(now: datetime | None = None, *, fair: ConsultationFair | None = None) -> int:
    """Bring clock-driven meeting states up to date for the fairs whose day it is (published or
    live, today in Seoul give or take a day), drop stale lobby presence, and send the "starts
    soon" notices. With `fair`, that fair only (an open board's tick). Returns how many meetings
    changed. Safe to run twice, or twice at once."""
    now = now or _now()
    fairs = _fairs_of_the_day(now)
    if fair is not None:
        fairs = fairs.filter(pk=fair.pk)
    changed = 0
    for fair_id in fairs.values_list("pk", flat=True):
        changed += _fair_tick(fair_id, now)
        realtime.presence_sweep(fair_stream(fair_id))
    notifications.notify_meetings_starting_soon(now)
    return changed


# --- the board ------------------------------------------------------------------------------------


def seoul_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), SEOUL)
    return start, start + timedelta(days=1)


def day_meetings(fair: ConsultationFair, day: date):
    """The published meetings of the fair on a Seoul day (cancelled ones too), by start."""
    start, end = seoul_day_bounds(day)
    return (
        Meeting.objects.filter(
            fair=fair,
            status__in=[MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED],
            published_at__isnull=False,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("fair", "company", "buyer", "room", "interpreter")
        .order_by("starts_at", "id")
    )


def _present_by_meeting(meeting_ids: list[int]) -> dict[int, set[str]]:
    present: dict[int, set[str]] = {pk: set() for pk in meeting_ids}
    rows = MeetingAttendance.objects.filter(
        meeting_id__in=meeting_ids, left_at__isnull=True, side__in=PARTY_SIDES
    ).values_list("meeting_id", "side")
    for meeting_id, side in rows:
        present[meeting_id].add(side)
    return present


def _party_names(company_ids, buyer_ids) -> tuple[dict[int, str], dict[int, str]]:
    companies = {
        pk: en or ko
        for pk, en, ko in Company.objects.filter(pk__in=company_ids).values_list("pk", "name_en", "name_ko")
    }
    buyers = dict(BuyerOrganisation.objects.filter(pk__in=buyer_ids).values_list("pk", "name"))
    return companies, buyers


def lobby_list(fair: ConsultationFair) -> list[dict]:
    """Participants online on the fair's stream (staff and interpreters left out), with the name
    of the company or buyer they speak for."""
    online = [p for p in realtime.presence_online(fair_stream(fair.pk)) if p.get("role") != Role.STAFF]
    companies, buyers = _party_names({p["company"] for p in online}, {p["buyer"] for p in online})
    lobby = []
    for person in online:
        party = companies.get(person["company"]) if person["company"] else buyers.get(person["buyer"])
        lobby.append({**person, "party": party or ""})
    return sorted(lobby, key=lambda p: (p["party"].lower(), p["name"].lower()))


def _announcements(key: str) -> list[dict]:
    events = Event.objects.filter(stream__key=key, kind="announcement").order_by("-seq")[:BOARD_ANNOUNCEMENTS]
    return [{"seq": e.seq, "at": e.created_at.isoformat(), **e.data} for e in events]


def fair_day_list(fair: ConsultationFair) -> list[date]:
    return booking.fair_days(fair)


def board_snapshot(fair: ConsultationFair, *, now: datetime | None = None, day: date | None = None) -> dict:
    """Everything the live board shows for a fair's day (today in Seoul by default), with the
    fair stream's sequence number read before anything else: the events numbered above it apply
    on top of this snapshot cleanly (an event already reflected here just sets the same row)."""
    now = now or _now()
    key = fair_stream(fair.pk)
    seq = Stream.objects.filter(key=key).values_list("last_seq", flat=True).first() or 0
    fair = ConsultationFair.objects.prefetch_related("session_windows").get(pk=fair.pk)
    day = day or now.astimezone(SEOUL).date()
    start, end = seoul_day_bounds(day)
    all_slots = booking.fair_slot_list(fair)
    slots = [s for s in all_slots if start <= s.start < end]
    next_slot = next((s.start for s in all_slots if s.start > now), None)
    meetings = list(day_meetings(fair, day))
    present = _present_by_meeting([m.pk for m in meetings])
    rows = [board_row(m, present[m.pk]) for m in meetings]
    counts = dict.fromkeys([*LiveState.values, "cancelled"], 0)
    for row in rows:
        counts[row["board_state"]] += 1
    counts["no_show_candidates"] = sum(1 for row in rows if row["no_show_candidate"])
    accepted = FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED)
    companies, buyers = _party_names(
        accepted.filter(kind=FairParticipant.Kind.SME).values("company_id"),
        accepted.filter(kind=FairParticipant.Kind.BUYER).values("buyer_id"),
    )
    return {
        "fair": {
            "id": fair.pk,
            "name": fair.name,
            "phase": fair.phase,
            "phase_label": str(fair.get_phase_display()),
            "starts_on": fair.starts_on.isoformat() if fair.starts_on else None,
            "ends_on": fair.ends_on.isoformat() if fair.ends_on else None,
            "meeting_minutes": fair.meeting_minutes,
        },
        "stream": key,
        "seq": seq,
        "server_time": now.isoformat(),
        "day": day.isoformat(),
        "days": [d.isoformat() for d in fair_day_list(fair)],
        "no_show_after_minutes": fair.no_show_after_minutes,
        "next_slot_at": next_slot.isoformat() if next_slot else None,
        "slots": [{"starts_at": s.start.isoformat(), "ends_at": s.end.isoformat()} for s in slots],
        "meetings": rows,
        "lobby": lobby_list(fair),
        "parties": {"sme": companies, "buyer": buyers},
        "announcements": _announcements(key),
        "counts": counts,
    }


# --- standby suggestions and re-assigning a slot ----------------------------------------------------


def _side_of(meeting: Meeting, side: str | None) -> str:
    side = side or meeting.no_show_side
    if side == "both" or not side:
        raise DomainError(_("Say which side to replace: the SME or the buyer."), field="side")
    if side not in PARTY_SIDES:
        raise DomainError(_('The side is "sme" or "buyer".'), field="side")
    return side


def _overlapping(meeting: Meeting):
    """Booked meetings (any fair) that overlap this one's slot, this one left out."""
    return Meeting.objects.filter(
        status__in=BOOKED_STATUSES, starts_at__lt=meeting.ends_at, ends_at__gt=meeting.starts_at
    ).exclude(pk=meeting.pk)


def _free_interpreters(meeting: Meeting) -> list[Interpreter]:
    """Active interpreters free during the slot (the meeting's own first: it is freed when the
    meeting is cancelled), within their availability for the fair."""
    busy = _overlapping(meeting).filter(interpreter__isnull=False).values("interpreter_id")
    free = []
    for interpreter in Interpreter.objects.filter(is_active=True).exclude(pk__in=busy).prefetch_related("availability"):
        windows = booking.interpreter_windows(interpreter, meeting.fair)
        if windows is None or any(s <= meeting.starts_at and meeting.ends_at <= e for s, e in windows):
            free.append(interpreter)
    return sorted(free, key=lambda i: (i.pk != meeting.interpreter_id, i.name, i.pk))


def _interpreter_for(meeting: Meeting, company: Company, buyer: BuyerOrganisation, free: list[Interpreter]):
    """(interpreter or None, whether the pair can meet): the meeting's interpreter is kept when
    it speaks both sides' languages; otherwise a free one who does when the pair needs one."""
    for interpreter in free:
        if interpreter.pk == meeting.interpreter_id and booking.interpreter_fits(interpreter, company, buyer):
            return interpreter, True
    if not booking.needs_interpreter(company, buyer):
        return None, True
    for interpreter in free:
        if booking.interpreter_fits(interpreter, company, buyer):
            return interpreter, True
    return None, False


def _room_for(meeting: Meeting, sme: FairParticipant | None, fair_has_rooms: bool, free_rooms: list[VideoRoom]):
    """(room or None, whether there is one): an SME that sits in a video room gets the slot's
    room (freed with the no-show), else a free one of the fair's; an online SME none. (The same
    rule as booking.needs_room, with the fair's rooms looked up once.)"""
    if sme is None:
        return meeting.room, True
    if not (sme.uses_video_room and fair_has_rooms):
        return None, True
    if meeting.room_id:
        return meeting.room, True
    return (free_rooms[0], True) if free_rooms else (None, False)


def _standby_candidates(meeting: Meeting, side: str) -> list[dict]:
    """Every accepted participant of the side's kind, each with the room and interpreter it would
    get and `refusal`: None when it may take the slot, else why not."""
    fair = meeting.fair
    is_sme = side == RoomSide.SME
    field, present_field = ("company_id", "buyer_id") if is_sme else ("buyer_id", "company_id")
    present_id = getattr(meeting, present_field)
    participants = list(
        FairParticipant.objects.filter(
            fair=fair, kind=FairParticipant.Kind.SME if is_sme else FairParticipant.Kind.BUYER
        )
        .filter(status=ParticipantStatus.ACCEPTED)
        .exclude(**{field: getattr(meeting, field)})
        .select_related("fair", "company", "buyer")
        .prefetch_related("availability")
    )
    ids = [getattr(p, field) for p in participants]
    in_pool = {f"{field}__in": ids}
    busy = set(_overlapping(meeting).filter(**in_pool).values_list(field, flat=True))
    booked = Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES)
    counts = dict(booked.filter(**in_pool).values(field).annotate(n=Count("id")).values_list(field, "n"))
    met = set(booked.filter(**{present_field: present_id}).values_list(field, flat=True))
    pair = {present_field.removesuffix("_id"): present_id, f"{field.removesuffix('_id')}__in": ids}
    excluded = set(
        PairDecision.objects.filter(fair=fair, decision=PairDecision.Decision.EXCLUDE, **pair).values_list(
            field, flat=True
        )
    )
    scores = dict(
        Pairing.objects.filter(run__fair=fair, run__status=MatchingRun.Status.ACTIVE, **pair).values_list(
            field, "score"
        )
    )
    online = {p["company" if is_sme else "buyer"] for p in realtime.presence_online(fair_stream(fair.pk))}
    free_interpreters = _free_interpreters(meeting)
    taken_rooms = _overlapping(meeting).filter(room__isnull=False).values("room_id")
    free_rooms = list(fair.rooms.filter(is_active=True).exclude(pk__in=taken_rooms).order_by("name"))
    fair_has_rooms = booking.fair_has_rooms(fair)
    present_sme = None
    if not is_sme:
        present_sme = FairParticipant.objects.filter(fair=fair, kind=FairParticipant.Kind.SME, company_id=present_id)
        present_sme = present_sme.first()
    candidates = []
    for participant in participants:
        party_id = getattr(participant, field)
        company = participant.company if is_sme else meeting.company
        buyer = meeting.buyer if is_sme else participant.buyer
        name = company_name(company) if is_sme else buyer.name
        sme = participant if is_sme else present_sme
        interpreter, interpreter_ok = _interpreter_for(meeting, company, buyer, free_interpreters)
        room, room_ok = _room_for(meeting, sme, fair_has_rooms, free_rooms)
        windows = list(participant.availability.all())
        refusal = None
        if not is_sme and buyer.verification_state != VerificationState.VERIFIED:
            refusal = _("%(who)s is not a verified buyer.") % {"who": name}
        elif party_id in met:
            refusal = _("%(who)s already has a meeting with this party in the fair.") % {"who": name}
        elif party_id in excluded:
            refusal = _("Staff excluded this pair from the fair.")
        elif party_id in busy:
            refusal = _("%(who)s has another meeting at this time.") % {"who": name}
        elif windows and not any(w.starts_at <= meeting.starts_at and meeting.ends_at <= w.ends_at for w in windows):
            refusal = _("%(who)s is not available at this time (outside its availability windows).") % {"who": name}
        elif counts.get(party_id, 0) >= participant_cap(participant):
            refusal = _("%(who)s already has its maximum of %(cap)s meetings in this fair.") % {
                "who": name,
                "cap": participant_cap(participant),
            }
        elif not interpreter_ok:
            refusal = _("No free interpreter speaks both sides' languages at this time.")
        elif not room_ok:
            refusal = _("Every video room is taken at this time.")
        score = scores.get(party_id)
        candidates.append(
            {
                "side": side,
                "id": party_id,
                "participant": participant.pk,
                "name": name,
                "country": str(buyer.country) if not is_sme else "",
                "score": round(score, 4) if score is not None else None,
                "online": party_id in online,
                "room": room.name if room else None,
                "interpreter": interpreter.name if interpreter else None,
                "refusal": refusal,
                "_room": room,
                "_interpreter": interpreter,
            }
        )
    candidates.sort(
        key=lambda c: (c["score"] is None, -(c["score"] or 0.0), not c["online"], c["name"].lower(), c["id"])
    )
    return candidates


def _public(candidate: dict) -> dict:
    return {k: v for k, v in candidate.items() if not k.startswith("_") and k != "refusal"}


def standby_suggestions(meeting: Meeting, *, side: str | None = None) -> list:
    """Who could take the absent side's place in this meeting's slot: accepted participants of
    that kind in the fair who are free then (no booked meeting overlapping it, in any fair), within
    their availability windows if they gave any, under their meeting cap, verified (buyers), not
    already meeting the present party in this fair nor excluded from pairing with it, and for whom
    a room and (when needed) an interpreter are free. Best match with the present party first
    (the fair's active matching run); those online in the fair's lobby are marked."""
    meeting = Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter").get(pk=meeting.pk)
    side = _side_of(meeting, side)
    suggestions = [_public(c) for c in _standby_candidates(meeting, side) if c["refusal"] is None]
    for rank, suggestion in enumerate(suggestions, start=1):
        suggestion["rank"] = rank
    return suggestions


def slot_reassign(
    *,
    meeting: Meeting,
    replacement: Company | BuyerOrganisation,
    by,
    side: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Give a no-show candidate's slot to a standby party, in one transaction: the meeting is
    cancelled as a no-show of the absent side and a new one (source "standby") books the present
    party with `replacement` in the same slot and room, keeping the interpreter when they still
    speak both languages (else another free one who does). Both new parties are notified at once
    and get the usual email after commit; the board hears of both meetings. Refused unless the
    absent side is still absent now, inside the slot; every booking check applies, and a clash
    the database refuses is a Conflict (409)."""
    require_staff(by, _("re-assign meeting slots"))
    replacing = RoomSide.SME if isinstance(replacement, Company) else RoomSide.BUYER
    if side and side != replacing:
        raise DomainError(_("The replacement must be on the side being replaced."), field="side")
    now = now or _now()

    with transaction.atomic():
        # The fair's row first, as every booking does: edits of one fair queue up behind it.
        fair = ConsultationFair.objects.select_for_update().get(pk=meeting.fair_id)
        require_phase(fair, DAY_PHASES, _("re-assign meeting slots"))
        locked = _locked(meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise InvalidTransition(_("This meeting is not scheduled any more."), field="meeting")
        # Decide on the state as it is now (the absent party may have just walked in).
        meeting_state_update(locked, now=now)
        if now >= locked.ends_at:
            raise InvalidTransition(_("This meeting's slot is over; it cannot be re-assigned."), field="meeting")
        absent = absent_sides(locked)
        if not absent:
            raise InvalidTransition(
                _("This meeting is not a no-show candidate: both sides are there or it is not late yet."),
                field="meeting",
            )
        if replacing not in absent:
            raise InvalidTransition(
                _("The SME is in the meeting; only an absent side can be replaced.")
                if replacing == RoomSide.SME
                else _("The buyer is in the meeting; only an absent side can be replaced."),
                field="side",
            )
        candidate = next((c for c in _standby_candidates(locked, replacing) if c["id"] == replacement.pk), None)
        if candidate is None:
            raise DomainError(
                _("%(who)s is not an accepted participant of this fair.")
                % {"who": company_name(replacement) if replacing == RoomSide.SME else replacement.name},
                field="replacement",
            )
        if candidate["refusal"]:
            raise Conflict(candidate["refusal"], field="replacement")

        cancelled = booking.meeting_cancel(
            meeting=locked,
            cancelled_by=by,
            reason=_("No-show: the SME did not join")
            if replacing == RoomSide.SME
            else _("No-show: the buyer did not join"),
        )
        company = replacement if replacing == RoomSide.SME else locked.company
        buyer = replacement if replacing == RoomSide.BUYER else locked.buyer
        # Availability windows were checked above (the standby rules); business hours are not:
        # the replacement is picked by staff on the day, usually from those online right now.
        new = booking.meeting_add(
            fair=fair,
            added_by=by,
            company=company,
            buyer=buyer,
            starts_at=locked.starts_at,
            room=candidate["_room"],
            interpreter=candidate["_interpreter"],
            force=True,
        )
        new.source = Meeting.Source.STANDBY
        new.save(update_fields=["source", "updated_at"])
        cancelled.live_state = LiveState.NO_SHOW
        cancelled.replaced_by = new
        cancelled.save(update_fields=["live_state", "replaced_by", "updated_at"])

        new = Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter").get(pk=new.pk)
        _publish_row(cancelled)
        _publish_row(new, set())
        absent_name = _absent_name(locked, replacing)
        transaction.on_commit(lambda: notifications.notify_reassigned(new.pk, replacing, absent_name))
    return new


def _absent_name(meeting: Meeting, side: str) -> str:
    return company_name(meeting.company) if side == RoomSide.SME else meeting.buyer.name


# --- the board's settings and announcements ---------------------------------------------------------


def fair_settings_update(fair: ConsultationFair, no_show_after_minutes, by) -> ConsultationFair:
    """Staff set how many minutes after the start an absent party makes a no-show candidate; the
    boards hear it ("board.settings") and the day's meetings are judged again at once."""
    require_staff(by, _("change the live board's settings"))
    low, high = NO_SHOW_MINUTES_RANGE
    minutes = _whole_number(no_show_after_minutes)
    if minutes is None or not low <= minutes <= high:
        raise DomainError(
            _("Give the no-show delay as whole minutes from %(low)s to %(high)s.") % {"low": low, "high": high},
            field="no_show_after_minutes",
        )
    with transaction.atomic():
        fair = ConsultationFair.objects.select_for_update().get(pk=fair.pk)
        if fair.no_show_after_minutes != minutes:
            fair.no_show_after_minutes = minutes
            fair.save(update_fields=["no_show_after_minutes"])
            realtime.event_publish(fair_stream(fair.pk), "board.settings", _settings_data(fair))
            # The no-show time moved: candidates appear or go away now, not at the next tick.
            _fair_tick(fair.pk, _now())
    return fair


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _settings_data(fair: ConsultationFair) -> dict:
    return {
        "no_show_after_minutes": fair.no_show_after_minutes,
        "phase": fair.phase,
        "phase_label": str(fair.get_phase_display()),
    }


def fair_day_start(fair: ConsultationFair, by) -> ConsultationFair:
    """Staff start the fair day: a published fair goes live (its boards hear it)."""
    from .setup import fair_phase_advance

    with transaction.atomic():
        fair = fair_phase_advance(fair=fair, to_phase=FairPhase.LIVE, changed_by=by)
        realtime.event_publish(fair_stream(fair.pk), "board.settings", _settings_data(fair))
    return fair


def fair_announce(fair: ConsultationFair, message: str, by) -> Event:
    """Staff tell everyone in a fair something (a delay, a room change): an "announcement" event
    on the fair's stream (boards and participants' pages show it) and a notification to every
    member of the fair's accepted participants."""
    require_staff(by, _("send announcements"))
    message = (message or "").strip() if isinstance(message, str) else ""
    if not message:
        raise DomainError(_("Write the announcement."), field="message")
    if len(message) > ANNOUNCEMENT_MAX_LENGTH:
        raise DomainError(
            _("Keep announcements to %(max)s characters.") % {"max": ANNOUNCEMENT_MAX_LENGTH}, field="message"
        )
    accepted = FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED)
    users = User.objects.filter(
        Q(role=Role.SME, company_id__in=accepted.filter(kind=FairParticipant.Kind.SME).values("company_id"))
        | Q(
            role=Role.BUYER,
            buyer_organisation_id__in=accepted.filter(kind=FairParticipant.Kind.BUYER).values("buyer_id"),
        ),
        is_active=True,
    ).order_by("pk")
    by_name = by.get_full_name() or by.get_username()
    with transaction.atomic():
        event = realtime.event_publish(
            fair_stream(fair.pk), "announcement", {"message": message, "by": by_name, "fair": fair.pk}
        )
        realtime.notify_users(
            users, "announcement", message, url=f"/fairs/{fair.pk}/me/", data={"fair": fair.pk, "fair_name": fair.name}
        )
    return event
