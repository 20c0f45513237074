"""A meeting's live state over the fair day: before the start, one side in the room, both (live),
leaving (completed, with the time spent together), a party N minutes late (a no-show candidate),
nobody after the end (no-show), and the tick that moves states with the clock, which publishes
each change once however often (or however concurrently) it runs."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from matching.fairs import live
from matching.models import LiveState, Meeting, MeetingAttendance
from realtime.models import Event, Presence
from realtime.services import stream_get
from realtime.streams import fair_stream, user_stream
from tests import factories
from tests.concurrency import in_threads

pytestmark = pytest.mark.django_db


class Clock:
    """The fair day's clock: `clock.set(meeting.starts_at + 3 min)`, read by matching.fairs.live
    (the real time until it is set)."""

    def __init__(self, monkeypatch):
        self.now = None
        monkeypatch.setattr(live, "_now", lambda: self.now or timezone.now())

    def set(self, when: datetime) -> datetime:
        self.now = when
        return when


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def make_day(*, phase: str = "live", no_show_after_minutes: int = 5, **meeting_kwargs):
    """A fair on its day with one published meeting in the 09:50 Seoul slot of the first day in
    video room 1, an SME member and a buyer member, both accepted participants."""
    fair = factories.FairFactory(phase=phase, no_show_after_minutes=no_show_after_minutes)
    sme = factories.FairParticipantFactory(fair=fair, company__name_en="Alpha Cosmetics")
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__name="Siam Retail")
    sme_user = factories.SMEUserFactory(company=sme.company)
    buyer_user = factories.BuyerUserFactory(buyer_organisation=buyer.buyer)
    meeting_kwargs.setdefault("starts_at", datetime.combine(fair.starts_on, time(0, 50), tzinfo=UTC))
    meeting = factories.PublishedMeetingFactory(
        fair=fair, company=sme.company, buyer=buyer.buyer, room=fair.rooms.order_by("name").first(), **meeting_kwargs
    )
    return meeting, sme_user, buyer_user


def minutes(meeting: Meeting, n: float) -> datetime:
    return meeting.starts_at + timedelta(minutes=n)


def meeting_events(fair_id: int) -> list[dict]:
    return [
        e.data for e in Event.objects.filter(stream__key=fair_stream(fair_id), kind="meeting").order_by("seq").all()
    ]


def join(meeting, user, side, clock, when):
    clock.set(when)
    return live.attendance_join(meeting=meeting, user=user, side=side, channel_name=f"chan-{user.pk}-{when:%H%M%S}")


def leave(attendance, clock, when):
    clock.set(when)
    live.attendance_leave(attendance_id=attendance.pk)


@pytest.fixture
def day():
    return make_day()


def test_before_the_start_a_meeting_is_scheduled_and_the_tick_changes_nothing(day):
    meeting, _sme, _buyer = day
    assert live.live_tick(minutes(meeting, -10)) == 0
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.SCHEDULED
    assert meeting_events(meeting.fair_id) == []


def test_the_start_with_nobody_in_the_room_makes_it_waiting_for_both(day):
    meeting, _sme, _buyer = day
    assert live.live_tick(minutes(meeting, 1)) == 1
    meeting.refresh_from_db()
    assert (meeting.live_state, meeting.no_show_side) == (LiveState.WAITING, "")
    [event] = meeting_events(meeting.fair_id)
    assert event["id"] == meeting.pk and event["board_state"] == "waiting"


def test_one_side_in_the_room_waits_for_the_other_and_the_other_is_told(day, clock, django_capture_on_commit_callbacks):
    meeting, sme_user, buyer_user = day
    with django_capture_on_commit_callbacks(execute=True):
        join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.WAITING_BUYER
    assert meeting_events(meeting.fair_id)[-1]["present"] == ["sme"]
    told = Event.objects.get(stream__key=user_stream(buyer_user.pk), kind="meeting.joined")
    assert "Alpha Cosmetics has joined" in told.data["message"]
    assert told.data["url"] == f"/fairs/meetings/{meeting.pk}/room/"
    # Told once: coming back later says nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        join(meeting, sme_user, "sme", clock, minutes(meeting, 2))
    assert Event.objects.filter(stream__key=user_stream(buyer_user.pk), kind="meeting.joined").count() == 1


def test_both_sides_in_the_room_make_it_live_and_leaving_completes_it_with_the_time_together(day, clock):
    meeting, sme_user, buyer_user = day
    sme_in = join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    buyer_in = join(meeting, buyer_user, "buyer", clock, minutes(meeting, 3))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.LIVE
    assert meeting.live_started_at == minutes(meeting, 3)

    leave(buyer_in, clock, minutes(meeting, 20))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.WAITING_BUYER  # the SME is still there: the buyer may come back
    leave(sme_in, clock, minutes(meeting, 21))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.COMPLETED
    assert meeting.live_ended_at == minutes(meeting, 21)
    assert meeting.attended_seconds == 17 * 60
    states = [e["board_state"] for e in meeting_events(meeting.fair_id)]
    assert states == ["waiting_buyer", "live", "waiting_buyer", "completed"]


def test_coming_back_together_after_completing_is_live_again_and_not_ended(day, clock):
    meeting, sme_user, buyer_user = day
    sme_in = join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    buyer_in = join(meeting, buyer_user, "buyer", clock, minutes(meeting, 2))
    leave(buyer_in, clock, minutes(meeting, 10))
    leave(sme_in, clock, minutes(meeting, 11))
    join(meeting, sme_user, "sme", clock, minutes(meeting, 12))
    join(meeting, buyer_user, "buyer", clock, minutes(meeting, 13))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.LIVE
    assert meeting.live_ended_at is None
    assert meeting.live_started_at == minutes(meeting, 2)


def test_a_party_not_there_n_minutes_after_the_start_makes_a_no_show_candidate(day, clock):
    meeting, sme_user, _buyer = day
    join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    assert live.live_tick(minutes(meeting, 4)) == 0  # not late yet (N = 5)
    assert live.live_tick(minutes(meeting, 5)) == 1
    meeting.refresh_from_db()
    assert (meeting.live_state, meeting.no_show_side) == (LiveState.WAITING_BUYER, "buyer")
    row = meeting_events(meeting.fair_id)[-1]
    assert row["no_show_candidate"] is True and row["no_show_side"] == "buyer"


def test_the_no_show_delay_is_the_fairs_setting():
    meeting, sme_user, _buyer = make_day(no_show_after_minutes=15)
    assert live.live_tick(minutes(meeting, 10)) == 1  # scheduled -> waiting only
    meeting.refresh_from_db()
    assert meeting.no_show_side == ""
    live.live_tick(minutes(meeting, 15))
    meeting.refresh_from_db()
    assert meeting.no_show_side == "both"


def test_nobody_after_the_end_is_a_no_show_of_the_side_that_never_came(day, clock):
    meeting, sme_user, _buyer = day
    attendance = join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    leave(attendance, clock, minutes(meeting, 30))
    live.live_tick(meeting.ends_at + timedelta(minutes=1))
    meeting.refresh_from_db()
    assert (meeting.live_state, meeting.no_show_side) == (LiveState.NO_SHOW, "buyer")
    assert meeting_events(meeting.fair_id)[-1]["no_show_candidate"] is False  # over: no standby any more


def test_both_absent_is_a_candidate_of_both_sides_then_a_no_show_of_both(day):
    meeting, _sme, _buyer = day
    live.live_tick(minutes(meeting, 6))
    meeting.refresh_from_db()
    assert (meeting.live_state, meeting.no_show_side) == (LiveState.WAITING, "both")
    live.live_tick(meeting.ends_at)
    meeting.refresh_from_db()
    assert (meeting.live_state, meeting.no_show_side) == (LiveState.NO_SHOW, "both")


def test_a_meeting_that_went_live_completes_at_the_end_even_if_one_side_stays(day, clock):
    meeting, sme_user, buyer_user = day
    join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    buyer_in = join(meeting, buyer_user, "buyer", clock, minutes(meeting, 2))
    leave(buyer_in, clock, minutes(meeting, 30))
    assert live.live_tick(meeting.ends_at - timedelta(seconds=1)) == 0
    assert live.live_tick(meeting.ends_at + timedelta(seconds=1)) == 1
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.COMPLETED
    assert meeting.attended_seconds == 28 * 60


def test_a_live_meeting_running_over_its_end_stays_live(day, clock):
    meeting, sme_user, buyer_user = day
    join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    join(meeting, buyer_user, "buyer", clock, minutes(meeting, 2))
    assert live.live_tick(meeting.ends_at + timedelta(minutes=3)) == 0
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.LIVE


def test_leaving_twice_ends_the_attendance_once(day, clock):
    meeting, sme_user, _buyer = day
    attendance = join(meeting, sme_user, "sme", clock, minutes(meeting, 1))
    leave(attendance, clock, minutes(meeting, 2))
    leave(attendance, clock, minutes(meeting, 3))
    assert MeetingAttendance.objects.get(pk=attendance.pk).left_at == minutes(meeting, 2)


def test_cancelled_meetings_and_other_phases_are_left_alone():
    meeting, _sme, _buyer = make_day()
    Meeting.objects.filter(pk=meeting.pk).update(status="cancelled", cancel_reason="Buyer withdrew")
    scheduling_fair_meeting, _s, _b = make_day(phase="scheduling", status="draft", published_at=None)
    assert live.live_tick(minutes(meeting, 10)) == 0
    assert Meeting.objects.get(pk=meeting.pk).live_state == LiveState.SCHEDULED
    assert Meeting.objects.get(pk=scheduling_fair_meeting.pk).live_state == LiveState.SCHEDULED


# --- the tick -------------------------------------------------------------------------------------------


def test_the_tick_twice_publishes_each_change_once(day):
    meeting, _sme, _buyer = day
    now = minutes(meeting, 6)
    assert live.live_tick(now) == 1
    assert live.live_tick(now) == 0
    assert live.live_tick(now + timedelta(seconds=30)) == 0
    assert len(meeting_events(meeting.fair_id)) == 1


def test_the_tick_reads_each_fairs_meetings_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    meeting, _sme, _buyer = make_day()
    for hour in (2, 4, 5, 6):  # 11:00, 13:00, 14:00, 15:00 Seoul: all before "now"
        factories.PublishedMeetingFactory(
            fair=meeting.fair,
            starts_at=datetime.combine(meeting.fair.starts_on, time(hour), tzinfo=UTC),
        )
    now = datetime.combine(meeting.fair.starts_on, time(7), tzinfo=UTC)  # 16:00 Seoul
    live.live_tick(now)  # every meeting settles (no-show)
    with django_assert_max_num_queries(12):  # fairs, meetings, attendance, presence sweep (no changes)
        assert live.live_tick(now) == 0


def test_the_tick_sweeps_stale_lobby_presence(day):
    meeting, sme_user, _buyer = day
    stream = stream_get(fair_stream(meeting.fair_id))
    Presence.objects.create(
        channel_name="gone", stream=stream, user=sme_user, last_seen=datetime(2020, 1, 1, tzinfo=UTC)
    )
    live.live_tick(minutes(meeting, -30))
    assert not Presence.objects.filter(channel_name="gone").exists()


def test_the_tick_sends_the_starting_soon_notices(day, monkeypatch):
    from matching.fairs import notifications

    meeting, _sme, _buyer = day
    calls = []
    monkeypatch.setattr(notifications, "notify_meetings_starting_soon", lambda now: calls.append(now))
    now = minutes(meeting, -5)
    live.live_tick(now)
    assert calls == [now]


def test_the_fairs_own_tick_touches_that_fair_only():
    first, _s1, _b1 = make_day()
    second, _s2, _b2 = make_day(starts_at=first.starts_at - timedelta(minutes=50))  # 09:00: room 1 is free then
    assert live.live_tick(minutes(first, 6), fair=first.fair) == 1
    assert Meeting.objects.get(pk=second.pk).live_state == LiveState.SCHEDULED


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_publish_each_change_once():
    meeting, _sme, _buyer = make_day()
    others = [
        factories.PublishedMeetingFactory(
            fair=meeting.fair, starts_at=meeting.starts_at, room=room, company__name_en=f"Co {room.pk}"
        )
        for room in meeting.fair.rooms.exclude(pk=meeting.room_id)
    ]
    now = minutes(meeting, 6)
    results = in_threads(lambda _i: live.live_tick(now), 4)
    assert sum(results) == 1 + len(others)
    assert len(meeting_events(meeting.fair_id)) == 1 + len(others)


def test_attendance_recorded_after_the_fact_completes_the_meeting(day):
    """Both sides' time in the room, stored after the meeting (or missed by a crashed process),
    still makes it completed with the time they spent together: the state comes from the
    intervals, not only from changes seen as they happened."""
    meeting, sme_user, buyer_user = day
    for user, side, joined, left in ((sme_user, "sme", 1, 26), (buyer_user, "buyer", 3, 20)):
        MeetingAttendance.objects.create(
            meeting=meeting, user=user, side=side, joined_at=minutes(meeting, joined), left_at=minutes(meeting, left)
        )
    live.live_tick(minutes(meeting, 45))
    meeting.refresh_from_db()
    assert meeting.live_state == LiveState.COMPLETED
    assert meeting.live_started_at == minutes(meeting, 3)
    assert meeting.attended_seconds == 17 * 60
