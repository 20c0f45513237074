"""What a buyer sees comes from `Product.is_listed` and the product's copies of its company's sector
and Seoul Award; every write path keeps them equal to what the joins would say."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory

from catalog import selectors, services
from catalog.models import Company, HSCode, Product, PublicationStatus, Sector
from tests import factories

pytestmark = pytest.mark.django_db

DRAFT, PUBLISHED = PublicationStatus.DRAFT, PublicationStatus.PUBLISHED


def assert_copies_agree_with_companies():
    for product in Product.objects.select_related("company"):
        company = product.company
        assert product.is_listed == (product.status == PUBLISHED and company.status == PUBLISHED), product
        assert product.company_sector_id == company.sector_id, product
        assert product.company_seoul_award == company.seoul_award, product


def listed_for_buyer(buyer) -> set[int]:
    return set(selectors.product_list(user=buyer).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("company_status", "product_status", "listed"),
    [(PUBLISHED, PUBLISHED, True), (PUBLISHED, DRAFT, False), (DRAFT, PUBLISHED, False), (DRAFT, DRAFT, False)],
)
def test_product_create_lists_only_a_published_product_of_a_published_company(company_status, product_status, listed):
    company = factories.CompanyFactory(status=company_status, seoul_award=True, sector=Sector.objects.get(code="food"))
    product = services.product_create(
        company=company,
        created_by=None,
        name_en="Kimchi",
        name_ko="김치",
        hs_code=HSCode.objects.get(code="200599"),
        status=product_status,
    )
    product.refresh_from_db()
    assert product.is_listed is listed
    assert product.company_sector.code == "food" and product.company_seoul_award is True


def test_product_update_unlists_and_relists_a_product():
    sme = factories.SMEUserFactory()
    product = factories.ProductFactory(company=sme.company)
    services.product_update(product=product, updated_by=sme, status=DRAFT)
    product.refresh_from_db()
    assert product.is_listed is False
    services.product_update(product=product, updated_by=sme, status=PUBLISHED)
    product.refresh_from_db()
    assert product.is_listed is True


def test_a_company_unpublishing_hides_all_its_products_and_republishing_shows_its_published_ones():
    sme = factories.SMEUserFactory()
    buyer = factories.BuyerUserFactory()
    published = factories.ProductFactory.create_batch(2, company=sme.company)
    draft = factories.ProductFactory(company=sme.company, status=DRAFT)
    elsewhere = factories.ProductFactory()

    services.company_update(company=sme.company, updated_by=sme, status=DRAFT)
    assert listed_for_buyer(buyer) == {elsewhere.pk}
    assert_copies_agree_with_companies()

    services.company_update(company=sme.company, updated_by=sme, status=PUBLISHED)
    assert listed_for_buyer(buyer) == {elsewhere.pk, *(p.pk for p in published)}
    assert draft.pk not in listed_for_buyer(buyer)
    assert_copies_agree_with_companies()


def test_staff_changing_sector_and_award_moves_the_products_in_filtered_searches():
    staff, buyer = factories.StaffUserFactory(), factories.BuyerUserFactory()
    product = factories.ProductFactory()
    services.company_update(
        company=product.company, updated_by=staff, sector=Sector.objects.get(code="food"), seoul_award=True
    )
    assert_copies_agree_with_companies()
    visible = selectors.product_list(user=buyer)
    assert list(selectors.product_search(visible, sector="food", seoul_award=True)) == [product]
    assert not selectors.product_search(visible, sector="beauty").exists()


def test_a_company_save_rewrites_only_the_products_whose_copies_are_stale():
    company = factories.CompanyFactory()
    factories.ProductFactory.create_batch(3, company=company)
    factories.ProductFactory(company=company, status=DRAFT)
    assert services.company_products_sync(company=company, names_changed=False) == 0
    company.status = DRAFT
    company.save()
    assert services.company_products_sync(company=company, names_changed=False) == 3
    assert services.company_products_sync(company=company, names_changed=False) == 0


def test_admin_saves_keep_the_copies():
    request = RequestFactory().post("/admin/")
    request.user = factories.StaffUserFactory(is_superuser=True)
    product = factories.ProductFactory(name_en="Ginseng tea")
    company = product.company

    company.status = DRAFT
    company.name_en = "Renamed Ginseng"
    company_admin = admin.site._registry[Company]
    company_admin.save_model(request, company, SimpleNamespace(changed_data=["status", "name_en"]), change=True)
    product.refresh_from_db()
    assert product.is_listed is False
    assert "renamed ginseng" in product.search_text

    other = factories.CompanyFactory(seoul_award=True)
    product.company = other
    admin.site._registry[Product].save_model(request, product, SimpleNamespace(changed_data=["company"]), change=True)
    product.refresh_from_db()
    assert product.is_listed is True and product.company_seoul_award is True
    assert_copies_agree_with_companies()


def test_migration_fills_the_copies_of_existing_products():
    listed = factories.ProductFactory()
    of_draft_company = factories.ProductFactory(company=factories.CompanyFactory(status=DRAFT, seoul_award=True))
    Product.objects.update(is_listed=False, company_seoul_award=False, company_sector=Sector.objects.get(code="other"))

    migration = importlib.import_module("catalog.migrations.0006_product_listing")
    schema_editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    migration.fill_copies(apps, schema_editor)

    assert_copies_agree_with_companies()
    assert Product.objects.get(pk=listed.pk).is_listed is True
    assert Product.objects.get(pk=of_draft_company.pk).company_seoul_award is True


def test_a_companys_is_published_is_its_status_after_every_kind_of_write():
    """`Company.is_published` is computed by the database, so a write that bypasses the services
    (QuerySet.update) keeps it too."""
    draft = factories.CompanyFactory(status=DRAFT)
    published = factories.CompanyFactory(status=PUBLISHED)
    assert Company.objects.get(pk=draft.pk).is_published is False
    assert Company.objects.get(pk=published.pk).is_published is True
    Company.objects.filter(pk=draft.pk).update(status=PUBLISHED)
    Company.objects.filter(pk=published.pk).update(status=DRAFT)
    assert set(Company.objects.filter(is_published=True).values_list("pk", flat=True)) == {draft.pk}
    services.company_update(
        company=Company.objects.get(pk=published.pk), updated_by=factories.StaffUserFactory(), status=PUBLISHED
    )
    assert set(Company.objects.filter(is_published=True).values_list("pk", flat=True)) == {draft.pk, published.pk}
