"""The SME dashboard and product forms, and the buyers' catalogue."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from catalog.models import Certification, Product, PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


def product_data(**overrides):
    data = {
        "name_en": "Snail repair cream",
        "name_ko": "달팽이 크림",
        "description_en": "Repairing cream",
        "description_ko": "재생 크림",
        "hs_code": "330499",
        "keywords": "cream, snail",
        "moq": 300,
        "moq_unit": "pcs",
        "price_min": "2.50",
        "price_max": "4.00",
        "currency": "USD",
        "lead_time_days": 21,
        "status": "published",
    }
    return data | overrides


# --- SME dashboard ---------------------------------------------------------------------------


def test_dashboard_lists_the_smes_own_products_including_drafts(client, sign_in, sme_user, other_product):
    factories.ProductFactory(company=sme_user.company, name_en="Draft serum", status=PublicationStatus.DRAFT)
    sign_in(sme_user)
    page = client.get(reverse("catalog:dashboard")).content.decode()
    assert "Draft serum" in page
    assert other_product.name_en not in page
    assert reverse("catalog:product_create") in page


def test_sme_publishes_its_company_from_the_dashboard(client, sign_in, sme_user):
    company = sme_user.company
    company.status = PublicationStatus.DRAFT
    company.save()
    sign_in(sme_user)
    data = {
        "name_ko": company.name_ko,
        "name_en": "Renamed Cosmetics",
        "sector": company.sector_id,
        "status": "published",
        "languages": ["ko", "en"],
        "target_countries": ["TH", "VN"],
        "certifications": [Certification.objects.get(code="halal").pk],
    }
    response = client.post(reverse("catalog:dashboard"), data)

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.status == PublicationStatus.PUBLISHED
    assert company.name_en == "Renamed Cosmetics"
    assert [c.code for c in company.target_countries] == ["TH", "VN"]
    assert list(company.certifications.values_list("code", flat=True)) == ["halal"]


def test_company_form_errors_are_shown_on_the_form(client, sign_in, sme_user):
    sign_in(sme_user)
    response = client.post(
        reverse("catalog:dashboard"), {"name_ko": "", "name_en": "X", "sector": "", "status": "published"}
    )
    assert response.status_code == 200
    assert "name_ko" in response.context["form"].errors


# --- Product forms ---------------------------------------------------------------------------


def test_sme_adds_a_product_and_sees_it_in_my_products(client, sign_in, sme_user):
    sign_in(sme_user)
    halal = Certification.objects.get(code="halal")
    response = client.post(reverse("catalog:product_create"), product_data(certifications=[halal.pk]), follow=True)

    product = Product.objects.get(name_en="Snail repair cream")
    assert product.company == sme_user.company
    assert product.hs_code_id == "330499"
    assert list(product.certifications.all()) == [halal]
    assert "달팽이" in product.search_text  # the service kept the search column
    assert response.redirect_chain[-1][0] == reverse("catalog:dashboard")
    assert "Snail repair cream" in response.content.decode()


def test_product_form_rejects_an_hs_heading_on_the_hs_code_field(client, sign_in, sme_user):
    sign_in(sme_user)
    response = client.post(reverse("catalog:product_create"), product_data(hs_code="3304"))
    assert response.status_code == 200
    assert "hs_code" in response.context["form"].errors
    response = client.post(reverse("catalog:product_create"), product_data(hs_code="123456"))
    assert "not in the HS nomenclature" in str(response.context["form"].errors["hs_code"])
    assert not Product.objects.exists()


def test_price_range_upside_down_is_shown_as_a_form_error(client, sign_in, sme_user):
    sign_in(sme_user)
    response = client.post(reverse("catalog:product_create"), product_data(price_min="9", price_max="1"))
    assert response.status_code == 200
    assert "must not exceed" in " ".join(response.context["form"].non_field_errors())
    assert not Product.objects.exists()


def test_sme_edits_its_own_product(client, sign_in, sme_user, own_product):
    sign_in(sme_user)
    form = client.get(reverse("catalog:product_edit", args=[own_product.pk])).context["form"]
    assert form.initial["hs_code"] == own_product.hs_code_id
    response = client.post(reverse("catalog:product_edit", args=[own_product.pk]), product_data(name_en="Toner v2"))
    assert response.status_code == 302
    own_product.refresh_from_db()
    assert own_product.name_en == "Toner v2"


def test_sme_cannot_open_or_change_another_companys_product(client, sign_in, sme_user, other_product):
    sign_in(sme_user)
    url = reverse("catalog:product_edit", args=[other_product.pk])
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, product_data(name_en="Hijacked")).status_code in (403, 404)
    other_product.refresh_from_db()
    assert other_product.name_en == "Ginseng shampoo"

    image = SimpleUploadedFile("x.png", _png_bytes(), content_type="image/png")
    response = client.post(reverse("catalog:product_image_add", args=[other_product.pk]), {"image": image})
    assert response.status_code in (403, 404)
    assert not other_product.images.exists()


def test_sme_cannot_edit_a_draft_product_of_another_company_it_cannot_even_see(client, sign_in, sme_user):
    hidden = factories.ProductFactory(status=PublicationStatus.DRAFT)
    sign_in(sme_user)
    assert client.get(reverse("catalog:product_edit", args=[hidden.pk])).status_code == 404


def _png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 30, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_sme_uploads_a_product_picture(client, sign_in, sme_user, own_product):
    sign_in(sme_user)
    image = SimpleUploadedFile("toner.png", _png_bytes(), content_type="image/png")
    response = client.post(
        reverse("catalog:product_image_add", args=[own_product.pk]), {"image": image, "alt_text": "Toner"}
    )
    assert response.status_code == 302
    assert own_product.images.get().alt_text == "Toner"
    assert b"<img" in client.get(reverse("catalog:product_detail", args=[own_product.pk])).content


def test_a_file_that_is_not_an_image_is_refused_on_the_image_field(client, sign_in, sme_user, own_product):
    sign_in(sme_user)
    fake = SimpleUploadedFile("toner.png", b"not an image at all", content_type="image/png")
    response = client.post(reverse("catalog:product_image_add", args=[own_product.pk]), {"image": fake})
    assert response.status_code == 200
    assert "not a readable image" in str(response.context["image_form"].errors["image"])
    assert not own_product.images.exists()


def test_hs_code_lookup_suggests_subheadings_by_word_and_by_digits(client, sign_in, sme_user):
    sign_in(sme_user)
    assert b"330499" in client.get(reverse("catalog:hs_code_lookup"), {"hs_lookup": "3304"}).content
    by_word = client.get(reverse("catalog:hs_code_lookup"), {"hs_lookup": "make-up"}).content.decode()
    assert 'data-hs-code="33' in by_word


# --- Catalogue -------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    award_company = factories.CompanyFactory(seoul_award=True, name_en="Award Foods", name_ko="수상식품")
    return {
        "cream": factories.ProductFactory(name_en="Aloe soothing gel", name_ko="알로에 수딩 젤", moq=100),
        "kimchi": factories.ProductFactory(
            company=award_company,
            name_en="Napa cabbage kimchi",
            name_ko="배추김치",
            hs_code_id="200599",
            moq=2000,
            description_en="Fermented",
            description_ko="발효",
            keywords="kimchi",
        ),
        "draft": factories.ProductFactory(name_en="Secret prototype", status=PublicationStatus.DRAFT),
        "hidden_company": factories.ProductFactory(
            company=factories.CompanyFactory(status=PublicationStatus.DRAFT), name_en="Unlisted maker lotion"
        ),
    }


def test_catalogue_finds_products_by_a_korean_and_by_an_english_word(client, sign_in, buyer_user, catalogue):
    sign_in(buyer_user)
    korean = client.get(reverse("catalog:catalogue"), {"q": "김치"}).content.decode()
    assert "Napa cabbage kimchi" in korean and "Aloe soothing gel" not in korean
    english = client.get(reverse("catalog:catalogue"), {"q": "ALOE gel"}).content.decode()
    assert "Aloe soothing gel" in english and "Napa cabbage kimchi" not in english


def test_catalogue_hides_drafts_and_products_of_unpublished_companies(client, sign_in, buyer_user, catalogue):
    sign_in(buyer_user)
    page = client.get(reverse("catalog:catalogue")).content.decode()
    assert "Aloe soothing gel" in page
    assert "Secret prototype" not in page
    assert "Unlisted maker lotion" not in page
    assert client.get(reverse("catalog:product_detail", args=[catalogue["draft"].pk])).status_code == 404
    hidden = catalogue["hidden_company"]
    assert client.get(reverse("catalog:product_detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("catalog:company_detail", args=[hidden.company_id])).status_code == 404


def test_owner_sees_its_own_draft_product_page(client, sign_in, catalogue):
    owner = factories.SMEUserFactory(company=catalogue["draft"].company)
    sign_in(owner)
    assert client.get(reverse("catalog:product_detail", args=[catalogue["draft"].pk])).status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"hs": "20"}, {"kimchi"}),
        ({"hs": "3304"}, {"cream"}),
        ({"seoul_award": "on"}, {"kimchi"}),
        ({"moq_max": "500"}, {"cream"}),
        ({"sector": "beauty"}, {"cream", "kimchi"}),
    ],
)
def test_catalogue_filters(client, sign_in, buyer_user, catalogue, params, expected):
    sign_in(buyer_user)
    response = client.get(reverse("catalog:catalogue"), params)
    shown = {key for key, product in catalogue.items() if product in response.context["page"].object_list}
    assert shown == expected


def test_catalogue_certification_filter(client, sign_in, buyer_user, catalogue):
    catalogue["cream"].certifications.add(Certification.objects.get(code="halal"))
    sign_in(buyer_user)
    response = client.get(reverse("catalog:catalogue"), {"certification": "halal"})
    assert list(response.context["page"].object_list) == [catalogue["cream"]]
    assert "Halal" in response.content.decode()


def test_invalid_hs_filter_is_explained_not_a_crash(client, sign_in, buyer_user, catalogue):
    sign_in(buyer_user)
    response = client.get(reverse("catalog:catalogue"), {"hs": "3"})
    assert response.status_code == 200
    assert "2-digit chapter" in response.content.decode()


@pytest.mark.parametrize("params", [{}, {"q": "cream", "moq_max": "1000"}])
def test_catalogue_shows_seoul_award_holders_first_then_oldest_first(client, sign_in, buyer_user, params):
    plain = factories.ProductFactory.create_batch(2)
    awarded = factories.ProductFactory(company=factories.CompanyFactory(seoul_award=True))
    sign_in(buyer_user)
    response = client.get(reverse("catalog:catalogue"), params)
    assert list(response.context["page"].object_list) == [awarded, *plain]


def test_catalogue_shows_24_products_a_page(client, sign_in, buyer_user):
    factories.ProductFactory.create_batch(30)
    sign_in(buyer_user)
    first = client.get(reverse("catalog:catalogue"))
    assert len(first.context["page"].object_list) == 24
    second = client.get(reverse("catalog:catalogue"), {"page": 2})
    assert len(second.context["page"].object_list) == 6


def test_htmx_search_returns_only_the_results(client, sign_in, buyer_user, catalogue):
    sign_in(buyer_user)
    response = client.get(reverse("catalog:catalogue"), {"q": "kimchi"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Napa cabbage kimchi" in body
    assert "<html" not in body and "<nav" not in body


def test_catalogue_query_count_does_not_grow_with_the_page(client, sign_in, buyer_user):
    sign_in(buyer_user)
    factories.ProductFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("catalog:catalogue"))
    factories.ProductFactory.create_batch(5)
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("catalog:catalogue"))
    assert len(six) == len(one)


def test_unverified_buyer_sees_the_meeting_button_disabled_with_the_reason(
    client, sign_in, unverified_buyer_user, catalogue
):
    sign_in(unverified_buyer_user)
    page = client.get(reverse("catalog:product_detail", args=[catalogue["cream"].pk])).content.decode()
    assert "data-contact-locked" in page
    assert "pending verification" in page


def test_verified_buyer_is_not_told_to_wait_for_verification(client, sign_in, buyer_user, catalogue):
    sign_in(buyer_user)
    page = client.get(reverse("catalog:company_detail", args=[catalogue["kimchi"].company_id])).content.decode()
    assert "Napa cabbage kimchi" in page
    assert "data-contact-locked" not in page
    assert "pending verification" not in page
