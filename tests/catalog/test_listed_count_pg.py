"""The number of listed products, kept by PostgreSQL (catalog migration 0008): exact after every
kind of write, rolled back with its transaction, and what a buyer's product list reports as its
count in one row read instead of a count of the products. Other lists still count."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import HSCode, Product, PublicationStatus
from tests import factories
from tradeon import pagination

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the count is kept by PostgreSQL triggers (CI runs it)"
    ),
]

DRAFT, PUBLISHED = PublicationStatus.DRAFT, PublicationStatus.PUBLISHED


def kept() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM catalog_listed_product_count")
        return cursor.fetchone()[0]


def blocks() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT block, n FROM catalog_listed_product_block WHERE n > 0")
        return dict(cursor.fetchall())


def assert_exact() -> int:
    """The kept count (0008) and the listed products in each block of 1,024 ids (0009)."""
    counted = Product.objects.filter(is_listed=True).count()
    assert kept() == counted
    with connection.cursor() as cursor:
        cursor.execute("SELECT id >> 10, count(*) FROM catalog_product WHERE is_listed GROUP BY 1")
        assert blocks() == dict(cursor.fetchall())
    return counted


def test_every_kind_of_write_keeps_the_count_exact():
    start = assert_exact()
    company = factories.CompanyFactory(status=PUBLISHED)
    staff = factories.StaffUserFactory()
    cream = HSCode.objects.get(code="330499")
    product = services.product_create(
        company=company, created_by=staff, name_en="Snail cream", name_ko="달팽이 크림", hs_code=cream, status=PUBLISHED
    )
    assert assert_exact() == start + 1
    services.product_update(product=product, updated_by=staff, status=DRAFT)
    assert assert_exact() == start
    services.product_update(product=product, updated_by=staff, status=PUBLISHED)
    assert assert_exact() == start + 1

    # A whole company's products at once (one statement), unpublished and published again.
    factories.ProductFactory.create_batch(3, company=company, status=PUBLISHED)
    assert assert_exact() == start + 4
    services.company_update(company=company, updated_by=staff, status=DRAFT)
    assert assert_exact() == start
    services.company_update(company=company, updated_by=staff, status=PUBLISHED)
    assert assert_exact() == start + 4

    # Paths that bypass the services: QuerySet.update(), bulk_create(), delete().
    Product.objects.filter(company=company).update(is_listed=False)
    assert assert_exact() == start
    Product.objects.filter(company=company).update(is_listed=True)
    Product.objects.bulk_create(
        [
            Product(
                company=company,
                company_sector_id=company.sector_id,
                name_en=f"Toner {n}",
                name_ko="토너",
                hs_code=cream,
                is_listed=n % 2 == 0,
            )
            for n in range(6)
        ]
    )
    assert assert_exact() == start + 7
    services.product_delete(product=product, deleted_by=staff)
    assert assert_exact() == start + 6
    company.delete()
    assert assert_exact() == start


def test_a_rolled_back_write_leaves_the_count_as_it_was():
    company = factories.CompanyFactory(status=PUBLISHED)
    factories.ProductFactory.create_batch(2, company=company, status=PUBLISHED)
    before = assert_exact()
    with pytest.raises(RuntimeError), transaction.atomic():
        Product.objects.filter(company=company).update(is_listed=False)
        assert kept() == before - 2
        raise RuntimeError("the import failed")
    assert assert_exact() == before


def test_an_edit_that_leaves_the_listing_alone_does_not_touch_the_count():
    product = factories.ProductFactory(company=factories.CompanyFactory(status=PUBLISHED), status=PUBLISHED)
    with CaptureQueriesContext(connection) as captured:
        Product.objects.filter(pk=product.pk).update(name_en="Renamed")
    assert len(captured) == 1
    with connection.cursor() as cursor:
        # The trigger ran but updated no counter row: the row's version is unchanged.
        versions = "SELECT (SELECT xmin::text FROM catalog_listed_product_count), array_agg(xmin::text) FROM catalog_listed_product_block"
        cursor.execute(versions)
        before = cursor.fetchone()
        Product.objects.filter(pk=product.pk).update(name_en="Renamed again")
        cursor.execute(versions)
        assert cursor.fetchone() == before
    assert_exact()


def test_truncating_the_products_empties_the_count():
    factories.ProductFactory.create_batch(2, company=factories.CompanyFactory(status=PUBLISHED), status=PUBLISHED)
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks, which TRUNCATE refuses to skip.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE catalog_product CASCADE")
    assert kept() == 0
    factories.ProductFactory(company=factories.CompanyFactory(status=PUBLISHED), status=PUBLISHED)
    assert assert_exact() == 1


def test_the_buyers_list_reads_the_kept_count_and_a_filtered_list_counts(buyer_client):
    company = factories.CompanyFactory(status=PUBLISHED)
    factories.ProductFactory.create_batch(3, company=company, status=PUBLISHED)
    factories.ProductFactory(company=company, status=DRAFT)
    with CaptureQueriesContext(connection) as captured:
        response = buyer_client.get("/api/v1/products/")
    assert response.status_code == 200
    assert response.json()["count"] == assert_exact()
    sql = [q["sql"] for q in captured.captured_queries]
    assert any("catalog_listed_product_count" in s for s in sql)
    assert not any("COUNT(" in s.upper() for s in sql), sql

    with CaptureQueriesContext(connection) as captured:
        response = buyer_client.get("/api/v1/products/", {"company": company.pk})
    assert response.json()["count"] == 3
    sql = [q["sql"] for q in captured.captured_queries]
    assert not any("catalog_listed_product_count" in s for s in sql)
    assert any("COUNT(" in s.upper() for s in sql)


def test_deep_pages_of_the_buyers_list_start_at_the_kept_block(buyer_client, monkeypatch):
    """A page past KEPT_POSITION_FROM reads, with the count, the block of 1,024 ids that holds its
    first row, and scans from that block's bound (0009): the same rows as counting from the top."""
    monkeypatch.setattr(pagination, "KEPT_POSITION_FROM", 0)  # every page, with pages of 3
    pagination.forget_prepared_lists()
    company = factories.CompanyFactory(status=PUBLISHED)
    base = 50_000_000  # ids of their own, spread over several blocks, drafts among them
    for n, offset in enumerate([0, 1, 2, 5, 1023, 1024, 1025, 2048, 2049, 4000, 4001, 4002, 9000, 9001, 10240]):
        factories.ProductFactory(id=base + offset, company=company, status=DRAFT if n % 4 == 3 else PUBLISHED)
    newest_first = list(Product.objects.filter(is_listed=True).order_by("-id").values_list("id", flat=True))
    assert len(newest_first) == assert_exact()
    pages = -(-len(newest_first) // 3)
    for page in range(1, pages + 1):
        with CaptureQueriesContext(connection) as captured:
            body = buyer_client.get("/api/v1/products/", {"page": page, "page_size": 3}).json()
        assert [row["id"] for row in body["results"]] == newest_first[(page - 1) * 3 : page * 3], page
        assert body["count"] == len(newest_first)
        assert len(captured) == 2  # count and position in one query, then the page
        assert "catalog_listed_product_block" in captured.captured_queries[0]["sql"]
    assert buyer_client.get("/api/v1/products/", {"page": pages + 1, "page_size": 3}).status_code == 404
