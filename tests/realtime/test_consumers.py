"""The events websocket: only signed-in users from allowed origins; bad frames get an error
frame and never kill the consumer; a user follows their own stream and the fairs they take part
in, nothing else; heartbeats keep presence fresh; presence is announced once per user; a client
that was away catches up by number and ends with exactly the server's events."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.test import APIClient

from realtime import consumers, services
from realtime.models import Event, Presence, Stream
from tests import factories
from tests.realtime.conftest import make_crowd
from tradeon.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
db = database_sync_to_async


# Generous: the machine running the suite may be busy; a passing test never waits this long.
TIMEOUT = 10


def _communicator(user, origin: bytes | None = b"http://127.0.0.1:8000"):
    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    communicator.scope["user"] = user
    return communicator


async def _connected(user) -> tuple[WebsocketCommunicator, dict]:
    communicator = _communicator(user)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    hello = await _receive(communicator)
    assert hello["type"] == "hello"
    return communicator, hello


async def _receive(communicator) -> dict:
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def _until(communicator, wanted) -> list[dict]:
    """The frames that arrive up to and including the first one `wanted(frame)` accepts."""
    frames = [await _receive(communicator)]
    while not wanted(frames[-1]):
        frames.append(await _receive(communicator))
    return frames


async def _still_alive(communicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    frames = await _until(communicator, lambda f: f["type"] == "pong")
    assert not [f for f in frames if f["type"] == "error"]


async def _subscribe(communicator, key: str) -> dict:
    await communicator.send_json_to({"type": "subscribe", "stream": key})
    return await _receive(communicator)


async def _pushed_so_far(communicator, user) -> list[dict]:
    """Every frame pushed to the connection until now: a marker notification goes to the
    user's own stream after them (one channel keeps its messages in order), and the frames
    before it are returned."""
    marker = await db(services.event_publish)(f"user.{user.pk}", "test.marker", {})

    def is_marker(frame):
        return frame.get("kind") == "test.marker" and frame["seq"] == marker.seq

    return (await _until(communicator, is_marker))[:-1]


# --- who may connect --------------------------------------------------------------------------------


async def test_anonymous_connection_is_refused():
    communicator = _communicator(AnonymousUser())
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected
    await communicator.disconnect()


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://127.0.0.1.evil.example", None])
async def test_a_foreign_or_missing_origin_is_refused(origin):
    user = await db(factories.SMEUserFactory)()
    communicator = _communicator(user, origin=origin)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected
    await communicator.disconnect()


async def test_hello_names_the_own_stream_its_number_and_read_mark():
    user = await db(factories.BuyerUserFactory)()
    await db(services.notify_users)([user], "hello", "Hello")
    await db(services.notify_users)([user], "hello", "Hello again")
    await db(services.notifications_mark_read)(user=user, up_to=1)
    communicator, hello = await _connected(user)
    assert hello == {
        "type": "hello",
        "user": user.pk,
        "streams": {f"user.{user.pk}": 2},
        "read_seq": 1,
        "heartbeat": consumers.HEARTBEAT_SECONDS,
    }
    await communicator.disconnect()


# --- bad frames -------------------------------------------------------------------------------------


async def test_every_kind_of_bad_frame_gets_an_error_and_the_connection_keeps_working():
    user = await db(factories.BuyerUserFactory)()
    communicator, _ = await _connected(user)
    own = f"user.{user.pk}"
    cases = [
        ({"text_data": "{not json"}, "bad_frame"),
        ({"text_data": "[1, 2]"}, "bad_frame"),
        ({"text_data": '"subscribe"'}, "bad_frame"),
        ({"text_data": "42"}, "bad_frame"),
        ({"text_data": "{}"}, "bad_frame"),
        ({"text_data": '{"type": 7}'}, "bad_frame"),
        ({"text_data": '{"type": "dance"}'}, "unknown_type"),
        ({"text_data": json.dumps({"type": "ping", "pad": "x" * consumers.MAX_FRAME_BYTES})}, "too_large"),
        ({"bytes_data": b"\x00\x01binary"}, "bad_frame"),
        ({"text_data": '{"type": "subscribe"}'}, "invalid"),
        ({"text_data": '{"type": "subscribe", "stream": "fair.abc"}'}, "invalid"),
        ({"text_data": '{"type": "subscribe", "stream": ["fair.1"]}'}, "invalid"),
        ({"text_data": '{"type": "unsubscribe", "stream": "fair.1"}'}, "not_subscribed"),
        ({"text_data": json.dumps({"type": "unsubscribe", "stream": own})}, "not_subscribed"),
    ]
    for frame, code in cases:
        await communicator.send_to(**frame)
        error = await _receive(communicator)
        assert (error["type"], error["code"]) == ("error", code), frame
        assert error["message"]
        await _still_alive(communicator)
    await communicator.disconnect()


async def test_a_client_that_leaves_while_being_answered_is_not_an_error(monkeypatch, caplog):
    """A ping answered just as the client closes: the server's send raises an OSError (uvicorn's
    ClientDisconnected); that is the client's leaving, not a failure to log or answer."""
    user = await db(factories.SMEUserFactory)()
    communicator, _ = await _connected(user)
    sent = []

    async def gone(self, content, close=False):
        sent.append(content)
        raise ConnectionResetError("client disconnected")

    monkeypatch.setattr(consumers.EventsConsumer, "send_json", gone)
    await communicator.send_json_to({"type": "ping"})
    await communicator.receive_nothing(timeout=0.3)
    assert [frame["type"] for frame in sent] == ["pong"]  # and no error frame after it
    assert "websocket frame failed" not in caplog.text
    monkeypatch.undo()
    await _still_alive(communicator)
    await communicator.disconnect()


async def test_a_frame_that_fails_inside_gets_a_server_error_and_the_connection_survives(monkeypatch):
    user = await db(factories.SMEUserFactory)()
    communicator, _ = await _connected(user)

    def broken(channel_name):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "presence_touch", broken)
    await communicator.send_json_to({"type": "ping"})
    assert (await _receive(communicator))["code"] == "server_error"
    monkeypatch.undo()
    await _still_alive(communicator)
    await communicator.disconnect()


# --- who may follow what ----------------------------------------------------------------------------


async def test_participants_and_staff_follow_the_fair_and_get_its_events():
    crowd = await db(make_crowd)()
    for user in (crowd.sme, crowd.buyer, crowd.invited_buyer, crowd.staff):
        communicator, _ = await _connected(user)
        subscribed = await _subscribe(communicator, crowd.fair_key)
        assert subscribed["type"] == "subscribed" and subscribed["stream"] == crowd.fair_key
        event = await db(services.event_publish)(crowd.fair_key, "announcement", {"text": "Fair opens"})
        frames = await _until(communicator, lambda f: f.get("kind") == "announcement")
        assert (frames[-1]["stream"], frames[-1]["seq"]) == (crowd.fair_key, event.seq)
        await communicator.disconnect()


async def test_a_server_process_follows_a_stream_once_whatever_its_number_of_sockets(monkeypatch):
    """The layer carries an event to the process once (realtime.fanout), not once per socket."""
    from channels.layers import get_channel_layer

    from realtime import fanout, streams

    crowd = await db(make_crowd)()
    layer = get_channel_layer()
    group = streams.group_name(crowd.fair_key)
    joins = []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def add(name, channel):
        joins.append(("add", name))
        await group_add(name, channel)

    async def discard(name, channel):
        joins.append(("discard", name))
        await group_discard(name, channel)

    monkeypatch.setattr(layer, "group_add", add)
    monkeypatch.setattr(layer, "group_discard", discard)
    communicators = []
    for user in (crowd.sme, crowd.buyer, crowd.staff):
        communicator, _ = await _connected(user)
        assert (await _subscribe(communicator, crowd.fair_key))["type"] == "subscribed"
        communicators.append(communicator)
    assert joins.count(("add", group)) == 1
    assert len(fanout.hub_for(layer).followers[crowd.fair_key]) == 3
    event = await db(services.event_publish)(crowd.fair_key, "announcement", {"text": "Fair opens"})
    for communicator in communicators:
        frames = await _until(communicator, lambda f: f.get("kind") == "announcement")
        assert frames[-1]["seq"] == event.seq
        await communicator.disconnect()
    assert joins.count(("discard", group)) == 1
    assert crowd.fair_key not in fanout.hub_for(layer).followers


async def test_the_heartbeat_answer_carries_the_newest_number_of_each_followed_stream(monkeypatch):
    """A push lost on the way, with no event after it, shows at the next heartbeat."""
    crowd = await db(make_crowd)()
    communicator, hello = await _connected(crowd.sme)
    own = f"user.{crowd.sme.pk}"
    await _subscribe(communicator, crowd.fair_key)
    monkeypatch.setattr(services, "_push", lambda key, frame: None)  # pushes are lost
    announced = await db(services.event_publish)(crowd.fair_key, "announcement", {"text": "Lost push"})
    await communicator.send_json_to({"type": "ping"})
    pong = (await _until(communicator, lambda f: f["type"] == "pong"))[-1]
    assert pong["streams"] == {own: hello["streams"][own], crowd.fair_key: announced.seq}
    await communicator.disconnect()


async def test_outsiders_are_refused_the_fairs_stream_and_hear_nothing_from_it():
    crowd = await db(make_crowd)()
    for user in (crowd.other_sme, crowd.outside_buyer, crowd.declined_sme):
        communicator, _ = await _connected(user)
        refused = await _subscribe(communicator, crowd.fair_key)
        assert (refused["type"], refused["code"], refused["field"]) == ("error", "permission_denied", "stream")
        await db(services.event_publish)(crowd.fair_key, "announcement", {"text": "secret"})
        assert await _pushed_so_far(communicator, user) == []
        await _still_alive(communicator)
        await communicator.disconnect()
    # Nobody refused left a trace in the lobby.
    assert not await db(lambda: Presence.objects.filter(stream__key=crowd.fair_key).exists())()


async def test_a_user_cannot_follow_someone_elses_notifications():
    crowd = await db(make_crowd)()
    communicator, _ = await _connected(crowd.buyer)
    refused = await _subscribe(communicator, f"user.{crowd.sme.pk}")
    assert (refused["code"], refused["field"]) == ("permission_denied", "stream")
    await db(services.notify_users)([crowd.sme], "private", "For the SME only")
    assert await _pushed_so_far(communicator, crowd.buyer) == []
    await communicator.disconnect()


async def test_staff_cannot_follow_a_fair_that_does_not_exist():
    staff = await db(factories.StaffUserFactory)()
    communicator, _ = await _connected(staff)
    refused = await _subscribe(communicator, "fair.999999")
    assert (refused["code"], refused["field"]) == ("invalid", "stream")
    assert not await db(lambda: Stream.objects.filter(key="fair.999999").exists())()
    await communicator.disconnect()


async def test_following_too_many_streams_is_refused(monkeypatch):
    monkeypatch.setattr(consumers, "MAX_SUBSCRIPTIONS", 2)  # the own stream and one fair
    staff = await db(factories.StaffUserFactory)()
    first, second = await db(lambda: (factories.FairFactory(), factories.FairFactory()))()
    communicator, _ = await _connected(staff)
    assert (await _subscribe(communicator, f"fair.{first.pk}"))["type"] == "subscribed"
    await _pushed_so_far(communicator, staff)  # the lobby's presence event
    refused = await _subscribe(communicator, f"fair.{second.pk}")
    assert (refused["type"], refused["code"]) == ("error", "too_many")
    # Asking again for a stream already followed is no new subscription.
    assert (await _subscribe(communicator, f"fair.{first.pk}"))["type"] == "subscribed"
    await _still_alive(communicator)
    await communicator.disconnect()


async def test_after_unsubscribing_the_fairs_events_stop():
    crowd = await db(make_crowd)()
    communicator, _ = await _connected(crowd.staff)
    await _subscribe(communicator, crowd.fair_key)
    await _pushed_so_far(communicator, crowd.staff)
    await communicator.send_json_to({"type": "unsubscribe", "stream": crowd.fair_key})
    assert await _receive(communicator) == {"type": "unsubscribed", "stream": crowd.fair_key}
    await db(services.event_publish)(crowd.fair_key, "announcement", {"text": "after"})
    assert [f for f in await _pushed_so_far(communicator, crowd.staff) if f["stream"] == crowd.fair_key] == []
    await communicator.disconnect()


# --- heartbeats and presence ------------------------------------------------------------------------


async def test_a_heartbeat_refreshes_the_connections_presence():
    crowd = await db(make_crowd)()
    communicator, _ = await _connected(crowd.sme)
    await _subscribe(communicator, crowd.fair_key)
    await _pushed_so_far(communicator, crowd.sme)  # its own arrival in the lobby
    long_ago = timezone.now() - timedelta(seconds=60)
    await db(lambda: Presence.objects.update(last_seen=long_ago))()
    await _still_alive(communicator)
    last_seen = await db(lambda: Presence.objects.get(user=crowd.sme).last_seen)()
    assert last_seen > long_ago + timedelta(seconds=55)
    await communicator.disconnect()


def _presence_events(key: str) -> list[tuple[int, bool]]:
    return [
        (e.data["user"], e.data["online"])
        for e in Event.objects.filter(stream__key=key, kind="presence").order_by("seq")
    ]


async def test_presence_is_announced_once_per_user_even_with_two_tabs():
    crowd = await db(make_crowd)()
    board, _ = await _connected(crowd.staff)
    await _subscribe(board, crowd.fair_key)
    await _pushed_so_far(board, crowd.staff)
    tab1, _ = await _connected(crowd.buyer)
    await _subscribe(tab1, crowd.fair_key)
    tab2, _ = await _connected(crowd.buyer)
    await _subscribe(tab2, crowd.fair_key)
    seen = [f["data"] for f in await _pushed_so_far(board, crowd.staff) if f.get("kind") == "presence"]
    assert [(d["user"], d["online"], d["buyer"]) for d in seen] == [
        (crowd.buyer.pk, True, crowd.buyer.buyer_organisation_id)
    ]
    await tab1.disconnect()
    assert await _pushed_so_far(board, crowd.staff) == []  # still there in the other tab
    await tab2.disconnect()
    seen = [f["data"] for f in await _pushed_so_far(board, crowd.staff) if f.get("kind") == "presence"]
    assert [(d["user"], d["online"]) for d in seen] == [(crowd.buyer.pk, False)]
    assert await db(_presence_events)(crowd.fair_key) == [
        (crowd.staff.pk, True),
        (crowd.buyer.pk, True),
        (crowd.buyer.pk, False),
    ]
    assert await db(services.presence_online)(crowd.fair_key) == [
        {
            "user": crowd.staff.pk,
            "name": crowd.staff.get_username(),
            "role": "staff",
            "company": None,
            "buyer": None,
            "online": True,
        }
    ]
    await board.disconnect()


async def test_the_sweep_drops_silent_connections_and_a_late_heartbeat_brings_them_back():
    crowd = await db(make_crowd)()
    quiet, _ = await _connected(crowd.sme)
    await _subscribe(quiet, crowd.fair_key)
    lively, _ = await _connected(crowd.buyer)
    await _subscribe(lively, crowd.fair_key)
    stale = timezone.now() - timedelta(seconds=services.PRESENCE_STALE_SECONDS + 5)
    await db(lambda: Presence.objects.filter(user=crowd.sme).update(last_seen=stale))()
    assert await db(services.presence_sweep)(crowd.fair_key) == 1
    assert await db(services.presence_sweep)(crowd.fair_key) == 0
    assert await db(_presence_events)(crowd.fair_key) == [
        (crowd.sme.pk, True),
        (crowd.buyer.pk, True),
        (crowd.sme.pk, False),
    ]
    assert [p["user"] for p in await db(services.presence_online)(crowd.fair_key)] == [crowd.buyer.pk]
    # The "gone" tab was only throttled: its next heartbeat puts it back in the lobby.
    await _pushed_so_far(quiet, crowd.sme)
    await _still_alive(quiet)
    assert (await db(_presence_events)(crowd.fair_key))[-1] == (crowd.sme.pk, True)
    await quiet.disconnect()
    await lively.disconnect()


# --- notifications over the socket ------------------------------------------------------------------


async def test_notifications_arrive_numbered_and_marking_read_reaches_every_tab():
    user = await db(factories.BuyerUserFactory)()
    tab1, _ = await _connected(user)
    tab2, _ = await _connected(user)
    await db(services.notify_users)([user], "hello", "Hello", url="/fairs/", data={"fair": 3})
    for tab in (tab1, tab2):
        event = await _receive(tab)
        assert (event["type"], event["stream"], event["seq"], event["kind"]) == ("event", f"user.{user.pk}", 1, "hello")
        assert event["data"] == {"message": "Hello", "url": "/fairs/", "fair": 3}
    await db(services.notifications_mark_read)(user=user)
    for tab in (tab1, tab2):
        assert await _receive(tab) == {"type": "read", "stream": f"user.{user.pk}", "read_seq": 1, "unread": 0}
    await tab1.disconnect()
    await tab2.disconnect()


# --- catching up ------------------------------------------------------------------------------------


class Mirror:
    """What a client (live.js) keeps of a stream: the events in order, by number, each once."""

    def __init__(self, key: str):
        self.key = key
        self.events: list[dict] = []
        self.last = 0
        self.gaps = 0

    def push(self, frame: dict) -> bool:
        """A pushed frame; False when a number was skipped (the client must fetch first)."""
        if frame.get("type") != "event" or frame["stream"] != self.key or frame["seq"] <= self.last:
            return True
        if frame["seq"] != self.last + 1:
            self.gaps += 1
            return False
        self.events.append(frame)
        self.last = frame["seq"]
        return True

    def fetch(self, client: APIClient, limit: int) -> int:
        """GET /api/v1/events/ from the last number, following `next`; returns the pages read."""
        url, pages = f"/api/v1/events/?stream={self.key}&after={self.last}&limit={limit}", 0
        while url:
            body = client.get(url).json()
            pages += 1
            for frame in body["results"]:
                assert frame["seq"] == self.last + 1
                self.events.append(frame)
                self.last = frame["seq"]
            url = body["next"]
        return pages


async def test_a_client_that_was_away_catches_up_to_exactly_the_servers_events():
    crowd = await db(make_crowd)()
    key = crowd.fair_key
    client = APIClient()
    client.force_authenticate(crowd.staff)
    mirror = Mirror(key)

    communicator, _ = await _connected(crowd.staff)
    subscribed = await _subscribe(communicator, key)
    await db(mirror.fetch)(client, 500)  # what happened before subscribing
    assert mirror.last == subscribed["seq"]
    for n in range(2):
        await db(services.event_publish)(key, "announcement", {"n": n})
    assert all(mirror.push(frame) for frame in await _pushed_so_far(communicator, crowd.staff))
    await communicator.disconnect()

    # Away: the board changes, others come and go (the disconnect itself is an event too).
    for n in range(5):
        await db(services.event_publish)(key, "meeting", {"id": n, "live_state": "live"})
    other, _ = await _connected(crowd.sme)
    await _subscribe(other, key)
    await other.disconnect()

    communicator, _ = await _connected(crowd.staff)
    subscribed = await _subscribe(communicator, key)
    assert subscribed["seq"] > mirror.last + 1  # missed events: fetch them, in pages of 3
    assert await db(mirror.fetch)(client, 3) >= 3
    await db(services.event_publish)(key, "announcement", {"n": "after"})
    assert all(mirror.push(frame) for frame in await _pushed_so_far(communicator, crowd.staff))

    def server_events():
        return [
            json.loads(json.dumps(services.event_frame(e, key)))
            for e in Event.objects.filter(stream__key=key).order_by("seq")
        ]

    expected = await db(server_events)()
    await communicator.disconnect()
    assert mirror.gaps == 0
    assert [f["seq"] for f in mirror.events] == list(range(1, len(expected) + 1))
    assert mirror.events == expected
