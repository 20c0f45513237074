"""The events websocket (/ws/events/). A signed-in user's connection follows their own stream
from the start and may subscribe to the fairs they take part in (staff: any). Every pushed event
carries its stream's sequence number; the client fetches a gap from /api/v1/events/.

Client frames (JSON objects, at most MAX_FRAME_BYTES):
  {"type": "subscribe", "stream": "fair.12"}    -> {"type": "subscribed", "stream": ..., "seq": N}
  {"type": "unsubscribe", "stream": "fair.12"}  -> {"type": "unsubscribed", "stream": ...}
  {"type": "ping"}                              -> {"type": "pong", "time": ...} (heartbeat)
Anything else gets {"type": "error", "code": ..., "message": ...} and the connection stays open.
Server frames: {"type": "hello", ...} on connect and {"type": "event", "stream", "seq", "kind",
"data", "at"} for each event."""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from tradeon.errors import DomainError

from . import services, streams

MAX_FRAME_BYTES = 8 * 1024
MAX_SUBSCRIPTIONS = 20
HEARTBEAT_SECONDS = 25


class FrameError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class JsonFramesConsumer(AsyncJsonWebsocketConsumer):
    """A JSON consumer that answers a bad frame with an error frame instead of dying."""

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            if text_data is None:
                raise FrameError("bad_frame", "Send JSON text frames, not binary ones.")
            if len(text_data.encode()) > MAX_FRAME_BYTES:
                raise FrameError("too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            try:
                content = json.loads(text_data)
            except ValueError:
                raise FrameError("bad_frame", "That frame is not JSON.") from None
            if not isinstance(content, dict) or not isinstance(content.get("type"), str):
                raise FrameError("bad_frame", 'A frame is a JSON object with a "type".')
            await self.receive_json(content)
        except FrameError as error:
            await self.send_json({"type": "error", "code": error.code, "message": error.message})
        except DomainError as error:
            await self.send_json({"type": "error", "code": error.code, "message": error.message, "field": error.field})


class EventsConsumer(JsonFramesConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.subscriptions: set[str] = set()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        own = streams.user_stream(self.user.pk)
        seq = await self._follow(own)
        await self.send_json(
            {"type": "hello", "user": self.user.pk, "streams": {own: seq}, "heartbeat": HEARTBEAT_SECONDS}
        )

    async def disconnect(self, code):
        for key in list(getattr(self, "subscriptions", ())):
            await self._unfollow(key)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "ping":
            await database_sync_to_async(services.presence_touch)(self.channel_name)
            await self.send_json({"type": "pong", "time": timezone.now().isoformat()})
        elif kind == "subscribe":
            key = content.get("stream")
            await database_sync_to_async(streams.require_readable)(self.user, key)
            if key not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                raise FrameError("too_many", f"Follow at most {MAX_SUBSCRIPTIONS} streams at once.")
            seq = await self._follow(key)
            await self.send_json({"type": "subscribed", "stream": key, "seq": seq})
        elif kind == "unsubscribe":
            key = content.get("stream")
            if key not in self.subscriptions or key == streams.user_stream(self.user.pk):
                raise FrameError("not_subscribed", "You do not follow that stream here.")
            await self._unfollow(key)
            await self.send_json({"type": "unsubscribed", "stream": key})
        else:
            raise FrameError("unknown_type", 'Send "subscribe", "unsubscribe" or "ping".')

    async def _follow(self, key: str) -> int:
        """Join the stream's group, then read its number: an event raised in between arrives
        both ways, and the client drops numbers it already has."""
        if key not in self.subscriptions:
            await self.channel_layer.group_add(streams.group_name(key), self.channel_name)
            self.subscriptions.add(key)
            if key.startswith("fair."):
                await database_sync_to_async(services.presence_enter)(key, self.user, self.channel_name)
        return await database_sync_to_async(lambda: services.stream_get(key).last_seq)()

    async def _unfollow(self, key: str) -> None:
        await self.channel_layer.group_discard(streams.group_name(key), self.channel_name)
        self.subscriptions.discard(key)
        if key.startswith("fair."):
            await database_sync_to_async(services.presence_leave)(key, self.user, self.channel_name)

    async def stream_event(self, message):
        await self.send_json(message["frame"])
