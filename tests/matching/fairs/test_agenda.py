"""Agendas: each person's published meetings in their own time zone with Seoul time alongside,
right on both sides of the US daylight-saving changes, while calendar files stay in UTC; and who
sees which meetings."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.matching.fairs.test_calendar import parse_ics

pytestmark = pytest.mark.django_db

# Tuesdays 09:00 in Seoul (00:00 UTC) in the weeks before and after the US changes of 2027
# (clocks go forward on Sunday 14 March and back on Sunday 7 November).
DST_WEEKS = [
    dt.datetime(2027, 3, 9, tzinfo=dt.UTC),
    dt.datetime(2027, 3, 16, tzinfo=dt.UTC),
    dt.datetime(2027, 11, 2, tzinfo=dt.UTC),
    dt.datetime(2027, 11, 9, tzinfo=dt.UTC),
]


def _meeting(fair, company, buyer, starts_at, **kwargs):
    return factories.PublishedMeetingFactory(
        fair=fair,
        company=company,
        buyer=buyer,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
        **kwargs,
    )


@pytest.fixture
def us_fair():
    """A fair whose buyer sits in a US zone, with one meeting in each DST week."""

    def build(time_zone: str):
        fair = factories.FairFactory(phase="published")
        buyer = factories.BuyerOrganisationFactory(time_zone=time_zone, country="US", name="Pacific Beauty Imports")
        company = factories.CompanyFactory()
        factories.FairParticipantFactory(fair=fair, company=company)
        factories.BuyerParticipantFactory(fair=fair, buyer=buyer)
        meetings = [_meeting(fair, company, buyer, at) for at in DST_WEEKS]
        return fair, company, buyer, meetings

    return build


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_los_angeles_buyer_sees_the_right_local_time_on_both_sides_of_each_dst_change(us_fair):
    fair, _company, buyer, meetings = us_fair("America/Los_Angeles")
    user = factories.BuyerUserFactory(buyer_organisation=buyer)
    response = _client_for(user).get("/api/v1/agenda/", {"fair": fair.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [m.pk for m in meetings]
    # Stored and returned in UTC: the same 00:00Z every week.
    assert [r["starts_at"] for r in rows] == [f"{at:%Y-%m-%d}T00:00:00Z" for at in DST_WEEKS]
    assert [(r["local"]["starts_at"], r["local"]["utc_offset"], r["local"]["abbreviation"]) for r in rows] == [
        ("2027-03-08T16:00:00-08:00", "-08:00", "PST"),
        ("2027-03-15T17:00:00-07:00", "-07:00", "PDT"),
        ("2027-11-01T17:00:00-07:00", "-07:00", "PDT"),
        ("2027-11-08T16:00:00-08:00", "-08:00", "PST"),
    ]
    assert {r["local"]["time_zone"] for r in rows} == {"America/Los_Angeles"}
    # Seoul has no DST: 09:00 every week, alongside; and the SME counterpart sits in Seoul.
    assert {(r["seoul"]["starts_at"][11:], r["seoul"]["time_zone"]) for r in rows} == {("09:00:00+09:00", "Asia/Seoul")}
    assert {r["counterpart"]["time_zone"] for r in rows} == {"Asia/Seoul"}


def test_the_agenda_page_shows_local_and_seoul_time_and_the_ics_stays_in_utc(us_fair, client):
    fair, _company, buyer, meetings = us_fair("America/Los_Angeles")
    client.force_login(factories.BuyerUserFactory(buyer_organisation=buyer))
    page = client.get(reverse("fairs:agenda", args=[fair.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for day, time_range, offset in [
        ("2027-03-08", "16:00–16:40", "UTC-08:00"),
        ("2027-03-15", "17:00–17:40", "UTC-07:00"),
        ("2027-11-01", "17:00–17:40", "UTC-07:00"),
        ("2027-11-08", "16:00–16:40", "UTC-08:00"),
    ]:
        assert day in html
        assert time_range in html and offset in html
    assert html.count("09:00–09:40") == 4  # Seoul time alongside, the same every week
    for meeting in meetings:
        assert f'id="meeting-{meeting.pk}"' in html

    ics = client.get(reverse("fairs:agenda_ics", args=[fair.pk])).content.decode()
    starts = sorted(e["DTSTART"] for e in parse_ics(ics)["events"])
    assert starts == [f"{at:%Y%m%d}T000000Z" for at in DST_WEEKS]


def test_a_new_york_buyer_sees_eastern_time_across_the_changes(us_fair):
    fair, _company, buyer, _meetings = us_fair("America/New_York")
    user = factories.BuyerUserFactory(buyer_organisation=buyer)
    rows = _client_for(user).get("/api/v1/agenda/", {"fair": fair.pk}).json()["results"]
    assert [(r["local"]["starts_at"][11:16], r["local"]["utc_offset"]) for r in rows] == [
        ("19:00", "-05:00"),
        ("20:00", "-04:00"),
        ("20:00", "-04:00"),
        ("19:00", "-05:00"),
    ]


def test_the_sme_sees_seoul_time_and_the_buyers_local_time(us_fair, client):
    fair, company, buyer, _meetings = us_fair("America/Los_Angeles")
    sme = factories.SMEUserFactory(company=company)
    rows = _client_for(sme).get("/api/v1/agenda/", {"fair": fair.pk}).json()["results"]
    assert {r["local"]["time_zone"] for r in rows} == {"Asia/Seoul"}
    assert {r["local"]["starts_at"][11:] for r in rows} == {"09:00:00+09:00"}
    assert [r["counterpart"]["name"] for r in rows] == [buyer.name] * 4
    assert [(r["counterpart"]["time_zone"], r["counterpart"]["utc_offset"]) for r in rows] == [
        ("America/Los_Angeles", "-08:00"),
        ("America/Los_Angeles", "-07:00"),
        ("America/Los_Angeles", "-07:00"),
        ("America/Los_Angeles", "-08:00"),
    ]
    client.force_login(sme)
    html = client.get(reverse("fairs:agenda", args=[fair.pk])).content.decode()
    assert "Pacific Beauty Imports" in html and "America/Los_Angeles" in html and "UTC-07:00" in html


def test_staff_see_seoul_time_unless_they_ask_for_another_zone(us_fair, staff_client):
    fair, _company, _buyer, _meetings = us_fair("America/Los_Angeles")
    rows = staff_client.get("/api/v1/agenda/", {"fair": fair.pk}).json()["results"]
    assert len(rows) == 4
    assert {r["local"]["time_zone"] for r in rows} == {"Asia/Seoul"}
    assert rows[0]["counterpart"] is None
    assert rows[0]["buyer_local"]["utc_offset"] == "-08:00"
    rows = staff_client.get("/api/v1/agenda/", {"fair": fair.pk, "tz": "America/Los_Angeles"}).json()["results"]
    assert [r["local"]["utc_offset"] for r in rows] == ["-08:00", "-07:00", "-07:00", "-08:00"]


def test_an_unknown_zone_is_refused_naming_the_field(us_fair, staff_client, staff_user, client):
    fair, *_ = us_fair("America/Los_Angeles")
    response = staff_client.get("/api/v1/agenda/", {"tz": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "tz"
    assert "Mars/Olympus_Mons" in response.json()["errors"][0]["message"]
    client.force_login(staff_user)
    page = client.get(reverse("fairs:agenda", args=[fair.pk]), {"tz": "Mars/Olympus_Mons"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "tz:" in html and "Mars/Olympus_Mons" in html and "09:00–09:40" in html  # still shown, in Seoul time


def test_staff_page_override_shows_the_chosen_zone(us_fair, staff_user, client):
    fair, *_ = us_fair("America/Los_Angeles")
    client.force_login(staff_user)
    html = client.get(reverse("fairs:agenda", args=[fair.pk]), {"tz": "America/New_York"}).content.decode()
    assert "19:00–19:40" in html and "UTC-05:00" in html and "UTC-04:00" in html


# --- who sees what -------------------------------------------------------------------------------


def test_another_companys_and_organisations_meetings_and_drafts_are_not_in_my_agenda(client):
    fair = factories.FairFactory(phase="published")
    company, buyer = factories.CompanyFactory(), factories.BuyerOrganisationFactory()
    factories.FairParticipantFactory(fair=fair, company=company)
    start = timezone.now() + dt.timedelta(days=3)
    mine = _meeting(fair, company, buyer, start)
    draft = _meeting(fair, company, buyer, start + dt.timedelta(hours=1), status="draft", published_at=None)
    theirs = _meeting(fair, factories.CompanyFactory(), buyer, start + dt.timedelta(hours=2))
    sme = factories.SMEUserFactory(company=company)
    ids = [r["id"] for r in _client_for(sme).get("/api/v1/agenda/").json()["results"]]
    assert ids == [mine.pk]
    other_buyer = factories.BuyerUserFactory()
    assert _client_for(other_buyer).get("/api/v1/agenda/").json()["results"] == []
    client.force_login(sme)
    html = client.get(reverse("fairs:agenda", args=[fair.pk])).content.decode()
    assert f"meeting-{mine.pk}" in html
    assert f"meeting-{draft.pk}" not in html and f"meeting-{theirs.pk}" not in html


def test_the_agenda_of_a_fair_i_am_not_in_is_not_found(client):
    meeting = factories.PublishedMeetingFactory()
    for outsider in (factories.SMEUserFactory(), factories.BuyerUserFactory()):
        client.force_login(outsider)
        assert client.get(reverse("fairs:agenda", args=[meeting.fair_id])).status_code == 404


def test_agenda_pages_and_api_need_sign_in(client, api_client):
    meeting = factories.PublishedMeetingFactory()
    for url in (reverse("fairs:agenda", args=[meeting.fair_id]), reverse("fairs:my_agenda")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert api_client.get("/api/v1/agenda/").status_code in (401, 403)


def test_my_agenda_lists_upcoming_meetings_of_all_my_fairs(client):
    company = factories.CompanyFactory()
    now = timezone.now()
    fair_a, fair_b = factories.FairFactory(phase="published"), factories.FairFactory(phase="published")
    buyer = factories.BuyerOrganisationFactory()
    soon = _meeting(fair_a, company, buyer, now + dt.timedelta(days=1))
    later = _meeting(fair_b, company, buyer, now + dt.timedelta(days=5))
    over = _meeting(fair_a, company, buyer, now - dt.timedelta(days=2))
    cancelled = _meeting(fair_b, company, buyer, now + dt.timedelta(days=2), status="cancelled")
    sme = factories.SMEUserFactory(company=company)
    client.force_login(sme)
    response = client.get(reverse("fairs:my_agenda"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f"meeting-{soon.pk}") < html.index(f"meeting-{later.pk}")
    assert fair_a.name in html and fair_b.name in html
    assert f"meeting-{over.pk}" not in html and f"meeting-{cancelled.pk}" not in html
    ids = [r["id"] for r in _client_for(sme).get("/api/v1/agenda/", {"upcoming": "true"}).json()["results"]]
    assert ids == [soon.pk, later.pk]


def test_a_cancelled_published_meeting_shows_as_cancelled_in_the_fair_agenda(client):
    meeting = factories.PublishedMeetingFactory(status="cancelled", sequence=1)
    factories.FairParticipantFactory(fair=meeting.fair, company=meeting.company)
    client.force_login(factories.SMEUserFactory(company=meeting.company))
    html = client.get(reverse("fairs:agenda", args=[meeting.fair_id])).content.decode()
    assert f"meeting-{meeting.pk}" in html and "Cancelled" in html
    row = _client_for(factories.SMEUserFactory(company=meeting.company)).get("/api/v1/agenda/").json()["results"][0]
    assert row["status"] == "cancelled" and row["sequence"] == 1


def test_agenda_api_queries_do_not_grow_with_meetings(staff_client, django_assert_max_num_queries):
    fair = factories.FairFactory(phase="published")
    start = timezone.now() + dt.timedelta(days=1)
    interpreter = factories.InterpreterFactory()
    factories.PublishedMeetingFactory(
        fair=fair,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=40),
        interpreter=interpreter,
        room=fair.rooms.first(),
    )

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/api/v1/agenda/", {"fair": fair.pk}).status_code == 200
        return len(captured)

    one = count()
    for hours in (1, 2):
        at = start + dt.timedelta(hours=hours)
        factories.PublishedMeetingFactory(
            fair=fair,
            starts_at=at,
            ends_at=at + dt.timedelta(minutes=40),
            interpreter=interpreter,
            room=fair.rooms.first(),
        )
    assert count() == one
