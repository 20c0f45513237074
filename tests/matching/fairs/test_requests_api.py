"""The meeting-requests API: each role sees and changes only what it may, refusals come back as
clear 4xx bodies naming the field (never a 500), and suggestions can be turned into requests."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from matching.fairs import requests as meeting_requests
from matching.models import ConsultationFair, MatchOutcome, MeetingRequest, PairDecision
from tests.matching.fairs.test_requests import add_buyer, add_sme, make_pairing, world  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/meeting-requests/"
SUGGESTIONS = "/api/v1/fair-suggestions/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(world, client=None, **extra):  # noqa: F811
    body = {"fair": world.fair.pk, "company": world.company.pk, "message": "We import K-beauty.", **extra}
    return (client or client_for(world.buyer)).post(URL, body, format="json")


def test_buyer_requests_a_meeting_through_the_api(world, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["from_side"] == "buyer" and body["direction"] == "outgoing"
    assert body["company"]["id"] == world.company.pk and body["buyer"]["id"] == world.organisation.pk
    assert body["fair"] == world.fair.pk and body["on_behalf"] is False
    assert "contact_email" not in body["buyer"]
    assert [m.to for m in mail.outbox] == [[world.sme.email]]


def test_sme_sees_the_request_as_incoming_and_accepts_it(world, django_capture_on_commit_callbacks):  # noqa: F811
    request_id = ask(world).json()["id"]
    sme = client_for(world.sme)
    listed = sme.get(URL, {"fair": world.fair.pk, "direction": "incoming"}).json()
    assert listed["count"] == 1 and listed["results"][0]["direction"] == "incoming"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = sme.post(f"{URL}{request_id}/accept/", {"note": "See you there"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted" and response.json()["response_note"] == "See you there"
    assert MatchOutcome.objects.get().kind == "request_accepted"
    assert [m.to for m in mail.outbox] == [[world.buyer.email]]


def test_sme_declines_with_a_reason(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    response = client_for(world.sme).post(f"{URL}{request_id}/decline/", {"reason": "Wrong market"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert MeetingRequest.objects.get().response_note == "Wrong market"


def test_another_sme_can_neither_see_nor_answer_the_request(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    other = client_for(add_sme(world.fair))
    assert other.get(URL).json()["count"] == 0
    assert other.get(f"{URL}{request_id}/").status_code == 404
    assert other.post(f"{URL}{request_id}/accept/", {}, format="json").status_code == 404
    assert MeetingRequest.objects.get().status == "pending"


def test_another_buyer_cannot_see_the_request(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    other = client_for(add_buyer(world.fair))
    assert other.get(URL).json()["count"] == 0
    assert other.get(f"{URL}{request_id}/").status_code == 404
    assert other.post(f"{URL}{request_id}/withdraw/").status_code == 404
    assert MeetingRequest.objects.get().status == "pending"


def test_requester_cannot_accept_its_own_request(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    response = client_for(world.buyer).post(f"{URL}{request_id}/accept/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert MeetingRequest.objects.get().status == "pending"


def test_the_side_asked_cannot_withdraw(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    assert client_for(world.sme).post(f"{URL}{request_id}/withdraw/").status_code == 403
    response = client_for(world.buyer).post(f"{URL}{request_id}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_unverified_buyer_is_told_to_verify_first(world):  # noqa: F811
    unverified = add_buyer(world.fair, verified=False)
    response = ask(world, client=client_for(unverified))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "not_verified" and "verify first" in body["detail"]
    assert not MeetingRequest.objects.exists()


def test_requests_outside_the_phase_are_refused_with_the_phase(world):  # noqa: F811
    ConsultationFair.objects.filter(pk=world.fair.pk).update(phase="registration")
    response = ask(world)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition" and response.json()["errors"][0]["field"] == "phase"
    assert not MeetingRequest.objects.exists()


def test_cap_is_a_409_with_the_number(world):  # noqa: F811
    ConsultationFair.objects.filter(pk=world.fair.pk).update(max_pending_requests=1)
    assert ask(world).status_code == 201
    response = ask(world, company=add_sme(world.fair).company.pk)
    assert response.status_code == 409
    assert "the most allowed is 1" in response.json()["detail"]
    assert MeetingRequest.objects.count() == 1


def test_duplicate_is_a_409(world):  # noqa: F811
    assert ask(world).status_code == 201
    response = ask(world)
    assert response.status_code == 409 and "already requested" in response.json()["detail"]


def test_race_for_the_same_pair_is_a_409_not_a_500(world, monkeypatch):  # noqa: F811
    assert ask(world).status_code == 201
    monkeypatch.setattr(meeting_requests, "_refuse_existing", lambda *args: None)
    response = ask(world)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert MeetingRequest.objects.count() == 1


def test_accepting_an_overdue_request_is_refused_and_it_reads_expired(world):  # noqa: F811
    request_id = ask(world).json()["id"]
    MeetingRequest.objects.filter(pk=request_id).update(expires_at=timezone.now() - timedelta(seconds=5))
    sme = client_for(world.sme)
    assert sme.get(f"{URL}{request_id}/").json()["status"] == "expired"
    response = sme.post(f"{URL}{request_id}/accept/", {}, format="json")
    assert response.status_code == 409 and "expired" in response.json()["detail"]
    assert MeetingRequest.objects.get().status == "expired"


def test_bad_input_names_the_field(world):  # noqa: F811
    buyer = client_for(world.buyer)
    response = buyer.post(URL, {"fair": world.fair.pk}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "company"
    response = buyer.post(URL, {"fair": 999999, "company": world.company.pk}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "fair"
    response = buyer.post(URL, {"fair": world.fair.pk, "company": world.company.pk, "message": "x" * 2001})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "message"
    response = buyer.get(URL, {"status": "maybe"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"
    assert buyer.get(f"{URL}abc/").status_code == 404
    assert not MeetingRequest.objects.exists()


def test_staff_send_a_request_on_behalf_of_a_side(world, django_capture_on_commit_callbacks):  # noqa: F811
    make_pairing(world.fair, world.company, world.organisation, score=0.5)
    staff = client_for(world.staff)
    body = {"fair": world.fair.pk, "company": world.company.pk, "buyer": world.organisation.pk}
    response = staff.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "from_side"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(URL, {**body, "from_side": "buyer"}, format="json")
    assert response.status_code == 201
    assert response.json()["on_behalf"] is True and response.json()["score"] == 0.5
    assert response.json()["direction"] is None
    assert [m.to for m in mail.outbox] == [[world.sme.email]]
    assert MeetingRequest.objects.get().created_by == world.staff


def test_staff_list_all_with_filters(world):  # noqa: F811
    ask(world)
    other_buyer = add_buyer(world.fair)
    client_for(world.sme).post(URL, {"fair": world.fair.pk, "buyer": other_buyer.buyer_organisation.pk})
    staff = client_for(world.staff)
    assert staff.get(URL, {"fair": world.fair.pk}).json()["count"] == 2
    assert staff.get(URL, {"side": "sme"}).json()["count"] == 1
    assert staff.get(URL, {"status": "accepted"}).json()["count"] == 0


def test_request_list_query_count_does_not_grow(world):  # noqa: F811
    ask(world)
    sme = client_for(world.sme)
    with CaptureQueriesContext(connection) as one:
        assert sme.get(URL).json()["count"] == 1
    for _ in range(2):
        client_for(add_buyer(world.fair)).post(URL, {"fair": world.fair.pk, "company": world.company.pk})
    with CaptureQueriesContext(connection) as three:
        assert sme.get(URL).json()["count"] == 3
    assert len(three) == len(one)


# --- suggestions -------------------------------------------------------------------------------------


def test_suggestions_need_a_fair(world):  # noqa: F811
    response = client_for(world.sme).get(SUGGESTIONS)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "fair"
    assert client_for(world.sme).get(SUGGESTIONS, {"fair": 999999}).status_code == 404


def test_sme_suggestions_leave_out_excluded_and_requested_pairs(world):  # noqa: F811
    fair = world.fair
    make_pairing(fair, world.company, world.organisation, score=0.9)
    excluded = add_buyer(fair).buyer_organisation
    make_pairing(fair, world.company, excluded, score=0.8)
    PairDecision.objects.create(fair=fair, company=world.company, buyer=excluded, decision="exclude")
    fresh = add_buyer(fair).buyer_organisation
    make_pairing(fair, world.company, fresh, score=0.7)
    sme = client_for(world.sme)
    listed = sme.get(SUGGESTIONS, {"fair": fair.pk}).json()
    assert [row["buyer"]["id"] for row in listed["results"]] == [world.organisation.pk, fresh.pk]
    assert listed["results"][0]["explanation"] and listed["results"][0]["score"] == 0.9
    ask(world)
    listed = sme.get(SUGGESTIONS, {"fair": fair.pk}).json()
    assert [row["buyer"]["id"] for row in listed["results"]] == [fresh.pk]


def test_buyer_turns_a_suggestion_into_a_request(world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation, score=0.6)
    response = client_for(world.buyer).post(f"{SUGGESTIONS}{pairing.pk}/request/", {"message": "Hi"}, format="json")
    assert response.status_code == 201
    assert response.json()["from_side"] == "buyer" and response.json()["score"] == 0.6
    # Requested: it is no longer a suggestion.
    again = client_for(world.buyer).post(f"{SUGGESTIONS}{pairing.pk}/request/", {}, format="json")
    assert again.status_code == 404


def test_someone_elses_suggestion_cannot_be_requested(world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation)
    other = add_sme(world.fair)
    assert client_for(other).post(f"{SUGGESTIONS}{pairing.pk}/request/", {}, format="json").status_code == 404
    assert not MeetingRequest.objects.exists()


def test_staff_request_a_suggestion_on_behalf_of_the_sme(world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation, score=0.4)
    staff = client_for(world.staff)
    listed = staff.get(SUGGESTIONS, {"fair": world.fair.pk}).json()
    assert [row["id"] for row in listed["results"]] == [pairing.pk]
    response = staff.post(f"{SUGGESTIONS}{pairing.pk}/request/", {"from_side": "sme"}, format="json")
    assert response.status_code == 201
    created = MeetingRequest.objects.get()
    assert created.on_behalf and created.from_side == "sme" and created.score == 0.4


def test_schema_documents_the_request_endpoints(client, staff_user):
    client.force_login(staff_user)
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in (
        "/api/v1/meeting-requests/",
        "/api/v1/meeting-requests/{id}/accept/",
        "/api/v1/meeting-requests/{id}/decline/",
        "/api/v1/meeting-requests/{id}/withdraw/",
        "/api/v1/fair-suggestions/",
        "/api/v1/fair-suggestions/{id}/request/",
    ):
        assert path in paths, path
