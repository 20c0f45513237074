"""The pipeline API: outcomes recorded and corrected by each side (refused from the wrong side),
deals listed by role with filters and pages, created and changed with the version as
optimistic lock (body or If-Match: 409 with who changed it, and the first change stands), their
history, and no N+1 on the list."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from matching.models import Deal, DealChange, MeetingOutcome
from matching.pipeline import deals
from tests import factories
from tests.matching.pipeline.conftest import past_meeting

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"
OUTCOMES = "/api/v1/meeting-outcomes/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- outcomes ----------------------------------------------------------------------------------------


def test_an_sme_records_then_corrects_its_outcome(pair):
    client = client_for(pair.sme)
    body = {
        "meeting": pair.meeting.pk,
        "interest": "high",
        "next_step": "quotation",
        "products": [p.pk for p in pair.products],
        "expected_value": "30000.00",
        "currency": "USD",
    }
    first = client.post(OUTCOMES, body, format="json")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["side"], data["expected_value"], data["deal_created"]) == ("sme", "30000.00", True)
    deal = Deal.objects.get(pk=data["deal"])
    assert {row.via for row in DealChange.objects.filter(deal=deal)} == {"api"}
    again = client.post(OUTCOMES, {**body, "interest": "medium"}, format="json")
    assert again.status_code == 200 and again.json()["interest"] == "medium"
    assert MeetingOutcome.objects.count() == 1


def test_an_outcome_value_without_currency_is_a_400_on_the_currency(pair):
    response = client_for(pair.sme).post(
        OUTCOMES,
        {"meeting": pair.meeting.pk, "interest": "high", "next_step": "none", "expected_value": "10"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "currency", "message": "Give the currency of the expected order value."}
    ]
    assert not MeetingOutcome.objects.exists()


@pytest.mark.parametrize(
    ("who", "side", "status"),
    [("sme", "buyer", 403), ("buyer_user", "sme", 403), ("other_sme", None, 403), ("other_buyer", "buyer", 403)],
)
def test_outcomes_from_the_wrong_side_are_refused(pair, who, side, status):
    body = {"meeting": pair.meeting.pk, "interest": "high", "next_step": "none"}
    if side:
        body["side"] = side
    response = client_for(getattr(pair, who)).post(OUTCOMES, body, format="json")
    assert response.status_code == status
    assert not MeetingOutcome.objects.exists()


def test_staff_say_which_side(pair):
    client = client_for(pair.staff)
    body = {"meeting": pair.meeting.pk, "interest": "low", "next_step": "none"}
    assert client.post(OUTCOMES, body, format="json").status_code == 400
    response = client.post(OUTCOMES, {**body, "side": "buyer"}, format="json")
    assert response.status_code == 201 and response.json()["by_staff"] is True


def test_each_side_lists_only_its_own_outcomes(pair):
    from matching.pipeline import outcomes

    for side, user in (("sme", pair.sme), ("buyer", pair.buyer_user)):
        outcomes.outcome_record(meeting=pair.meeting, side=side, by=user, interest="low", next_step="none")
    assert [row["side"] for row in client_for(pair.sme).get(OUTCOMES).json()["results"]] == ["sme"]
    assert [row["side"] for row in client_for(pair.buyer_user).get(OUTCOMES).json()["results"]] == ["buyer"]
    assert len(client_for(pair.staff).get(OUTCOMES).json()["results"]) == 2
    assert client_for(pair.other_sme).get(OUTCOMES).json()["results"] == []
    assert client_for(pair.staff).get(OUTCOMES, {"side": "buyer"}).json()["count"] == 1


def test_anonymous_gets_nothing(pair, make_deal):
    deal = make_deal()
    anonymous = APIClient()
    for url in (DEALS, f"{DEALS}{deal.pk}/", f"{DEALS}{deal.pk}/history/", OUTCOMES):
        assert anonymous.get(url).status_code in (401, 403)
    assert anonymous.patch(f"{DEALS}{deal.pk}/", {"version": 1, "title": "x"}, format="json").status_code in (401, 403)
    assert Deal.objects.get().title == ""


# --- deals: reading ----------------------------------------------------------------------------------------


def test_deals_are_listed_by_role(pair, make_deal):
    own = make_deal()
    elsewhere = deals.deal_create(by=pair.staff, company=pair.other_sme.company, buyer=pair.buyer)
    foreign = deals.deal_create(by=pair.staff, company=pair.company, buyer=pair.other_buyer.buyer_organisation)

    def ids(user):
        return {row["id"] for row in client_for(user).get(DEALS).json()["results"]}

    assert ids(pair.sme) == {own.pk, foreign.pk}
    assert ids(pair.buyer_user) == {own.pk, elsewhere.pk}
    assert ids(pair.staff) == {own.pk, elsewhere.pk, foreign.pk}
    assert ids(pair.other_buyer) == {foreign.pk}
    row = client_for(pair.sme).get(f"{DEALS}{own.pk}/").json()
    assert row["company"]["id"] == pair.company.pk and row["fairs"] == [pair.meeting.fair_id]
    assert row["meetings"] == [pair.meeting.pk] and row["expected_value"] == "50000.00"


def test_outsiders_get_404_for_a_deal(pair, make_deal):
    deal = make_deal()
    for user in (pair.other_sme, pair.other_buyer):
        client = client_for(user)
        assert client.get(f"{DEALS}{deal.pk}/").status_code == 404
        assert client.get(f"{DEALS}{deal.pk}/history/").status_code == 404
        assert client.patch(f"{DEALS}{deal.pk}/", {"version": 1, "stage": "lost"}, format="json").status_code == 404
    assert Deal.objects.get().stage == "consulted"


def test_deal_filters_and_pages(pair, make_deal):
    first = make_deal()
    second_fair_meeting = past_meeting(pair.company, pair.buyer, hours_ago=48)
    second = make_deal(meetings=[second_fair_meeting], stage="negotiation")
    client = client_for(pair.staff)
    assert [r["id"] for r in client.get(DEALS, {"stage": "negotiation"}).json()["results"]] == [second.pk]
    assert [r["id"] for r in client.get(DEALS, {"fair": pair.meeting.fair_id}).json()["results"]] == [first.pk]
    assert client.get(DEALS, {"company": pair.company.pk}).json()["count"] == 2
    assert client.get(DEALS, {"buyer": pair.other_buyer.buyer_organisation_id}).json()["count"] == 0
    page = client.get(DEALS, {"page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    assert client.get(DEALS, {"stage": "won"}).status_code == 400


def test_the_deal_list_has_no_n_plus_one(pair, make_deal, django_assert_max_num_queries):
    make_deal(products=pair.products)
    client = client_for(pair.staff)
    with django_assert_max_num_queries(8) as one:
        client.get(DEALS)
    for _ in range(3):
        make_deal(products=pair.products, meetings=[past_meeting(pair.company, pair.buyer, hours_ago=100 + _ * 2)])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(DEALS).json()["results"]) == 4


def test_history_lists_every_change(pair, make_deal):
    deal = make_deal()
    deals.deal_update(deal, by=pair.sme, expected_version=1, stage="follow_up")
    rows = client_for(pair.buyer_user).get(f"{DEALS}{deal.pk}/history/").json()["results"]
    assert [row["field"] for row in rows][-2:] == ["stage", "probability"]
    assert rows[-1]["changed_by"] == {"id": pair.sme.pk, "name": pair.sme.username} and rows[-1]["via"] == "page"


# --- deals: writing ----------------------------------------------------------------------------------------


def test_an_sme_creates_a_deal_for_its_own_company(pair):
    response = client_for(pair.sme).post(
        DEALS,
        {"buyer": pair.buyer.pk, "meetings": [pair.meeting.pk], "expected_value": "8000.50", "currency": "SGD"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["stage"], data["probability"], data["currency"], data["version"]) == ("consulted", 10, "SGD", 1)
    assert response["ETag"] == '"1"'
    assert {row.via for row in DealChange.objects.filter(deal_id=data["id"])} == {"api"}


@pytest.mark.parametrize("who", ["other_sme", "buyer_user"])
def test_deals_for_another_company_are_refused(pair, who):
    response = client_for(getattr(pair, who)).post(
        DEALS, {"company": pair.company.pk, "buyer": pair.buyer.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Deal.objects.exists()


def test_patch_with_the_version_in_the_body(pair, make_deal):
    deal = make_deal()
    response = client_for(pair.sme).patch(
        f"{DEALS}{deal.pk}/",
        {"version": 1, "stage": "samples_quotation", "expected_close_on": "2027-06-30"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["stage"], response.json()["probability"], response["ETag"]) == (
        "samples_quotation",
        40,
        '"2"',
    )
    assert DealChange.objects.filter(deal=deal, via="api", field="expected_close_on", new_value="2027-06-30").exists()


def test_patch_with_if_match(pair, make_deal):
    deal = make_deal()
    etag = client_for(pair.sme).get(f"{DEALS}{deal.pk}/")["ETag"]
    response = client_for(pair.sme).patch(
        f"{DEALS}{deal.pk}/", {"title": "K-beauty line"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200 and response.json()["version"] == 2


def test_a_stale_version_is_a_409_naming_who_changed_it_and_the_first_change_stands(pair, make_deal):
    deal = make_deal()
    sme, staff = client_for(pair.sme), client_for(pair.staff)
    assert sme.patch(f"{DEALS}{deal.pk}/", {"version": 1, "expected_value": "61000"}, format="json").status_code == 200
    response = staff.patch(f"{DEALS}{deal.pk}/", {"expected_value": "99000"}, format="json", HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["current_version"] == 2
    assert body["changed_by"] == {"id": pair.sme.pk, "name": pair.sme.username}
    assert pair.sme.username in body["detail"] and "reload" in body["detail"]
    assert Deal.objects.get().expected_value == Decimal("61000.00")


def test_a_change_without_a_version_is_refused(pair, make_deal):
    deal = make_deal()
    client = client_for(pair.sme)
    response = client.patch(f"{DEALS}{deal.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "version"
    response = client.patch(f"{DEALS}{deal.pk}/", {"version": 1, "title": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 400
    assert client.patch(f"{DEALS}{deal.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH="abc").status_code == 400
    assert Deal.objects.get().title == ""


def test_refused_transitions_and_roles_over_the_api(pair, make_deal):
    deal = make_deal()
    url = f"{DEALS}{deal.pk}/"
    lost = client_for(pair.sme).patch(url, {"version": 1, "stage": "lost"}, format="json")
    assert lost.status_code == 400 and lost.json()["errors"][0]["field"] == "lost_reason"
    buyer = client_for(pair.buyer_user).patch(url, {"version": 1, "stage": "negotiation"}, format="json")
    assert buyer.status_code == 403
    client_for(pair.sme).patch(url, {"version": 1, "stage": "signed"}, format="json")
    back = client_for(pair.sme).patch(url, {"version": 2, "stage": "negotiation"}, format="json")
    assert back.status_code == 409 and back.json()["code"] == "invalid_transition"
    assert Deal.objects.get().stage == "signed"


def test_put_and_delete_are_not_offered(pair, make_deal):
    deal = make_deal()
    client = client_for(pair.staff)
    assert client.put(f"{DEALS}{deal.pk}/", {"version": 1}, format="json").status_code == 405
    assert client.delete(f"{DEALS}{deal.pk}/").status_code == 405
    assert Deal.objects.exists()


def test_the_schema_documents_the_pipeline(pair):
    client = client_for(factories.StaffUserFactory())
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert {"/api/v1/deals/", "/api/v1/deals/{id}/", "/api/v1/deals/{id}/history/", "/api/v1/meeting-outcomes/"} <= set(
        paths
    )


def test_out_of_range_ids_are_not_a_server_error(pair, make_deal):
    deal = make_deal()
    client = client_for(pair.staff)
    huge = str(10**25)
    assert client.get(DEALS, {"fair": huge, "company": huge}).status_code in (200, 400)
    assert client.get(OUTCOMES, {"meeting": huge}).status_code in (200, 400)
    response = client.patch(f"{DEALS}{deal.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH=f'"{huge}"')
    assert response.status_code == 409
    assert client.get(f"{DEALS}{huge}/").status_code == 404
