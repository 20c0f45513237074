"""Buyer pages: what SMEs may see of buyers, sourcing requests, the buyer's own organisation
and the staff verification queue."""

import pytest
from django.urls import reverse
from django.utils import timezone

from buyers.models import BuyerOrganisation, SourcingRequest, VerificationState
from tests import factories

pytestmark = pytest.mark.django_db


# --- What SMEs see of buyers -----------------------------------------------------------------


def test_sme_sees_verified_buyers_but_never_their_contact_details(client, sign_in, sme_user, buyer_user, pending_buyer):
    buyer = buyer_user.buyer_organisation
    sign_in(sme_user)
    listing = client.get(reverse("buyers:buyer_list")).content.decode()
    detail = client.get(reverse("buyers:buyer_detail", args=[buyer.pk])).content.decode()

    assert buyer.name in listing and buyer.name in detail
    assert pending_buyer.name not in listing
    for page in (listing, detail):
        assert buyer.contact_email not in page
        assert buyer.contact_phone not in page
        assert buyer.contact_name not in page
        assert "mailto:" not in page


def test_sme_cannot_open_an_unverified_buyer(client, sign_in, sme_user, pending_buyer):
    sign_in(sme_user)
    assert client.get(reverse("buyers:buyer_detail", args=[pending_buyer.pk])).status_code == 404


def test_staff_see_every_buyer_with_contact_details(client, sign_in, staff_user, buyer_user, pending_buyer):
    sign_in(staff_user)
    listing = client.get(reverse("buyers:buyer_list")).content.decode()
    assert buyer_user.buyer_organisation.name in listing and pending_buyer.name in listing
    detail = client.get(reverse("buyers:buyer_detail", args=[pending_buyer.pk])).content.decode()
    assert pending_buyer.contact_email in detail


def test_buyer_sees_its_own_contact_details_but_no_other_buyer(client, sign_in, buyer_user):
    other = factories.BuyerOrganisationFactory()
    sign_in(buyer_user)
    own = client.get(reverse("buyers:buyer_detail", args=[buyer_user.buyer_organisation_id])).content.decode()
    assert buyer_user.buyer_organisation.contact_email in own
    assert client.get(reverse("buyers:buyer_detail", args=[other.pk])).status_code == 404


def test_buyer_list_filters_by_country(client, sign_in, sme_user, buyer_user):
    factories.BuyerOrganisationFactory(name="Ho Chi Minh Household", country="VN")
    sign_in(sme_user)
    page = client.get(reverse("buyers:buyer_list"), {"country": "VN"}).content.decode()
    assert "Ho Chi Minh Household" in page
    assert buyer_user.buyer_organisation.name not in page


# --- Sourcing requests -----------------------------------------------------------------------


def test_sme_sees_open_requests_of_verified_buyers_only(client, sign_in, sme_user, own_sourcing_request, pending_buyer):
    closed = factories.SourcingRequestFactory(buyer=own_sourcing_request.buyer, title="Closed deal", status="closed")
    unverified = factories.SourcingRequestFactory(buyer=pending_buyer, title="From a pending buyer")
    sign_in(sme_user)
    page = client.get(reverse("buyers:sourcing_request_list")).content.decode()
    assert own_sourcing_request.title in page
    assert closed.title not in page
    assert unverified.title not in page
    assert own_sourcing_request.buyer.contact_email not in page


def test_buyer_sees_only_its_own_requests(client, sign_in, buyer_user, own_sourcing_request):
    someone_else = factories.SourcingRequestFactory(title="Another buyer's request")
    sign_in(buyer_user)
    page = client.get(reverse("buyers:sourcing_request_list")).content.decode()
    assert own_sourcing_request.title in page
    assert someone_else.title not in page


def test_buyer_posts_a_sourcing_request(client, sign_in, buyer_user):
    sign_in(buyer_user)
    data = {
        "title": "Halal skincare for Malaysia",
        "description": "Private label",
        "hs_codes": "3304, 330499",
        "quantity": 5000,
        "quantity_unit": "pcs",
        "target_price": "1.80",
        "currency": "USD",
        "status": "open",
    }
    response = client.post(reverse("buyers:sourcing_request_create"), data)
    assert response.status_code == 302
    created = SourcingRequest.objects.get(title="Halal skincare for Malaysia")
    assert created.buyer == buyer_user.buyer_organisation
    assert sorted(created.hs_codes.values_list("code", flat=True)) == ["3304", "330499"]


def test_sourcing_request_with_an_unknown_hs_code_shows_the_error(client, sign_in, buyer_user):
    sign_in(buyer_user)
    response = client.post(
        reverse("buyers:sourcing_request_create"),
        {"title": "X", "hs_codes": "33, 12345", "quantity_unit": "pcs", "currency": "USD", "status": "open"},
    )
    assert response.status_code == 200
    assert "hs_codes" in response.context["form"].errors
    assert not SourcingRequest.objects.exists()


def test_buyer_cannot_edit_another_buyers_request(client, sign_in, buyer_user):
    someone_else = factories.SourcingRequestFactory()
    sign_in(buyer_user)
    url = reverse("buyers:sourcing_request_edit", args=[someone_else.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"title": "Hijacked", "quantity_unit": "pcs", "currency": "USD", "status": "open"}).status_code
        == 404
    )
    someone_else.refresh_from_db()
    assert someone_else.title != "Hijacked"


def test_buyer_closes_its_own_request(client, sign_in, buyer_user, own_sourcing_request):
    sign_in(buyer_user)
    url = reverse("buyers:sourcing_request_edit", args=[own_sourcing_request.pk])
    data = client.get(url).context["form"].initial | {"status": "closed", "hs_codes": ""}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data["required_certifications"] = []
    assert client.post(url, data).status_code == 302
    own_sourcing_request.refresh_from_db()
    assert own_sourcing_request.status == "closed"


# --- The buyer's own organisation ------------------------------------------------------------


def test_buyer_updates_its_organisation(client, sign_in, buyer_user):
    sign_in(buyer_user)
    data = {
        "name": "Bangkok Beauty Group",
        "country": "TH",
        "city": "Chiang Mai",
        "buyer_type": "retailer",
        "hs_codes": "3304",
        "languages": ["th", "en"],
        "time_zone": "Asia/Bangkok",
        "contact_email": "sourcing@bkkbeauty.co.th",
        "sectors": [],
    }
    assert client.post(reverse("buyers:my_organisation"), data).status_code == 302
    buyer = BuyerOrganisation.objects.get(pk=buyer_user.buyer_organisation_id)
    assert (buyer.name, buyer.city, buyer.contact_email) == (
        "Bangkok Beauty Group",
        "Chiang Mai",
        "sourcing@bkkbeauty.co.th",
    )
    assert list(buyer.hs_codes.values_list("code", flat=True)) == ["3304"]


def test_rejected_buyer_sees_the_reason(client, sign_in, buyer_user):
    buyer = buyer_user.buyer_organisation
    buyer.verification_state = VerificationState.REJECTED
    buyer.rejection_reason = "Website does not load"
    buyer.save()
    sign_in(buyer_user)
    assert "Website does not load" in client.get(reverse("buyers:my_organisation")).content.decode()


# --- Verification queue ----------------------------------------------------------------------


def test_queue_lists_pending_buyers_oldest_first(client, sign_in, staff_user, buyer_user):
    factories.BuyerOrganisationFactory(verification_state="pending", reviewed_at=None, name="Newer Imports")
    older = factories.BuyerOrganisationFactory(verification_state="pending", reviewed_at=None, name="Older Imports")
    BuyerOrganisation.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(days=3))
    sign_in(staff_user)
    page = client.get(reverse("buyers:verification_queue")).content.decode()
    assert page.index("Older Imports") < page.index("Newer Imports")
    assert buyer_user.buyer_organisation.name not in page  # already verified


def test_staff_verify_a_buyer(client, sign_in, staff_user, pending_buyer):
    sign_in(staff_user)
    response = client.post(reverse("buyers:buyer_verify", args=[pending_buyer.pk]), follow=True)
    pending_buyer.refresh_from_db()
    assert pending_buyer.verification_state == VerificationState.VERIFIED
    assert pending_buyer.reviewed_by == staff_user
    assert "verified buyer" in response.content.decode()


def test_staff_reject_a_buyer_with_a_reason(client, sign_in, staff_user, pending_buyer):
    sign_in(staff_user)
    prefix = f"reject-{pending_buyer.pk}"
    response = client.post(
        reverse("buyers:buyer_reject", args=[pending_buyer.pk]), {f"{prefix}-reason": "No company registration found"}
    )
    assert response.status_code == 302
    pending_buyer.refresh_from_db()
    assert pending_buyer.verification_state == VerificationState.REJECTED
    assert pending_buyer.rejection_reason == "No company registration found"


def test_rejection_without_a_reason_is_refused_on_the_reason_field(client, sign_in, staff_user, pending_buyer):
    sign_in(staff_user)
    prefix = f"reject-{pending_buyer.pk}"
    response = client.post(reverse("buyers:buyer_reject", args=[pending_buyer.pk]), {f"{prefix}-reason": "   "})
    assert response.status_code == 200
    assert f'name="{prefix}-reason"' in response.content.decode()
    assert "This field is required" in response.content.decode()
    pending_buyer.refresh_from_db()
    assert pending_buyer.verification_state == VerificationState.PENDING


def test_verifying_an_already_reviewed_buyer_says_so(client, sign_in, staff_user, buyer_user):
    sign_in(staff_user)
    response = client.post(reverse("buyers:buyer_verify", args=[buyer_user.buyer_organisation_id]), follow=True)
    assert "already verified" in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["sme_user", "buyer_user", "unverified_buyer_user"])
def test_non_staff_cannot_verify_or_reject(client, sign_in, request, role_fixture, pending_buyer):
    sign_in(request.getfixturevalue(role_fixture))
    assert client.post(reverse("buyers:buyer_verify", args=[pending_buyer.pk])).status_code == 403
    prefix = f"reject-{pending_buyer.pk}"
    response = client.post(reverse("buyers:buyer_reject", args=[pending_buyer.pk]), {f"{prefix}-reason": "spam"})
    assert response.status_code == 403
    pending_buyer.refresh_from_db()
    assert pending_buyer.verification_state == VerificationState.PENDING


def test_anonymous_verify_goes_to_sign_in(client, pending_buyer):
    response = client.post(reverse("buyers:buyer_verify", args=[pending_buyer.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
