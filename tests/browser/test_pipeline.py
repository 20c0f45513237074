"""The pipeline in a real browser: after a meeting, the SME records its outcome (interest, next
step, the product discussed, an expected order of USD 250,000) on the outcomes page; staff see
the pipeline value on the dashboard grow by exactly that order at the dated USD rate, and the
new deal behind the figure."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import Deal, DealStage, ExchangeRate
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form:has(input[name=password])")).to_have_count(0)


@pytest.fixture
def met(transactional_db):
    """A meeting that ended an hour ago, an SME member with a product, staff, and the USD rate."""
    staff = factories.StaffUserFactory()
    sme = factories.SMEUserFactory(company__name_en="Hanbit Cosmetics")
    product = factories.ProductFactory(company=sme.company, name_en="Centella calming cream")
    buyer = factories.BuyerOrganisationFactory(name="Siam Beauty Retail", country="TH")
    ended = timezone.now() - dt.timedelta(hours=1)
    meeting = factories.PublishedMeetingFactory(
        company=sme.company, buyer=buyer, starts_at=ended - dt.timedelta(minutes=30), ends_at=ended
    )
    ExchangeRate.objects.create(currency="USD", valid_from=dt.date(2026, 1, 2), krw_per_unit=Decimal("1400.00"))
    return {"staff": staff, "sme": sme, "product": product, "meeting": meeting}


def test_an_outcome_recorded_by_the_sme_moves_the_pipeline_value_on_the_staff_dashboard(browser, live_server, met):
    contexts = [browser.new_context(base_url=live_server.url, locale="en-US") for _ in range(2)]
    try:
        staff_page, sme_page = (context.new_page() for context in contexts)
        sign_in(staff_page, met["staff"])
        staff_page.goto("/pipeline/dashboard/")
        pipeline = staff_page.locator('[data-figure="pipeline"] .kpi-value')
        expect(pipeline).to_have_text("0.0억원")

        sign_in(sme_page, met["sme"])
        sme_page.goto("/pipeline/outcomes/")
        form = sme_page.locator("form.outcome-form").first
        form.get_by_label("High").check()
        form.get_by_label("Next step").select_option("samples")
        form.get_by_label("Centella calming cream").check()
        form.get_by_label("Expected order value").fill("250000")
        form.get_by_label("Currency").select_option("USD")
        form.get_by_role("button", name="Save outcome").click()
        expect(sme_page.locator(".messages")).to_contain_text("outcome", ignore_case=True)

        deal = Deal.objects.get(company=met["sme"].company)
        assert (deal.stage, deal.expected_value, deal.currency) == (DealStage.FOLLOW_UP, Decimal("250000.00"), "USD")
        assert list(deal.meetings.all()) == [met["meeting"]]

        # USD 250,000 x 1,400 = 350,000,000 KRW = 3.5억원
        staff_page.reload()
        expect(pipeline).to_have_text("3.5억원")
        staff_page.locator('[data-figure="pipeline"]').click()
        expect(staff_page.locator("body")).to_contain_text("Hanbit Cosmetics")
        expect(staff_page.locator("body")).to_contain_text("Siam Beauty Retail")
    finally:
        for context in contexts:
            context.close()
