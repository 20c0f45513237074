"""A meeting's video room page: the meeting (parties, Seoul time and the viewer's), a device check,
then the call and the room's chat. The call itself runs in static/js/room.js over the room's
websocket (realtime.rooms); who may enter is matching.fairs.room's."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tradeon.errors import NotAllowed

from ...models import RoomSide
from .. import calendar
from .. import room as meeting_room


def room_strings() -> dict:
    """What room.js says to people, translated here (the page has no JavaScript catalogue)."""
    return {
        "asking": _("Asking your browser for the camera and microphone…"),
        "ready": _("Your camera and microphone work. Join when you are ready."),
        "audio_only": _("No camera found: you can join with your microphone only."),
        "video_only": _("No microphone found: the others will see you but not hear you."),
        "no_devices": _("No camera or microphone found. You can still join to see and hear the others, and chat."),
        "denied": _(
            "Your browser blocked the camera and microphone. Allow them for this site (the camera icon in the "
            "address bar), then press Try again. You can also join without them."
        ),
        "in_use": _("Your camera or microphone is in use by another application. Close it, then press Try again."),
        "insecure": _("Video needs a secure (https) connection; open the room from the address the agency gave you."),
        "unsupported": _("This browser cannot make video calls; use a recent Chrome, Edge, Firefox or Safari."),
        "failed": _("The camera or microphone did not start:"),
        "join": _("Join the meeting"),
        "join_without": _("Join without camera and microphone"),
        "joining": _("Joining…"),
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost; reconnecting…"),
        "refused_4401": _("Your session has ended; sign in again to enter the room."),
        "refused_4403": _("Only the meeting's SME, its buyer, its interpreter and agency staff can enter this room."),
        "refused_4404": _("This meeting does not exist or is not published yet."),
        "refused_4410": _("This meeting's room is closed (the meeting was cancelled or is not published)."),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "camera_off": _("Turn camera off"),
        "camera_on": _("Turn camera on"),
        "no_camera": _("No camera"),
        "no_mic": _("No microphone"),
        "device": _("Device"),
        "you": _("You"),
        "peer_new": _("connecting…"),
        "peer_connecting": _("connecting…"),
        "peer_connected": _("connected"),
        "peer_disconnected": _("connection interrupted…"),
        "peer_failed": _("connection failed; retrying"),
        "peer_closed": _("left"),
        "joined_room": _("joined the room"),
        "left_room": _("left the room"),
        "chat_offline": _("You are not connected; the message was not sent."),
        "sides": {side.value: str(side.label) for side in RoomSide},
    }


@login_required
@never_cache
@require_GET
def room(request, pk: int):
    try:
        meeting, side = meeting_room.room_entry(request.user, pk)
    except meeting_room.RoomNotFound:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None
    entry = calendar.agenda_entry(
        meeting, zone=calendar.zone_of_user(request.user), side=calendar.side_of_user(request.user)
    )
    chat = [
        {**meeting_room.chat_message_data(m), "created_at": m.created_at}
        for m in meeting_room.chat_list(meeting=meeting, limit=meeting_room.CHAT_BACKLOG)
    ]
    context = {
        "meeting": meeting,
        "entry": entry,
        "side": side,
        "side_label": RoomSide(side).label,
        "closed_reason": meeting_room.room_closed_reason(meeting),
        "chat": chat,
        "chat_max_length": meeting_room.CHAT_MAX_LENGTH,
        "company_name": meeting_room.party_name(meeting, RoomSide.SME),
        "room_strings": room_strings(),
    }
    return render(request, "fairs/room.html", context)


urlpatterns: list = [
    path("meetings/<int:pk>/room/", room, name="room"),
]
