"""A meeting's video room websocket (/ws/meetings/<meeting_id>/room/): WebRTC signalling between
the browsers in the room (a mesh: each pair of connections has its own peer connection; audio
and video go browser to browser), the room's text chat, and attendance (each connection is one
MeetingAttendance; its id is the connection's "peer" id).

Connecting: signed-in users only (else closed with 4401), who may enter the meeting's room
(matching.fairs.room.room_side_for: its SME's and buyer's members, its interpreter, staff; else
4403), of a meeting that exists and they may know of (else 4404), whose room is open (scheduled
and published; a cancelled or unpublished meeting closes with 4410). A refused connection is
never accepted. Once in, the join is recorded (matching.fairs.live.attendance_join) and:
  -> {"type": "welcome", "peer": <my id>, "side": "sme"|"buyer"|"interpreter"|"staff", "user",
      "name", "meeting", "peers": [{"peer", "side", "name", "party"}], "ice_servers": [RTCIceServer],
      "chat": [the latest 100 messages, oldest first]}
  the others get {"type": "peer-joined", "peer", "side", "name", "party"}.

Client frames (JSON objects of at most 8 KiB; anything else gets an error frame, the connection
stays open):
  {"type": "signal", "to": <peer>, "data": {"sdp": {"type": "offer"|"answer", "sdp"}}
                                       or {"candidate": RTCIceCandidateInit | null}}
      relayed to that peer alone as {"type": "signal", "from": <my peer>, "data": ...}
  {"type": "chat", "text": "..."}   stored with the meeting (1..2000 characters after stripping);
      everyone in the room, the sender too, gets {"type": "chat", "message": {"id", "author",
      "author_id", "side", "text", "at"}}; a bad text gets an error frame with "field": "text"
  {"type": "media", "audio": bool, "video": bool}   the others get {"type": "media", "peer",
      "audio", "video"} (so a muted microphone shows as muted)
  {"type": "ping"}                  -> {"type": "pong", "time"}
Errors: {"type": "error", "code", "message"[, "field"]}.

Who offers: of each pair, the connection with the higher peer id makes the offer and the other
answers. A newcomer's id is the highest, so it offers to everyone in its welcome list; the rule
also settles two people joining at once (each may see the other in its welcome list).

Leaving (the socket closes): attendance_leave, and the others get {"type": "peer-left", "peer"}.
A person who comes back (a reload, a dropped network) is a new connection with a new peer id."""

import time

from channels.db import database_sync_to_async
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.fairs import live, room
from tradeon.errors import NotAllowed

from .consumers import FrameError, JsonFramesConsumer

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_ROOM_CLOSED = 4410

# A person types a few lines a minute; more than this in CHAT_BURST_SECONDS is a stuck key or a script.
CHAT_BURST = 10
CHAT_BURST_SECONDS = 10.0

_SDP_TYPES = ("offer", "answer")
_CANDIDATE_KEYS = ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")


def signal_data(data) -> dict:
    """The relayed part of a signal, rebuilt from known keys only: a session description or an
    ICE candidate (null: the sender's end of candidates)."""
    if not isinstance(data, dict):
        raise FrameError("bad_signal", _('A signal\'s "data" is {"sdp": ...} or {"candidate": ...}.'))
    if "sdp" in data:
        sdp = data["sdp"]
        if not isinstance(sdp, dict) or sdp.get("type") not in _SDP_TYPES or not isinstance(sdp.get("sdp"), str):
            raise FrameError("bad_signal", _('A session description is {"type": "offer"|"answer", "sdp": "..."}.'))
        return {"sdp": {"type": sdp["type"], "sdp": sdp["sdp"]}}
    if "candidate" in data:
        candidate = data["candidate"]
        if candidate is None:
            return {"candidate": None}
        if not isinstance(candidate, dict) or not isinstance(candidate.get("candidate"), str):
            raise FrameError("bad_signal", _('An ICE candidate is {"candidate": "...", "sdpMid", "sdpMLineIndex"}.'))
        return {"candidate": {key: candidate[key] for key in _CANDIDATE_KEYS if key in candidate}}
    raise FrameError("bad_signal", _('A signal\'s "data" is {"sdp": ...} or {"candidate": ...}.'))


class RoomConsumer(JsonFramesConsumer):
    # An SDP offer with four media sections runs to about 6 KB; the events socket's 8 KiB would
    # leave it no headroom.
    max_frame_bytes = 32 * 1024

    async def connect(self):
        self.attendance_id: int | None = None
        self.group: str | None = None
        # The other connections in the room and their channels, from the welcome list and the
        # room's join and leave messages: a signal goes only to a peer of this room.
        self.peers: dict[int, str] = {}
        self.chat_times: list[float] = []
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        try:
            self.meeting, self.side = await database_sync_to_async(self._entry)(meeting_id)
        except room.RoomNotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        except NotAllowed:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        except room.RoomClosed:
            await self.close(code=CLOSE_ROOM_CLOSED)
            return
        self.group = room.room_group(self.meeting.pk)
        # Join the group before the join is recorded: a newcomer after us is then announced to us.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        welcome = await database_sync_to_async(self._join)()
        await self.send_json(welcome)
        me = {key: welcome[key] for key in ("peer", "side", "name")}
        me["party"] = room.party_name(self.meeting, self.side)
        await self.channel_layer.group_send(
            self.group, {"type": "room.peer_joined", **me, "channel": self.channel_name}
        )

    def _entry(self, meeting_id: int):
        meeting, side = room.room_entry(self.user, meeting_id)
        room.room_require_open(meeting)
        return meeting, side

    def _join(self) -> dict:
        attendance = live.attendance_join(
            meeting=self.meeting, user=self.user, side=self.side, channel_name=self.channel_name
        )
        self.attendance_id = attendance.pk
        present = room.room_peers_present(self.meeting)
        self.peers = {a.pk: a.channel_name for a in present if a.pk != attendance.pk and a.channel_name}
        return room.room_welcome(self.meeting, attendance, present=present)

    async def disconnect(self, code):
        if self.group is None:
            return
        try:
            if self.attendance_id is not None:
                await database_sync_to_async(live.attendance_leave)(attendance_id=self.attendance_id)
        finally:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            if self.attendance_id is not None:
                await self.channel_layer.group_send(self.group, {"type": "room.peer_left", "peer": self.attendance_id})

    # --- frames from the browser -----------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "signal":
            await self._signal(content)
        elif kind == "chat":
            await self._chat(content)
        elif kind == "media":
            audio, video = content.get("audio"), content.get("video")
            if not isinstance(audio, bool) or not isinstance(video, bool):
                raise FrameError("bad_frame", _('A media frame is {"type": "media", "audio": bool, "video": bool}.'))
            await self.channel_layer.group_send(
                self.group, {"type": "room.media", "peer": self.attendance_id, "audio": audio, "video": video}
            )
        elif kind == "ping":
            await self.send_json({"type": "pong", "time": timezone.now().isoformat()})
        else:
            raise FrameError("unknown_type", _('Send "signal", "chat", "media" or "ping".'))

    async def _signal(self, content):
        to = content.get("to")
        if isinstance(to, bool) or not isinstance(to, int) or to not in self.peers:
            raise FrameError("unknown_peer", _("That peer is not in this room (it may have left)."))
        data = signal_data(content.get("data"))
        await self.channel_layer.send(
            self.peers[to],
            {"type": "room.signal", "from": self.attendance_id, "channel": self.channel_name, "data": data},
        )

    async def _chat(self, content):
        now = time.monotonic()
        self.chat_times = [t for t in self.chat_times if now - t < CHAT_BURST_SECONDS]
        if len(self.chat_times) >= CHAT_BURST:
            raise FrameError("slow_down", _("You are sending messages too fast; wait a few seconds."))
        text = content.get("text")
        # chat_post stores the line and sends it to the room's group after commit, to us too.
        await database_sync_to_async(room.chat_post)(meeting=self.meeting, user=self.user, text=text)
        self.chat_times.append(now)

    # --- messages from the room's group and from peers ----------------------------------------------

    async def room_peer_joined(self, message):
        peer = message["peer"]
        if peer == self.attendance_id:
            return
        known = peer in self.peers
        self.peers[peer] = message["channel"]
        if not known:
            await self.send_json(
                {"type": "peer-joined", **{key: message[key] for key in ("peer", "side", "name", "party")}}
            )

    async def room_peer_left(self, message):
        peer = message["peer"]
        if peer == self.attendance_id:
            return
        self.peers.pop(peer, None)
        await self.send_json({"type": "peer-left", "peer": peer})

    async def room_signal(self, message):
        # A signal proves its sender is in the room: remember its channel to answer it even if its
        # join message is still on the way.
        self.peers.setdefault(message["from"], message["channel"])
        await self.send_json({"type": "signal", "from": message["from"], "data": message["data"]})

    async def room_chat(self, message):
        await self.send_json({"type": "chat", "message": message["message"]})

    async def room_media(self, message):
        if message["peer"] != self.attendance_id:
            await self.send_json({"type": "media", **{key: message[key] for key in ("peer", "audio", "video")}})
