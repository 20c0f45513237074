"""The catalogue's list endpoints: rows built from `.values()` say exactly what the serializers say,
the orders, deep pages and remembered counts (tradeon.pagination), and visibility after writes."""

import gc
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.client import ClientHandler
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from catalog import selectors
from catalog.api import CompanySerializer, ProductSerializer
from catalog.models import Certification, PublicationStatus
from tests.conftest import _client_for
from tests.factories import CompanyFactory, ProductFactory, SMEUserFactory, StaffUserFactory
from tradeon import pagination

pytestmark = pytest.mark.django_db


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _as_json(data) -> dict:
    return json.loads(json.dumps(data))


def test_product_list_row_is_what_the_product_serializer_says(buyer_client):
    halal, fda = Certification.objects.get(code="halal"), Certification.objects.get(code="fda")
    priced = ProductFactory(
        company__seoul_award=True, price_min=Decimal("12.5"), price_max=Decimal("20"), currency="KRW", lead_time_days=14
    )
    priced.certifications.set([halal, fda])
    unpriced = ProductFactory(price_min=None, price_max=None, lead_time_days=None)
    rows = {row["id"]: row for row in _results(buyer_client.get("/api/v1/products/"))}
    annotated = selectors.product_list(user=StaffUserFactory())
    for product in (priced, unpriced):
        expected = _as_json(ProductSerializer(annotated.get(pk=product.pk)).data)
        assert rows[product.pk] == expected
        assert list(rows[product.pk]) == list(expected)
    assert rows[priced.pk]["certifications"] == ["fda", "halal"] and rows[priced.pk]["price_min"] == "12.50"


def test_company_list_row_is_what_the_company_serializer_says(buyer_client):
    company = CompanyFactory(
        export_countries=["VN", "TH"],
        target_countries=[],
        languages=["ko", "en", "zh"],
        employees=12,
        founded_year=2015,
    )
    company.certifications.set([Certification.objects.get(code="halal")])
    row = next(r for r in _results(buyer_client.get("/api/v1/companies/")) if r["id"] == company.pk)
    expected = _as_json(CompanySerializer(selectors.company_list(user=StaffUserFactory()).get(pk=company.pk)).data)
    assert row == expected
    assert list(row) == list(expected)


def test_products_come_newest_first_with_and_without_filters(buyer_client):
    products = ProductFactory.create_batch(4)
    newest_first = [p.pk for p in reversed(products)]
    assert [r["id"] for r in _results(buyer_client.get("/api/v1/products/"))] == newest_first
    filtered = buyer_client.get("/api/v1/products/", {"q": "cream", "sector": "beauty", "moq_max": 1000})
    assert [r["id"] for r in _results(filtered)] == newest_first


def test_deep_pages_show_the_right_rows_in_as_many_queries_as_the_first(buyer_client):
    company = CompanyFactory()
    products = ProductFactory.create_batch(120, company=company)
    newest_first = [p.pk for p in reversed(products)]
    pages = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            pages.append([r["id"] for r in _results(buyer_client.get("/api/v1/products/", {"page": page}))])
        assert len(queries) == 2  # the count and the page
    assert pages == [newest_first[:50], newest_first[50:100], newest_first[100:]]


def test_an_sme_unpublishing_its_company_hides_its_products_from_buyers(sme_client, sme_user, buyer_client):
    own = ProductFactory(company=sme_user.company)
    other = ProductFactory()
    assert {r["id"] for r in _results(buyer_client.get("/api/v1/products/"))} == {own.pk, other.pk}

    response = sme_client.patch(f"/api/v1/companies/{sme_user.company_id}/", {"status": "draft"}, format="json")
    assert response.status_code == 200, response.json()
    assert {r["id"] for r in _results(buyer_client.get("/api/v1/products/"))} == {other.pk}
    assert buyer_client.get(f"/api/v1/products/{own.pk}/").status_code == 404
    # The SME still sees (and manages) its own products.
    assert own.pk in {r["id"] for r in _results(sme_client.get("/api/v1/products/"))}


def test_a_large_count_is_remembered_while_the_rows_stay_live(buyer_client, monkeypatch):
    # A filtered list: the plain one's count is kept exact by PostgreSQL (test_listed_count_pg).
    monkeypatch.setattr(pagination, "COUNT_CACHE_FROM", 3)
    ProductFactory.create_batch(3)
    search = {"moq_max": 100_000}

    with CaptureQueriesContext(connection) as first:
        assert buyer_client.get("/api/v1/products/", search).json()["count"] == 3
    newest = ProductFactory()
    with CaptureQueriesContext(connection) as second:
        body = buyer_client.get("/api/v1/products/", search).json()
    assert len(second) == len(first) - 1  # no COUNT(*)
    assert body["count"] == 3  # remembered (for COUNT_CACHE_SECONDS) ...
    assert body["results"][0]["id"] == newest.pk  # ... while the page is read afresh
    assert len(body["results"]) == 4

    filtered = buyer_client.get("/api/v1/products/", {"moq_max": 1000}).json()
    assert filtered["count"] == 4  # another query, another count


def test_a_small_count_is_exact_on_every_request(buyer_client):
    ProductFactory.create_batch(2)
    assert buyer_client.get("/api/v1/products/").json()["count"] == 2
    ProductFactory()
    assert buyer_client.get("/api/v1/products/").json()["count"] == 3


def test_the_api_docs_say_when_a_count_is_exact(client, staff_user):
    client.force_login(staff_user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    described = schema["components"]["schemas"]["PaginatedProductListList"]["properties"]["count"]["description"]
    assert "exact below 1,000" in described


def test_a_buyers_lists_are_statements_without_parameters(buyer_client):
    """PostgreSQL plans a statement without parameters once per connection and replans one with
    parameters on every run (plan_cache_mode=force_custom_plan): a buyer's plain lists filter on
    columns (`Product.is_listed`, `Company.is_published`), not on a status value."""
    CompanyFactory(status=PublicationStatus.DRAFT)
    ProductFactory()
    pagination.forget_prepared_lists()
    for path in ("/api/v1/companies/", "/api/v1/products/"):
        assert _results(buyer_client.get(path))
    statements = [prepared.pages[False] for prepared in pagination._prepared.values()]
    assert len(statements) == 2
    assert [statement.params for statement in statements] == [(), ()]


def test_companies_are_listed_by_name_across_pages_without_drafts(buyer_client):
    names = [f"Company {i:03d}" for i in range(60)]
    for name in reversed(names):
        CompanyFactory(name_en=name)
    CompanyFactory(name_en="Company 000 (draft)", status=PublicationStatus.DRAFT)
    first = _results(buyer_client.get("/api/v1/companies/"))
    second = _results(buyer_client.get("/api/v1/companies/", {"page": 2}))
    assert [r["name_en"] for r in first + second] == names


def test_company_filters_apply_and_a_plain_page_skips_them(staff_client):
    """tradeon.api.filters.FilterBackend: the filters derived from `filterset_fields` still filter
    (and refuse a bad value), while a request without them lists every company as before."""
    awarded = CompanyFactory(name_en="Awarded", seoul_award=True)
    CompanyFactory(name_en="Plain", seoul_award=False)
    CompanyFactory(name_en="Draft", status=PublicationStatus.DRAFT)
    assert {r["name_en"] for r in _results(staff_client.get("/api/v1/companies/"))} == {"Awarded", "Plain", "Draft"}
    assert {r["name_en"] for r in _results(staff_client.get("/api/v1/companies/", {"page": 1}))} == {
        "Awarded",
        "Plain",
        "Draft",
    }
    awarded_only = _results(staff_client.get("/api/v1/companies/", {"seoul_award": "true"}))
    assert [r["id"] for r in awarded_only] == [awarded.pk]
    drafts = _results(staff_client.get("/api/v1/companies/", {"status": "draft", "page": 1}))
    assert [r["name_en"] for r in drafts] == ["Draft"]
    assert staff_client.get("/api/v1/companies/", {"status": "nonsense"}).status_code == 400


# Lists remembered per key (tradeon.api.pagination.KeyedListMixin): who asks and the query string.
# Each test first has the list prepared by someone who may see more, then asks as someone who may not.


@pytest.mark.parametrize("path", ["/api/v1/products/", "/api/v1/companies/"])
def test_a_list_prepared_for_staff_shows_a_buyer_no_drafts(path, staff_client, buyer_client):
    pagination.forget_prepared_lists()
    draft_company = CompanyFactory(status=PublicationStatus.DRAFT)
    draft = ProductFactory(company=draft_company)
    shown = ProductFactory()
    staff_ids = {r["id"] for r in _results(staff_client.get(path))}
    buyer_ids = {r["id"] for r in _results(buyer_client.get(path))}
    if path.endswith("products/"):
        assert {draft.pk, shown.pk} <= staff_ids and buyer_ids == {shown.pk}
    else:
        assert draft_company.pk in staff_ids and buyer_ids == {shown.company_id}


@pytest.mark.parametrize("path", ["/api/v1/products/", "/api/v1/companies/"])
def test_a_list_prepared_for_one_sme_shows_another_none_of_its_drafts(path, sme_client, sme_user):
    pagination.forget_prepared_lists()
    Company = type(sme_user.company)
    Company.objects.filter(pk=sme_user.company_id).update(status=PublicationStatus.DRAFT)
    draft = ProductFactory(company=sme_user.company, status=PublicationStatus.DRAFT)
    listed = ProductFactory()
    own_ids = {r["id"] for r in _results(sme_client.get(path))}
    other_ids = {r["id"] for r in _results(_client_for(SMEUserFactory()).get(path))}
    if path.endswith("products/"):
        assert draft.pk in own_ids and draft.pk not in other_ids and listed.pk in other_ids
    else:
        assert sme_user.company_id in own_ids and sme_user.company_id not in other_ids


def test_each_query_string_is_its_own_list(buyer_client):
    cream = ProductFactory(name_en="Night cream", keywords="lotion")
    kimchi = ProductFactory(
        name_en="Cabbage kimchi", keywords="kimchi", description_en="Fermented", description_ko="김치"
    )
    for _ in range(2):  # the second round reuses each list's remembered SQL
        assert [r["id"] for r in _results(buyer_client.get("/api/v1/products/", {"q": "lotion"}))] == [cream.pk]
        assert [r["id"] for r in _results(buyer_client.get("/api/v1/products/", {"q": "kimchi"}))] == [kimchi.pk]
        assert [r["id"] for r in _results(buyer_client.get("/api/v1/products/", {"page_size": 1}))] == [kimchi.pk]
        assert buyer_client.get("/api/v1/products/", {"q": "kimchi", "moq_max": "lots"}).status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/products/", "/api/v1/companies/"])
def test_a_closed_list_response_leaves_its_rows_to_reference_counting(path, buyer_user):
    """Nothing of a list page waits for the garbage collector once the server has closed the
    response (KeyedListMixin.finalize_response). Served by the test client's handler, which
    closes the response as a WSGI server does; the test Client itself adds a cycle of its own."""
    ProductFactory.create_batch(3)
    token = Token.objects.create(user=buyer_user)
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Token {token.key}").environ
    ClientHandler()(environ)  # the first request of a list also prepares its SQL
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = ClientHandler()(environ)
        assert response.status_code == 200 and len(json.loads(response.content)["results"]) == 3
        del response
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Response) or (isinstance(o, dict) and "name_en" in o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
