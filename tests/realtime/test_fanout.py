"""realtime.fanout: a server process takes each stream event from the channel layer once and
hands the encoded frame to every local socket that follows the stream; a socket whose client
stopped reading loses the newest frames, is told so (`lagged`) and holds up nobody else; the
process stops following a stream with its last socket and keeps its groups joined while it
follows them. The hub is tested here on Channels' in-memory layer; with the Redis layers (under
CI=true) it is exercised through the consumers (test_consumers, test_live_js, the browser tests)
and measured by bench/realtime.py."""

import asyncio
import json

import pytest
from channels.layers import InMemoryChannelLayer

from realtime import fanout, streams

pytestmark = pytest.mark.asyncio

TIMEOUT = 5


class Socket:
    """What a consumer gives its outbox: an async send that records what was written, and can
    be made to stall like a client that stopped reading."""

    def __init__(self):
        self.texts: list[str] = []
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def send(self, text: str) -> None:
        await self.flowing.wait()
        self.texts.append(text)

    @property
    def frames(self) -> list[dict]:
        return [json.loads(text) for text in self.texts]

    async def until(self, count: int) -> list[dict]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.texts) < count:
                await asyncio.sleep(0.005)
        return self.frames


@pytest.fixture
def layer():
    return InMemoryChannelLayer()


@pytest.fixture
def memberships(monkeypatch, layer):
    """The group joins and leaves the layer sees: {group: set of channels}."""
    joined: dict[str, set[str]] = {}
    calls = []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def add(group, channel):
        calls.append(("add", group, channel))
        joined.setdefault(group, set()).add(channel)
        await group_add(group, channel)

    async def discard(group, channel):
        calls.append(("discard", group, channel))
        joined.get(group, set()).discard(channel)
        await group_discard(group, channel)

    monkeypatch.setattr(layer, "group_add", add)
    monkeypatch.setattr(layer, "group_discard", discard)
    joined["calls"] = calls
    return joined


def event(key: str, seq: int) -> dict:
    return {
        "type": "stream.event",
        "frame": {"type": "event", "stream": key, "seq": seq, "kind": "meeting", "data": {}},
    }


async def open_outbox(socket: Socket, **kwargs) -> fanout.Outbox:
    outbox = fanout.Outbox(socket.send, **kwargs)
    outbox.resume()
    return outbox


async def test_one_layer_message_per_process_for_every_local_follower(layer, memberships):
    hub = fanout.hub_for(layer)
    assert fanout.hub_for(layer) is hub  # one per layer and loop
    sockets = [Socket() for _ in range(3)]
    outboxes = [await open_outbox(s) for s in sockets]
    for outbox in outboxes:
        await hub.follow("fair.7", outbox)
    # The group holds the process's one channel, not a channel per socket.
    assert memberships[streams.group_name("fair.7")] == {hub.channel}
    assert len(memberships["calls"]) == 1

    sent = []
    original = hub.deliver
    hub.deliver = lambda message: (sent.append(message), original(message))
    for seq in (1, 2, 3):
        await layer.group_send(streams.group_name("fair.7"), event("fair.7", seq))
    for socket in sockets:
        frames = await socket.until(3)
        assert [f["seq"] for f in frames] == [1, 2, 3]
        assert frames[0] == event("fair.7", 1)["frame"]
    assert len(sent) == 3  # once per event, whatever the number of sockets

    for outbox in outboxes:
        await hub.unfollow("fair.7", outbox)
        await outbox.close()


async def test_only_the_followers_of_a_stream_get_its_frames(layer):
    hub = fanout.hub_for(layer)
    fair, other = Socket(), Socket()
    fair_box, other_box = await open_outbox(fair), await open_outbox(other)
    await hub.follow("fair.1", fair_box)
    await hub.follow("fair.2", other_box)
    await layer.group_send(streams.group_name("fair.1"), event("fair.1", 1))
    await layer.group_send(streams.group_name("fair.2"), event("fair.2", 1))
    assert [f["stream"] for f in await fair.until(1)] == ["fair.1"]
    assert [f["stream"] for f in await other.until(1)] == ["fair.2"]
    await asyncio.sleep(0.05)
    assert len(fair.texts) == len(other.texts) == 1
    await hub.unfollow("fair.1", fair_box)
    await hub.unfollow("fair.2", other_box)


async def test_a_stalled_client_loses_the_newest_frames_is_told_and_holds_up_nobody(layer):
    hub = fanout.hub_for(layer)
    stalled, reading = Socket(), Socket()
    stalled.flowing.clear()
    stalled_box = await open_outbox(stalled, limit=2)
    reading_box = await open_outbox(reading, limit=2)
    await hub.follow("fair.3", stalled_box)
    await hub.follow("fair.3", reading_box)
    for seq in range(1, 6):
        await layer.group_send(streams.group_name("fair.3"), event("fair.3", seq))
        await reading.until(seq)  # the reading client keeps up while the other one is stuck
    assert [f["seq"] for f in reading.frames] == [1, 2, 3, 4, 5]
    assert stalled.texts == []

    stalled.flowing.set()
    frames = await stalled.until(4)
    # Frame 1 was in the writer's hand when the client stalled; 2 and 3 filled the outbox; 4
    # and 5 were dropped: the client is told the newest number it lost.
    assert [f.get("seq") for f in frames if f["type"] == "event"] == [1, 2, 3]
    assert frames[-1] == {"type": "lagged", "stream": "fair.3", "seq": 5}

    # Once drained it gets frames again.
    await layer.group_send(streams.group_name("fair.3"), event("fair.3", 6))
    assert (await stalled.until(5))[-1]["seq"] == 6
    for outbox in (stalled_box, reading_box):
        await hub.unfollow("fair.3", outbox)
        await outbox.close()


async def test_a_paused_outbox_keeps_frames_until_resumed_in_order():
    socket = Socket()
    outbox = fanout.Outbox(socket.send)  # created paused: the greeting goes first
    outbox.put("user.1", '{"seq": 1}', 1)
    outbox.put("user.1", '{"seq": 2}', 2)
    await asyncio.sleep(0.05)
    assert socket.texts == []
    outbox.resume()
    assert [f["seq"] for f in await socket.until(2)] == [1, 2]
    outbox.pause()
    outbox.put("user.1", '{"seq": 3}', 3)
    await asyncio.sleep(0.05)
    assert len(socket.texts) == 2
    outbox.resume()
    assert [f["seq"] for f in await socket.until(3)] == [1, 2, 3]
    await outbox.close()


async def test_a_reader_that_ignores_its_cancellation_does_not_hold_the_hub(layer, monkeypatch, caplog):
    """unfollow waits for the stopped reader a bounded time: it holds the hub's lock meanwhile."""
    monkeypatch.setattr(fanout, "READER_STOP_SECONDS", 0.05)
    hub = fanout.hub_for(layer)
    release = asyncio.Event()

    async def stubborn(channel):
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # a receive that swallows its cancellation (until the test ends)
        raise asyncio.CancelledError

    monkeypatch.setattr(layer, "receive", stubborn)
    outbox = await open_outbox(Socket())
    await hub.follow("fair.8", outbox)
    reader = hub._reader
    await asyncio.sleep(0)
    async with asyncio.timeout(TIMEOUT):
        await hub.unfollow("fair.8", outbox)
    assert "did not stop" in caplog.text and not reader.done()
    release.set()
    await asyncio.wait({reader}, timeout=TIMEOUT)
    assert reader.done()
    await outbox.close()


async def test_an_outbox_whose_socket_failed_stops_quietly():
    async def gone(text):
        raise ConnectionResetError("client went away")

    outbox = await open_outbox(Socket())
    outbox._send = gone
    outbox.put("user.1", "{}", 1)
    await asyncio.sleep(0.05)
    outbox.put("user.1", "{}", 2)  # ignored, no error
    await outbox.close()


async def test_the_last_socket_to_leave_ends_the_group_and_the_reader(layer, memberships):
    hub = fanout.hub_for(layer)
    first, second = await open_outbox(Socket()), await open_outbox(Socket())
    await hub.follow("fair.4", first)
    await hub.follow("fair.4", second)
    reader, channel = hub._reader, hub.channel
    await hub.unfollow("fair.4", first)
    assert memberships[streams.group_name("fair.4")] == {channel}
    await hub.unfollow("fair.4", first)  # twice: nothing happens
    await hub.unfollow("fair.4", second)
    assert memberships[streams.group_name("fair.4")] == set()
    assert reader.done() and hub._reader is None and hub.channel is None

    # Following again starts afresh.
    socket = Socket()
    third = await open_outbox(socket)
    await hub.follow("fair.4", third)
    await layer.group_send(streams.group_name("fair.4"), event("fair.4", 9))
    assert (await socket.until(1))[0]["seq"] == 9
    await hub.unfollow("fair.4", third)


async def test_the_reader_survives_a_layer_failure(layer, monkeypatch, caplog):
    hub = fanout.hub_for(layer)
    monkeypatch.setattr(fanout, "RETRY_SECONDS", 0.01)
    receive = layer.receive
    failures = []

    async def flaky(channel):
        if not failures:
            failures.append(channel)
            raise ConnectionError("Redis went away")
        return await receive(channel)

    monkeypatch.setattr(layer, "receive", flaky)
    socket = Socket()
    outbox = await open_outbox(socket)
    await hub.follow("fair.5", outbox)
    await layer.group_send(streams.group_name("fair.5"), event("fair.5", 1))
    assert (await socket.until(1))[0]["seq"] == 1
    assert failures and "could not read from the channel layer" in caplog.text
    await hub.unfollow("fair.5", outbox)


async def test_the_hub_joins_its_groups_again_before_the_layer_forgets_them(layer, monkeypatch, memberships):
    hub = fanout.hub_for(layer)
    monkeypatch.setattr(fanout, "GROUP_REFRESH_SECONDS", 0.02)
    outbox = await open_outbox(Socket())
    await hub.follow("fair.6", outbox)
    async with asyncio.timeout(TIMEOUT):
        while len(memberships["calls"]) < 3:
            await asyncio.sleep(0.01)
    assert {(kind, group) for kind, group, _ in memberships["calls"]} == {("add", streams.group_name("fair.6"))}
    await hub.unfollow("fair.6", outbox)
