"""Emails per event: who gets them, in which language and time zone, with which calendar file,
and that each goes out once however often it is triggered."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from matching.fairs import emails
from matching.models import MeetingRequest, SentEmail
from tests import factories
from tests.matching.fairs.test_calendar import parse_ics

pytestmark = pytest.mark.django_db

KOREAN_WEEKDAYS = "월화수목금토일"
LA = ZoneInfo("America/Los_Angeles")


def _by_recipient() -> dict:
    found = {}
    for message in mail.outbox:
        [to] = message.to
        assert to not in found, f"{to} got two emails"
        found[to] = message
    return found


def _ics(message) -> tuple[str, dict]:
    [(filename, content, mimetype)] = message.attachments
    assert filename.endswith(".ics")
    return mimetype, parse_ics(content)


@pytest.fixture
def published_fair():
    """A published fair: one SME (two people, one reading Korean), a buyer in Los Angeles with
    one person, a buyer with no accounts (its contact address), a draft and an unpublished one."""
    fair = factories.FairFactory(phase="published", published_at=timezone.now())
    company = factories.CompanyFactory(name_en="Kim & Lee Cosmetics")
    la_buyer = factories.BuyerOrganisationFactory(time_zone="America/Los_Angeles", country="US")
    contact_buyer = factories.BuyerOrganisationFactory(contact_email="orders@siam-beauty.example")
    people = {
        "sme_en": factories.SMEUserFactory(company=company, preferred_language="en"),
        "sme_ko": factories.SMEUserFactory(company=company, preferred_language="ko"),
        "buyer": factories.BuyerUserFactory(buyer_organisation=la_buyer),
    }
    factories.SMEUserFactory(company=company, is_active=False)  # left the company: hears nothing
    first = fair.starts_on
    at = dt.datetime.combine(first, dt.time(1), tzinfo=dt.UTC)
    meetings = {
        "la": factories.PublishedMeetingFactory(fair=fair, company=company, buyer=la_buyer, starts_at=at),
        "contact": factories.PublishedMeetingFactory(
            fair=fair,
            company=company,
            buyer=contact_buyer,
            starts_at=at + dt.timedelta(hours=1),
            ends_at=at + dt.timedelta(hours=1, minutes=40),
        ),
        "draft": factories.PublishedMeetingFactory(
            fair=fair,
            company=company,
            buyer=la_buyer,
            starts_at=at + dt.timedelta(hours=2),
            ends_at=at + dt.timedelta(hours=2, minutes=40),
            status="draft",
            published_at=None,
        ),
    }
    return fair, people, meetings


def test_schedule_published_sends_each_person_their_own_agenda_once(published_fair):
    fair, people, meetings = published_fair
    assert emails.notify_schedule_published(fair.pk) == 4
    got = _by_recipient()
    assert set(got) == {
        people["sme_en"].email,
        people["sme_ko"].email,
        people["buyer"].email,
        "orders@siam-beauty.example",
    }
    uid = {key: f"{m.uid}@tradeon" for key, m in meetings.items()}

    # The SME's people: both meetings in their agenda file; the buyers only their own.
    mimetype, sme_ics = _ics(got[people["sme_en"].email])
    assert mimetype.startswith("text/calendar")
    assert sme_ics["calendar"]["METHOD"] == "PUBLISH"
    assert {e["UID"] for e in sme_ics["events"]} == {uid["la"], uid["contact"]}
    assert {e["UID"] for e in _ics(got[people["buyer"].email])[1]["events"]} == {uid["la"]}
    assert {e["UID"] for e in _ics(got["orders@siam-beauty.example"])[1]["events"]} == {uid["contact"]}

    # Again (a retried task): nothing more.
    assert emails.notify_schedule_published(fair.pk) == 0
    assert len(mail.outbox) == 4


def test_schedule_published_shows_times_in_the_recipients_zone_and_language(published_fair):
    fair, people, meetings = published_fair
    emails.notify_schedule_published(fair.pk)
    got = _by_recipient()
    meeting = meetings["la"]
    la_start = meeting.starts_at.astimezone(LA)
    offset = la_start.strftime("%z")
    buyer_body = got[people["buyer"].email].body
    assert f"{la_start:%Y-%m-%d %H:%M}" in buyer_body
    assert f"UTC{offset[:3]}:{offset[3:]}" in buyer_body and "America/Los_Angeles" in buyer_body
    assert "10:00–10:40" in buyer_body  # Seoul time alongside
    sme_body = got[people["sme_en"].email].body
    assert "10:00–10:40" in sme_body and "UTC+09:00" in sme_body
    assert f"{la_start:%H:%M}" in sme_body  # the buyer's local time, for the SME
    buyer_body = got[people["buyer"].email].body
    assert "Kim & Lee Cosmetics" in buyer_body and "&amp;" not in buyer_body  # plain text, not HTML
    # Korean reader: Django's own Korean weekday names; the English reader none.
    assert any(day in got[people["sme_ko"].email].body for day in KOREAN_WEEKDAYS)
    assert not any(day in sme_body for day in KOREAN_WEEKDAYS)


def test_a_moved_meeting_sends_the_updated_event_and_a_cancelled_one_a_cancel(published_fair):
    fair, people, meetings = published_fair
    meeting = meetings["la"]
    meeting.starts_at += dt.timedelta(hours=3)
    meeting.ends_at += dt.timedelta(hours=3)
    meeting.sequence = 1
    meeting.save()
    assert emails.notify_meeting_changed(meeting.pk) == 3  # two SME people, one buyer
    got = _by_recipient()
    assert set(got) == {people["sme_en"].email, people["sme_ko"].email, people["buyer"].email}
    mimetype, moved = _ics(got[people["buyer"].email])
    assert "method=PUBLISH" in mimetype and moved["calendar"]["METHOD"] == "PUBLISH"
    [event] = moved["events"]
    assert event["UID"] == f"{meeting.uid}@tradeon" and event["SEQUENCE"] == "1" and event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"].endswith("T040000Z")
    assert f"{meeting.starts_at.astimezone(LA):%H:%M}" in got[people["buyer"].email].body
    assert emails.notify_meeting_changed(meeting.pk) == 0  # same version: once

    mail.outbox.clear()
    meeting.status, meeting.sequence, meeting.cancel_reason = "cancelled", 2, "The buyer's flight moved"
    meeting.save()
    assert emails.notify_meeting_changed(meeting.pk) == 3
    message = _by_recipient()[people["buyer"].email]
    assert "cancelled" in message.subject.lower() and "The buyer's flight moved" in message.body
    mimetype, cancelled = _ics(message)
    assert "method=CANCEL" in mimetype and cancelled["calendar"]["METHOD"] == "CANCEL"
    [event] = cancelled["events"]
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (f"{meeting.uid}@tradeon", "2", "CANCELLED")
    assert event["ATTENDEE"] == f"mailto:{people['buyer'].email}"
    assert 'Content-Type: text/calendar; method="CANCEL"' in message.message().as_string()


def test_a_meeting_added_to_a_published_schedule_is_announced_as_new(published_fair):
    _fair, people, meetings = published_fair
    assert meetings["la"].sequence == 0
    assert emails.notify_meeting_changed(meetings["la"].pk) == 3
    message = _by_recipient()[people["buyer"].email]
    assert message.subject.startswith("New meeting")
    assert _ics(message)[1]["events"][0]["STATUS"] == "CONFIRMED"


def test_a_meeting_never_published_sends_no_change_email(published_fair):
    _fair, _people, meetings = published_fair
    assert emails.notify_meeting_changed(meetings["draft"].pk) == 0
    assert mail.outbox == []


def test_invitations_go_to_the_participants_people(published_fair):
    fair, people, _meetings = published_fair
    sme_side = factories.FairParticipantFactory(fair=fair, company=people["sme_en"].company)
    buyer_side = factories.BuyerParticipantFactory(fair=fair, buyer=people["buyer"].buyer_organisation)
    assert emails.notify_invitations([sme_side.pk, buyer_side.pk]) == 3
    assert set(_by_recipient()) == {people["sme_en"].email, people["sme_ko"].email, people["buyer"].email}
    assert all(fair.name in m.subject for m in mail.outbox)
    assert emails.notify_invitations([sme_side.pk, buyer_side.pk]) == 0


def test_a_request_goes_to_the_asked_side_and_the_answer_to_the_asking_side(published_fair):
    fair, people, _meetings = published_fair
    request = MeetingRequest.objects.create(
        fair=fair,
        company=people["sme_en"].company,
        buyer=people["buyer"].buyer_organisation,
        from_side="buyer",
        message="We import 20,000 units & more a year.",
        expires_at=dt.datetime(2027, 3, 15, 2, 30, tzinfo=dt.UTC),
    )
    assert emails.notify_request_received(request.pk) == 2
    got = _by_recipient()
    assert set(got) == {people["sme_en"].email, people["sme_ko"].email}
    body = got[people["sme_en"].email].body
    assert "20,000 units & more" in body
    assert "2027-03-15 11:30 (Asia/Seoul)" in body  # the deadline in the SME's zone

    mail.outbox.clear()
    request.status = "accepted"
    request.save()
    assert emails.notify_request_answered(request.pk) == 1
    [message] = mail.outbox
    assert message.to == [people["buyer"].email] and "accepted" in message.subject.lower()


def test_a_request_to_a_buyer_shows_the_deadline_in_the_buyers_zone(published_fair):
    fair, people, _meetings = published_fair
    request = MeetingRequest.objects.create(
        fair=fair,
        company=people["sme_en"].company,
        buyer=people["buyer"].buyer_organisation,
        from_side="sme",
        expires_at=dt.datetime(2027, 3, 15, 2, 30, tzinfo=dt.UTC),
    )
    assert emails.notify_request_received(request.pk) == 1
    [message] = mail.outbox
    assert message.to == [people["buyer"].email]
    assert "2027-03-14 19:30 (America/Los_Angeles)" in message.body


def test_a_failed_send_leaves_no_record_so_a_retry_sends(published_fair, monkeypatch):
    fair, people, _meetings = published_fair

    def broken(self, fail_silently=False):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with pytest.raises(ConnectionError):
        emails.notify_schedule_published(fair.pk)
    assert not SentEmail.objects.exists()
    monkeypatch.undo()
    assert emails.notify_schedule_published(fair.pk) == 4
