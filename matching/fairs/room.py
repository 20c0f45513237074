"""A published meeting's video room (화상상담실 online): who may enter it and as which side, when
it is open, its text chat, and the ICE servers browsers use to reach each other.

The room's websocket (realtime.rooms.RoomConsumer), its page and its API all ask these functions,
so the page, the API and the socket cannot disagree on who gets in. Attendance itself (joining,
leaving, the meeting's live state) is matching.fairs.live's."""

import copy

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from realtime import services as realtime
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, NotAllowed

from ..models import Meeting, MeetingAttendance, MeetingChatMessage, MeetingStatus, RoomSide
from .booking import company_name

CHAT_MAX_LENGTH = 2000
# What a newcomer is shown of the conversation so far (the API pages through all of it).
CHAT_BACKLOG = 100


class RoomClosed(DomainError):
    """The meeting exists and the user may see it, but its room does not open (a draft not yet
    published, or a cancelled meeting)."""

    status_code = 409
    code = "room_closed"


class RoomNotFound(DomainError):
    """No such meeting, or one the user may not know of yet (a draft, to its parties)."""

    status_code = 404
    code = "not_found"


def room_group(meeting_id: int) -> str:
    """The channel-layer group of a meeting's room (every connection in it)."""
    return f"room.{meeting_id}"


# --- who enters ---------------------------------------------------------------------------------


def room_meeting_get(meeting_id: int) -> Meeting | None:
    return (
        Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter").filter(pk=meeting_id).first()
    )


def room_side_for(user, meeting: Meeting) -> str:
    """The side a user takes in the meeting's room: its interpreter (checked first: interpreter
    accounts are staff accounts), agency staff, a member of the meeting's company or of its buyer
    organisation. Anyone else is refused (NotAllowed)."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed(_("Sign in to enter a meeting room."))
    interpreter = meeting.interpreter
    if interpreter is not None and interpreter.user_id is not None and interpreter.user_id == user.pk:
        return RoomSide.INTERPRETER
    if user.role == Role.STAFF:
        return RoomSide.STAFF
    if user.role == Role.SME and user.company_id and user.company_id == meeting.company_id:
        return RoomSide.SME
    if user.role == Role.BUYER and user.buyer_organisation_id and user.buyer_organisation_id == meeting.buyer_id:
        return RoomSide.BUYER
    raise NotAllowed(_("Only the meeting's SME, its buyer, its interpreter and agency staff can enter this room."))


def room_is_visible(user, meeting: Meeting) -> bool:
    """Whether the user may know the meeting exists: a draft is shown to staff only (its parties
    have not been told yet), like on the agendas."""
    return meeting.published_at is not None or getattr(user, "role", None) == Role.STAFF


def room_entry(user, meeting_id: int) -> tuple[Meeting, str]:
    """The meeting and the user's side in its room, or RoomNotFound / NotAllowed. Whether the room
    is open is asked separately (room_require_open): its page still shows a closed meeting."""
    meeting = room_meeting_get(meeting_id)
    if meeting is None:
        raise RoomNotFound(_("There is no such meeting."))
    side = room_side_for(user, meeting)
    if not room_is_visible(user, meeting):
        raise RoomNotFound(_("There is no such meeting."))
    return meeting, side


def room_closed_reason(meeting: Meeting) -> str | None:
    """Why the room does not open, or None when it does: a room opens for a scheduled meeting
    that was published to its parties."""
    if meeting.status == MeetingStatus.CANCELLED:
        if meeting.cancel_reason:
            return _("This meeting was cancelled (%(reason)s); its room is closed.") % {"reason": meeting.cancel_reason}
        return _("This meeting was cancelled; its room is closed.")
    if meeting.status != MeetingStatus.SCHEDULED or meeting.published_at is None:
        return _("This meeting is not published yet; its room opens once the schedule is published.")
    return None


def room_is_open(meeting: Meeting) -> bool:
    return room_closed_reason(meeting) is None


def room_require_open(meeting: Meeting) -> None:
    reason = room_closed_reason(meeting)
    if reason is not None:
        raise RoomClosed(reason)


def ice_servers() -> list[dict]:
    """The STUN/TURN servers browsers try (settings.WEBRTC_ICE_SERVERS, a list of RTCIceServer
    dicts). None are needed on a LAN; across networks a TURN server relays when peers cannot
    reach each other directly. A copy, so a caller cannot change the settings."""
    return copy.deepcopy(list(settings.WEBRTC_ICE_SERVERS))


# --- people in the room ---------------------------------------------------------------------------


def person_name(user) -> str:
    if user is None:
        return _("(former user)")
    return user.get_full_name() or user.get_username()


def party_name(meeting: Meeting, side: str) -> str:
    """What a side stands for: the company, the buyer organisation, or the agency."""
    if side == RoomSide.SME:
        return company_name(meeting.company)
    if side == RoomSide.BUYER:
        return meeting.buyer.name
    if side == RoomSide.INTERPRETER:
        return _("Interpreter")
    return _("Seoul Business Agency")


def peer_data(attendance: MeetingAttendance, meeting: Meeting) -> dict:
    """A connection in the room as the others see it; `peer` is the attendance id."""
    return {
        "peer": attendance.pk,
        "side": attendance.side,
        "name": person_name(attendance.user),
        "party": party_name(meeting, attendance.side),
    }


def room_welcome(
    meeting: Meeting, attendance: MeetingAttendance, *, present: list[MeetingAttendance] | None = None
) -> dict:
    """The first frame a connection gets once in: its own peer id and side, the others present
    (`present`, if the caller read them already), the ICE servers and the latest chat."""
    if present is None:
        present = room_peers_present(meeting)
    return {
        "type": "welcome",
        "peer": attendance.pk,
        "side": attendance.side,
        "user": attendance.user_id,
        "name": person_name(attendance.user),
        "meeting": meeting.pk,
        "peers": [peer_data(a, meeting) for a in present if a.pk != attendance.pk],
        "ice_servers": ice_servers(),
        "chat": [chat_message_data(m) for m in chat_list(meeting=meeting, limit=CHAT_BACKLOG)],
    }


def room_peers_present(meeting: Meeting) -> list[MeetingAttendance]:
    """Connections in the room now (joined, not left), oldest first."""
    return list(
        MeetingAttendance.objects.filter(meeting=meeting, left_at__isnull=True).select_related("user").order_by("id")
    )


def attendance_list(meeting: Meeting) -> QuerySet[MeetingAttendance]:
    """Every join and leave of the meeting's room, oldest first."""
    return MeetingAttendance.objects.filter(meeting=meeting).select_related("user").order_by("joined_at", "id")


# --- chat -------------------------------------------------------------------------------------------


def chat_message_data(message: MeetingChatMessage) -> dict:
    return {
        "id": message.pk,
        "author": person_name(message.author),
        "author_id": message.author_id,
        "side": message.side,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def chat_list(*, meeting: Meeting, limit: int | None = None) -> list[MeetingChatMessage] | QuerySet:
    """The room's chat, oldest first; with `limit`, only the latest that many (still oldest first)."""
    messages = MeetingChatMessage.objects.filter(meeting=meeting).select_related("author").order_by("created_at", "id")
    if limit is None:
        return messages
    latest = list(messages.order_by("-created_at", "-id")[:limit])
    latest.reverse()
    return latest


def chat_post(*, meeting: Meeting, user, text) -> MeetingChatMessage:
    """Keep a line of chat with the meeting and show it to everyone in the room (after commit).
    The author must be allowed in the room and the room must be open."""
    side = room_side_for(user, meeting)
    room_require_open(meeting)
    if not isinstance(text, str):
        raise DomainError(_("Write a message."), field="text")
    text = text.strip()
    if not text:
        raise DomainError(_("Write a message."), field="text")
    if len(text) > CHAT_MAX_LENGTH:
        raise DomainError(
            _("A message has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": CHAT_MAX_LENGTH, "count": len(text)},
            field="text",
        )
    with transaction.atomic():
        message = MeetingChatMessage.objects.create(meeting=meeting, author=user, side=side, text=text)
        message.author = user
        data = chat_message_data(message)
        transaction.on_commit(lambda: _room_send(meeting.pk, {"type": "room.chat", "message": data}))
    return message


def _room_send(meeting_id: int, message: dict) -> None:
    realtime.group_send(room_group(meeting_id), message)
