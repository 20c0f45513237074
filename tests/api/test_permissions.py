"""The permission matrix: every role tries every write, and every other party's object, and is
refused. Each case is written from the side of the user who must be refused."""

import pytest
from rest_framework.test import APIClient

from buyers.models import BuyerOrganisation, SourcingRequest, VerificationState
from catalog.models import Company, Product, PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Two SMEs, two verified buyers, one pending buyer, their products and requests."""
    sme = factories.SMEUserFactory()
    other_company = factories.CompanyFactory()
    buyer = factories.BuyerUserFactory()
    other_buyer = factories.BuyerOrganisationFactory()
    pending_buyer = factories.BuyerUserFactory(
        buyer_organisation__verification_state=VerificationState.PENDING, buyer_organisation__reviewed_at=None
    )
    return {
        "users": {
            "anonymous": None,
            "sme": sme,
            "buyer": buyer,
            "pending_buyer": pending_buyer,
            "staff": factories.StaffUserFactory(),
        },
        "own_company": sme.company,
        "other_company": other_company,
        "other_product": factories.ProductFactory(company=other_company),
        "other_draft_product": factories.ProductFactory(company=other_company, status=PublicationStatus.DRAFT),
        "own_buyer": buyer.buyer_organisation,
        "other_buyer": other_buyer,
        "pending_buyer_org": pending_buyer.buyer_organisation,
        "other_request": factories.SourcingRequestFactory(buyer=other_buyer),
    }


def client_for(world, role):
    client = APIClient()
    if world["users"][role] is not None:
        client.force_authenticate(world["users"][role])
    return client


def product_payload(world, company_key="other_company"):
    return {"name_en": "Intruder", "name_ko": "침입", "hs_code": "330499", "company": world[company_key].pk}


# (role, method, url template, payload maker, allowed refusal codes)
REFUSALS = [
    # Companies: only staff create; nobody but members and staff edit.
    *[
        (role, "post", "/api/v1/companies/", lambda w: {"name_en": "X"}, {401, 403})
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    *[
        (role, "patch", "/api/v1/companies/{other_company}/", lambda w: {"name_en": "Hijacked"}, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    # Products: an SME only for its own company; buyers never.
    ("sme", "post", "/api/v1/products/", product_payload, {403}),
    *[
        (role, "post", "/api/v1/products/", product_payload, {401, 403})
        for role in ("anonymous", "buyer", "pending_buyer")
    ],
    *[
        (role, "patch", "/api/v1/products/{other_product}/", lambda w: {"name_en": "Hijacked"}, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    *[
        (role, "delete", "/api/v1/products/{other_product}/", lambda w: None, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    *[
        (role, "post", "/api/v1/products/{other_product}/images/", lambda w: {}, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer")
    ],
    ("sme", "get", "/api/v1/products/{other_draft_product}/", lambda w: None, {404}),
    ("buyer", "get", "/api/v1/products/{other_draft_product}/", lambda w: None, {404}),
    # Buyers: only staff add or verify; a buyer edits only itself; SMEs edit none.
    *[
        (
            role,
            "post",
            "/api/v1/buyers/",
            lambda w: {"name": "Fake", "country": "US", "buyer_type": "importer"},
            {401, 403},
        )
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    ("buyer", "patch", "/api/v1/buyers/{other_buyer}/", lambda w: {"name": "Hijacked"}, {404}),
    ("sme", "patch", "/api/v1/buyers/{other_buyer}/", lambda w: {"name": "Hijacked"}, {403}),
    ("buyer", "get", "/api/v1/buyers/{other_buyer}/", lambda w: None, {404}),
    ("sme", "get", "/api/v1/buyers/{pending_buyer_org}/", lambda w: None, {404}),
    *[
        (role, "post", "/api/v1/buyers/{pending_buyer_org}/verify/", lambda w: None, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer", "pending_buyer")
    ],
    *[
        (role, "post", "/api/v1/buyers/{own_buyer}/reject/", lambda w: {"reason": "x"}, {401, 403, 404})
        for role in ("anonymous", "sme", "buyer")
    ],
    # Sourcing requests: a buyer only for itself; SMEs never write.
    ("buyer", "post", "/api/v1/sourcing-requests/", lambda w: {"title": "Spoof", "buyer": w["other_buyer"].pk}, {403}),
    *[
        (role, "post", "/api/v1/sourcing-requests/", lambda w: {"title": "Spoof"}, {401, 403})
        for role in ("anonymous", "sme")
    ],
    ("buyer", "patch", "/api/v1/sourcing-requests/{other_request}/", lambda w: {"title": "Hijacked"}, {404}),
    ("sme", "patch", "/api/v1/sourcing-requests/{other_request}/", lambda w: {"title": "Hijacked"}, {403}),
    ("buyer", "delete", "/api/v1/sourcing-requests/{other_request}/", lambda w: None, {404}),
    ("sme", "delete", "/api/v1/sourcing-requests/{other_request}/", lambda w: None, {403}),
    # Reads for anonymous users: nothing.
    *[
        ("anonymous", "get", url, lambda w: None, {401, 403})
        for url in (
            "/api/v1/products/",
            "/api/v1/companies/",
            "/api/v1/buyers/",
            "/api/v1/sourcing-requests/",
            "/api/v1/auth/me/",
        )
    ],
]


def _case_id(case):
    role, method, url, _, _ = case
    return f"{role}-{method}-{url}"


@pytest.mark.parametrize("case", REFUSALS, ids=[_case_id(c) for c in REFUSALS])
def test_role_is_refused(world, case):
    role, method, url_template, make_payload, refusals = case
    url = url_template.format(**{key: getattr(value, "pk", None) for key, value in world.items() if key != "users"})
    before = (
        Company.objects.count(),
        Product.objects.count(),
        BuyerOrganisation.objects.count(),
        SourcingRequest.objects.count(),
        list(BuyerOrganisation.objects.values_list("verification_state", "name")),
        list(Company.objects.values_list("name_en", flat=True)),
        list(Product.objects.values_list("name_en", flat=True)),
    )
    payload = make_payload(world)
    response = (
        getattr(client_for(world, role), method)(url, payload, format="json")
        if payload is not None
        else getattr(client_for(world, role), method)(url)
    )
    assert response.status_code in refusals, (response.status_code, response.content[:300])
    body = response.json()
    assert body["detail"] and "code" in body
    after = (
        Company.objects.count(),
        Product.objects.count(),
        BuyerOrganisation.objects.count(),
        SourcingRequest.objects.count(),
        list(BuyerOrganisation.objects.values_list("verification_state", "name")),
        list(Company.objects.values_list("name_en", flat=True)),
        list(Product.objects.values_list("name_en", flat=True)),
    )
    assert after == before, "a refused request changed data"


def test_buyer_list_shows_a_buyer_only_itself(world):
    rows = client_for(world, "buyer").get("/api/v1/buyers/").json()["results"]
    assert [row["id"] for row in rows] == [world["own_buyer"].pk]
    assert rows[0]["contact_email"]  # its own contact details, yes


def test_sme_sees_verified_buyers_without_contact_details(world):
    rows = client_for(world, "sme").get("/api/v1/buyers/").json()["results"]
    assert {row["id"] for row in rows} == {world["own_buyer"].pk, world["other_buyer"].pk}
    for row in rows:
        assert not {"contact_name", "contact_email", "contact_phone", "rejection_reason"} & set(row)
    detail = client_for(world, "sme").get(f"/api/v1/buyers/{world['other_buyer'].pk}/").json()
    assert "contact_email" not in detail


def test_sourcing_requests_leak_nothing_foreign(world):
    own = factories.SourcingRequestFactory(buyer=world["own_buyer"])
    pending_request = factories.SourcingRequestFactory(buyer=world["pending_buyer_org"])
    closed = factories.SourcingRequestFactory(buyer=world["other_buyer"], status="closed")
    buyer_rows = {r["id"] for r in client_for(world, "buyer").get("/api/v1/sourcing-requests/").json()["results"]}
    assert buyer_rows == {own.pk}
    sme_rows = {r["id"] for r in client_for(world, "sme").get("/api/v1/sourcing-requests/").json()["results"]}
    assert sme_rows == {own.pk, world["other_request"].pk}
    assert pending_request.pk not in sme_rows and closed.pk not in sme_rows


def test_companies_list_hides_other_drafts(world):
    draft = factories.CompanyFactory(status=PublicationStatus.DRAFT)
    for role in ("buyer", "pending_buyer", "sme"):
        ids = {r["id"] for r in client_for(world, role).get("/api/v1/companies/").json()["results"]}
        assert draft.pk not in ids
    staff_ids = {r["id"] for r in client_for(world, "staff").get("/api/v1/companies/?page_size=200").json()["results"]}
    assert draft.pk in staff_ids


def test_staff_can_do_every_write(world):
    staff = client_for(world, "staff")
    assert (
        staff.patch(f"/api/v1/companies/{world['other_company'].pk}/", {"seoul_award": True}, format="json").status_code
        == 200
    )
    assert staff.post("/api/v1/products/", product_payload(world), format="json").status_code == 201
    assert staff.post(f"/api/v1/buyers/{world['pending_buyer_org'].pk}/verify/").status_code == 200
    response = staff.post(
        "/api/v1/sourcing-requests/", {"title": "On behalf", "buyer": world["other_buyer"].pk}, format="json"
    )
    assert response.status_code == 201
