"""Stream events inside one server process: the layer delivers each event to the process once,
and the process hands the encoded frame to every local socket that follows the stream.

Each events websocket used to join its streams' channel-layer groups itself. An event on a fair
followed by 500 sockets in one process then went through the layer 500 times: 500 queue
hand-offs, 500 consumer dispatches (Channels starts a task and an `asyncio.wait` per message)
and 500 JSON encodings, about 170 us of CPU per socket (docs/benchmarks.md, Realtime). Here the
process joins a stream's group once, on a channel of its own, encodes the event once and appends
the text to each follower's `Outbox`; a socket costs a wake-up and a write."""

import asyncio
import contextlib
import json
import logging
import weakref
from collections import deque

from . import streams

logger = logging.getLogger(__name__)

# Frames waiting for one socket. A client that stops reading (a frozen tab) fills it; past it
# the newest frames are dropped and the client is told to fetch them by number (`lagged`).
OUTBOX_FRAMES = 1000
# channels_redis' core layer forgets a group member after `group_expiry` (one day by default);
# the hub joins its groups again well before that.
GROUP_REFRESH_SECONDS = 3600
RETRY_SECONDS = 1.0
READER_STOP_SECONDS = 5.0


class Outbox:
    """The frames on their way to one socket, written in order by a task of the socket's own,
    so that one slow client never holds up the others."""

    def __init__(self, send, *, limit: int | None = None):
        self._send = send  # async (text) -> None
        self._limit = OUTBOX_FRAMES if limit is None else limit
        self._frames: deque[str] = deque()
        self._lagged: dict[str, int | None] = {}  # stream -> newest number dropped
        self._wake = asyncio.Event()
        self._open = asyncio.Event()  # created paused: the socket's greeting goes first
        self._task = asyncio.get_running_loop().create_task(self._write())

    def pause(self) -> None:
        """Hold frames back while the consumer answers a request itself (a subscribe: its
        "subscribed" frame goes before the stream's events)."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def put(self, key: str, text: str, seq: int | None) -> None:
        if self._task.done():
            return  # the socket is gone; its consumer is closing
        if len(self._frames) >= self._limit:
            newest = self._lagged.get(key)
            self._lagged[key] = seq if newest is None or (seq is not None and seq > newest) else newest
        else:
            self._frames.append(text)
        self._wake.set()

    async def _write(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._frames:
                    if not self._open.is_set():
                        await self._open.wait()
                    await self._send(self._frames.popleft())
                while self._lagged:
                    key, seq = self._lagged.popitem()
                    await self._send(json.dumps({"type": "lagged", "stream": key, "seq": seq}))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the client went away mid-write
            logger.debug("outbox stopped: %r", error)
            self._frames.clear()

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class StreamHub:
    """One per channel layer and event loop (a server process has one loop). It follows a
    stream's group while at least one local socket follows the stream."""

    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self.followers: dict[str, set[Outbox]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    async def follow(self, key: str, outbox: Outbox) -> None:
        async with self._lock:
            if self._reader is None:
                self.channel = await self.layer.new_channel()
                self._reader = asyncio.get_running_loop().create_task(self._run(self.channel))
            local = self.followers.setdefault(key, set())
            if not local:
                await self.layer.group_add(streams.group_name(key), self.channel)
            local.add(outbox)

    async def unfollow(self, key: str, outbox: Outbox) -> None:
        async with self._lock:
            local = self.followers.get(key)
            if not local or outbox not in local:
                return
            local.discard(outbox)
            if not local:
                del self.followers[key]
                await self.layer.group_discard(streams.group_name(key), self.channel)
            if not self.followers:
                # Nobody here follows anything: stop reading, so that an idle process (or a
                # test's event loop) holds no task.
                reader, self._reader, self.channel = self._reader, None, None
                reader.cancel()
                # Bounded: this runs under the hub's lock, and a layer whose receive ignored the
                # cancellation would otherwise stop every follow and unfollow in the process.
                done, _ = await asyncio.wait({reader}, timeout=READER_STOP_SECONDS)
                if not done:
                    logger.warning("stream hub reader did not stop within %s s", READER_STOP_SECONDS)

    def deliver(self, message: dict) -> None:
        frame = message.get("frame")
        if message.get("type") != "stream.event" or not isinstance(frame, dict):
            logger.warning("stream hub got an unexpected message %r", message.get("type"))
            return
        local = self.followers.get(frame.get("stream"))
        if not local:
            return
        text = json.dumps(frame)
        key, seq = frame["stream"], frame.get("seq")
        for outbox in tuple(local):
            outbox.put(key, text, seq)

    async def _run(self, channel: str) -> None:
        refresher = asyncio.get_running_loop().create_task(self._refresh_every(channel))
        try:
            await self._read(channel)
        finally:
            refresher.cancel()

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis went away for a moment: the sockets stay open, and their clients fetch
                # what they missed by number once events flow again.
                logger.exception("stream hub could not read from the channel layer; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.deliver(message)

    async def _refresh_every(self, channel: str) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            try:
                async with self._lock:
                    for key in list(self.followers):
                        await self.layer.group_add(streams.group_name(key), channel)
            except Exception:
                logger.exception("stream hub could not refresh its groups")


_hubs: "weakref.WeakKeyDictionary[object, weakref.WeakKeyDictionary]" = weakref.WeakKeyDictionary()


def hub_for(layer) -> StreamHub:
    """The hub of `layer` on the running event loop."""
    per_loop = _hubs.setdefault(layer, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    hub = per_loop.get(loop)
    if hub is None:
        hub = per_loop[loop] = StreamHub(layer)
    return hub
