"""The catalogue API seen by each role: search, filters, pagination, writes and their errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Certification, Product, PublicationStatus
from tests.factories import CompanyFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_buyer_searches_catalogue_in_korean_and_english(buyer_client):
    cream = ProductFactory(name_en="Centella calming cream", name_ko="병풀 진정 크림")
    ProductFactory(name_en="Bluetooth earbuds", name_ko="블루투스 이어폰", hs_code_id="851830")
    assert _ids(buyer_client.get("/api/v1/products/", {"q": "진정"})) == {cream.id}
    assert _ids(buyer_client.get("/api/v1/products/", {"q": "CALMING centella"})) == {cream.id}


def test_product_filters_by_sector_hs_certification_award_and_moq(buyer_client):
    halal = Certification.objects.get(code="halal")
    match = ProductFactory(moq=100, company__seoul_award=True)
    match.certifications.add(halal)
    ProductFactory(moq=100, company__seoul_award=True)  # no Halal
    ProductFactory(moq=5000, company__seoul_award=True).certifications.add(halal)  # MOQ too high
    ProductFactory(hs_code_id="851830", moq=100).certifications.add(halal)  # other chapter
    response = buyer_client.get(
        "/api/v1/products/",
        {"sector": "beauty", "hs": "3304", "certification": "halal", "seoul_award": "true", "moq_max": 1000},
    )
    assert response.status_code == 200
    assert _ids(response) == {match.id}
    assert response.json()["results"][0]["certifications"] == ["halal"]


def test_bad_filter_value_names_the_parameter(buyer_client):
    response = buyer_client.get("/api/v1/products/", {"hs": "33a"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "hs"


def test_drafts_and_products_of_draft_companies_are_hidden_from_buyers(buyer_client):
    ProductFactory(status=PublicationStatus.DRAFT)
    ProductFactory(company__status=PublicationStatus.DRAFT)
    visible = ProductFactory()
    assert _ids(buyer_client.get("/api/v1/products/")) == {visible.id}


def test_sme_sees_own_drafts_but_not_others(sme_client, sme_user):
    own_draft = ProductFactory(company=sme_user.company, status=PublicationStatus.DRAFT)
    ProductFactory(status=PublicationStatus.DRAFT)
    assert own_draft.id in _ids(sme_client.get("/api/v1/products/"))
    assert len(_ids(sme_client.get("/api/v1/products/"))) == 1


def test_products_are_paginated_fifty_a_page(buyer_client):
    company = CompanyFactory()
    ProductFactory.create_batch(55, company=company)
    first = buyer_client.get("/api/v1/products/").json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["next"]
    assert len(buyer_client.get("/api/v1/products/", {"page": 2}).json()["results"]) == 5


@pytest.mark.parametrize("url", ["/api/v1/products/", "/api/v1/companies/"])
def test_list_query_count_stays_flat_as_the_list_grows(buyer_client, url):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert buyer_client.get(url).status_code == 200
        return len(queries)

    halal = Certification.objects.get(code="halal")
    ProductFactory().certifications.add(halal)
    one = count_queries()
    for product in ProductFactory.create_batch(3):
        product.certifications.add(halal)
        product.company.certifications.add(halal)
    assert count_queries() == one
    # A page of up to 50: a count and the page itself, certifications included.
    assert one <= 3


def test_sme_adds_product_to_own_company(sme_client, sme_user):
    response = sme_client.post(
        "/api/v1/products/",
        {"name_en": "Sheet mask", "name_ko": "마스크팩", "hs_code": "330499", "moq": 1000, "certifications": ["cpnp"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    product = Product.objects.get(pk=response.json()["id"])
    assert product.company == sme_user.company
    assert "마스크팩" in product.search_text and "sheet mask" in product.search_text


@pytest.mark.parametrize(
    ("hs_code", "message"),
    [("3304", "6 digits"), ("771234", "not in the HS nomenclature"), ("33049a", "6 digits")],
)
def test_product_hs_code_must_be_an_existing_subheading(sme_client, hs_code, message):
    response = sme_client.post("/api/v1/products/", {"name_en": "X", "name_ko": "X", "hs_code": hs_code}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "hs_code"
    assert message in body["errors"][0]["message"]


def test_price_range_must_be_ordered(sme_client):
    response = sme_client.post(
        "/api/v1/products/",
        {"name_en": "X", "name_ko": "X", "hs_code": "330499", "price_min": "10.00", "price_max": "5.00"},
        format="json",
    )
    assert response.status_code == 400
    assert "lowest unit price" in response.json()["detail"]


def test_sme_cannot_grant_itself_the_seoul_award(sme_client, sme_user):
    response = sme_client.patch(f"/api/v1/companies/{sme_user.company_id}/", {"seoul_award": True}, format="json")
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "seoul_award"


def test_company_brn_is_validated_and_unique(staff_client):
    existing = CompanyFactory()
    payload = {"name_en": "A", "name_ko": "가", "sector": "food", "business_registration_number": "123-45-67890"}
    response = staff_client.post("/api/v1/companies/", payload, format="json")
    assert response.status_code == 400
    assert "check digit" in response.json()["detail"]
    payload["business_registration_number"] = existing.business_registration_number
    response = staff_client.post("/api/v1/companies/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "business_registration_number"


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_brn_get_one_company_and_a_409():
    """Two requests that both pass the friendly check: the unique index decides, the loser gets 409."""
    from unittest import mock

    from rest_framework.test import APIClient

    from catalog import services
    from tests.factories import StaffUserFactory

    client = APIClient()
    client.force_authenticate(StaffUserFactory())
    payload = {"name_en": "A", "name_ko": "가", "sector": "food", "business_registration_number": "220-81-62517"}
    assert client.post("/api/v1/companies/", payload, format="json").status_code == 201
    with mock.patch.object(services, "_check_brn_unique"):  # the second writer raced past the check
        response = client.post("/api/v1/companies/", payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_hs_codes_search_by_code_and_words(buyer_client):
    by_code = buyer_client.get("/api/v1/hs-codes/", {"q": "3304"}).json()["results"]
    assert by_code[0]["code"] == "3304" and {row["code"] for row in by_code} >= {"330499", "330410"}
    by_words = buyer_client.get("/api/v1/hs-codes/", {"q": "make-up preparations", "level": 4}).json()["results"]
    assert [row["code"] for row in by_words] == ["3304"]
    assert buyer_client.get("/api/v1/hs-codes/330499/").json()["parent"] == "3304"


def test_sectors_list_five_strategic_and_other(buyer_client):
    codes = [row["code"] for row in buyer_client.get("/api/v1/sectors/").json()]
    assert codes == ["it-ict", "medical", "beauty", "food", "household", "other"]


def test_product_image_upload_checks_type_and_size(sme_client, sme_user, settings):
    import io

    from PIL import Image

    product = ProductFactory(company=sme_user.company)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "mask.png"
    ok = sme_client.post(f"/api/v1/products/{product.id}/images/", {"image": buffer}, format="multipart")
    assert ok.status_code == 201, ok.json()

    fake = io.BytesIO(b"%PDF-1.4 not an image")
    fake.name = "evil.png"
    bad = sme_client.post(f"/api/v1/products/{product.id}/images/", {"image": fake}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "image"

    settings.PRODUCT_IMAGE_MAX_BYTES = 1024
    big = io.BytesIO()
    Image.effect_noise((200, 200), 64).convert("RGB").save(big, "PNG")
    big.seek(0)
    big.name = "big.png"
    too_big = sme_client.post(f"/api/v1/products/{product.id}/images/", {"image": big}, format="multipart")
    assert too_big.status_code == 400
    assert "limit" in too_big.json()["detail"]
