"""No request, however malformed, gets a 500; errors always have the same actionable shape."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

GARBAGE = [
    "not json at all",
    "[]",
    "null",
    '"string"',
    '{"moq": -5}',
    '{"moq": "many"}',
    '{"hs_code": null}',
    '{"certifications": "fda"}',
    '{"certifications": [{"a": 1}]}',
    '{"price_min": "1e400"}',
    '{"name_en": "' + "x" * 5000 + '"}',
    '{"status": "archived"}',
    '{"company": "abc"}',
    '{"languages": [1, 2]}',
    '{"export_countries": ["ZZ"]}',
    '{"sectors": [null]}',
    '{"hs_codes": [["33"]]}',
    '{"wanted_by": "tomorrow"}',
    '{"quantity": 0}',
]
ENDPOINTS = [
    "/api/v1/products/",
    "/api/v1/companies/",
    "/api/v1/buyers/",
    "/api/v1/sourcing-requests/",
    "/api/v1/auth/register/buyer/",
    "/api/v1/auth/register/sme/",
]


@pytest.mark.parametrize("role", ["sme", "buyer", "staff"])
def test_malformed_writes_never_500(role, client):
    user = {"sme": factories.SMEUserFactory, "buyer": factories.BuyerUserFactory, "staff": factories.StaffUserFactory}[
        role
    ]()
    client.force_login(user)
    product = factories.ProductFactory(company=user.company) if user.company_id else factories.ProductFactory()
    targets = [*ENDPOINTS, f"/api/v1/products/{product.pk}/", f"/api/v1/companies/{product.company_id}/"]
    for url in targets:
        for body in GARBAGE:
            for method in ("post", "patch", "put"):
                response = getattr(client, method)(url, body, content_type="application/json")
                assert response.status_code < 500, (url, method, body[:40], response.content[:200])
                if response.status_code >= 400:
                    payload = response.json()
                    assert payload["detail"] and isinstance(payload["errors"], list)


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "page=99999",
        "page_size=-1",
        "moq_max=-3",
        "moq_max=x",
        "seoul_award=maybe",
        "q=" + "가" * 500,
        "hs=12345",
        "company=x",
    ],
)
def test_malformed_queries_never_500(client, query):
    client.force_login(factories.BuyerUserFactory())
    response = client.get(f"/api/v1/products/?{query}")
    assert response.status_code in (200, 400, 404), response.content[:200]
