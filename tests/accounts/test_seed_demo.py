"""`manage.py seed_demo`: the real service's scale, deterministic, valid rows, working demo logins."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from buyers.models import BuyerOrganisation, VerificationState
from catalog.models import Company, HSCode, Product, Sector
from catalog.services import product_search_text
from catalog.validators import brn_check_digit_ok
from matching.models import ConsultationFair, FairPhase
from matching.pipeline import reports
from tradeon.accounts.models import Role, User
from tradeon.demo_data import (
    DEMO_LOGINS,
    LIVE_FAIR_NAME,
    PUBLISHED_FAIR_NAME,
    UPCOMING_FAIR_NAME,
    vocabulary_hs_codes,
)

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _catalogue_fingerprint() -> list[tuple]:
    return list(
        Company.objects.order_by("business_registration_number").values_list(
            "business_registration_number", "name_ko", "name_en"
        )
    )


def test_seed_demo_loads_the_real_services_scale_with_valid_rows():
    _seed()

    assert Company.objects.count() == 502
    assert Product.objects.count() == 2226
    assert BuyerOrganisation.objects.count() == 468
    strategic = set(Sector.objects.filter(is_strategic=True).values_list("code", flat=True))
    assert strategic == {"it-ict", "medical", "beauty", "food", "household"}
    assert set(Company.objects.values_list("sector__code", flat=True)) == strategic
    assert set(Product.objects.values_list("company__sector__code", flat=True)) == strategic
    assert not Product.objects.exclude(hs_code__level=6).exists()
    assert all(
        brn_check_digit_ok(brn.replace("-", ""))
        for brn in Company.objects.values_list("business_registration_number", flat=True)
    )
    states = set(BuyerOrganisation.objects.values_list("verification_state", flat=True))
    assert states == {VerificationState.VERIFIED, VerificationState.PENDING, VerificationState.REJECTED}
    assert not BuyerOrganisation.objects.filter(
        verification_state=VerificationState.REJECTED, rejection_reason=""
    ).exists()
    for product in Product.objects.select_related("company").order_by("?")[:200]:
        assert product.search_text == product_search_text(product)
    # The bulk inserts set what the services would: listed, and the company's sector and award.
    listed = Product.objects.filter(status="published", company__status="published")
    assert set(Product.objects.filter(is_listed=True)) == set(listed) and listed.exists()
    assert not Product.objects.exclude(company_sector=F("company__sector")).exists()
    assert not Product.objects.exclude(company_seoul_award=F("company__seoul_award")).exists()
    # The upcoming fairs: one published with a schedule the demo SME and buyer are in, one open.
    published = ConsultationFair.objects.get(name=PUBLISHED_FAIR_NAME)
    assert published.phase == FairPhase.PUBLISHED and published.starts_on > date.today()
    sme, buyer = User.objects.get(username="sme"), User.objects.get(username="buyer")
    assert published.meetings.filter(status="scheduled", company=sme.company, buyer=buyer.buyer_organisation).exists()
    upcoming = ConsultationFair.objects.get(name=UPCOMING_FAIR_NAME)
    assert upcoming.phase == FairPhase.REQUESTS_OPEN
    assert upcoming.meeting_requests.filter(status="pending", company=sme.company).exists()
    # The fair running today: live, with the demo SME's meeting under way or next.
    today = ConsultationFair.objects.get(name=LIVE_FAIR_NAME)
    assert today.phase == FairPhase.LIVE and today.starts_on == timezone.localdate()
    assert today.meetings.filter(status="scheduled", company=sme.company, ends_at__gt=timezone.now()).exists()
    # The 2021 results as deals: the agency's own table, exactly, as of the end of 2021.
    figures, _rates = reports.summary(as_of=date(2021, 12, 31))
    assert (figures.fairs_held, figures.buyers_met, figures.companies_met, figures.consultations_held) == (
        5,
        204,
        100,
        431,
    )
    assert figures.pipeline.krw == 85_600_000_000


def test_every_vocabulary_hs_code_is_a_subheading_in_the_nomenclature():
    codes = vocabulary_hs_codes()
    assert HSCode.objects.filter(code__in=codes, level=6).count() == len(codes)


def test_seed_demo_is_deterministic_and_reset_reloads_it():
    _seed()
    first = _catalogue_fingerprint()
    buyers = list(BuyerOrganisation.objects.order_by("name").values_list("name", "country", "time_zone"))

    output = _seed("--reset")

    assert _catalogue_fingerprint() == first
    assert list(BuyerOrganisation.objects.order_by("name").values_list("name", "country", "time_zone")) == buyers
    assert Company.objects.count() == 502
    assert "tradeon-staff" in output


def test_seed_demo_without_reset_leaves_loaded_data_alone():
    _seed()
    before = _catalogue_fingerprint()

    output = _seed()

    assert "already loaded" in output
    assert _catalogue_fingerprint() == before


def test_demo_logins_authenticate_with_their_role():
    output = _seed()

    users = {}
    for login in DEMO_LOGINS:
        assert f"{login.username}" in output and login.password in output
        user = authenticate(username=login.username, password=login.password)
        assert user is not None, login.username
        assert user.role == login.role
        users[login.username] = user
    assert users["staff"].is_staff
    assert users["sme"].company.sector.code == "beauty"
    buyer = users["buyer"].buyer_organisation
    assert (buyer.country.code, buyer.verification_state) == ("MY", VerificationState.VERIFIED)
    assert buyer.sectors.filter(code="beauty").exists()
    assert users["newbuyer"].buyer_organisation.verification_state == VerificationState.PENDING
    assert {users[name].role for name in ("buyer", "newbuyer")} == {Role.BUYER}
