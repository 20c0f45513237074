"""What must hold under load and across daylight-saving changes.

Double booking: 50 concurrent attempts to book the same SME, buyer, video room or interpreter
for overlapping times, each thread on its own database connection. Through the API exactly one
wins (201) and 49 get a clear 409, none a 500; with the service's own check switched off the
database's refusal still becomes a clear 409; and bare ORM inserts, with no service at all, prove
PostgreSQL's exclusion constraints refuse every overlap. These need PostgreSQL (SQLite has no
exclusion constraints and serialises writers anyway); CI runs them there.

DST: a New York buyer's business hours are checked with the offset in force on the meeting's own
date, across the March and November changes.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from matching import scheduler
from matching.fairs import booking, scheduling
from matching.models import Meeting, MeetingRequest, VideoRoom
from tests import factories
from tests.concurrency import in_threads
from tradeon.errors import DomainError

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
ATTEMPTS = 50

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only (CI runs it)"
)


def at(fair, day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(fair.starts_on + timedelta(days=day), time(hours, minutes), SEOUL).astimezone(UTC)


def contenders(kind: str, staff):
    """A fair and 50 bookings that all want the same `kind` (company, buyer, room or interpreter)
    at 13:00 on the first day. Each booking is a dict of meeting_add arguments."""
    fair = factories.FairFactory(phase="scheduling")
    interpreter = factories.InterpreterFactory(name="Contested Interpreter", languages=["ko", "th"])
    shared_sme = factories.FairParticipantFactory(fair=fair, company__name_en="Contested SME", uses_video_room=False)
    shared_buyer = factories.BuyerParticipantFactory(
        fair=fair, buyer__name="Contested Buyer", buyer__time_zone="Asia/Seoul"
    )
    bookings = []
    for _ in range(ATTEMPTS):
        wants_room = kind == "room"
        sme = (
            shared_sme
            if kind == "company"
            else factories.FairParticipantFactory(
                fair=fair,
                uses_video_room=wants_room,
                company__languages=["ko"] if kind == "interpreter" else ["ko", "en"],
            )
        )
        buyer = (
            shared_buyer
            if kind == "buyer"
            else factories.BuyerParticipantFactory(
                fair=fair, buyer__time_zone="Asia/Seoul", buyer__languages=["th"] if kind == "interpreter" else ["en"]
            )
        )
        bookings.append(
            {
                "fair": fair,
                "company": sme.company,
                "buyer": buyer.buyer,
                "starts_at": at(fair, 0, "13:00"),
                "room": VideoRoom.objects.get(name="Video room 1") if wants_room else None,
                "interpreter": interpreter if kind == "interpreter" else None,
            }
        )
    names = {
        "company": "Contested SME",
        "buyer": "Contested Buyer",
        "room": "Video room 1",
        "interpreter": "Contested Interpreter",
    }
    return fair, bookings, names[kind]


KINDS = ["company", "buyer", "room", "interpreter"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_fifty_concurrent_api_bookings_of_one_party_or_resource_one_wins(kind):
    staff = factories.StaffUserFactory()
    fair, bookings, name = contenders(kind, staff)

    def attempt(i: int):
        client = APIClient()
        client.force_authenticate(staff)
        b = bookings[i]
        body = {
            "fair": fair.pk,
            "company": b["company"].pk,
            "buyer": b["buyer"].pk,
            "starts_at": b["starts_at"].isoformat(),
            "room": b["room"].pk if b["room"] else None,
            "interpreter": b["interpreter"].pk if b["interpreter"] else None,
        }
        response = client.post("/api/v1/meetings/", body, format="json")
        return response.status_code, response.json()

    results = in_threads(attempt, ATTEMPTS, timeout=300)
    crashes = [r for r in results if r[0] == "crash"]
    assert crashes == []
    codes = [status for status, _ in results]
    assert codes.count(201) == 1
    assert codes.count(409) == ATTEMPTS - 1
    for status, body in results:
        if status == 409:
            assert name in body["detail"] and body["code"] == "conflict"
            assert body["errors"][0]["field"] == kind
    assert Meeting.objects.filter(fair=fair).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_without_the_services_check_the_databases_refusal_is_still_a_clear_409(kind, monkeypatch):
    staff = factories.StaffUserFactory()
    fair, bookings, name = contenders(kind, staff)
    monkeypatch.setattr(booking, "_check_clashes", lambda proposal, exclude: None)

    def attempt(i: int):
        try:
            booking.meeting_add(added_by=staff, force=True, **bookings[i])
        except DomainError as error:
            return error.status_code, error.message, error.field
        return 201, "", None

    results = in_threads(attempt, ATTEMPTS, timeout=300)
    assert [r for r in results if r[0] == "crash"] == []
    assert [r[0] for r in results].count(201) == 1
    refused = [r for r in results if r[0] == 409]
    assert len(refused) == ATTEMPTS - 1
    assert all(name in message and "at the same moment" in message and field == kind for _, message, field in refused)
    assert Meeting.objects.filter(fair=fair).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_the_database_refuses_overlapping_inserts_that_bypass_the_services(kind):
    """Bare ORM inserts, each starting a minute later than the last, all overlapping the first:
    PostgreSQL lets exactly one commit."""
    fair, bookings, _name = contenders(kind, factories.StaffUserFactory())

    def attempt(i: int):
        b = bookings[i]
        starts = b["starts_at"] + timedelta(minutes=i % 30)
        try:
            with transaction.atomic():
                Meeting.objects.create(
                    fair=fair,
                    company=b["company"],
                    buyer=b["buyer"],
                    room=b["room"],
                    interpreter=b["interpreter"],
                    source="staff",
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=40),
                )
        except IntegrityError as exc:
            return "refused", booking._constraint_name(exc)
        return "created", None

    results = in_threads(attempt, ATTEMPTS, timeout=300)
    assert results.count(("created", None)) == 1
    assert results.count(("refused", f"meeting_no_double_booking_{kind}")) == ATTEMPTS - 1
    assert Meeting.objects.filter(fair=fair).count() == 1


@on_postgresql
@pytest.mark.django_db
def test_meetings_that_merely_touch_or_are_cancelled_do_not_clash():
    fair, bookings, _name = contenders("company", factories.StaffUserFactory())
    first, second, third = bookings[:3]
    start = first["starts_at"]
    common = {"fair": fair, "company": first["company"], "source": "staff"}
    Meeting.objects.create(buyer=first["buyer"], starts_at=start, ends_at=start + timedelta(minutes=40), **common)
    # Back to back: [13:00, 13:40) and [13:40, 14:20) do not overlap.
    Meeting.objects.create(
        buyer=second["buyer"], starts_at=start + timedelta(minutes=40), ends_at=start + timedelta(minutes=80), **common
    )
    # A cancelled meeting holds nobody.
    Meeting.objects.create(
        buyer=third["buyer"], starts_at=start, ends_at=start + timedelta(minutes=40), status="cancelled", **common
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            buyer=third["buyer"],
            starts_at=start + timedelta(minutes=39),
            ends_at=start + timedelta(minutes=79),
            **common,
        )


# --- daylight saving -----------------------------------------------------------------------------


def _dst_fair(starts_on: date, ends_on: date):
    fair = factories.FairFactory(phase="scheduling", starts_on=starts_on, ends_on=ends_on)
    sme = factories.FairParticipantFactory(fair=fair, uses_video_room=False)
    buyer = factories.BuyerParticipantFactory(
        fair=fair, buyer__name="Brooklyn Beauty", buyer__time_zone="America/New_York", buyer__country="US"
    )
    return fair, sme, buyer


def _book(fair, staff, sme, buyer, day: date):
    """09:00 KST on `day`, with `sme` or (a pair meets once) a fresh SME."""
    starts = datetime.combine(day, time(9), SEOUL).astimezone(UTC)
    if Meeting.objects.filter(company=sme.company, buyer=buyer.buyer).exists():
        sme = factories.FairParticipantFactory(fair=fair, uses_video_room=False)
    return booking.meeting_add(fair=fair, added_by=staff, company=sme.company, buyer=buyer.buyer, starts_at=starts)


@pytest.mark.django_db
def test_a_new_york_buyers_hours_follow_the_march_change():
    """US clocks go forward on Sunday 2030-03-10. 09:00 KST on Tuesday 5 March is 19:00 EST on
    Monday (inside 08:00-20:00); the same Seoul time a week later is 20:00 EDT (outside)."""
    staff = factories.StaffUserFactory()
    fair, sme, buyer = _dst_fair(date(2030, 3, 4), date(2030, 3, 15))
    before = _book(fair, staff, sme, buyer, date(2030, 3, 5))
    assert before.starts_at == datetime(2030, 3, 5, 0, 0, tzinfo=UTC)
    assert before.starts_at.astimezone(NEW_YORK).strftime("%a %H:%M %Z") == "Mon 19:00 EST"
    with pytest.raises(DomainError) as refused:
        _book(fair, staff, sme, buyer, date(2030, 3, 12))
    assert "20:00-20:40" in refused.value.message and "America/New_York" in refused.value.message
    # Seoul's Monday morning is New York's Sunday evening: never a business day there.
    with pytest.raises(DomainError) as refused:
        _book(fair, staff, sme, buyer, date(2030, 3, 4))
    assert "Sunday" in refused.value.message
    # The scheduler reads the hours the same way: 09:00 KST is usable for this buyer before the
    # change, not after it.
    MeetingRequest.objects.create(
        fair=fair,
        company=sme.company,
        buyer=buyer.buyer,
        from_side="buyer",
        status="accepted",
        expires_at=before.starts_at,
    )
    built = scheduling.schedule_problem_build(fair)
    usable = {built.problem.slots[t].start for t in scheduler.feasible_slots(built.problem, "Brooklyn Beauty")}
    assert datetime(2030, 3, 6, 0, 0, tzinfo=UTC) in usable  # Wed 09:00 KST = Tue 19:00 EST
    assert datetime(2030, 3, 13, 0, 0, tzinfo=UTC) not in usable  # Wed 09:00 KST = Tue 20:00 EDT


@pytest.mark.django_db
def test_a_new_york_buyers_hours_follow_the_november_change():
    """US clocks go back on Sunday 2030-11-03: 09:00 KST on Tuesday 29 October is 20:00 EDT
    (outside), on Tuesday 5 November 19:00 EST (inside)."""
    staff = factories.StaffUserFactory()
    fair, sme, buyer = _dst_fair(date(2030, 10, 28), date(2030, 11, 8))
    with pytest.raises(DomainError) as refused:
        _book(fair, staff, sme, buyer, date(2030, 10, 29))
    assert "20:00-20:40" in refused.value.message
    after = _book(fair, staff, sme, buyer, date(2030, 11, 5))
    assert after.starts_at.astimezone(NEW_YORK).strftime("%a %H:%M %Z") == "Mon 19:00 EST"
