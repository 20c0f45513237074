"""Buyer registration, verification and sourcing requests through the API."""

import pytest
from django.db import IntegrityError, transaction

from buyers.models import BuyerOrganisation, VerificationState
from tests import factories
from tradeon.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_buyer_registers_at_any_time_and_starts_pending(api_client):
    response = api_client.post(
        "/api/v1/auth/register/buyer/",
        {
            "username": "kl-beauty",
            "email": "buy@klbeauty.my",
            "password": "a-long-enough-passphrase",
            "organisation": {
                "name": "KL Beauty Sdn Bhd",
                "country": "MY",
                "city": "Kuala Lumpur",
                "buyer_type": "retailer",
                "time_zone": "Asia/Kuala_Lumpur",
                "languages": ["ms", "en"],
                "sectors": ["beauty"],
                "hs_codes": ["3304", "33"],
                "verification_state": "verified",
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    user = User.objects.get(username="kl-beauty")
    assert user.role == Role.BUYER
    assert user.buyer_organisation.verification_state == VerificationState.PENDING  # cannot self-verify
    assert set(user.buyer_organisation.hs_codes.values_list("code", flat=True)) == {"3304", "33"}


def test_sme_registers_with_a_draft_company(api_client):
    response = api_client.post(
        "/api/v1/auth/register/sme/",
        {
            "username": "cosmetica",
            "email": "ceo@cosmetica.kr",
            "password": "a-long-enough-passphrase",
            "company": {
                "name_ko": "코스메티카",
                "name_en": "Cosmetica",
                "business_registration_number": factories.valid_business_registration_number(777),
                "sector": "beauty",
                "seoul_award": True,
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    company = User.objects.get(username="cosmetica").company
    assert company.status == "draft" and company.seoul_award is False


@pytest.mark.parametrize(
    ("organisation", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "organisation.time_zone"),
        ({"country": "XX"}, "organisation.country"),
        ({"languages": ["klingon"]}, "languages"),
        ({"hs_codes": ["3304x"]}, "organisation.hs_codes"),
    ],
)
def test_buyer_registration_errors_name_the_field(api_client, organisation, field):
    payload = {
        "username": "x",
        "email": "x@example.com",
        "password": "a-long-enough-passphrase",
        "organisation": {
            "name": "X",
            "country": "US",
            "buyer_type": "importer",
            "time_zone": "America/New_York",
            **organisation,
        },
    }
    response = api_client.post("/api/v1/auth/register/buyer/", payload, format="json")
    assert response.status_code == 400
    assert any(field in (error["field"] or "") for error in response.json()["errors"]), response.json()
    assert not User.objects.filter(username="x").exists()


def test_weak_password_is_refused_on_the_password_field(api_client):
    payload = {
        "username": "x",
        "email": "x@example.com",
        "password": "123",
        "organisation": {"name": "X", "country": "US", "buyer_type": "importer"},
    }
    response = api_client.post("/api/v1/auth/register/buyer/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert not BuyerOrganisation.objects.filter(name="X").exists()


def test_staff_verifies_and_rejects_with_reason(staff_client, staff_user):
    pending = factories.BuyerOrganisationFactory(verification_state=VerificationState.PENDING, reviewed_at=None)
    response = staff_client.post(f"/api/v1/buyers/{pending.pk}/verify/")
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.verification_state == VerificationState.VERIFIED and pending.reviewed_by == staff_user
    assert pending.reviewed_at is not None

    again = staff_client.post(f"/api/v1/buyers/{pending.pk}/verify/")
    assert again.status_code == 409

    other = factories.BuyerOrganisationFactory(verification_state=VerificationState.PENDING, reviewed_at=None)
    no_reason = staff_client.post(f"/api/v1/buyers/{other.pk}/reject/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
    rejected = staff_client.post(f"/api/v1/buyers/{other.pk}/reject/", {"reason": "No import licence"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "No import licence"


def test_database_refuses_a_rejection_without_reason():
    buyer = factories.BuyerOrganisationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BuyerOrganisation.objects.filter(pk=buyer.pk).update(
            verification_state=VerificationState.REJECTED, rejection_reason=""
        )


def test_buyer_posts_and_closes_a_sourcing_request(buyer_client, buyer_user):
    response = buyer_client.post(
        "/api/v1/sourcing-requests/",
        {
            "title": "Halal sheet masks",
            "hs_codes": ["330499"],
            "required_certifications": ["halal"],
            "quantity": 20000,
            "target_price": "0.45",
            "currency": "USD",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    assert response.json()["buyer"] == buyer_user.buyer_organisation_id
    closed = buyer_client.patch(f"/api/v1/sourcing-requests/{request_id}/", {"status": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_buyer_edits_own_profile_but_not_its_verification(buyer_client, buyer_user):
    org = buyer_user.buyer_organisation
    response = buyer_client.patch(
        f"/api/v1/buyers/{org.pk}/", {"city": "Chiang Mai", "verification_state": "rejected"}, format="json"
    )
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.city == "Chiang Mai" and org.verification_state == VerificationState.VERIFIED


def test_token_authentication(api_client, buyer_user):
    from tests.factories import PASSWORD

    token = api_client.post("/api/v1/auth/token/", {"username": buyer_user.username, "password": PASSWORD}).json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/auth/me/").json()
    assert me["role"] == "buyer" and me["buyer_organisation"] == buyer_user.buyer_organisation_id


@pytest.mark.parametrize("url", ["/api/v1/buyers/", "/api/v1/sourcing-requests/"])
def test_buyer_lists_query_count_stays_flat(staff_client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    factories.SourcingRequestFactory()
    one = count()
    for request in factories.SourcingRequestFactory.create_batch(3):
        request.hs_codes.add("3304", "330499")
        request.buyer.sectors.add(1, 2)
        request.buyer.hs_codes.add("33")
    assert count() == one
