"""The staff live board: its snapshot (the day's meetings with their states, cancelled ones too,
the lobby, counts, the next slot, and the stream's seq read first), the no-show delay setting,
announcements, starting the day, the tick an open board sends, and the page with the hooks
board.js and a browser test rely on. Staff only: every other user is refused and nothing changes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from matching.fairs import live
from matching.models import ConsultationFair, LiveState, Meeting
from realtime import services as realtime
from realtime.models import Event, Stream
from realtime.streams import fair_stream, user_stream
from tests import factories
from tests.matching.fairs.test_live_state import Clock, make_day, minutes
from tradeon.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def staff():
    return factories.StaffUserFactory()


@pytest.fixture
def day():
    return make_day()


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def first_day(meeting) -> date:
    return meeting.fair.starts_on


# --- the snapshot -----------------------------------------------------------------------------------


def test_the_snapshot_holds_the_days_meetings_cancelled_ones_too_with_states_and_counts(day, clock):
    meeting, sme_user, _buyer = day
    fair = meeting.fair
    cancelled = factories.PublishedMeetingFactory(
        fair=fair, starts_at=meeting.starts_at, status="cancelled", cancel_reason="Buyer withdrew"
    )
    factories.PublishedMeetingFactory(fair=fair, starts_at=meeting.starts_at + timedelta(days=1))  # the next day
    factories.PublishedMeetingFactory(fair=fair, starts_at=meeting.starts_at, status="draft", published_at=None)
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")

    snapshot = live.board_snapshot(fair, now=minutes(meeting, 2), day=first_day(meeting))
    assert [(row["id"], row["board_state"]) for row in snapshot["meetings"]] == [
        (meeting.pk, "waiting_buyer"),
        (cancelled.pk, "cancelled"),
    ]
    row = snapshot["meetings"][0]
    assert row["present"] == ["sme"]
    assert row["company"]["name"] == "Alpha Cosmetics" and row["buyer"]["name"] == "Siam Retail"
    assert row["room"] == "Video room 1"
    assert snapshot["counts"]["waiting_buyer"] == 1 and snapshot["counts"]["cancelled"] == 1
    assert snapshot["counts"]["no_show_candidates"] == 0
    assert snapshot["no_show_after_minutes"] == 5
    assert snapshot["fair"]["phase"] == "live"
    assert snapshot["day"] == first_day(meeting).isoformat()
    assert snapshot["server_time"] == minutes(meeting, 2).isoformat()
    # Slots of the day (Seoul): 09:00, 09:50, 10:40 in the morning, ...; the next one after 09:52 is 10:40.
    assert snapshot["next_slot_at"] == datetime.combine(first_day(meeting), time(1, 40), tzinfo=UTC).isoformat()
    assert snapshot["slots"][0]["starts_at"] == datetime.combine(first_day(meeting), time(0, 0), tzinfo=UTC).isoformat()


def test_the_snapshot_seq_is_the_streams_last_number_so_later_events_apply_on_top(day, clock):
    meeting, sme_user, _buyer = day
    assert live.board_snapshot(meeting.fair, day=first_day(meeting))["seq"] == 0
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    snapshot = live.board_snapshot(meeting.fair, day=first_day(meeting))
    assert snapshot["seq"] == Stream.objects.get(key=fair_stream(meeting.fair_id)).last_seq >= 1
    assert snapshot["stream"] == fair_stream(meeting.fair_id)


def test_the_snapshot_reads_the_seq_before_the_rows(day, clock, monkeypatch):
    """An event published between the two reads is numbered above the snapshot's seq, so the
    board applies it even though the rows may already show it."""
    meeting, sme_user, _buyer = day
    original = live.day_meetings

    def meetings_after_a_change(fair, day):
        clock.set(minutes(meeting, 1))
        live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
        return original(fair, day)

    monkeypatch.setattr(live, "day_meetings", meetings_after_a_change)
    snapshot = live.board_snapshot(meeting.fair, day=first_day(meeting))
    assert snapshot["seq"] == 0
    assert snapshot["meetings"][0]["board_state"] == "waiting_buyer"
    assert Event.objects.filter(stream__key=fair_stream(meeting.fair_id), seq__gt=0, kind="meeting").exists()


def test_the_lobby_lists_participants_online_with_their_company_not_staff(day, staff):
    meeting, sme_user, buyer_user = day
    key = fair_stream(meeting.fair_id)
    realtime.presence_enter(key, sme_user, "c1")
    realtime.presence_enter(key, buyer_user, "c2")
    realtime.presence_enter(key, staff, "c3")
    lobby = live.board_snapshot(meeting.fair, day=first_day(meeting))["lobby"]
    assert [(p["user"], p["party"]) for p in lobby] == [
        (sme_user.pk, "Alpha Cosmetics"),
        (buyer_user.pk, "Siam Retail"),
    ]


def test_the_day_meetings_are_read_in_a_fixed_number_of_queries(day, django_assert_max_num_queries):
    meeting, _sme, _buyer = day
    for hour_minute in ((1, 40), (4, 0), (4, 50)):
        factories.PublishedMeetingFactory(
            fair=meeting.fair, starts_at=datetime.combine(first_day(meeting), time(*hour_minute), tzinfo=UTC)
        )
    with django_assert_max_num_queries(14):
        snapshot = live.board_snapshot(meeting.fair, day=first_day(meeting))
    assert len(snapshot["meetings"]) == 4


# --- settings, announcements, starting the day ------------------------------------------------------------


def test_staff_set_the_no_show_delay_boards_hear_it_and_states_follow(day, staff, clock):
    meeting, _sme, _buyer = day
    clock.set(minutes(meeting, 7))
    live.live_tick(clock.now)
    assert Meeting.objects.get(pk=meeting.pk).no_show_side == "both"
    live.fair_settings_update(meeting.fair, 10, staff)
    assert ConsultationFair.objects.get(pk=meeting.fair_id).no_show_after_minutes == 10
    settings = Event.objects.get(stream__key=fair_stream(meeting.fair_id), kind="board.settings")
    assert settings.data["no_show_after_minutes"] == 10
    assert Meeting.objects.get(pk=meeting.pk).no_show_side == ""  # not late yet under the new rule


@pytest.mark.parametrize("value", [0, 61, -5, "abc", "", None, 2.5, True])
def test_the_no_show_delay_is_whole_minutes_from_1_to_60(day, staff, value):
    meeting, _sme, _buyer = day
    with pytest.raises(DomainError) as refused:
        live.fair_settings_update(meeting.fair, value, staff)
    assert refused.value.field == "no_show_after_minutes"
    assert ConsultationFair.objects.get(pk=meeting.fair_id).no_show_after_minutes == 5


def test_an_announcement_reaches_every_accepted_participants_people_and_the_boards(day, staff):
    meeting, sme_user, buyer_user = day
    declined = factories.BuyerParticipantFactory(fair=meeting.fair, status="declined")
    declined_user = factories.BuyerUserFactory(buyer_organisation=declined.buyer)
    outsider = factories.SMEUserFactory()

    event = live.fair_announce(meeting.fair, "  Room 3 runs 10 minutes late.  ", staff)
    assert event.kind == "announcement" and event.data["message"] == "Room 3 runs 10 minutes late."
    for user in (sme_user, buyer_user):
        told = Event.objects.get(stream__key=user_stream(user.pk), kind="announcement")
        assert told.data["message"] == "Room 3 runs 10 minutes late."
    for user in (declined_user, outsider, staff):
        assert not Event.objects.filter(stream__key=user_stream(user.pk)).exists()
    announcements = live.board_snapshot(meeting.fair, day=first_day(meeting))["announcements"]
    assert [a["message"] for a in announcements] == ["Room 3 runs 10 minutes late."]


@pytest.mark.parametrize("message", ["", "   ", "x" * 501])
def test_an_announcement_is_1_to_500_characters(day, staff, message):
    meeting, _sme, _buyer = day
    with pytest.raises(DomainError):
        live.fair_announce(meeting.fair, message, staff)
    assert not Event.objects.exists()


def test_only_staff_announce_or_change_the_board(day):
    meeting, sme_user, buyer_user = day
    for user in (sme_user, buyer_user):
        with pytest.raises(NotAllowed):
            live.fair_announce(meeting.fair, "Hello", user)
        with pytest.raises(NotAllowed):
            live.fair_settings_update(meeting.fair, 10, user)
    assert not Event.objects.exists()
    assert ConsultationFair.objects.get(pk=meeting.fair_id).no_show_after_minutes == 5


def test_starting_the_day_moves_a_published_fair_live():
    meeting, _sme, _buyer = make_day(phase="published")
    staff = factories.StaffUserFactory()
    assert live.fair_day_start(meeting.fair, staff).phase == "live"
    assert Event.objects.get(stream__key=fair_stream(meeting.fair_id), kind="board.settings").data["phase"] == "live"


# --- the API ----------------------------------------------------------------------------------------------


def test_the_board_api_serves_staff(day, staff):
    meeting, _sme, _buyer = day
    client = _client(staff)
    base = f"/api/v1/live-boards/{meeting.fair_id}/"
    snapshot = client.get(base, {"day": first_day(meeting).isoformat()})
    assert snapshot.status_code == 200
    assert [row["id"] for row in snapshot.json()["meetings"]] == [meeting.pk]
    assert client.get(base, {"day": "tomorrow"}).status_code == 400
    assert client.get("/api/v1/live-boards/999999/").status_code == 404

    assert client.patch(base + "settings/", {"no_show_after_minutes": 12}, format="json").json() == {
        "no_show_after_minutes": 12
    }
    for bad in (0, 61, "ten"):
        answer = client.patch(base + "settings/", {"no_show_after_minutes": bad}, format="json")
        assert answer.status_code == 400
    assert ConsultationFair.objects.get(pk=meeting.fair_id).no_show_after_minutes == 12

    sent = client.post(base + "announce/", {"message": "Lunch break until 13:00."}, format="json")
    assert sent.status_code == 201 and sent.json()["message"] == "Lunch break until 13:00."
    assert client.post(base + "announce/", {"message": ""}, format="json").status_code == 400
    assert client.post(base + "announce/", {"message": "x" * 501}, format="json").status_code == 400

    assert client.post(base + "tick/").json() == {"changed": 0}  # the fair's day is in the future
    assert client.post(base + "start-day/").status_code == 409  # already live


@pytest.mark.parametrize("who", ["sme", "buyer", "anonymous"])
def test_the_board_api_refuses_everyone_but_staff_and_changes_nothing(day, who):
    meeting, sme_user, buyer_user = day
    client = _client({"sme": sme_user, "buyer": buyer_user, "anonymous": None}[who])
    base = f"/api/v1/live-boards/{meeting.fair_id}/"
    assert client.get(base).status_code == 403
    assert client.patch(base + "settings/", {"no_show_after_minutes": 12}, format="json").status_code == 403
    assert client.post(base + "announce/", {"message": "Hi"}, format="json").status_code == 403
    assert client.post(base + "tick/").status_code == 403
    assert client.post(base + "start-day/").status_code == 403
    assert ConsultationFair.objects.get(pk=meeting.fair_id).no_show_after_minutes == 5
    assert ConsultationFair.objects.get(pk=meeting.fair_id).phase == "live"
    assert not Event.objects.exists()


def test_the_tick_api_runs_the_fairs_tick(day, staff, clock):
    meeting, _sme, _buyer = day
    clock.set(minutes(meeting, 6))
    client = _client(staff)
    assert client.post(f"/api/v1/live-boards/{meeting.fair_id}/tick/").json() == {"changed": 1}
    assert client.post(f"/api/v1/live-boards/{meeting.fair_id}/tick/").json() == {"changed": 0}
    assert Meeting.objects.get(pk=meeting.pk).live_state == LiveState.WAITING


# --- the page ---------------------------------------------------------------------------------------------


def test_the_board_page_shows_the_day_with_the_hooks_board_js_uses(client, day, staff, clock):
    meeting, sme_user, _buyer = day
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    live.live_tick(clock.set(minutes(meeting, 6)))
    realtime.presence_enter(fair_stream(meeting.fair_id), sme_user, "lobby")
    client.force_login(staff)
    page = client.get(reverse("fairs:live_board", args=[meeting.fair_id]), {"day": first_day(meeting).isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-meeting-id="{meeting.pk}" data-live-state="waiting_buyer" data-no-show="buyer"' in html
    assert f'data-lobby-user="{sme_user.pk}"' in html
    assert 'data-live-stream="fair.' in html and 'id="live-board-snapshot"' in html
    assert "js/board.js" in html and "css/board.css" in html
    assert 'data-template="suggestion"' in html and "data-reassign-to" in html
    assert "No-show candidate: the buyer has not joined" in html
    assert "09:50–10:30" in html


def test_the_board_page_takes_a_bad_day_as_today(client, day, staff):
    meeting, _sme, _buyer = day
    client.force_login(staff)
    for bad in ("2026-02-30", "soon"):
        assert client.get(reverse("fairs:live_board", args=[meeting.fair_id]), {"day": bad}).status_code == 200


@pytest.mark.parametrize("who", ["sme", "buyer"])
def test_the_board_page_is_for_staff_only(client, day, who):
    meeting, sme_user, buyer_user = day
    client.force_login(sme_user if who == "sme" else buyer_user)
    assert client.get(reverse("fairs:live_board", args=[meeting.fair_id])).status_code == 403


def test_the_board_page_sends_anonymous_visitors_to_sign_in(client, day):
    meeting, _sme, _buyer = day
    answer = client.get(reverse("fairs:live_board", args=[meeting.fair_id]))
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_the_fair_pages_link_to_the_live_board(client, day, staff):
    meeting, _sme, _buyer = day
    client.force_login(staff)
    page = client.get(reverse("fairs:detail", args=[meeting.fair_id]))
    assert reverse("fairs:live_board", args=[meeting.fair_id]) in page.content.decode()
