"""A meeting's room websocket: only the meeting's people get in (a refused connection is never
accepted and leaves no attendance); signals reach only the peer addressed; chat is kept and
shown to all; bad frames get error frames; joins and leaves drive the meeting's live state."""

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from matching.models import LiveState, Meeting, MeetingAttendance, MeetingChatMessage
from tests import factories
from tradeon.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = b"http://127.0.0.1:8000"


def _communicator(user, meeting_id):
    communicator = WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/room/", headers=[(b"origin", ORIGIN)])
    communicator.scope["user"] = user
    return communicator


@database_sync_to_async
def _setup(**meeting_kwargs):
    meeting = factories.PublishedMeetingFactory(**meeting_kwargs)
    interpreter_user = factories.StaffUserFactory(is_staff=False, first_name="Nok")
    meeting.interpreter = factories.InterpreterFactory(user=interpreter_user)
    meeting.save(update_fields=["interpreter"])
    return meeting, {
        "sme": factories.SMEUserFactory(company=meeting.company, first_name="Minji"),
        "buyer": factories.BuyerUserFactory(buyer_organisation=meeting.buyer, first_name="Anong"),
        "interpreter": interpreter_user,
        "staff": factories.StaffUserFactory(first_name="Jiwoo"),
        "other_sme": factories.SMEUserFactory(),
        "other_buyer": factories.BuyerUserFactory(),
    }


async def _enter(user, meeting_id):
    communicator = _communicator(user, meeting_id)
    connected, code = await communicator.connect()
    assert connected, code
    welcome = await communicator.receive_json_from()
    assert welcome["type"] == "welcome"
    return communicator, welcome


@database_sync_to_async
def _attendance(meeting_id):
    return list(MeetingAttendance.objects.filter(meeting_id=meeting_id).order_by("id"))


@database_sync_to_async
def _meeting(meeting_id):
    return Meeting.objects.get(pk=meeting_id)


# --- who gets in -----------------------------------------------------------------------------------


async def test_each_permitted_side_is_welcomed_and_its_join_recorded():
    meeting, people = await _setup()
    communicators = []
    for side in ("sme", "buyer", "interpreter", "staff"):
        communicator, welcome = await _enter(people[side], meeting.pk)
        communicators.append(communicator)
        assert welcome["side"] == side and welcome["meeting"] == meeting.pk
        assert welcome["user"] == people[side].pk
        assert welcome["ice_servers"] == [] and welcome["chat"] == []
        assert len(welcome["peers"]) == len(communicators) - 1
    rows = await _attendance(meeting.pk)
    assert [r.side for r in rows] == ["sme", "buyer", "interpreter", "staff"]
    assert all(r.left_at is None and r.channel_name for r in rows)
    for communicator in communicators:
        await communicator.disconnect()


@pytest.mark.parametrize(
    ("who", "code"),
    [("other_sme", 4403), ("other_buyer", 4403), ("anonymous", 4401)],
)
async def test_outsiders_are_refused_without_being_accepted_or_recorded(who, code):
    meeting, people = await _setup()
    user = AnonymousUser() if who == "anonymous" else people[who]
    communicator = _communicator(user, meeting.pk)
    connected, close_code = await communicator.connect()
    assert not connected and close_code == code
    await communicator.disconnect()
    assert await _attendance(meeting.pk) == []


async def test_the_buyer_of_another_organisation_in_the_same_fair_is_refused():
    meeting, people = await _setup()
    other = await database_sync_to_async(factories.PublishedMeetingFactory)(
        fair=meeting.fair, company=meeting.company, starts_at=meeting.ends_at + dt.timedelta(minutes=10)
    )
    intruder = await database_sync_to_async(factories.BuyerUserFactory)(buyer_organisation=other.buyer)
    communicator = _communicator(intruder, meeting.pk)
    connected, close_code = await communicator.connect()
    assert not connected and close_code == 4403
    await communicator.disconnect()
    assert await _attendance(meeting.pk) == []


@pytest.mark.parametrize(
    ("meeting_kwargs", "code"),
    [({"status": "cancelled"}, 4410), ({"status": "draft", "published_at": None}, 4404)],
)
async def test_cancelled_and_draft_meetings_refuse_their_own_people(meeting_kwargs, code):
    meeting, people = await _setup(**meeting_kwargs)
    communicator = _communicator(people["sme"], meeting.pk)
    connected, close_code = await communicator.connect()
    assert not connected and close_code == code
    await communicator.disconnect()
    assert await _attendance(meeting.pk) == []


async def test_staff_cannot_enter_a_drafts_room_either():
    meeting, people = await _setup(status="draft", published_at=None)
    communicator = _communicator(people["staff"], meeting.pk)
    connected, close_code = await communicator.connect()
    assert not connected and close_code == 4410
    await communicator.disconnect()


async def test_an_unknown_meeting_is_refused():
    _meeting_, people = await _setup()
    communicator = _communicator(people["staff"], 987654)
    connected, close_code = await communicator.connect()
    assert not connected and close_code == 4404
    await communicator.disconnect()


# --- signalling ------------------------------------------------------------------------------------


async def test_peers_are_told_of_joins_and_signals_reach_only_the_peer_addressed():
    meeting, people = await _setup()
    sme, sme_welcome = await _enter(people["sme"], meeting.pk)
    buyer, buyer_welcome = await _enter(people["buyer"], meeting.pk)
    assert buyer_welcome["peers"] == [
        {"peer": sme_welcome["peer"], "side": "sme", "name": "Minji", "party": meeting.company.name_en}
    ]
    joined = await sme.receive_json_from()
    assert joined == {
        "type": "peer-joined",
        "peer": buyer_welcome["peer"],
        "side": "buyer",
        "name": "Anong",
        "party": meeting.buyer.name,
    }
    staff, staff_welcome = await _enter(people["staff"], meeting.pk)
    assert {p["peer"] for p in staff_welcome["peers"]} == {sme_welcome["peer"], buyer_welcome["peer"]}
    assert (await sme.receive_json_from())["type"] == "peer-joined"
    assert (await buyer.receive_json_from())["type"] == "peer-joined"

    # The newcomer (highest id) offers; only the addressed peer hears it.
    offer = {"sdp": {"type": "offer", "sdp": "v=0\r\n...", "extra": "dropped"}}
    await staff.send_json_to({"type": "signal", "to": buyer_welcome["peer"], "data": offer})
    relayed = await buyer.receive_json_from()
    assert relayed == {
        "type": "signal",
        "from": staff_welcome["peer"],
        "data": {"sdp": {"type": "offer", "sdp": "v=0\r\n..."}},
    }
    assert await sme.receive_nothing(timeout=0.2)
    assert await staff.receive_nothing(timeout=0.1)

    candidate = {"candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.2 5000 typ host", "sdpMid": "0"}}
    await buyer.send_json_to({"type": "signal", "to": staff_welcome["peer"], "data": candidate})
    assert (await staff.receive_json_from())["data"] == candidate
    assert await sme.receive_nothing(timeout=0.2)
    for communicator in (sme, buyer, staff):
        await communicator.disconnect()


async def test_signals_to_strangers_or_with_bad_data_get_error_frames():
    meeting, people = await _setup()
    sme, sme_welcome = await _enter(people["sme"], meeting.pk)
    buyer, buyer_welcome = await _enter(people["buyer"], meeting.pk)
    await sme.receive_json_from()  # peer-joined
    # A connection in another meeting's room is not a peer here.
    other_meeting = await database_sync_to_async(factories.PublishedMeetingFactory)(
        company=meeting.company, starts_at=meeting.ends_at + dt.timedelta(minutes=10)
    )
    elsewhere, elsewhere_welcome = await _enter(people["sme"], other_meeting.pk)
    for frame, code in (
        ({"type": "signal", "to": elsewhere_welcome["peer"], "data": {"candidate": None}}, "unknown_peer"),
        ({"type": "signal", "to": sme_welcome["peer"], "data": {"candidate": None}}, "unknown_peer"),
        ({"type": "signal", "to": str(buyer_welcome["peer"]), "data": {"candidate": None}}, "unknown_peer"),
        ({"type": "signal", "to": buyer_welcome["peer"], "data": "hello"}, "bad_signal"),
        (
            {"type": "signal", "to": buyer_welcome["peer"], "data": {"sdp": {"type": "pranswer", "sdp": ""}}},
            "bad_signal",
        ),
        ({"type": "signal", "to": buyer_welcome["peer"], "data": {"candidate": 5}}, "bad_signal"),
        ({"type": "signal", "to": buyer_welcome["peer"], "data": {}}, "bad_signal"),
    ):
        await sme.send_json_to(frame)
        error = await sme.receive_json_from()
        assert (error["type"], error["code"]) == ("error", code), frame
    assert await buyer.receive_nothing(timeout=0.2)
    assert await elsewhere.receive_nothing(timeout=0.1)
    # An end-of-candidates signal is relayed as null.
    await sme.send_json_to({"type": "signal", "to": buyer_welcome["peer"], "data": {"candidate": None}})
    assert (await buyer.receive_json_from())["data"] == {"candidate": None}
    for communicator in (sme, buyer, elsewhere):
        await communicator.disconnect()


async def test_a_leaving_peer_is_announced_and_a_returning_one_gets_a_new_peer_id():
    meeting, people = await _setup()
    sme, sme_welcome = await _enter(people["sme"], meeting.pk)
    buyer, buyer_welcome = await _enter(people["buyer"], meeting.pk)
    await sme.receive_json_from()  # peer-joined
    await buyer.disconnect()
    assert await sme.receive_json_from() == {"type": "peer-left", "peer": buyer_welcome["peer"]}
    again, again_welcome = await _enter(people["buyer"], meeting.pk)
    assert again_welcome["peer"] != buyer_welcome["peer"]
    assert [p["peer"] for p in again_welcome["peers"]] == [sme_welcome["peer"]]
    assert (await sme.receive_json_from())["peer"] == again_welcome["peer"]
    # The old id is gone: signals to it are refused.
    await sme.send_json_to({"type": "signal", "to": buyer_welcome["peer"], "data": {"candidate": None}})
    assert (await sme.receive_json_from())["code"] == "unknown_peer"
    await sme.disconnect()
    await again.disconnect()


async def test_media_state_reaches_the_others_only():
    meeting, people = await _setup()
    sme, sme_welcome = await _enter(people["sme"], meeting.pk)
    buyer, _ = await _enter(people["buyer"], meeting.pk)
    await sme.receive_json_from()  # peer-joined
    await sme.send_json_to({"type": "media", "audio": False, "video": True})
    assert await buyer.receive_json_from() == {
        "type": "media",
        "peer": sme_welcome["peer"],
        "audio": False,
        "video": True,
    }
    assert await sme.receive_nothing(timeout=0.2)
    await sme.send_json_to({"type": "media", "audio": "no"})
    assert (await sme.receive_json_from())["code"] == "bad_frame"
    await sme.disconnect()
    await buyer.disconnect()


# --- chat --------------------------------------------------------------------------------------------


async def test_chat_is_kept_and_shown_to_everyone_in_the_room():
    meeting, people = await _setup()
    sme, _ = await _enter(people["sme"], meeting.pk)
    buyer, _ = await _enter(people["buyer"], meeting.pk)
    await sme.receive_json_from()  # peer-joined
    await buyer.send_json_to({"type": "chat", "text": "  MOQ is 500 units?  "})
    for communicator in (sme, buyer):
        frame = await communicator.receive_json_from()
        assert frame["type"] == "chat"
        message = frame["message"]
        assert (message["text"], message["side"], message["author"]) == ("MOQ is 500 units?", "buyer", "Anong")
    stored = await database_sync_to_async(lambda: list(MeetingChatMessage.objects.values_list("text", "side")))()
    assert stored == [("MOQ is 500 units?", "buyer")]
    # A newcomer sees it in the welcome.
    staff, staff_welcome = await _enter(people["staff"], meeting.pk)
    assert [line["text"] for line in staff_welcome["chat"]] == ["MOQ is 500 units?"]
    for communicator in (sme, buyer, staff):
        await communicator.disconnect()


async def test_empty_oversized_and_non_text_chat_get_error_frames_and_nothing_is_kept():
    meeting, people = await _setup()
    sme, _ = await _enter(people["sme"], meeting.pk)
    for text in ("", "   ", "x" * 2001, None, ["a"]):
        await sme.send_json_to({"type": "chat", "text": text})
        error = await sme.receive_json_from()
        assert (error["type"], error["field"]) == ("error", "text"), text
    assert await database_sync_to_async(MeetingChatMessage.objects.count)() == 0
    # The connection lives on.
    await sme.send_json_to({"type": "chat", "text": "ok"})
    assert (await sme.receive_json_from())["message"]["text"] == "ok"
    await sme.disconnect()


async def test_a_flood_of_chat_is_slowed_down():
    meeting, people = await _setup()
    sme, _ = await _enter(people["sme"], meeting.pk)
    for i in range(10):
        await sme.send_json_to({"type": "chat", "text": f"line {i}"})
        assert (await sme.receive_json_from())["type"] == "chat"
    await sme.send_json_to({"type": "chat", "text": "one more"})
    assert (await sme.receive_json_from())["code"] == "slow_down"
    assert await database_sync_to_async(MeetingChatMessage.objects.count)() == 10
    await sme.disconnect()


# --- bad frames --------------------------------------------------------------------------------------


async def test_malformed_frames_get_error_frames_and_never_kill_the_connection():
    meeting, people = await _setup()
    sme, _ = await _enter(people["sme"], meeting.pk)
    for raw, code in (
        ("{not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "chat", "text": "' + "x" * 40_000 + '"}', "too_large"),
    ):
        await sme.send_to(text_data=raw)
        error = await sme.receive_json_from()
        assert (error["type"], error["code"]) == ("error", code), raw
    await sme.send_to(bytes_data=b"\x00\x01")
    assert (await sme.receive_json_from())["code"] == "bad_frame"
    await sme.send_json_to({"type": "ping"})
    assert (await sme.receive_json_from())["type"] == "pong"
    await sme.disconnect()


# --- attendance and the meeting's live state ----------------------------------------------------------


@database_sync_to_async
def _backdate(meeting_id, seconds):
    """Pretend both sides came in `seconds` ago (the services read the clock themselves)."""
    earlier = timezone.now() - dt.timedelta(seconds=seconds)
    MeetingAttendance.objects.filter(meeting_id=meeting_id).update(joined_at=earlier)
    Meeting.objects.filter(pk=meeting_id).update(live_started_at=earlier)


async def test_both_sides_in_make_the_meeting_live_and_leaving_completes_it():
    meeting, people = await _setup()
    sme, _ = await _enter(people["sme"], meeting.pk)
    assert (await _meeting(meeting.pk)).live_state == LiveState.WAITING_BUYER
    buyer, _ = await _enter(people["buyer"], meeting.pk)
    live = await _meeting(meeting.pk)
    assert live.live_state == LiveState.LIVE and live.live_started_at is not None
    await _backdate(meeting.pk, 120)
    await sme.receive_json_from()  # peer-joined
    await buyer.disconnect()
    assert (await _meeting(meeting.pk)).live_state == LiveState.WAITING_BUYER
    await sme.disconnect()
    done = await _meeting(meeting.pk)
    assert done.live_state == LiveState.COMPLETED
    assert 115 <= done.attended_seconds <= 140
    rows = await _attendance(meeting.pk)
    assert len(rows) == 2 and all(r.left_at is not None for r in rows)


async def test_staff_and_interpreter_do_not_make_a_meeting_live():
    meeting, people = await _setup()
    staff, _ = await _enter(people["staff"], meeting.pk)
    interpreter, _ = await _enter(people["interpreter"], meeting.pk)
    await staff.receive_json_from()  # peer-joined
    assert (await _meeting(meeting.pk)).live_state == LiveState.SCHEDULED
    await staff.disconnect()
    await interpreter.disconnect()
    rows = await _attendance(meeting.pk)
    assert [r.side for r in rows] == ["staff", "interpreter"] and all(r.left_at for r in rows)
