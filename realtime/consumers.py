"""The events websocket (/ws/events/). A signed-in user's connection follows their own stream
from the start and may subscribe to the fairs they take part in (staff: any). Every pushed event
carries its stream's sequence number; the client fetches a gap from /api/v1/events/.

Client frames (JSON objects, at most MAX_FRAME_BYTES):
  {"type": "subscribe", "stream": "fair.12"}    -> {"type": "subscribed", "stream": ..., "seq": N}
  {"type": "unsubscribe", "stream": "fair.12"}  -> {"type": "unsubscribed", "stream": ...}
  {"type": "ping"}                              -> {"type": "pong", "time": ..., "streams": {key: N}}
                                                   (heartbeat; N: each followed stream's newest number)
Anything else gets {"type": "error", "code": ..., "message": ...} and the connection stays open.
Server frames:
  {"type": "hello", "user": id, "streams": {"user.<id>": N}, "read_seq": R, "heartbeat": 25} on connect
  (N: the newest number on the own stream; R: notifications up to R are read);
  {"type": "event", "stream", "seq", "kind", "data", "at"} for each event (numbers without gaps);
  {"type": "read", "stream": "user.<id>", "read_seq": R, "unread": U} when another tab marked read;
  {"type": "lagged", "stream", "seq": N} when this socket fell so far behind that frames up to
  number N were dropped (realtime.fanout.Outbox): fetch them from the API."""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeon.errors import DomainError

from . import fanout, selectors, services, streams

logger = logging.getLogger(__name__)

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

    max_frame_bytes = MAX_FRAME_BYTES

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await self._answer(text_data)
        except OSError as error:
            # The client left while being answered: ASGI servers raise an OSError from send() on
            # a closed connection (uvicorn's ClientDisconnected). Nobody is left to tell.
            logger.debug("websocket closed mid-answer in %s: %r", type(self).__name__, error)

    async def _answer(self, text_data) -> None:
        try:
            if text_data is None:
                raise FrameError("bad_frame", _("Send JSON text frames, not binary ones."))
            if len(text_data.encode()) > self.max_frame_bytes:
                raise FrameError(
                    "too_large", _("Frames are limited to %(bytes)d bytes.") % {"bytes": self.max_frame_bytes}
                )
            try:
                content = json.loads(text_data)
            except ValueError:
                raise FrameError("bad_frame", _("That frame is not JSON.")) from None
            if not isinstance(content, dict) or not isinstance(content.get("type"), str):
                raise FrameError("bad_frame", _('A frame is a JSON object with a "type".'))
            await self.receive_json(content)
        except FrameError as error:
            await self.send_json({"type": "error", "code": error.code, "message": error.message})
        except DomainError as error:
            await self.send_json({"type": "error", "code": error.code, "message": error.message, "field": error.field})
        except OSError:
            raise
        except Exception:
            # One frame that hit a bug (or a database hiccup) must not drop the connection and
            # with it every stream the tab follows; the client sees an error and carries on.
            logger.exception("websocket frame failed in %s", type(self).__name__)
            await self.send_json({"type": "error", "code": "server_error", "message": _("Something went wrong.")})


class EventsConsumer(JsonFramesConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.subscriptions: set[str] = set()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        # Events reach this socket through its process's hub (realtime.fanout), not through
        # channel-layer groups of its own.
        self.hub = fanout.hub_for(self.channel_layer)
        self.outbox = fanout.Outbox(self._send_text)
        own = streams.user_stream(self.user.pk)
        await self._follow(own)
        counts = await database_sync_to_async(selectors.notification_counts)(user=self.user)
        await self.send_json(
            {
                "type": "hello",
                "user": self.user.pk,
                "streams": {own: counts["last_seq"]},
                "read_seq": counts["read_seq"],
                "heartbeat": HEARTBEAT_SECONDS,
            }
        )
        self.outbox.resume()

    async def disconnect(self, code):
        for key in list(getattr(self, "subscriptions", ())):
            await self._unfollow(key)
        if hasattr(self, "outbox"):
            await self.outbox.close()

    async def _send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "ping":
            touched = await database_sync_to_async(services.presence_touch)(self.channel_name)
            fairs = [key for key in self.subscriptions if key.startswith("fair.")]
            if touched < len(fairs):
                # A sweep took this connection for gone (a throttled background tab): it is back.
                for key in fairs:
                    await database_sync_to_async(services.presence_enter)(key, self.user, self.channel_name)
            # The streams' newest numbers: a push lost on the way (the layer's send is best
            # effort) shows as a gap at the next heartbeat even when no event follows it.
            seqs = await database_sync_to_async(selectors.stream_last_seqs)(self.subscriptions)
            await self.send_json({"type": "pong", "time": timezone.now().isoformat(), "streams": seqs})
        elif kind == "subscribe":
            key = content.get("stream")
            await database_sync_to_async(streams.require_readable)(self.user, key)
            if key not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                raise FrameError(
                    "too_many", _("Follow at most %(count)d streams at once.") % {"count": MAX_SUBSCRIPTIONS}
                )
            self.outbox.pause()
            try:
                seq = await self._follow(key)
                await self.send_json({"type": "subscribed", "stream": key, "seq": seq})
            finally:
                self.outbox.resume()
        elif kind == "unsubscribe":
            key = content.get("stream")
            if key not in self.subscriptions or key == streams.user_stream(self.user.pk):
                raise FrameError("not_subscribed", _("You do not follow that stream here."))
            await self._unfollow(key)
            await self.send_json({"type": "unsubscribed", "stream": key})
        else:
            raise FrameError("unknown_type", _('Send "subscribe", "unsubscribe" or "ping".'))

    async def _follow(self, key: str) -> int:
        """Join the stream's group, then read its number: an event raised in between arrives
        both ways, and the client drops numbers it already has."""
        if key not in self.subscriptions:
            await self.hub.follow(key, self.outbox)
            self.subscriptions.add(key)
            if key.startswith("fair."):
                await database_sync_to_async(services.presence_enter)(key, self.user, self.channel_name)
        return await database_sync_to_async(lambda: services.stream_get(key).last_seq)()

    async def _unfollow(self, key: str) -> None:
        await self.hub.unfollow(key, self.outbox)
        self.subscriptions.discard(key)
        if key.startswith("fair."):
            await database_sync_to_async(services.presence_leave)(key, self.user, self.channel_name)
