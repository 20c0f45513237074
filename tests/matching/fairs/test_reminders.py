"""Reminders 24 hours and 15 minutes before each scheduled meeting: to both parties' people and the
interpreter, in their own time zone, each sent once however often (or how concurrently) the beat
task runs; never for cancelled or draft meetings; again for a meeting moved to another time."""

import contextlib
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from matching.fairs import emails, tasks
from matching.models import SentEmail
from tests import factories
from tests.matching.fairs.test_calendar import parse_ics

NOW = dt.datetime(2027, 3, 15, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def meeting_in(db):
    """meeting_in(delta, **fields): a published meeting starting `delta` after NOW, between an SME
    with one person and a Los Angeles buyer with one person, with an interpreter."""

    def build(delta: dt.timedelta, **fields):
        company = factories.CompanyFactory()
        buyer = factories.BuyerOrganisationFactory(time_zone="America/Los_Angeles", country="US")
        factories.SMEUserFactory(company=company, email="kim@seoul-cosmetics.example")
        factories.BuyerUserFactory(buyer_organisation=buyer, email="jane@pacific-imports.example")
        interpreter = factories.InterpreterFactory(email="park@interpreters.example")
        starts_at = NOW + delta
        return factories.PublishedMeetingFactory(
            company=company,
            buyer=buyer,
            interpreter=interpreter,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=40),
            **fields,
        )

    return build


EVERYONE = {"kim@seoul-cosmetics.example", "jane@pacific-imports.example", "park@interpreters.example"}


def _sent(kind: str) -> set[str]:
    return set(SentEmail.objects.filter(key__startswith=f"reminder-{kind}:").values_list("recipient", flat=True))


def test_the_24_hour_reminder_goes_to_both_parties_and_the_interpreter_once(meeting_in):
    meeting = meeting_in(dt.timedelta(hours=23, minutes=59))
    assert emails.notify_meeting_reminders(now=NOW) == 3
    assert emails.notify_meeting_reminders(now=NOW) == 0
    assert emails.notify_meeting_reminders(now=NOW + dt.timedelta(minutes=1)) == 0
    assert {m.to[0] for m in mail.outbox} == EVERYONE and len(mail.outbox) == 3
    assert _sent("24h") == EVERYONE and _sent("15m") == set()
    [event] = parse_ics(mail.outbox[0].attachments[0][1])["events"]
    assert event["UID"] == f"{meeting.uid}@tradeon"


def test_each_reader_sees_the_time_in_their_own_zone(meeting_in):
    meeting = meeting_in(dt.timedelta(hours=20))
    emails.notify_meeting_reminders(now=NOW)
    by_to = {m.to[0]: m for m in mail.outbox}
    la = meeting.starts_at.astimezone(ZoneInfo("America/Los_Angeles"))
    buyer = by_to["jane@pacific-imports.example"]
    assert f"{la:%H:%M}" in buyer.subject and "UTC-07:00" in buyer.subject  # PDT on 15 March 2027
    seoul = meeting.starts_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert f"{seoul:%H:%M}" in by_to["kim@seoul-cosmetics.example"].subject
    assert "UTC+09:00" in by_to["park@interpreters.example"].subject
    assert "starts in 20 hours" in buyer.body.replace("\xa0", " ")
    assert "Please join the video call" in buyer.body


def test_the_sme_is_told_to_be_in_its_video_room(meeting_in):
    meeting = meeting_in(dt.timedelta(minutes=15))
    meeting.room = meeting.fair.rooms.first()
    meeting.save()
    emails.notify_meeting_reminders(now=NOW)
    by_to = {m.to[0]: m.body for m in mail.outbox}
    assert f"Please be in {meeting.room.name} at the agency" in by_to["kim@seoul-cosmetics.example"]
    assert "Please join the video call" in by_to["jane@pacific-imports.example"]


def test_the_15_minute_reminder_replaces_a_24_hour_one_that_is_stale(meeting_in):
    meeting_in(dt.timedelta(minutes=10))
    assert emails.notify_meeting_reminders(now=NOW) == 3
    assert _sent("15m") == EVERYONE
    assert _sent("24h") == set()  # a day's notice ten minutes before would only confuse
    assert all("Starting soon" in m.subject for m in mail.outbox)


def test_a_meetings_reminders_over_time(meeting_in):
    meeting = meeting_in(dt.timedelta(days=2))
    start = meeting.starts_at
    for at, expected in [
        (start - dt.timedelta(hours=25), 0),  # too early
        (start - dt.timedelta(hours=24), 3),  # the day before
        (start - dt.timedelta(hours=3), 0),
        (start - dt.timedelta(minutes=15), 3),  # a quarter of an hour before
        (start - dt.timedelta(minutes=5), 0),
        (start, 0),  # started: nothing more
        (start + dt.timedelta(minutes=1), 0),
    ]:
        assert emails.notify_meeting_reminders(now=at) == expected, at
    assert len(mail.outbox) == 6


def test_a_late_run_still_sends_a_reminder_that_is_due(meeting_in):
    # The beat was down for four hours: the 24-hour reminder is late but still useful.
    meeting_in(dt.timedelta(hours=20))
    assert emails.notify_meeting_reminders(now=NOW) == 3
    assert _sent("24h") == EVERYONE


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "cancelled"},
        {"status": "draft", "published_at": None},
        {"status": "scheduled", "published_at": None},  # placed but not yet published
    ],
    ids=["cancelled", "draft", "unpublished"],
)
def test_no_reminders_for_cancelled_draft_or_unpublished_meetings(meeting_in, fields):
    meeting_in(dt.timedelta(minutes=10), **fields)
    meeting_in(dt.timedelta(hours=10), **fields)
    assert emails.notify_meeting_reminders(now=NOW) == 0
    assert mail.outbox == [] and not SentEmail.objects.exists()


def test_no_reminder_for_meetings_far_off_or_already_started(meeting_in):
    meeting_in(dt.timedelta(hours=24, minutes=1))
    meeting_in(dt.timedelta(minutes=-1))
    meeting_in(dt.timedelta(0))
    assert emails.notify_meeting_reminders(now=NOW) == 0


def test_a_moved_meeting_gets_its_reminders_again(meeting_in):
    meeting = meeting_in(dt.timedelta(hours=23))
    assert emails.notify_meeting_reminders(now=NOW) == 3
    meeting.starts_at -= dt.timedelta(hours=2)
    meeting.ends_at -= dt.timedelta(hours=2)
    meeting.sequence += 1
    meeting.save()
    assert emails.notify_meeting_reminders(now=NOW) == 3  # the new time, announced again
    assert emails.notify_meeting_reminders(now=NOW) == 0


def test_an_interpreter_with_an_account_gets_it_in_their_language(meeting_in):
    meeting = meeting_in(dt.timedelta(minutes=12))
    staff_interpreter = factories.StaffUserFactory(email="lee@sba.example", preferred_language="ko")
    meeting.interpreter.user = staff_interpreter
    meeting.interpreter.save()
    emails.notify_meeting_reminders(now=NOW)
    message = {m.to[0]: m for m in mail.outbox}["lee@sba.example"]
    assert any(day in message.subject for day in "월화수목금토일")


def test_the_beat_task_sends_due_reminders_once(meeting_in):
    # The task uses the real clock: a meeting 23 hours from now.
    meeting = meeting_in(dt.timedelta(0))
    meeting.starts_at = timezone.now() + dt.timedelta(hours=23)
    meeting.ends_at = meeting.starts_at + dt.timedelta(minutes=40)
    meeting.save()
    tasks.send_meeting_reminders.delay()
    tasks.send_meeting_reminders.delay()
    assert {m.to[0] for m in mail.outbox} == EVERYONE and len(mail.outbox) == 3
    entry = settings.CELERY_BEAT_SCHEDULE["fairs-meeting-reminders"]
    assert entry["task"] == tasks.send_meeting_reminders.name


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(meeting_in):
    """Four workers start the task at the same moment: on PostgreSQL all four insert the same
    keys concurrently and the SentEmail key's unique index lets one through per reminder."""
    for minutes in (10, 60 * 20, 60 * 21):
        meeting_in(dt.timedelta(minutes=minutes))
    barrier = threading.Barrier(4)
    results, errors = [], []
    # SQLite's in-memory test database refuses a second writer outright ("table is locked")
    # instead of waiting, so there the runs take turns; PostgreSQL runs them truly at once.
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def run():
        try:
            barrier.wait()
            with turns:
                results.append(emails.notify_meeting_reminders(now=NOW))
        except Exception as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 9 and len(mail.outbox) == 9
    keys = [m.to[0] + m.subject for m in mail.outbox]
    assert len(set(keys)) == 9
    assert SentEmail.objects.filter(key__startswith="reminder-").count() == 9
