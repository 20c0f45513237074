"""The report selectors on a small hand-made world: what a held consultation is, the pipeline
value in whole won (open and signed, not lost), a deal's fair and month (its earliest meeting,
in Seoul time), breakdowns that add up, every row drilling down to exactly its deals, the
funnel, an earlier as-of date with its own rates, and the filters' refusals."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Sector
from matching.models import Deal, ExchangeRate, MeetingOutcome
from matching.pipeline import reports
from matching.scheduler import SEOUL
from tests import factories
from tradeon.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db

JAN, JUL = dt.date(2021, 1, 4), dt.date(2021, 7, 1)


def seoul(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


def meeting(fair, company, buyer, starts_at, **fields):
    return factories.PublishedMeetingFactory(
        fair=fair,
        company=company,
        buyer=buyer,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
        **fields,
    )


def deal(company, buyer, meetings, value, currency, stage, **fields):
    made = Deal.objects.create(
        company=company,
        buyer=buyer,
        expected_value=Decimal(value),
        currency=currency,
        stage=stage,
        lost_reason="price" if stage == "lost" else "",
        **fields,
    )
    made.meetings.add(*meetings)
    return made


@dataclass
class World:
    fair_a: object
    fair_b: object
    fair_c: object
    alpha: object
    bravo: object
    siam: object
    liberty: object
    kl: object
    meetings: dict
    deals: dict


@pytest.fixture
def world() -> World:
    for currency, day, value in [("USD", JAN, "1000"), ("USD", JUL, "1100"), ("THB", JAN, "30")]:
        ExchangeRate.objects.create(currency=currency, valid_from=day, krw_per_unit=Decimal(value))
    beauty, medical = Sector.objects.get(code="beauty"), Sector.objects.get(code="medical")
    fair_a = factories.FairFactory(name="Beauty (Thailand)", starts_on=dt.date(2021, 5, 10), phase="follow_up")
    fair_b = factories.FairFactory(
        name="Medical (USA)", starts_on=dt.date(2021, 6, 1), phase="follow_up", sectors=[medical], rooms=0
    )
    fair_c = factories.FairFactory(name="Today's fair", phase="live", rooms=0)
    alpha = factories.CompanyFactory(name_en="Alpha Cosmetics", sector=beauty)
    bravo = factories.CompanyFactory(name_en="Bravo Medical", sector=medical)
    siam = factories.BuyerOrganisationFactory(name="Siam Retail", country="TH")
    liberty = factories.BuyerOrganisationFactory(name="Liberty Supply", country="US")
    kl = factories.BuyerOrganisationFactory(name="KL Beauty", country="MY")
    now = timezone.now()
    m = {
        "m1": meeting(fair_a, alpha, siam, seoul(2021, 5, 10, 10)),
        "m2": meeting(fair_a, alpha, kl, seoul(2021, 5, 10, 11)),
        # 00:30 in Seoul on 1 June is still 31 May in UTC: the month is June.
        "m3": meeting(fair_b, bravo, liberty, seoul(2021, 6, 1, 0, 30)),
        "cancelled": meeting(fair_b, bravo, siam, seoul(2021, 6, 1, 9), status="cancelled"),
        "no_show": meeting(fair_b, bravo, kl, seoul(2021, 6, 1, 10), live_state="no_show", no_show_side="buyer"),
        "future": meeting(fair_c, alpha, liberty, now + dt.timedelta(days=2)),
        "draft": meeting(fair_c, alpha, kl, now - dt.timedelta(days=3), status="draft", published_at=None),
        # Completed live before its scheduled end: held already.
        "early": meeting(fair_c, bravo, liberty, now - dt.timedelta(minutes=10), live_state="completed"),
    }
    d = {
        "d1": deal(alpha, siam, [m["m1"]], "1000.50", "USD", "follow_up"),  # 1,100,550 won in July
        "d2": deal(alpha, kl, [m["m2"]], "10000.01", "THB", "signed"),  # 300,000.3 -> 300,000
        "d3": deal(bravo, liberty, [m["early"], m["m3"]], "5000000", "KRW", "negotiation"),
        "d4": deal(bravo, siam, [], "2000000.40", "KRW", "consulted"),  # no meetings: no fair
        "d5": deal(alpha, siam, [m["m1"]], "999", "USD", "lost"),
    }
    Deal.objects.filter(pk__in=[d[k].pk for k in ("d1", "d2", "d3", "d5")]).update(created_at=seoul(2021, 6, 15, 12))
    return World(fair_a, fair_b, fair_c, alpha, bravo, siam, liberty, kl, m, d)


def test_held_consultations_are_published_not_cancelled_ended_and_not_no_shows(world):
    summary, _ = reports.summary()
    # m1, m2, m3 and the one completed live early; not the cancelled, no-show, future or draft ones.
    assert summary.consultations_held == 4
    assert summary.fairs_held == 3
    assert summary.buyers_met == 3  # Siam, KL, Liberty
    assert summary.companies_met == 2


def test_the_pipeline_adds_open_and_signed_deals_in_whole_won(world):
    summary, used = reports.summary()
    assert summary.pipeline.krw == Decimal(1_100_550 + 300_000 + 5_000_000 + 2_000_000)
    assert summary.pipeline.usd == Decimal("7636.86")  # 8,400,550 / 1,100
    assert summary.pipeline.eok == Decimal("0.1")
    assert (summary.pipeline_deals, summary.open_deals, summary.signed_deals) == (4, 3, 1)
    assert summary.signed.krw == Decimal(300_000)
    assert [(rate.currency, rate.valid_from) for rate in used] == [("THB", JAN), ("USD", JUL)]


def test_a_deal_belongs_to_the_fair_and_month_of_its_earliest_meeting(world):
    report = reports.report_build()
    by_fair = {row.label: (row.consultations, row.deals, row.value.krw) for row in report.breakdowns["fair"].rows}
    assert by_fair == {
        "Beauty (Thailand)": (2, 2, Decimal(1_400_550)),
        "Medical (USA)": (1, 1, Decimal(5_000_000)),  # d3's earliest meeting is m3, not today's
        "Today's fair": (1, 0, Decimal(0)),
        "No fair (deals without meetings)": (0, 1, Decimal(2_000_000)),
    }
    this_month = f"{timezone.localdate():%Y-%m}"
    by_month = {row.key: (row.consultations, row.deals) for row in report.breakdowns["month"].rows}
    assert by_month == {"2021-05": (2, 2), "2021-06": (1, 1), this_month: (1, 1)}


def test_every_breakdown_adds_up_to_the_summary(world):
    report = reports.report_build()
    pipeline = report.summary.pipeline.krw
    for by, breakdown in report.breakdowns.items():
        assert breakdown.total.value.krw == pipeline, by
        in_pipeline = [row for row in breakdown.rows if row.in_pipeline]
        assert sum(row.value.krw for row in in_pipeline) == pipeline, by
    lost = next(row for row in report.breakdowns["stage"].rows if row.key == "lost")
    assert (lost.in_pipeline, lost.deals, lost.value.krw) == (False, 1, Decimal(1_098_900))


def test_every_figure_drills_down_to_exactly_its_deals(world):
    report = reports.report_build()
    for breakdown in report.breakdowns.values():
        for row in [*breakdown.rows, breakdown.total]:
            drill = reports.deal_drilldown(filters=row.filters)
            assert (drill.count, drill.total.krw) == (row.deals, row.value.krw), (breakdown.by, row.key)
    signed = reports.deal_drilldown(filters=reports.ReportFilters(stage="signed"))
    assert [row.deal for row in signed.rows] == [world.deals["d2"]]


def test_the_funnel_runs_from_held_consultations_to_signed_contracts(world):
    MeetingOutcome.objects.create(meeting=world.meetings["m1"], side="sme", interest="high", next_step="samples")
    MeetingOutcome.objects.create(meeting=world.meetings["m1"], side="buyer", interest="high", next_step="samples")
    MeetingOutcome.objects.create(meeting=world.meetings["cancelled"], side="sme", interest="low", next_step="none")
    steps = {step.key: step for step in reports.funnel()}
    assert {key: step.count for key, step in steps.items()} == {
        "held": 4,
        "outcome": 1,
        "deals": 5,
        "follow_up": 3,
        "negotiation": 2,
        "signed": 1,
    }
    assert steps["outcome"].of_previous == Decimal("25.0")
    drill = reports.deal_drilldown(filters=steps["negotiation"].filters)
    assert {row.deal for row in drill.rows} == {world.deals["d2"], world.deals["d3"]}
    from_meetings = reports.deal_drilldown(filters=steps["held"].filters)
    assert {row.deal for row in from_meetings.rows} == {world.deals[k] for k in ("d1", "d2", "d3", "d5")}


def test_an_earlier_as_of_date_uses_the_rates_then_and_leaves_later_things_out(world):
    report = reports.report_build(as_of=dt.date(2021, 6, 30))
    summary = report.summary
    assert summary.consultations_held == 3  # not today's
    # d1 at the January USD rate (1,000.50 x 1,000), d2, d3; not d4 (created today).
    assert summary.pipeline.krw == Decimal(1_000_500 + 300_000 + 5_000_000)
    assert [(rate.currency, rate.valid_from) for rate in report.rates] == [("THB", JAN), ("USD", JAN)]
    assert report.as_of == dt.date(2021, 6, 30)


def test_a_currency_without_a_rate_stops_the_report_with_its_name(world):
    deal(world.alpha, world.siam, [], "100", "EUR", "consulted")
    with pytest.raises(DomainError) as refused:
        reports.report_build()
    assert "EUR" in refused.value.message and timezone.localdate().isoformat() in refused.value.message


def test_filters_narrow_meetings_and_deals_alike(world):
    summary, _ = reports.summary(filters=reports.ReportFilters(country="TH"))
    assert (summary.consultations_held, summary.buyers_met) == (1, 1)
    assert summary.pipeline.krw == Decimal(1_100_550 + 2_000_000)
    by_sector, _ = reports.summary(filters=reports.ReportFilters(sector="medical"))
    assert (by_sector.consultations_held, by_sector.pipeline.krw) == (2, Decimal(7_000_000))
    no_fair, _ = reports.summary(filters=reports.ReportFilters(no_fair=True))
    assert (no_fair.consultations_held, no_fair.pipeline.krw) == (0, Decimal(2_000_000))


def test_filters_come_from_parameters_and_go_back_into_links(world):
    params = {"fair": str(world.fair_a.pk), "sector": "beauty", "country": "th", "stage": "open", "month": "2021-05"}
    filters = reports.parse_filters(params)
    assert filters.country == "TH" and filters.month == dt.date(2021, 5, 1)
    assert reports.parse_filters(filters.params()) == filters
    assert reports.parse_filters({"fair": "none", "met": "1"}) == reports.ReportFilters(no_fair=True, met=True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fair": "abc"}, "fair"),
        ({"fair": "999999"}, "fair"),
        ({"sector": "nope"}, "sector"),
        ({"country": "ZZ"}, "country"),
        ({"stage": "won"}, "stage"),
        ({"reached": "lost"}, "reached"),
        ({"month": "2021-13"}, "month"),
        ({"month": "9999-12"}, "month"),
        ({"fair": "9" * 30}, "fair"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(params, field, db):
    with pytest.raises(DomainError) as refused:
        reports.parse_filters(params)
    assert refused.value.field == field


@pytest.mark.parametrize("text", ["31/08/2021", "2021-02-30", "9999-12-31", "0001-01-01"])
def test_a_bad_as_of_date_is_refused(text):
    with pytest.raises(DomainError) as refused:
        reports.parse_as_of(text)
    assert refused.value.field == "as_of"


def test_an_sme_and_a_buyer_see_only_their_own_pipeline(world):
    sme = factories.SMEUserFactory(company=world.alpha)
    buyer = factories.BuyerUserFactory(buyer_organisation=world.siam)
    own = reports.own_pipeline(user=sme)
    assert (own.party_name, own.pipeline_deals, own.pipeline.krw) == ("Alpha Cosmetics", 2, Decimal(1_400_550))
    assert [(stage, count) for stage, _, count, _ in own.by_stage] == [("follow_up", 1), ("signed", 1), ("lost", 1)]
    theirs = reports.own_pipeline(user=buyer)
    assert (theirs.pipeline_deals, theirs.pipeline.krw) == (2, Decimal(3_100_550))
    with pytest.raises(NotAllowed):
        reports.own_pipeline(user=factories.StaffUserFactory())
