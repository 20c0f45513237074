"""A person's first steps, in a real browser: a buyer finds products by a Korean and an
English word and opens one; an SME adds a product and sees it in My products."""

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(transactional_db):
    company = factories.CompanyFactory(name_en="Jongga Foods", name_ko="종가식품", seoul_award=True)
    kimchi = factories.ProductFactory(
        company=company,
        name_en="Napa cabbage kimchi",
        name_ko="포기 배추김치",
        hs_code_id="200599",
        description_en="Traditional fermented kimchi",
        description_ko="전통 발효 김치",
        keywords="kimchi",
    )
    aloe = factories.ProductFactory(name_en="Aloe soothing gel", name_ko="알로에 수딩 젤")
    return {"kimchi": kimchi, "aloe": aloe}


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_buyer_searches_in_korean_and_english_and_opens_a_product(page, catalogue):
    buyer = factories.BuyerUserFactory()
    sign_in(page, buyer)
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()

    results = page.locator("#results")
    search = page.get_by_placeholder("Product, company or keyword")
    search.fill("김치")
    search.press("Enter")
    expect(results).to_contain_text("Napa cabbage kimchi")
    expect(results).not_to_contain_text("Aloe soothing gel")

    search.fill("aloe")
    search.press("Enter")
    expect(results).to_contain_text("Aloe soothing gel")
    expect(results).not_to_contain_text("Napa cabbage kimchi")

    results.get_by_role("link", name="Aloe soothing gel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aloe soothing gel")
    expect(page.get_by_text("알로에 수딩 젤").first).to_be_visible()

    page.get_by_role("button", name="한국어").click()
    expect(page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="카탈로그")).to_be_visible()


def test_sme_adds_a_product_and_sees_it_in_my_products(page, catalogue):
    sme = factories.SMEUserFactory()
    sign_in(page, sme)
    expect(page.get_by_role("heading", name="My products")).to_be_visible()

    page.get_by_role("link", name="Add product").first.click()
    page.get_by_label("Name (English)").fill("Red ginseng jelly stick")
    page.get_by_label("Name (Korean)").fill("홍삼 젤리 스틱")
    page.get_by_label("Description (English)").fill("Six-year-old Korean red ginseng in daily sticks")
    # Find the HS code by word, as an SME who does not know it would.
    page.get_by_label("Find an HS code").fill("2106")
    page.locator("[data-hs-code='210690']").click()
    expect(page.get_by_role("textbox", name="HS code", exact=True)).to_have_value("210690")
    page.get_by_label("Minimum order quantity").fill("1000")
    page.get_by_label("Unit price from").fill("1.20")
    page.get_by_label("Unit price to").fill("1.80")
    page.get_by_label("HACCP").check()
    page.get_by_label("Visibility").select_option("published")
    page.get_by_role("button", name="Save product").click()

    products = page.locator("#products")
    expect(products).to_contain_text("Red ginseng jelly stick")
    expect(products).to_contain_text("홍삼 젤리 스틱")
    product = Product.objects.get(name_en="Red ginseng jelly stick")
    assert product.company_id == sme.company_id
    assert product.hs_code_id == "210690"
    assert list(product.certifications.values_list("code", flat=True)) == ["haccp"]
