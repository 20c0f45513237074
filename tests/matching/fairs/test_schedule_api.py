"""The schedule's REST API: meetings by role (staff all, SMEs and buyers their own published
ones), staff's bookings, moves, swaps and cancels with clear 409s, scheduler runs and publishing;
every refusal checked from the refused user's side, with nothing changed."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from rest_framework.test import APIClient

from matching.models import Meeting, MeetingRequest, ScheduleRun, VideoRoom
from tests import factories

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
MEETINGS = "/api/v1/meetings/"
RUNS = "/api/v1/schedule-runs/"


def at(fair, day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(fair.starts_on + timedelta(days=day), time(hours, minutes), SEOUL).astimezone(UTC)


def room(number: int) -> int:
    return VideoRoom.objects.get(name=f"Video room {number}").pk


@pytest.fixture
def fair():
    return factories.FairFactory(phase="scheduling")


@pytest.fixture
def sme(fair, sme_user):
    return factories.FairParticipantFactory(fair=fair, company=sme_user.company)


@pytest.fixture
def buyer(fair, buyer_user):
    return factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation)


def add_body(fair, sme, buyer, when, room_number=1, **extra) -> dict:
    body = {
        "fair": fair.pk,
        "company": sme.company_id,
        "buyer": buyer.buyer_id,
        "starts_at": when.isoformat(),
        "room": room(room_number) if room_number else None,
    }
    return {**body, **extra}


@pytest.fixture
def meeting(fair, sme, buyer, staff_client) -> dict:
    response = staff_client.post(MEETINGS, add_body(fair, sme, buyer, at(fair, 0, "13:00")), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def snapshot() -> list:
    return list(Meeting.objects.order_by("pk").values())


# --- meetings ------------------------------------------------------------------------------------


def test_staff_book_a_meeting(fair, sme, buyer, meeting):
    assert meeting["status"] == "draft"
    assert meeting["company"]["id"] == sme.company_id and meeting["buyer"]["id"] == buyer.buyer_id
    assert meeting["room"]["name"] == "Video room 1"
    assert datetime.fromisoformat(meeting["starts_at"]) == at(fair, 0, "13:00")


def test_a_clash_is_a_409_naming_who(fair, sme, meeting, staff_client):
    other = factories.BuyerParticipantFactory(fair=fair)
    response = staff_client.post(
        MEETINGS, add_body(fair, sme, other, at(fair, 0, "13:00"), room_number=2), format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert f"{sme.company.name_en} already has a meeting 13:00-13:40 KST" in body["detail"]
    assert body["errors"] == [{"field": "company", "message": body["detail"]}]
    assert Meeting.objects.count() == 1


def test_bad_input_names_the_field(fair, sme, buyer, staff_client):
    response = staff_client.post(MEETINGS, add_body(fair, sme, buyer, at(fair, 0, "13:07")), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "starts_at"
    response = staff_client.post(MEETINGS, {**add_body(fair, sme, buyer, at(fair, 0, "13:00")), "company": 999999})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "company"
    response = staff_client.post(MEETINGS, {"fair": fair.pk}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} >= {"company", "buyer", "starts_at"}
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("client_name", ["sme_client", "buyer_client"])
def test_smes_and_buyers_cannot_book_move_swap_or_cancel(request, fair, sme, buyer, meeting, staff_client, client_name):
    client = request.getfixturevalue(client_name)
    other = staff_client.post(
        MEETINGS,
        add_body(
            fair,
            factories.FairParticipantFactory(fair=fair),
            factories.BuyerParticipantFactory(fair=fair),
            at(fair, 0, "14:40"),
        ),
        format="json",
    ).json()
    before = snapshot()
    attempts = [
        client.post(MEETINGS, add_body(fair, sme, buyer, at(fair, 1, "13:00")), format="json"),
        client.post(f"{MEETINGS}{meeting['id']}/move/", {"starts_at": at(fair, 1, "13:00").isoformat()}, format="json"),
        client.post(f"{MEETINGS}{meeting['id']}/swap/", {"other": other["id"]}, format="json"),
        client.post(f"{MEETINGS}{meeting['id']}/cancel/", {"reason": "no"}, format="json"),
        client.put(f"{MEETINGS}{meeting['id']}/", {}, format="json"),
        client.delete(f"{MEETINGS}{meeting['id']}/"),
    ]
    assert [r.status_code for r in attempts[:4]] == [403] * 4
    assert all(r.status_code in (403, 405) for r in attempts[4:])
    assert snapshot() == before


def test_anonymous_visitors_see_nothing(meeting):
    assert APIClient().get(MEETINGS).status_code in (401, 403)


def test_staff_move_swap_and_cancel(fair, meeting, staff_client):
    moved = staff_client.post(
        f"{MEETINGS}{meeting['id']}/move/",
        {"starts_at": at(fair, 1, "13:00").isoformat(), "room": room(2)},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["room"]["id"] == room(2) and moved.json()["source"] == "staff"
    other = staff_client.post(
        MEETINGS,
        add_body(
            fair,
            factories.FairParticipantFactory(fair=fair),
            factories.BuyerParticipantFactory(fair=fair),
            at(fair, 0, "14:40"),
            room_number=3,
        ),
        format="json",
    ).json()
    swapped = staff_client.post(f"{MEETINGS}{meeting['id']}/swap/", {"other": other["id"]}, format="json")
    assert swapped.status_code == 200, swapped.json()
    first, second = swapped.json()
    assert first["id"] == meeting["id"] and first["room"]["id"] == room(3)
    assert second["room"]["id"] == room(2)
    cancelled = staff_client.post(f"{MEETINGS}{meeting['id']}/cancel/", {"reason": "flight cancelled"}, format="json")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "flight cancelled")


def test_a_move_needs_something_to_change_and_a_cancel_a_reason(meeting, staff_client):
    response = staff_client.post(f"{MEETINGS}{meeting['id']}/move/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "starts_at"
    response = staff_client.post(f"{MEETINGS}{meeting['id']}/cancel/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"


def test_a_move_onto_a_taken_room_is_a_409(fair, meeting, staff_client):
    staff_client.post(
        MEETINGS,
        add_body(
            fair,
            factories.FairParticipantFactory(fair=fair),
            factories.BuyerParticipantFactory(fair=fair),
            at(fair, 0, "14:40"),
            room_number=1,
        ),
        format="json",
    )
    response = staff_client.post(
        f"{MEETINGS}{meeting['id']}/move/", {"starts_at": at(fair, 0, "14:40").isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert "Video room 1 is already taken 14:40-15:20 KST" in response.json()["detail"]


def test_smes_and_buyers_see_only_their_own_published_meetings(
    fair, sme, buyer, meeting, staff_client, sme_client, buyer_client
):
    staff_client.post(
        MEETINGS,
        add_body(
            fair,
            factories.FairParticipantFactory(fair=fair),
            factories.BuyerParticipantFactory(fair=fair),
            at(fair, 0, "14:40"),
            room_number=2,
        ),
        format="json",
    )
    assert staff_client.get(MEETINGS).json()["count"] == 2
    # Drafts are staff's alone.
    assert sme_client.get(MEETINGS).json()["count"] == 0
    assert sme_client.get(f"{MEETINGS}{meeting['id']}/").status_code == 404
    response = staff_client.post(f"{RUNS}publish/", {"fair": fair.pk}, format="json")
    assert response.status_code == 200, response.json()
    for client in (sme_client, buyer_client):
        rows = client.get(MEETINGS).json()["results"]
        assert [row["id"] for row in rows] == [meeting["id"]]
        assert rows[0]["status"] == "scheduled"
    # Someone else's published meeting stays invisible.
    others = [m["id"] for m in staff_client.get(MEETINGS).json()["results"] if m["id"] != meeting["id"]]
    assert sme_client.get(f"{MEETINGS}{others[0]}/").status_code == 404
    assert buyer_client.get(f"{MEETINGS}{others[0]}/").status_code == 404


def test_meetings_filter_by_fair_and_status(fair, meeting, staff_client):
    other_fair = factories.FairFactory(phase="scheduling")
    assert staff_client.get(MEETINGS, {"fair": other_fair.pk}).json()["count"] == 0
    assert staff_client.get(MEETINGS, {"fair": fair.pk, "status": "draft"}).json()["count"] == 1
    assert staff_client.get(MEETINGS, {"status": "scheduled"}).json()["count"] == 0
    response = staff_client.get(MEETINGS, {"status": "lost"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"


def test_the_meeting_list_takes_the_same_queries_for_one_or_three_meetings(fair, sme, buyer, meeting, staff_client):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(MEETINGS).status_code == 200
        return len(queries)

    one = count()
    for hhmm in ("14:40", "15:30"):
        staff_client.post(
            MEETINGS,
            add_body(
                fair,
                factories.FairParticipantFactory(fair=fair),
                factories.BuyerParticipantFactory(fair=fair),
                at(fair, 0, hhmm),
                room_number=2,
            ),
            format="json",
        )
    assert count() == one


# --- runs and publishing -------------------------------------------------------------------------


@pytest.fixture
def requested(fair, sme, buyer):
    MeetingRequest.objects.create(
        fair=fair,
        company=sme.company,
        buyer=buyer.buyer,
        from_side="buyer",
        status="accepted",
        score=0.7,
        expires_at=at(fair, 0, "09:00"),
    )
    return fair


def test_staff_start_a_run_and_read_its_result(requested, staff_client, django_capture_on_commit_callbacks):
    fair = requested
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(RUNS, {"fair": fair.pk}, format="json")
    assert response.status_code == 202, response.json()
    # The eager task ran after commit (here: when the captured callbacks ran).
    run = staff_client.get(f"{RUNS}{response.json()['id']}/").json()
    assert run["status"] == "done" and run["progress"] == 100 and run["stage_label"] == "Done"
    assert run["placed_accepted"] == 1 and run["optimal"] is True and run["unplaced"] == []
    assert [r["id"] for r in staff_client.get(RUNS, {"fair": fair.pk}).json()["results"]] == [run["id"]]
    assert staff_client.get(RUNS, {"fair": fair.pk + 1000}).json()["count"] == 0
    assert Meeting.objects.filter(fair=fair, status="draft").count() == 1


def test_a_second_run_while_one_is_queued_is_a_409(requested, staff_client):
    first = staff_client.post(RUNS, {"fair": requested.pk}, format="json")  # queued until commit
    assert first.status_code == 202 and first.json()["status"] == "queued"
    second = staff_client.post(RUNS, {"fair": requested.pk}, format="json")
    assert second.status_code == 409
    assert "in progress" in second.json()["detail"]


def test_a_run_outside_scheduling_is_refused(staff_client):
    fair = factories.FairFactory(phase="requests_open")
    response = staff_client.post(RUNS, {"fair": fair.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert staff_client.post(RUNS, {"fair": 999999}, format="json").status_code == 400


@pytest.mark.parametrize("client_name", ["sme_client", "buyer_client"])
def test_smes_and_buyers_cannot_run_read_runs_or_publish(
    request, requested, meeting, staff_client, client_name, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(client_name)
    with django_capture_on_commit_callbacks(execute=True):
        run = staff_client.post(RUNS, {"fair": requested.pk}, format="json").json()
    before = snapshot()
    assert client.post(RUNS, {"fair": requested.pk}, format="json").status_code == 403
    assert client.get(RUNS).status_code == 403
    assert client.get(f"{RUNS}{run['id']}/").status_code == 403
    assert client.post(f"{RUNS}publish/", {"fair": requested.pk}, format="json").status_code == 403
    assert ScheduleRun.objects.count() == 1
    assert snapshot() == before
    requested.refresh_from_db()
    assert requested.phase == "scheduling"


def test_publish_through_the_api(requested, meeting, staff_client, django_capture_on_commit_callbacks):
    factories.SMEUserFactory(company_id=meeting["company"]["id"], email="member@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{RUNS}publish/", {"fair": requested.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["phase"] == "published" and response.json()["meetings"] == 1
    assert any(m.to == ["member@example.com"] for m in mail.outbox)
    again = staff_client.post(f"{RUNS}publish/", {"fair": requested.pk}, format="json")
    assert again.status_code == 409


def test_publishing_nothing_is_refused(staff_client):
    fair = factories.FairFactory(phase="scheduling")
    response = staff_client.post(f"{RUNS}publish/", {"fair": fair.pk}, format="json")
    assert response.status_code == 400
    assert "no meetings" in response.json()["detail"]
