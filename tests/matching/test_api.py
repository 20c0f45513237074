"""The matches and fairs API, from the side of each role, including those who must be refused."""

import pytest

from catalog.models import Sector
from matching import services
from matching.fairs import setup as fair_setup
from matching.models import PairDecision
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairings(sme_user, buyer_user):
    """The SME and the buyer of the fixtures are a good pair; strangers exist on both sides."""
    factories.ProductFactory(company=sme_user.company)
    buyer_user.buyer_organisation.hs_codes.add("3304")
    other_company = factories.CompanyFactory(name_en="Other SME")
    factories.ProductFactory(company=other_company)
    other_buyer = factories.BuyerOrganisationFactory(name="Other buyer")
    other_buyer.hs_codes.add("330499")
    services.pairings_recompute_full_inline()
    return {"other_company": other_company, "other_buyer": other_buyer}


def test_sme_sees_recommended_buyers_of_its_own_company_only(sme_client, sme_user, pairings):
    rows = sme_client.get("/api/v1/matches/").json()["results"]
    assert rows and {r["company"]["id"] for r in rows} == {sme_user.company_id}
    assert rows[0]["explanation"] and rows[0]["contributions"]["hs"] > 0
    other = sme_client.get("/api/v1/matches/", {"company": pairings["other_company"].pk}).json()["results"]
    assert other == []


def test_buyer_never_sees_scores_about_other_buyers(buyer_client, buyer_user, pairings):
    rows = buyer_client.get("/api/v1/matches/").json()["results"]
    assert rows and {r["buyer"]["id"] for r in rows} == {buyer_user.buyer_organisation_id}
    assert buyer_client.get("/api/v1/matches/", {"buyer": pairings["other_buyer"].pk}).json()["results"] == []
    from matching.models import Pairing

    foreign = Pairing.objects.filter(buyer=pairings["other_buyer"]).first()
    assert buyer_client.get(f"/api/v1/matches/{foreign.pk}/").status_code == 404


def test_explanation_follows_the_language(buyer_client, pairings):
    english = buyer_client.get("/api/v1/matches/").json()["results"][0]["explanation"]
    korean = buyer_client.get("/api/v1/matches/", HTTP_ACCEPT_LANGUAGE="ko").json()["results"][0]["explanation"]
    assert english != korean and "HS" in english


def test_staff_pin_and_exclude_fair_pairs(staff_client, staff_user, pairings):
    fair = fair_setup.fair_create(
        created_by=staff_user, name="Beauty", sectors=[Sector.objects.get(code="beauty")], target_countries=["TH"]
    )
    services.pairings_recompute_fair(fair=fair)
    rows = staff_client.get("/api/v1/matches/", {"fair": fair.pk}).json()["results"]
    assert rows
    pinned = staff_client.post(f"/api/v1/matches/{rows[0]['id']}/pin/")
    assert pinned.status_code == 200 and pinned.json()["is_pinned"]
    assert staff_client.post(f"/api/v1/matches/{rows[1]['id']}/exclude/").status_code == 204
    remaining = {r["id"] for r in staff_client.get("/api/v1/matches/", {"fair": fair.pk}).json()["results"]}
    assert rows[1]["id"] not in remaining
    assert PairDecision.objects.filter(fair=fair, decision="exclude").count() == 1


def test_pin_outside_a_fair_is_a_clear_400(staff_client, pairings):
    row = staff_client.get("/api/v1/matches/").json()["results"][0]
    response = staff_client.post(f"/api/v1/matches/{row['id']}/pin/")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "fair"


@pytest.mark.parametrize("client_fixture", ["sme_client", "buyer_client", "unverified_buyer_client"])
def test_non_staff_cannot_pin_exclude_recompute_or_create_fairs(request, client_fixture, staff_user, pairings):
    client = request.getfixturevalue(client_fixture)
    fair = fair_setup.fair_create(created_by=staff_user, name="Beauty", sectors=[Sector.objects.get(code="beauty")])
    services.pairings_recompute_fair(fair=fair)
    from matching.models import Pairing

    pairing = Pairing.objects.filter(run__fair=fair).first()
    for url in (
        f"/api/v1/matches/{pairing.pk}/pin/",
        f"/api/v1/matches/{pairing.pk}/exclude/",
        "/api/v1/matches/recompute/",
        f"/api/v1/fairs/{fair.pk}/recompute/",
    ):
        assert client.post(url).status_code in (403, 404), url
    decision = {"company": pairing.company_id, "buyer": pairing.buyer_id, "decision": "exclude"}
    assert client.post(f"/api/v1/fairs/{fair.pk}/decisions/", decision, format="json").status_code == 403
    assert client.post("/api/v1/fairs/", {"name": "Mine", "sectors": ["food"]}, format="json").status_code == 403
    assert client.get("/api/v1/matching-runs/").status_code == 403
    assert not PairDecision.objects.exists()


def test_staff_create_a_fair_and_queue_recomputes(staff_client, pairings):
    response = staff_client.post(
        "/api/v1/fairs/",
        {"name": "Household goods for Vietnam", "sectors": ["household"], "target_countries": ["VN"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    fair_id = response.json()["id"]
    assert staff_client.post(f"/api/v1/fairs/{fair_id}/recompute/").status_code == 202  # eager in tests: already done
    assert staff_client.get("/api/v1/matching-runs/").json()["results"][0]["fair"] == fair_id
    assert staff_client.post("/api/v1/matches/recompute/").status_code == 202


def test_bad_filters_name_the_parameter(staff_client):
    response = staff_client.get("/api/v1/matches/", {"buyer": "x"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "buyer"


def test_matches_list_query_count_is_flat(staff_client, pairings, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        staff_client.get("/api/v1/matches/", {"page_size": 1})
    one = len(queries)
    with CaptureQueriesContext(connection) as queries:
        staff_client.get("/api/v1/matches/", {"page_size": 50})
    assert len(queries) == one
