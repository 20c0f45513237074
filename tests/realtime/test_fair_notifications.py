"""Push notifications of a fair (matching.fairs.notifications), end to end through the services
that raise them: who hears, what they read (their language, their zone), the link and ids, and
that each one is stored once however often it is triggered. Plus "your meeting starts in 5
minutes": its window, once per meeting and person, the interpreter, and its cost."""

from datetime import timedelta

import pytest

from matching.fairs import booking, notifications, scheduling, setup
from matching.fairs import requests as meeting_requests
from matching.models import Meeting, MeetingStatus
from realtime.models import Event
from tests import factories
from tests.matching.fairs.test_booking import at, room

pytestmark = pytest.mark.django_db


def heard(user) -> list[Event]:
    return list(Event.objects.filter(stream__key=f"user.{user.pk}").order_by("seq"))


def kinds(user) -> list[str]:
    return [e.kind for e in heard(user)]


# --- invitations and requests -------------------------------------------------------------------------


@pytest.fixture
def fair():
    return factories.FairFactory()


@pytest.fixture
def sme(fair):
    user = factories.SMEUserFactory(company__name_en="Seoul Cosmetics")
    factories.FairParticipantFactory(fair=fair, company=user.company)
    return user


@pytest.fixture
def buyer(fair):
    user = factories.BuyerUserFactory(buyer_organisation__name="Bangkok Beauty")
    factories.BuyerParticipantFactory(fair=fair, buyer=user.buyer_organisation)
    return user


def test_an_invitation_reaches_every_active_member_once(django_capture_on_commit_callbacks):
    fair = factories.FairFactory(phase="registration", name="Beauty fair")
    staff = factories.StaffUserFactory()
    company = factories.CompanyFactory()
    members = [factories.SMEUserFactory(company=company) for _ in range(2)]
    inactive = factories.SMEUserFactory(company=company, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        (participant,) = setup.participants_invite(fair=fair, invited_by=staff, companies=[company])
    for member in members:
        (event,) = heard(member)
        assert event.kind == "fair.invited"
        assert event.data == {
            "message": "You are invited to the consultation fair “Beauty fair”.",
            "url": f"/fairs/{fair.pk}/me/",
            "fair": fair.pk,
            "participant": participant.pk,
        }
    assert heard(inactive) == []
    assert notifications.notify_invitations([participant.pk]) == 0


def test_the_side_asked_hears_of_a_request_and_only_once(fair, sme, buyer, django_capture_on_commit_callbacks):
    other_sme = factories.SMEUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = meeting_requests.meeting_request_create(fair=fair, user=buyer, company=sme.company, message="Hi")
    (event,) = heard(sme)
    assert event.kind == "request.received"
    assert event.data == {
        "message": f"Bangkok Beauty asked for a meeting with you at {fair.name}.",
        "url": f"/fairs/{fair.pk}/requests/",
        "fair": fair.pk,
        "request": request.pk,
    }
    assert heard(buyer) == [] and heard(other_sme) == []
    assert notifications.notify_request_received(request.pk) == 0  # triggered again: stored once
    assert len(heard(sme)) == 1


def test_an_sme_asking_a_buyer_is_named_to_the_buyer(fair, sme, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting_requests.meeting_request_create(fair=fair, user=sme, buyer=buyer.buyer_organisation)
    (event,) = heard(buyer)
    assert event.data["message"] == f"Seoul Cosmetics asked for a meeting with you at {fair.name}."


@pytest.mark.parametrize(("answer", "word"), [("accept", "accepted"), ("decline", "declined")])
def test_the_requester_hears_the_answer(fair, sme, buyer, django_capture_on_commit_callbacks, answer, word):
    request = meeting_requests.meeting_request_create(fair=fair, user=buyer, company=sme.company)
    with django_capture_on_commit_callbacks(execute=True):
        getattr(meeting_requests, f"meeting_request_{answer}")(meeting_request=request, user=sme)
    (event,) = heard(buyer)
    assert event.kind == f"request.{word}"
    assert event.data == {
        "message": f"Seoul Cosmetics {word} your meeting request at {fair.name}.",
        "url": f"/fairs/{fair.pk}/requests/",
        "fair": fair.pk,
        "request": request.pk,
    }
    assert heard(sme) == []
    assert notifications.notify_request_answered(request.pk) == 0


def test_a_withdrawn_request_is_not_announced_as_an_answer(fair, sme, buyer, django_capture_on_commit_callbacks):
    request = meeting_requests.meeting_request_create(fair=fair, user=buyer, company=sme.company)
    meeting_requests.meeting_request_withdraw(meeting_request=request, user=buyer)
    assert notifications.notify_request_answered(request.pk) == 0
    assert heard(buyer) == []


# --- the schedule ------------------------------------------------------------------------------------


@pytest.fixture
def scheduling_fair():
    return factories.FairFactory(phase="scheduling", name="Beauty fair")


@pytest.fixture
def staff():
    return factories.StaffUserFactory()


def participants(fair):
    sme = factories.FairParticipantFactory(fair=fair, company__name_en="Seoul Cosmetics")
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__name="Bangkok Beauty", buyer__time_zone="Asia/Bangkok")
    return sme, buyer


def book(fair, staff, sme, buyer, when, room_number=1) -> Meeting:
    return booking.meeting_add(
        fair=fair, added_by=staff, company=sme.company, buyer=buyer.buyer, starts_at=when, room=room(room_number)
    )


def test_publishing_tells_each_person_with_meetings_how_many(
    scheduling_fair, staff, django_capture_on_commit_callbacks
):
    fair = scheduling_fair
    sme, buyer = participants(fair)
    other_buyer = factories.BuyerParticipantFactory(fair=fair)
    idle = factories.FairParticipantFactory(fair=fair)
    sme_user = factories.SMEUserFactory(company=sme.company)
    buyer_user = factories.BuyerUserFactory(buyer_organisation=buyer.buyer)
    idle_user = factories.SMEUserFactory(company=idle.company)
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    book(fair, staff, sme, other_buyer, at(fair, 0, "14:40"), room_number=2)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_publish(fair=fair, published_by=staff)
    (event,) = heard(sme_user)
    assert event.kind == "schedule.published"
    assert event.data == {
        "message": "The schedule of Beauty fair is published: you have 2 meetings.",
        "url": f"/fairs/{fair.pk}/agenda/",
        "fair": fair.pk,
        "meetings": 2,
    }
    assert heard(buyer_user)[0].data["message"] == "The schedule of Beauty fair is published: you have 1 meeting."
    assert heard(idle_user) == [] and heard(staff) == []
    assert notifications.notify_schedule_published(fair.pk) == 0


@pytest.fixture
def published(scheduling_fair, staff):
    """A published meeting of Seoul Cosmetics (one member, reading Korean) and Bangkok Beauty
    (one member, in Bangkok) on the fair's first day (a Monday) at 13:00 Seoul time."""
    fair = scheduling_fair
    sme, buyer = participants(fair)
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.SCHEDULED, published_at=at(fair, 0, "00:00"))
    fair.phase = "published"
    fair.save()
    meeting.refresh_from_db()
    meeting.sme_user = factories.SMEUserFactory(company=sme.company, preferred_language="ko")
    meeting.buyer_user = factories.BuyerUserFactory(buyer_organisation=buyer.buyer)
    return meeting


def test_a_moved_meeting_tells_both_parties_in_their_zone_and_language(
    published, staff, django_capture_on_commit_callbacks
):
    fair = published.fair
    with django_capture_on_commit_callbacks(execute=True):
        booking.meeting_move(meeting=published, moved_by=staff, starts_at=at(fair, 1, "13:00"))
    (to_buyer,) = heard(published.buyer_user)
    assert to_buyer.kind == "meeting.changed"
    day = (fair.starts_on + timedelta(days=1)).isoformat()
    assert to_buyer.data == {
        "message": f"Your meeting with Seoul Cosmetics has changed: it is now on Tue {day} 11:00–11:40 (UTC+07:00).",
        "url": f"/fairs/{fair.pk}/agenda/",
        "fair": fair.pk,
        "meeting": published.pk,
        "starts_at": at(fair, 1, "13:00").isoformat(),
    }
    (to_sme,) = heard(published.sme_user)
    # Seoul time, and the weekday in Korean: the message was written in the reader's language.
    assert "Bangkok Beauty" in to_sme.data["message"]
    assert f"화요일 {day} 13:00–13:40 KST (UTC+09:00)" in to_sme.data["message"]
    # A second change is a new version: heard again.
    with django_capture_on_commit_callbacks(execute=True):
        booking.meeting_move(meeting=published, moved_by=staff, room=room(2))
    assert kinds(published.buyer_user) == ["meeting.changed", "meeting.changed"]
    assert notifications.notify_meeting_changed(published.pk) == 0


def test_a_cancelled_meeting_tells_both_parties(published, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking.meeting_cancel(meeting=published, cancelled_by=staff, reason="SME is ill")
    for user in (published.sme_user, published.buyer_user):
        assert kinds(user) == ["meeting.cancelled"]
    assert heard(published.buyer_user)[0].data["message"].startswith("Your meeting with Seoul Cosmetics on Mon ")
    assert heard(published.buyer_user)[0].data["message"].endswith("is cancelled.")


def test_a_meeting_added_after_publishing_is_announced_as_added(published, staff, django_capture_on_commit_callbacks):
    fair = published.fair
    late = factories.FairParticipantFactory(fair=fair, company__name_en="Late Maker")
    late_user = factories.SMEUserFactory(company=late.company)
    buyer = published.buyer.fair_participations.get()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book(fair, staff, late, buyer, at(fair, 1, "13:00"))
    (event,) = heard(late_user)
    assert event.kind == "meeting.added"
    assert event.data["message"].startswith("A meeting with Bangkok Beauty was added to your agenda: Tue ")
    assert event.data["meeting"] == meeting.pk
    assert kinds(published.buyer_user) == ["meeting.added"]
    assert kinds(published.sme_user) == []


def test_editing_a_draft_pushes_nothing(scheduling_fair, staff, django_capture_on_commit_callbacks):
    sme, buyer = participants(scheduling_fair)
    user = factories.SMEUserFactory(company=sme.company)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book(scheduling_fair, staff, sme, buyer, at(scheduling_fair, 0, "13:00"))
        booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(scheduling_fair, 1, "13:00"))
    assert heard(user) == []


def test_a_failing_push_never_fails_the_change(published, staff, django_capture_on_commit_callbacks, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("redis is down")

    monkeypatch.setattr(notifications.realtime, "notify_users", broken)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = booking.meeting_cancel(meeting=published, cancelled_by=staff, reason="SME is ill")
    assert cancelled.status == MeetingStatus.CANCELLED


# --- starting soon -----------------------------------------------------------------------------------


@pytest.fixture
def soon():
    """A published meeting on its fair's first day at 10:00 Seoul time, its two parties with one
    member each, an interpreter with an account, and bystanders who must hear nothing."""
    fair = factories.FairFactory(phase="published")
    meeting = factories.PublishedMeetingFactory(
        fair=fair,
        company__name_en="Seoul Cosmetics",
        buyer__name="Bangkok Beauty",
        interpreter=factories.InterpreterFactory(user=factories.StaffUserFactory()),
    )
    meeting.sme_user = factories.SMEUserFactory(company=meeting.company)
    meeting.buyer_user = factories.BuyerUserFactory(buyer_organisation=meeting.buyer)
    meeting.bystanders = [
        factories.SMEUserFactory(),
        factories.SMEUserFactory(company=meeting.company, is_active=False),
        factories.StaffUserFactory(),
    ]
    return meeting


def test_both_parties_and_the_interpreter_hear_that_the_meeting_starts_soon(soon):
    sent = notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(minutes=5))
    assert sent == 3
    (to_sme,) = heard(soon.sme_user)
    assert to_sme.kind == "meeting.starting"
    assert to_sme.data == {
        "message": "Your meeting with Bangkok Beauty starts in 5 minutes.",
        "url": f"/fairs/meetings/{soon.pk}/room/",
        "fair": soon.fair_id,
        "meeting": soon.pk,
        "starts_at": soon.starts_at.isoformat(),
    }
    assert heard(soon.buyer_user)[0].data["message"] == "Your meeting with Seoul Cosmetics starts in 5 minutes."
    assert heard(soon.interpreter.user)[0].data["message"] == (
        "The meeting of Seoul Cosmetics and Bangkok Beauty that you interpret starts in 5 minutes."
    )
    assert all(heard(user) == [] for user in soon.bystanders)


def test_starting_soon_is_sent_once_per_meeting_and_person(soon):
    for seconds in (300, 240, 61, 1):
        notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(seconds=seconds))
    assert [len(heard(u)) for u in (soon.sme_user, soon.buyer_user, soon.interpreter.user)] == [1, 1, 1]
    # A member who joins the company later still hears it, once.
    newcomer = factories.SMEUserFactory(company=soon.company)
    assert notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(seconds=30)) == 1
    assert heard(newcomer)[0].data["message"] == "Your meeting with Bangkok Beauty starts in 1 minute."


@pytest.mark.parametrize(
    ("before", "due"),
    [
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(minutes=5), True),
        (timedelta(seconds=1), True),
        (timedelta(0), False),
        (-timedelta(minutes=1), False),
    ],
)
def test_starting_soon_is_due_from_five_minutes_before_until_the_start(soon, before, due):
    sent = notifications.notify_meetings_starting_soon(now=soon.starts_at - before)
    assert (sent > 0) is due


def test_cancelled_draft_and_unpublished_meetings_are_not_announced(soon):
    now = soon.starts_at - timedelta(minutes=2)
    for status, published_at in (("cancelled", soon.published_at), ("draft", None)):
        Meeting.objects.filter(pk=soon.pk).update(status=status, published_at=published_at)
        assert notifications.notify_meetings_starting_soon(now=now) == 0


def test_a_meeting_moved_to_a_later_time_is_announced_again(soon):
    notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(minutes=3))
    later = soon.starts_at + timedelta(minutes=50)
    Meeting.objects.filter(pk=soon.pk).update(starts_at=later, ends_at=later + timedelta(minutes=40))
    notifications.notify_meetings_starting_soon(now=later - timedelta(minutes=3))
    assert kinds(soon.sme_user) == ["meeting.starting", "meeting.starting"]


def test_starting_soon_is_cheap_when_nothing_or_everything_was_sent(soon, django_assert_num_queries):
    with django_assert_num_queries(2):  # the fairs of the day, their meetings in the window
        assert notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(hours=1)) == 0
    notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(minutes=4))
    # Every minute of the window after the first: no per-person work, whatever the crowd.
    with django_assert_num_queries(5):  # fairs, meetings, the parties' members (2), keys sent
        assert notifications.notify_meetings_starting_soon(now=soon.starts_at - timedelta(minutes=3)) == 0


def test_no_fair_on_the_day_costs_one_query(soon, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert notifications.notify_meetings_starting_soon(now=soon.starts_at + timedelta(days=30)) == 0
