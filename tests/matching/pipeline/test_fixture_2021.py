"""The real service's 2021 figures (5 fairs, 204 buyers, 100 companies, 431 consultations, a
pipeline of 85.6 billion KRW = 856억원 in mixed currencies) come out exactly the same in the
selectors, the staff dashboard, the API and the XLSX export; and the management command loads
them once."""

import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from matching.models import Deal, DealChange, DealStage, ExchangeRate, Meeting
from matching.pipeline import reports
from matching.pipeline.fixture_2021 import (
    FAIRS,
    PIPELINE_KRW,
    REPORT_DATE,
    SIGNED_KRW,
    FixtureNotEmpty,
    build_2021_fixture,
)
from tests import factories

pytestmark = pytest.mark.django_db

FIGURES = {"fairs": "5", "buyers": "204", "companies": "100", "consultations": "431"}
JULY = dt.date(2021, 7, 1)


@pytest.fixture
def fixture_2021():
    return build_2021_fixture()


@pytest.fixture
def staff(client):
    user = factories.StaffUserFactory()
    client.force_login(user)
    return user


def read_xlsx(content: bytes) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in workbook.worksheets}


def test_the_fixture_produces_the_2021_figures(fixture_2021):
    for as_of in (None, REPORT_DATE):
        report = reports.report_build(as_of=as_of)
        summary = report.summary
        assert (summary.fairs_held, summary.buyers_met, summary.companies_met, summary.consultations_held) == (
            5,
            204,
            100,
            431,
        )
        assert summary.pipeline.krw == PIPELINE_KRW == Decimal(85_600_000_000)
        assert summary.pipeline.eok == Decimal("856.0")
        assert summary.pipeline.usd == Decimal("76014563.54")  # 85.6 billion / 1,126.10
        assert summary.signed.krw == SIGNED_KRW
        # Every rate the report used is the July 2021 one.
        assert {rate.valid_from for rate in report.rates} == {JULY}
        assert {rate.currency for rate in report.rates} == {"USD", "EUR", "JPY", "CNY", "VND", "THB", "MYR"}


def test_the_fixture_mixes_currencies_and_stages(fixture_2021):
    currencies = Counter(Deal.objects.values_list("currency", flat=True))
    assert set(currencies) == {"KRW", "USD", "EUR", "JPY", "CNY", "VND", "THB", "MYR"}
    stages = Counter(Deal.objects.values_list("stage", flat=True))
    assert stages[DealStage.LOST] > 0 and stages[DealStage.SIGNED] > 0
    # Each deal's history says it was imported as "consulted" and moved on from there.
    first_stages = DealChange.objects.filter(field="stage", old_value="", via="import")
    assert first_stages.count() == Deal.objects.count()
    assert set(first_stages.values_list("new_value", flat=True)) == {DealStage.CONSULTED}
    moved = Deal.objects.exclude(stage=DealStage.CONSULTED).count()
    assert DealChange.objects.filter(field="stage", old_value=DealStage.CONSULTED).count() == moved
    # Booked but not held: a no-show and a cancelled meeting per fair.
    assert Meeting.objects.count() == 431 + 2 * len(FAIRS)
    assert ExchangeRate.objects.filter(valid_from__year=2021).count() == 14
    # Names and dates are the briefing's fairs.
    names = [fair.name for fair in fixture_2021.fairs]
    assert "Household goods online export fair (Vietnam)" in names


def test_every_breakdown_of_the_fixture_adds_up_and_drills_down(fixture_2021):
    report = reports.report_build()
    for by, breakdown in report.breakdowns.items():
        assert breakdown.total.value.krw == PIPELINE_KRW, by
        if by != "stage":
            assert sum(row.consultations for row in breakdown.rows) == 431, by
        for row in breakdown.rows:
            drill = reports.deal_drilldown(filters=row.filters)
            assert (drill.count, drill.total.krw) == (row.deals, row.value.krw), (by, row.key)
    by_fair = report.breakdowns["fair"]
    assert [row.consultations for row in by_fair.rows[:5]] == [plan.consultations for plan in FAIRS]
    assert by_fair.rows[-1].key == reports.NO_FAIR


def test_an_earlier_date_gives_the_march_figures_at_january_rates(fixture_2021):
    report = reports.report_build(as_of=dt.date(2021, 3, 31))
    assert (report.summary.fairs_held, report.summary.consultations_held) == (1, 62)
    assert {rate.valid_from for rate in report.rates} == {dt.date(2021, 1, 4)}
    assert report.summary.pipeline.krw < PIPELINE_KRW


def test_the_dashboard_shows_the_2021_figures(client, staff, fixture_2021):
    response = client.get(reverse("pipeline:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for key, value in FIGURES.items():
        assert f'data-figure="{key}"' in html
        assert response.context["cards"][list(FIGURES).index(key)]["value"] == value
    assert "856.0억원" in html and "₩85,600,000,000" in html and "US$76,014,563.54" in html
    assert "<svg" in html and "chart-funnel" in html and "chart-trend" in html
    assert "2021-07-01" in html  # the rates it used
    for fair in FAIRS:
        assert escape(fair.name) in html


def test_the_api_shows_the_2021_figures(staff_client, fixture_2021):
    response = staff_client.get("/api/v1/pipeline/reports/summary/")
    assert response.status_code == 200
    body = response.json()
    summary = body["summary"]
    assert (summary["fairs_held"], summary["buyers_met"], summary["companies_met"], summary["consultations_held"]) == (
        5,
        204,
        100,
        431,
    )
    assert summary["pipeline"]["krw"] == "85600000000"
    assert summary["pipeline"]["eok"] == "856.0"
    assert summary["pipeline"]["eok_text"] == "856.0억원"
    assert summary["pipeline"]["usd"] == "76014563.54"
    assert {rate["valid_from"] for rate in body["rates"]} == {"2021-07-01"}
    deals = staff_client.get(summary["deals_url"]).json()
    assert deals["total"]["krw"] == "85600000000" and deals["count"] == summary["pipeline_deals"]
    by_fair = staff_client.get("/api/v1/pipeline/reports/breakdown/fair/").json()["breakdown"]
    assert by_fair["total"]["value"]["krw"] == "85600000000"
    assert [row["consultations"] for row in by_fair["rows"][:5]] == [plan.consultations for plan in FAIRS]


def test_the_xlsx_export_shows_the_2021_figures(client, staff, fixture_2021):
    response = client.get(reverse("pipeline:dashboard_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = read_xlsx(response.content)
    summary = {row[0]: row[1:] for row in sheets["Summary"]}
    assert summary["Consultation fairs held"][0] == 5
    assert summary["Buyers met"][0] == 204
    assert summary["Companies that met buyers"][0] == 100
    assert summary["Consultations held"][0] == 431
    assert summary["Pipeline value (KRW)"][0] == 85_600_000_000
    assert summary["Pipeline value (억원)"] == [856.0, "856.0억원"]
    assert summary["Pipeline value (USD)"][0] == pytest.approx(76014563.54)
    assert {row[2] for row in sheets["Rates used"][1:]} == {dt.datetime(2021, 7, 1)}
    by_fair = sheets["By fair"]
    assert by_fair[-1][0] == "Total" and by_fair[-1][1] == 431 and by_fair[-1][5] == 85_600_000_000
    from_api = client.get("/api/v1/pipeline/reports/export/")
    assert from_api.status_code == 200 and read_xlsx(from_api.content)["Summary"] == sheets["Summary"]


def test_the_fair_report_and_its_xlsx(client, staff, fixture_2021):
    fair = fixture_2021.fairs[2]  # Thailand
    plan = FAIRS[2]
    page = client.get(reverse("pipeline:fair_report", args=[fair.pk]))
    assert page.status_code == 200
    assert page.context["report"].summary.consultations_held == plan.consultations
    assert page.context["report"].summary.buyers_met == plan.buyers
    html = page.content.decode()
    assert fair.name in html and "@media print" not in html and "pipeline.css" in html
    workbook = read_xlsx(client.get(reverse("pipeline:fair_report_export", args=[fair.pk])).content)
    facts = {row[0]: row[1] for row in workbook["Fair report"]}
    assert facts["Fair"] == fair.name and facts["Consultations held"] == plan.consultations
    deals = workbook["Deals"]
    assert deals[-3][13] == page.context["drill"].total.krw


def test_the_load_command_loads_once(db):
    out = io.StringIO()
    call_command("load_2021_pipeline", stdout=out)
    assert "856.0억원" in out.getvalue() and "431" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("load_2021_pipeline", stdout=io.StringIO())
    with pytest.raises(FixtureNotEmpty):
        build_2021_fixture()
