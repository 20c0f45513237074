"""Sign-in, sign-out, sign-up and the language switch."""

import pytest
from django.urls import reverse

from buyers.models import VerificationState
from catalog.models import PublicationStatus
from tests import factories
from tradeon.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_home_page_invites_anonymous_visitors_to_sign_up(client):
    page = client.get(reverse("home")).content.decode()
    assert reverse("accounts:signup_sme") in page
    assert reverse("accounts:signup_buyer") in page
    assert reverse("accounts:login") in page


def test_sign_in_with_the_form_and_sign_out_with_post(client, sme_user):
    response = client.post(reverse("accounts:login"), {"username": sme_user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("catalog:dashboard")).status_code == 200

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("catalog:dashboard")).status_code == 302


def test_wrong_password_shows_an_error(client, sme_user):
    response = client.post(reverse("accounts:login"), {"username": sme_user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


SME_SIGN_UP = {
    "username": "hana",
    "email": "hana@hanacosmetics.kr",
    "password": "Seoul-export-2021",
    "password_confirm": "Seoul-export-2021",
    "name_ko": "하나화장품",
    "name_en": "Hana Cosmetics",
    "business_registration_number": factories.valid_business_registration_number(4242).replace("-", ""),
    "sector": None,  # filled in by the test: the primary key of the beauty sector
}


@pytest.fixture
def sme_sign_up_data():
    from catalog.models import Sector

    return SME_SIGN_UP | {"sector": Sector.objects.get(code="beauty").pk}


def test_sme_sign_up_creates_the_user_and_a_draft_company_and_signs_in(client, sme_sign_up_data):
    response = client.post(reverse("accounts:signup_sme"), sme_sign_up_data)

    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:dashboard")
    user = User.objects.get(username="hana")
    assert user.role == Role.SME
    assert user.company.name_ko == "하나화장품"
    assert user.company.status == PublicationStatus.DRAFT
    # Typed without dashes, stored in the canonical form.
    assert user.company.business_registration_number == factories.valid_business_registration_number(4242)
    dashboard = client.get(reverse("catalog:dashboard"))
    assert "하나화장품" in dashboard.content.decode()


def test_sme_sign_up_with_a_bad_registration_number_shows_the_error_on_that_field(client, sme_sign_up_data):
    valid = factories.valid_business_registration_number(77)
    typo = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    response = client.post(reverse("accounts:signup_sme"), sme_sign_up_data | {"business_registration_number": typo})

    assert response.status_code == 200
    assert "check digit" in str(response.context["form"].errors["business_registration_number"])
    assert not User.objects.filter(username="hana").exists()


def test_sme_sign_up_with_a_registered_company_number_is_refused(client, sme_sign_up_data, sme_user):
    data = sme_sign_up_data | {"business_registration_number": sme_user.company.business_registration_number}
    response = client.post(reverse("accounts:signup_sme"), data)

    assert response.status_code == 200
    assert "already registered" in str(response.context["form"].errors["business_registration_number"])


def test_sme_sign_up_with_a_taken_username_or_weak_password_shows_the_service_error(client, sme_sign_up_data, sme_user):
    response = client.post(reverse("accounts:signup_sme"), sme_sign_up_data | {"username": sme_user.username})
    assert "taken" in str(response.context["form"].errors["username"])

    response = client.post(
        reverse("accounts:signup_sme"), sme_sign_up_data | {"password": "12345678", "password_confirm": "12345678"}
    )
    assert "password" in response.context["form"].errors


def test_buyer_sign_up_creates_a_pending_buyer_and_lands_on_the_catalogue_with_a_banner(client):
    data = {
        "username": "somchai",
        "email": "somchai@bkkbeauty.co.th",
        "password": "Bangkok-imports-77",
        "password_confirm": "Bangkok-imports-77",
        "name": "Bangkok Beauty Distribution",
        "country": "TH",
        "city": "Bangkok",
        "buyer_type": "distributor",
        "time_zone": "Asia/Bangkok",
        "languages": ["th", "en"],
    }
    response = client.post(reverse("accounts:signup_buyer"), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("catalog:catalogue")
    user = User.objects.get(username="somchai")
    assert user.role == Role.BUYER
    assert user.buyer_organisation.verification_state == VerificationState.PENDING
    assert user.buyer_organisation.languages == ["th", "en"]
    assert "cannot contact anyone until staff verify you" in response.content.decode()


def test_buyer_sign_up_with_mismatched_passwords_creates_nothing(client):
    response = client.post(
        reverse("accounts:signup_buyer"),
        {
            "username": "x",
            "email": "x@example.com",
            "password": "Bangkok-imports-77",
            "password_confirm": "other",
            "name": "X",
            "country": "TH",
            "buyer_type": "distributor",
            "time_zone": "Asia/Bangkok",
        },
    )
    assert "password_confirm" in response.context["form"].errors
    assert not User.objects.filter(username="x").exists()


def test_signed_in_user_is_not_shown_the_sign_up_form(client, sign_in, buyer_user):
    sign_in(buyer_user)
    assert client.get(reverse("accounts:signup_sme")).status_code == 302


def test_switching_to_korean_shows_korean_navigation(client, sign_in, sme_user):
    sign_in(sme_user)
    page = client.get(reverse("catalog:dashboard")).content.decode()
    assert "My products" in page

    response = client.post(reverse("set_language"), {"language": "ko", "next": reverse("catalog:dashboard")})
    assert response.status_code == 302

    page = client.get(reverse("catalog:dashboard")).content.decode()
    assert 'lang="ko"' in page
    assert "내 제품" in page and "대시보드" in page
    assert "My products" not in page


def test_switching_back_to_english(client, sign_in, buyer_user):
    sign_in(buyer_user)
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    assert "카탈로그" in client.get(reverse("catalog:catalogue")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Catalogue" in client.get(reverse("catalog:catalogue")).content.decode()
