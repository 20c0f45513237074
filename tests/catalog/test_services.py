"""Catalogue services: validation, permissions and the search column."""

import pytest
from django.core.exceptions import ValidationError

from catalog import selectors, services
from catalog.models import HSCode, Product, Sector
from catalog.validators import brn_check_digit_ok, validate_business_registration_number
from tests import factories
from tradeon.errors import NotAllowed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["220-81-62517", "2208162517", "124-81-00998"])
def test_real_business_registration_numbers_pass(number):
    validate_business_registration_number(number)


@pytest.mark.parametrize(
    ("number", "message"), [("220-81-62518", "check digit"), ("12-345-67890", "10 digits"), ("abc", "10 digits")]
)
def test_bad_business_registration_numbers_say_why(number, message):
    with pytest.raises(ValidationError, match=message):
        validate_business_registration_number(number)


def test_factory_numbers_are_valid():
    for serial in range(1, 200):
        assert brn_check_digit_ok(factories.valid_business_registration_number(serial).replace("-", ""))


def test_product_create_refuses_a_heading_instead_of_a_subheading():
    company = factories.CompanyFactory()
    with pytest.raises(ValidationError, match="6-digit subheading"):
        services.product_create(
            company=company, created_by=None, name_en="X", name_ko="X", hs_code=HSCode.objects.get(code="3304")
        )
    assert not Product.objects.exists()


def test_sme_cannot_add_products_to_another_company():
    sme = factories.SMEUserFactory()
    with pytest.raises(NotAllowed):
        services.product_create(
            company=factories.CompanyFactory(),
            created_by=sme,
            name_en="X",
            name_ko="X",
            hs_code=HSCode.objects.get(code="330499"),
        )


def test_renaming_a_company_refreshes_its_products_search_text():
    sme = factories.SMEUserFactory()
    product = factories.ProductFactory(company=sme.company)
    services.company_update(company=sme.company, updated_by=sme, name_ko="한빛코스메틱")
    product.refresh_from_db()
    assert "한빛코스메틱" in product.search_text
    found = selectors.product_search(selectors.product_list(user=sme), text="한빛")
    assert list(found) == [product]


def test_company_languages_are_validated():
    staff = factories.StaffUserFactory()
    with pytest.raises(ValidationError) as error:
        services.company_create(
            created_by=staff,
            name_en="A",
            name_ko="가",
            sector=Sector.objects.get(code="food"),
            business_registration_number=factories.valid_business_registration_number(4242),
            languages=["xx"],
        )
    assert "languages" in error.value.message_dict


def test_unknown_fields_are_refused_not_ignored():
    staff = factories.StaffUserFactory()
    product = factories.ProductFactory()
    with pytest.raises(ValidationError) as error:
        services.product_update(product=product, updated_by=staff, search_text="spoofed")
    assert "search_text" in error.value.message_dict
