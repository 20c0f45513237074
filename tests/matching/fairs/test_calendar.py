"""Calendar files and feeds: RFC 5545 content parsed back (CRLF, folding, escaping, UTC times,
stable UID, rising SEQUENCE, cancellations), and who may download or subscribe to what."""

import datetime as dt
import re

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from matching.fairs import calendar
from matching.models import CalendarFeed, Meeting
from tests import factories

pytestmark = pytest.mark.django_db


# --- a small reader of what we write: the test must not trust the writer -------------------------


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar text; checks CRLF endings and the 75-octet limit first."""
    assert text.endswith("\r\n")
    raw = text[:-2].split("\r\n")
    for line in raw:
        assert "\n" not in line and "\r" not in line, f"bare line break in {line!r}"
        assert len(line.encode()) <= 75, f"line longer than 75 octets: {line!r}"
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_line(line: str) -> tuple[str, dict, str]:
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            head, value = line[:index], line[index + 1 :]
            break
    name, *params = head.split(";")
    return name, dict(p.split("=", 1) for p in params), value


def parse_ics(text: str) -> dict:
    """{"calendar": {NAME: value}, "events": [{NAME: value}]} with TEXT values unescaped."""
    calendar_props: dict = {}
    events: list[dict] = []
    current = None
    depth = []
    for line in unfold(text):
        name, _params, value = split_line(line)
        if name == "BEGIN":
            depth.append(value)
            if value == "VEVENT":
                current = {}
            continue
        if name == "END":
            assert depth.pop() == value
            if value == "VEVENT":
                events.append(current)
                current = None
            continue
        target = current if current is not None else calendar_props
        target[name] = unescape(value)
    assert depth == []
    return {"calendar": calendar_props, "events": events}


def published(*, later_by_hours: int = 0, **kwargs) -> Meeting:
    """A published meeting; `later_by_hours` moves it off the factory's 10:00 Seoul slot, since the
    database refuses two overlapping meetings of one company or buyer."""
    if later_by_hours:
        kwargs["starts_at"] = factory.LazyAttribute(
            lambda o: dt.datetime.combine(o.fair.starts_on, dt.time(1 + later_by_hours), tzinfo=dt.UTC)
        )
    return factories.PublishedMeetingFactory(**kwargs)


# --- the writer's building blocks ----------------------------------------------------------------


def test_folding_never_splits_a_korean_character_and_unfolds_to_the_original():
    line = "SUMMARY:" + "서울기업 수출상담회 화장품 " * 12
    folded = calendar.ics_fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 3
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    # Each piece is valid UTF-8 on its own (no character cut in half) and they join back.
    for piece in pieces:
        piece.encode().decode("utf-8")
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line


def test_a_75_octet_line_is_not_folded_and_76_is():
    assert calendar.ics_fold("X" * 75) == "X" * 75
    assert calendar.ics_fold("X" * 76) == "X" * 75 + "\r\n X"


def test_text_escaping_round_trips():
    value = "Kim, Lee; Partners \\ Co\nsecond line\r\nthird"
    escaped = calendar.ics_escape(value)
    assert "\n" not in escaped and "\r" not in escaped
    assert escaped == "Kim\\, Lee\\; Partners \\\\ Co\\nsecond line\\nthird"
    assert unescape(escaped) == "Kim, Lee; Partners \\ Co\nsecond line\nthird"


# --- one meeting ---------------------------------------------------------------------------------


def test_meeting_ics_holds_the_event_in_utc_with_its_identity_and_details():
    interpreter = factories.InterpreterFactory(name="Park Ji-won")
    meeting = published(interpreter=interpreter)
    meeting.room = meeting.fair.rooms.first()
    meeting.save()
    parsed = parse_ics(calendar.meeting_ics(meeting))

    assert parsed["calendar"]["VERSION"] == "2.0"
    assert parsed["calendar"]["METHOD"] == "PUBLISH"
    assert parsed["calendar"]["PRODID"]
    [event] = parsed["events"]
    assert event["UID"] == f"{meeting.uid}@tradeon"
    assert event["SEQUENCE"] == "0"
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"] == meeting.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTSTART"].endswith("T010000Z")  # 10:00 in Seoul is 01:00 UTC
    assert event["DTEND"].endswith("T014000Z")
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert meeting.company.name_en in event["SUMMARY"] and meeting.buyer.name in event["SUMMARY"]
    assert meeting.fair.name in event["SUMMARY"]
    assert event["LOCATION"] == meeting.room.name
    assert meeting.room.name in event["DESCRIPTION"] and "Park Ji-won" in event["DESCRIPTION"]
    agenda_url = reverse("fairs:agenda", args=[meeting.fair_id])
    assert event["URL"].endswith(f"{agenda_url}#meeting-{meeting.pk}")
    assert agenda_url in event["DESCRIPTION"]


def test_an_online_meeting_says_online():
    meeting = published(room=None)
    [event] = parse_ics(calendar.meeting_ics(meeting))["events"]
    assert event["LOCATION"] == "Online"


def test_names_with_commas_semicolons_backslashes_and_newlines_survive():
    company = factories.CompanyFactory(name_en="Kim, Lee; Partners \\ Cosmetics", name_ko="김앤리 화장품")
    meeting = published(company=company, status="cancelled", cancel_reason="Buyer ill;\nwill rebook")
    [event] = parse_ics(calendar.meeting_ics(meeting))["events"]
    assert "Kim, Lee; Partners \\ Cosmetics (김앤리 화장품)" in event["SUMMARY"]
    assert "Buyer ill;\nwill rebook" in event["DESCRIPTION"]


def test_a_rescheduled_meeting_keeps_its_uid_and_raises_its_sequence():
    meeting = published()
    before = parse_ics(calendar.meeting_ics(meeting))["events"][0]
    meeting.starts_at += dt.timedelta(hours=2)
    meeting.ends_at += dt.timedelta(hours=2)
    meeting.sequence += 1
    meeting.save()
    after = parse_ics(calendar.meeting_ics(meeting))["events"][0]
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["DTSTART"] != before["DTSTART"] and after["DTSTART"].endswith("T030000Z")


def test_a_cancelled_meeting_is_cancelled_and_a_cancel_email_file_says_method_cancel():
    meeting = published()
    uid = f"{meeting.uid}@tradeon"
    meeting.status = "cancelled"
    meeting.sequence = 2
    meeting.save()
    parsed = parse_ics(calendar.meeting_ics(meeting, method="CANCEL", attendee="kim@example.com"))
    assert parsed["calendar"]["METHOD"] == "CANCEL"
    [event] = parsed["events"]
    assert event["UID"] == uid and event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == "2"
    assert event["ATTENDEE"] == "mailto:kim@example.com" and event["ORGANIZER"].startswith("mailto:")


def test_a_draft_never_becomes_a_calendar_event():
    draft = published(status="draft", published_at=None)
    with pytest.raises(ValueError):
        calendar.meeting_ics(draft)
    scheduled = published(fair=draft.fair)
    parsed = parse_ics(calendar.agenda_ics([draft, scheduled], "Agenda, day 1"))
    assert [e["UID"] for e in parsed["events"]] == [f"{scheduled.uid}@tradeon"]
    assert parsed["calendar"]["X-WR-CALNAME"] == "Agenda, day 1"


# --- downloads -----------------------------------------------------------------------------------


def _client(client, user):
    client.force_login(user)
    return client


def test_the_meetings_parties_and_staff_download_its_ics(client):
    meeting = published()
    sme = factories.SMEUserFactory(company=meeting.company)
    buyer = factories.BuyerUserFactory(buyer_organisation=meeting.buyer)
    url = reverse("fairs:meeting_ics", args=[meeting.pk])
    for user in (sme, buyer, factories.StaffUserFactory()):
        response = _client(client, user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert "attachment" in response["Content-Disposition"]
        assert parse_ics(response.content.decode())["events"][0]["UID"] == f"{meeting.uid}@tradeon"


def test_someone_elses_meeting_and_drafts_are_not_found(client):
    meeting = published()
    draft = published(fair=meeting.fair, company=meeting.company, status="draft", published_at=None, later_by_hours=1)
    other_sme = factories.SMEUserFactory()
    other_buyer = factories.BuyerUserFactory()
    for user in (other_sme, other_buyer):
        assert _client(client, user).get(reverse("fairs:meeting_ics", args=[meeting.pk])).status_code == 404
    own_sme = factories.SMEUserFactory(company=meeting.company)
    assert _client(client, own_sme).get(reverse("fairs:meeting_ics", args=[draft.pk])).status_code == 404
    staff = factories.StaffUserFactory()
    assert _client(client, staff).get(reverse("fairs:meeting_ics", args=[draft.pk])).status_code == 404


def test_downloads_need_sign_in(client):
    meeting = published()
    response = client.get(reverse("fairs:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_fair_agenda_ics_holds_only_my_meetings_of_that_fair(client):
    mine = published()
    factories.FairParticipantFactory(fair=mine.fair, company=mine.company)
    also_mine = published(fair=mine.fair, company=mine.company, later_by_hours=1)
    someone_elses = published(fair=mine.fair)
    other_fair = published(company=mine.company, later_by_hours=2)
    sme = factories.SMEUserFactory(company=mine.company)
    response = _client(client, sme).get(reverse("fairs:agenda_ics", args=[mine.fair_id]))
    assert response.status_code == 200
    uids = {e["UID"] for e in parse_ics(response.content.decode())["events"]}
    assert uids == {f"{mine.uid}@tradeon", f"{also_mine.uid}@tradeon"}
    assert f"{someone_elses.uid}@tradeon" not in uids and f"{other_fair.uid}@tradeon" not in uids


def test_fair_agenda_ics_of_a_fair_i_am_not_in_is_not_found(client):
    meeting = published()
    outsider = factories.SMEUserFactory()
    assert _client(client, outsider).get(reverse("fairs:agenda_ics", args=[meeting.fair_id])).status_code == 404


# --- subscription feeds --------------------------------------------------------------------------


def _feed_events(client, token) -> dict:
    response = client.get(reverse("fairs:calendar_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    parsed = parse_ics(response.content.decode())
    assert parsed["calendar"]["METHOD"] == "PUBLISH"
    return {e["UID"]: e for e in parsed["events"]}


def test_feed_needs_no_sign_in_and_holds_my_published_meetings_across_fairs(client):
    mine = published()
    in_another_fair = published(company=mine.company, later_by_hours=1)
    cancelled_after_publishing = published(company=mine.company, status="cancelled", sequence=1)
    draft = published(company=mine.company, status="draft", published_at=None, later_by_hours=2)
    cancelled_never_published = published(company=mine.company, status="cancelled", published_at=None)
    someone_elses = published(fair=mine.fair)
    sme = factories.SMEUserFactory(company=mine.company)
    feed = calendar.calendar_feed_get(user=sme)

    events = _feed_events(client, feed.token)
    assert set(events) == {f"{m.uid}@tradeon" for m in (mine, in_another_fair, cancelled_after_publishing)}
    assert events[f"{cancelled_after_publishing.uid}@tradeon"]["STATUS"] == "CANCELLED"
    assert events[f"{mine.uid}@tradeon"]["STATUS"] == "CONFIRMED"
    for absent in (draft, cancelled_never_published, someone_elses):
        assert f"{absent.uid}@tradeon" not in events


def test_a_buyers_feed_holds_the_organisations_meetings(client):
    mine = published()
    someone_elses = published(fair=mine.fair, company=mine.company, later_by_hours=1)  # same SME, another buyer
    buyer = factories.BuyerUserFactory(buyer_organisation=mine.buyer)
    events = _feed_events(client, calendar.calendar_feed_get(user=buyer).token)
    assert set(events) == {f"{mine.uid}@tradeon"}
    assert f"{someone_elses.uid}@tradeon" not in events


def test_staff_feed_holds_all_published_meetings_and_no_drafts(client):
    a, b = published(), published()
    draft = published(status="draft", published_at=None)
    staff = factories.StaffUserFactory()
    events = _feed_events(client, calendar.calendar_feed_get(user=staff).token)
    assert {f"{a.uid}@tradeon", f"{b.uid}@tradeon"} <= set(events)
    assert f"{draft.uid}@tradeon" not in events


def test_unknown_rotated_and_deactivated_tokens_are_not_found(client):
    sme = factories.SMEUserFactory()
    old = calendar.calendar_feed_get(user=sme).token
    assert client.get(reverse("fairs:calendar_feed", args=["not-a-token"])).status_code == 404
    new = calendar.calendar_feed_rotate(user=sme).token
    assert new != old
    assert client.get(reverse("fairs:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("fairs:calendar_feed", args=[new])).status_code == 200
    sme.is_active = False
    sme.save()
    assert client.get(reverse("fairs:calendar_feed", args=[new])).status_code == 404


def test_feed_leaves_out_meetings_long_past(client):
    recent = published()
    old = published(
        company=recent.company,
        starts_at=timezone.now() - dt.timedelta(days=200),
        ends_at=timezone.now() - dt.timedelta(days=200) + dt.timedelta(minutes=40),
    )
    sme = factories.SMEUserFactory(company=recent.company)
    events = _feed_events(client, calendar.calendar_feed_get(user=sme).token)
    assert f"{recent.uid}@tradeon" in events and f"{old.uid}@tradeon" not in events


def test_calendar_page_shows_the_subscription_urls_and_rotates_the_token(client):
    sme = factories.SMEUserFactory()
    _client(client, sme)
    response = client.get(reverse("fairs:calendar"))
    assert response.status_code == 200
    token = CalendarFeed.objects.get(user=sme).token
    page = response.content.decode()
    assert "webcal://" in page and f"/fairs/calendar/{token}.ics" in page
    response = client.post(reverse("fairs:calendar"))
    assert response.status_code == 302
    new_token = CalendarFeed.objects.get(user=sme).token
    assert new_token != token
    assert f"/fairs/calendar/{new_token}.ics" in client.get(reverse("fairs:calendar")).content.decode()


def test_calendar_page_needs_sign_in_and_does_not_make_a_feed(client):
    assert client.post(reverse("fairs:calendar")).status_code == 302
    assert not CalendarFeed.objects.exists()


def test_api_calendar_feed_shows_and_rotates(sme_client, sme_user, api_client):
    response = sme_client.get("/api/v1/calendar-feed/")
    assert response.status_code == 200
    token = CalendarFeed.objects.get(user=sme_user).token
    assert response.json()["url"].endswith(f"/fairs/calendar/{token}.ics")
    assert response.json()["webcal_url"].startswith("webcal://")
    rotated = sme_client.post("/api/v1/calendar-feed/")
    assert rotated.status_code == 201
    assert CalendarFeed.objects.get(user=sme_user).token != token
    assert token not in rotated.json()["url"]
    assert api_client.get("/api/v1/calendar-feed/").status_code in (401, 403)
    assert api_client.post("/api/v1/calendar-feed/").status_code in (401, 403)
