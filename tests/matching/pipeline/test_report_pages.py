"""The report pages and API from the side of who must be refused (SMEs, buyers and anonymous
visitors off the staff dashboard, drill-down, fair report, exports and rates; an SME sees only its
own pipeline), and what staff get: figures that link to their deals, errors shown in place, and
formula-safe XLSX files."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from matching.models import Deal, ExchangeRate
from tests import factories

pytestmark = pytest.mark.django_db

JUL = dt.date(2021, 7, 1)


@pytest.fixture
def usd_rate():
    return ExchangeRate.objects.create(currency="USD", valid_from=JUL, krw_per_unit=Decimal("1126.10"))


def held_meeting(company, buyer, **fields):
    starts_at = dt.datetime(2021, 5, 11, 1, tzinfo=dt.UTC)
    fair = fields.pop("fair", None) or factories.FairFactory(starts_on=dt.date(2021, 5, 11), phase="follow_up")
    return factories.PublishedMeetingFactory(
        fair=fair, company=company, buyer=buyer, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=40)
    )


def make_deal(company, buyer, value="100000", currency="USD", stage="consulted", meetings=()):
    deal = Deal.objects.create(
        company=company, buyer=buyer, expected_value=Decimal(value), currency=currency, stage=stage
    )
    deal.meetings.add(*meetings)
    return deal


@pytest.fixture
def two_smes(usd_rate):
    """Two SMEs with a deal each, with the same buyer; each has a member."""
    buyer = factories.BuyerOrganisationFactory(name="Siam Retail")
    mine, theirs = factories.CompanyFactory(name_en="Hanbit Cosmetics"), factories.CompanyFactory(name_en="Other Co")
    meeting = held_meeting(mine, buyer)
    make_deal(mine, buyer, "100000", meetings=[meeting])  # 112,610,000 won
    make_deal(theirs, buyer, "900000", stage="signed")  # 1,013,490,000 won
    return {
        "sme": factories.SMEUserFactory(company=mine),
        "buyer_user": factories.BuyerUserFactory(buyer_organisation=buyer),
        "other_buyer_user": factories.BuyerUserFactory(),
        "fair": meeting.fair,
    }


def staff_pages(fair_id: int) -> list[str]:
    return [
        reverse("pipeline:dashboard"),
        reverse("pipeline:dashboard_export"),
        reverse("pipeline:dashboard_deals") + "?stage=all",
        reverse("pipeline:dashboard_deals_export"),
        reverse("pipeline:fair_report", args=[fair_id]),
        reverse("pipeline:fair_report_export", args=[fair_id]),
        reverse("pipeline:exchange_rates"),
    ]


STAFF_API = [
    "/api/v1/pipeline/reports/summary/",
    "/api/v1/pipeline/reports/breakdown/fair/",
    "/api/v1/pipeline/reports/funnel/",
    "/api/v1/pipeline/reports/deals/",
    "/api/v1/pipeline/reports/export/",
]


# --- refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sme", "buyer_user"])
def test_smes_and_buyers_get_403_from_every_staff_report_page(client, two_smes, who):
    client.force_login(two_smes[who])
    for url in staff_pages(two_smes["fair"].pk):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in_from_every_report_page(client, two_smes):
    for url in [*staff_pages(two_smes["fair"].pk), reverse("pipeline:my_pipeline")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


@pytest.mark.parametrize("who", ["sme", "buyer_user"])
def test_smes_and_buyers_get_403_from_the_report_api(client, two_smes, who):
    client.force_login(two_smes[who])
    fair_id = two_smes["fair"].pk
    for url in [
        *STAFF_API,
        f"/api/v1/pipeline/reports/fairs/{fair_id}/",
        f"/api/v1/pipeline/reports/fairs/{fair_id}/export/",
    ]:
        assert client.get(url).status_code == 403, url


def test_anonymous_callers_get_nothing_from_the_report_api(api_client, two_smes):
    for url in [*STAFF_API, "/api/v1/pipeline/mine/"]:
        assert api_client.get(url).status_code in (401, 403), url


def test_an_sme_sees_only_its_own_pipeline(client, two_smes):
    client.force_login(two_smes["sme"])
    page = client.get(reverse("pipeline:my_pipeline"))
    assert page.status_code == 200
    own = page.context["own"]
    assert (own.party_name, own.pipeline_deals, own.pipeline.krw) == ("Hanbit Cosmetics", 1, Decimal(112_610_000))
    html = page.content.decode()
    assert "₩112,610,000" in html and "1,013,490,000" not in html and "Other Co" not in html
    api = client.get("/api/v1/pipeline/mine/").json()
    assert (api["party_name"], api["pipeline_deals"], api["pipeline"]["krw"]) == ("Hanbit Cosmetics", 1, "112610000")


def test_a_buyer_sees_its_organisations_pipeline_and_an_outsider_nothing(client, two_smes):
    client.force_login(two_smes["buyer_user"])
    api = client.get("/api/v1/pipeline/mine/").json()
    assert (api["pipeline_deals"], api["pipeline"]["krw"], api["signed_deals"]) == (2, "1126100000", 1)
    client.force_login(two_smes["other_buyer_user"])
    api = client.get("/api/v1/pipeline/mine/").json()
    assert (api["pipeline_deals"], api["pipeline"]["krw"]) == (0, "0")


def test_staff_have_no_own_pipeline(client, staff_client, two_smes):
    assert staff_client.get("/api/v1/pipeline/mine/").status_code == 403
    client.force_login(factories.StaffUserFactory())
    response = client.get(reverse("pipeline:my_pipeline"))
    assert response.status_code == 302 and response["Location"] == reverse("pipeline:dashboard")


# --- staff -------------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = factories.StaffUserFactory()
    client.force_login(user)
    return user


def test_every_dashboard_figure_links_to_the_deals_behind_it(client, staff, two_smes):
    response = client.get(reverse("pipeline:dashboard"))
    assert response.status_code == 200
    cards = {card["key"]: card for card in response.context["cards"]}
    assert cards["pipeline"]["value"] == "11.3억원"  # 1,126,100,000 won
    signed = client.get(cards["signed"]["url"])
    assert [row.deal.company.name_en for row in signed.context["rows"]] == ["Other Co"]
    for section in response.context["breakdowns"]:
        for item in section["rows"]:
            drill = client.get(item["url"]).context["drill"]
            assert (drill.count, drill.total.krw) == (item["row"].deals, item["row"].value.krw)
    html = response.content.decode()
    assert html.count('class="chart-link"') >= 6  # bars, funnel steps and trend dots are links


def test_bad_parameters_are_shown_on_the_page_not_a_500(client, staff, two_smes):
    response = client.get(reverse("pipeline:dashboard"), {"month": "May"})
    assert response.status_code == 400
    assert "Give the month as YYYY-MM" in response.content.decode()
    response = client.get(reverse("pipeline:dashboard_deals"), {"as_of": "yesterday"})
    assert response.status_code == 400


def test_a_missing_rate_is_explained_with_a_link_to_the_rates_page(client, staff, two_smes):
    make_deal(two_smes["sme"].company, factories.BuyerOrganisationFactory(), "10", currency="EUR")
    response = client.get(reverse("pipeline:dashboard"))
    html = response.content.decode()
    assert "There is no exchange rate for EUR" in html and reverse("pipeline:exchange_rates") in html
    api = client.get("/api/v1/pipeline/reports/summary/")
    assert api.status_code == 400 and "EUR" in api.json()["detail"]


def test_exports_are_formula_safe(client, staff, usd_rate):
    hostile = factories.CompanyFactory(name_en='=HYPERLINK("http://evil.example","x")', name_ko="@SUM(A1)")
    make_deal(hostile, factories.BuyerOrganisationFactory(name="+cmd|' /C calc'!A0"), "100")
    from openpyxl import load_workbook

    content = client.get(reverse("pipeline:dashboard_deals_export")).content
    workbook = load_workbook(io.BytesIO(content))
    deals = workbook["Deals"]
    cells = [cell for row in deals.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert '\'=HYPERLINK("http://evil.example","x")' in values and "'@SUM(A1)" in values
    assert "'+cmd|' /C calc'!A0" in values


def test_the_per_fair_report_is_printable(client, staff, two_smes):
    response = client.get(reverse("pipeline:fair_report", args=[two_smes["fair"].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "window.print()" in html and "print-only" in html and "css/pipeline.css" in html
    assert "Hanbit Cosmetics" in html and "Other Co" not in html  # only the fair's deals
