"""Matching pages: each role reaches its own, and is kept off the others'."""

import pytest

from catalog.models import Sector
from matching import services
from matching.fairs import setup as fair_setup
from matching.models import ConsultationFair, PairDecision
from tests import factories
from tests.matching.fairs.test_setup import fair_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(sme_user, buyer_user):
    factories.ProductFactory(company=sme_user.company, name_en="Centella calming cream")
    buyer_user.buyer_organisation.hs_codes.add("3304")
    services.pairings_recompute_full_inline()


def test_sme_dashboard_loads_recommended_buyers(client, sme_user, buyer_user, computed):
    client.force_login(sme_user)
    dashboard = client.get("/catalogue/dashboard/")
    assert b"recommended-buyers" in dashboard.content
    panel = client.get("/matching/recommended-buyers/panel/")
    assert panel.status_code == 200
    assert buyer_user.buyer_organisation.name.encode() in panel.content
    assert b"HS 3304" in panel.content


def test_buyer_sees_recommended_suppliers(client, buyer_user, sme_user, computed):
    client.force_login(buyer_user)
    page = client.get("/matching/recommended-suppliers/")
    assert page.status_code == 200
    assert sme_user.company.name_en.encode() in page.content
    assert b"Centella calming cream" in page.content


def test_korean_page_shows_korean_explanations(client, buyer_user, computed):
    client.force_login(buyer_user)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    page = client.get("/matching/recommended-suppliers/")
    assert "일치합니다".encode() in page.content


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/matching/", "staff"),
        ("/fairs/new/", "staff"),
        ("/fairs/interpreters/", "staff"),
        ("/matching/recommended-suppliers/", "buyer"),
        ("/matching/recommended-buyers/panel/", "sme"),
    ],
)
def test_pages_refuse_other_roles(client, url, allowed, sme_user, buyer_user, staff_user):
    users = {"sme": sme_user, "buyer": buyer_user, "staff": staff_user}
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == (200 if role == allowed else 403), (role, url)
    client.logout()
    assert client.get(url).status_code == 302


def test_staff_create_fair_recompute_and_exclude(client, staff_user, sme_user, buyer_user, computed):
    client.force_login(staff_user)
    response = client.post("/fairs/new/", fair_form_data(name="Beauty fair", target_countries=["TH"]))
    assert response.status_code == 302, response.context["form"].errors
    fair_id = ConsultationFair.objects.get(name="Beauty fair").pk
    fair_url = f"/matching/fairs/{fair_id}/"
    client.post(f"/matching/fairs/{fair_id}/recompute/")
    page = client.get(fair_url)
    assert sme_user.company.name_en.encode() in page.content
    client.post(
        f"/matching/fairs/{fair_id}/decide/",
        {"company": sme_user.company_id, "buyer": buyer_user.buyer_organisation_id, "decision": "exclude"},
    )
    assert PairDecision.objects.filter(fair_id=fair_id, decision="exclude").exists()
    assert b"Excluded pairs" in client.get(fair_url).content


def test_fair_form_errors_name_the_field(client, staff_user):
    client.force_login(staff_user)
    response = client.post("/fairs/new/", fair_form_data(name="", starts_on="2026-12-10", ends_on="2026-12-01"))
    assert response.status_code == 200
    assert b"cannot end before it starts" in response.content


@pytest.mark.parametrize("factory", [factories.SMEUserFactory, factories.BuyerUserFactory])
def test_non_staff_cannot_post_decisions(client, factory, staff_user):
    fair = fair_setup.fair_create(created_by=staff_user, name="F", sectors=[Sector.objects.get(code="beauty")])
    company, buyer = factories.CompanyFactory(), factories.BuyerOrganisationFactory()
    client.force_login(factory())
    response = client.post(
        f"/matching/fairs/{fair.pk}/decide/", {"company": company.pk, "buyer": buyer.pk, "decision": "pin"}
    )
    assert response.status_code == 403
    assert not PairDecision.objects.exists()
    assert client.post("/matching/recompute/").status_code == 403
