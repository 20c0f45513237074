"""The fair day, live: attendance in each meeting's video room drives the meeting's state
(scheduled, waiting for a side, live, completed, no-show), which the staff live board follows
over the fair's event stream ("fair.<id>").

Every state change is stored on the meeting and published as a "meeting" event carrying the
meeting's board row, so a board that reconnects catches up by sequence number and shows exactly
what the server holds."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import services as realtime
from realtime.streams import fair_stream

from ..models import LiveState, Meeting, MeetingAttendance, MeetingStatus, RoomSide
from .booking import company_name

PARTY_SIDES = (RoomSide.SME, RoomSide.BUYER)


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


def state_of(meeting: Meeting, attendance: list[MeetingAttendance], now: datetime) -> dict:
    """What the meeting's live fields should be now, from its attendance and the clock."""
    present = {a.side for a in attendance if a.left_at is None and a.side in PARTY_SIDES}
    joined = {a.side for a in attendance if a.side in PARTY_SIDES}
    started_at = meeting.live_started_at
    if started_at is None and present >= set(PARTY_SIDES):
        started_at = now
    missing = [side for side in PARTY_SIDES if side not in present]
    ended_at = None
    no_show_side = ""
    if not missing:
        state = LiveState.LIVE
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
        no_show_at = meeting.starts_at + timedelta(minutes=meeting.fair.no_show_after_minutes)
        if started_at is None and now >= no_show_at:
            no_show_side = _side_label([side for side in PARTY_SIDES if side not in joined])
    return {
        "live_state": state,
        "no_show_side": no_show_side,
        "live_started_at": started_at,
        "live_ended_at": ended_at if state == LiveState.COMPLETED else meeting.live_ended_at,
        "attended_seconds": together_seconds(attendance, min(now, meeting.ends_at) if state != LiveState.LIVE else now),
    }


def _side_label(sides: list[str]) -> str:
    if len(sides) == 2:
        return "both"
    return sides[0] if sides else ""


def board_row(meeting: Meeting, present: set[str] | None = None) -> dict:
    """The meeting as the live board shows it (also the data of its "meeting" events)."""
    if present is None:
        present = set(meeting.attendance.filter(left_at__isnull=True).values_list("side", flat=True).distinct())
    return {
        "id": meeting.pk,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "status": meeting.status,
        "live_state": meeting.live_state,
        "no_show_side": meeting.no_show_side,
        "present": sorted(present),
        "company": {"id": meeting.company_id, "name": company_name(meeting.company)},
        "buyer": {"id": meeting.buyer_id, "name": meeting.buyer.name, "country": str(meeting.buyer.country)},
        "room": meeting.room.name if meeting.room_id else None,
        "interpreter": meeting.interpreter.name if meeting.interpreter_id else None,
        "source": meeting.source,
        "attended_seconds": meeting.attended_seconds,
        "replaced_by": meeting.replaced_by_id,
    }


def meeting_state_update(meeting: Meeting, *, now: datetime | None = None) -> bool:
    """Bring the stored live fields of a (locked or freshly read) meeting up to date; publish a
    "meeting" event on the fair's stream when they changed. Returns whether they changed."""
    now = now or timezone.now()
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
        realtime.event_publish(fair_stream(meeting.fair_id), "meeting", board_row(meeting, present))
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
        now = timezone.now()
        first_time = side in PARTY_SIDES and not locked.attendance.filter(side=side).exists()
        attendance = MeetingAttendance.objects.create(
            meeting=locked, user=user, side=side, channel_name=channel_name, joined_at=now
        )
        meeting_state_update(locked, now=now)
        if first_time:
            _tell_other_side_joined(locked, side)
    return attendance


def attendance_leave(*, attendance_id: int) -> None:
    """That connection closed: the attendance ends and the meeting's state follows."""
    with transaction.atomic():
        attendance = MeetingAttendance.objects.filter(pk=attendance_id, left_at__isnull=True).first()
        if attendance is None:
            return
        locked = _locked(attendance.meeting_id)
        now = timezone.now()
        MeetingAttendance.objects.filter(pk=attendance_id).update(left_at=now)
        meeting_state_update(locked, now=now)


def _tell_other_side_joined(meeting: Meeting, side: str) -> None:
    from .emails import recipients_of

    if side == RoomSide.BUYER:
        other, message = meeting.company, _("%(buyer)s has joined your meeting room.") % {"buyer": meeting.buyer.name}
    else:
        other = meeting.buyer
        message = _("%(company)s has joined your meeting room.") % {"company": company_name(meeting.company)}
    users = [r for r in recipients_of(other) if getattr(r, "is_authenticated", False)]
    realtime.notify_users(
        users,
        "meeting.joined",
        message,
        url=f"/fairs/meetings/{meeting.pk}/room/",
        data={"meeting": meeting.pk, "side": side},
        dedupe_key=f"joined:{meeting.pk}:{side}",
    )
