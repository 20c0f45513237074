"""The pipeline reports as XLSX workbooks: the dashboard (summary, every breakdown, the funnel and
the rates used), the deals behind a figure, and the per-fair report staff send to the city.
Written through tradeon.tabular, so every text cell is formula-safe; money is in whole won (a
number), with 억원 and USD beside it."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from matching.models import ConsultationFair, DealStage

from .money import MoneyTotal, format_eok
from .reports import Breakdown, DrillDown, FunnelStep, Report, Summary, describe_filters


def _won(value: Decimal) -> int:
    return int(value)


def _usd(total: MoneyTotal) -> Decimal | None:
    return total.usd


def _header_rows(as_of: dt.date, filters) -> list[list]:
    rows = [[_("As of"), as_of, ""]]
    for name, value in describe_filters(filters):
        rows.append([name, value, ""])
    return rows


def summary_rows(summary: Summary) -> list[list]:
    pipeline, signed = summary.pipeline, summary.signed
    return [
        [_("Consultation fairs held"), summary.fairs_held, ""],
        [_("Buyers met"), summary.buyers_met, ""],
        [_("Companies that met buyers"), summary.companies_met, ""],
        [_("Consultations held"), summary.consultations_held, ""],
        [_("Deals in the pipeline (open and signed)"), summary.pipeline_deals, ""],
        [_("Pipeline value (KRW)"), _won(pipeline.krw), pipeline.krw_text],
        [_("Pipeline value (억원)"), pipeline.eok, pipeline.eok_text],
        [_("Pipeline value (USD)"), _usd(pipeline), pipeline.usd_text],
        [_("Contracts signed"), summary.signed_deals, ""],
        [_("Signed value (KRW)"), _won(signed.krw), signed.krw_text],
        [_("Signed value (억원)"), signed.eok, signed.eok_text],
        [_("Signed value (USD)"), _usd(signed), signed.usd_text],
    ]


def _summary_sheet(as_of, summary: Summary):
    return (
        _("Summary"),
        [_("Figure"), _("Value"), _("Shown as")],
        _header_rows(as_of, summary.filters) + summary_rows(summary),
    )


def rates_sheet(rates):
    header = [_("Currency"), _("KRW per unit"), _("Valid from"), _("Source")]
    rows = [[rate.currency, rate.krw_per_unit, rate.valid_from, rate.source] for rate in rates]
    if not rows:
        rows = [[_("Only KRW amounts: no exchange rate was needed."), None, None, ""]]
    return (_("Rates used"), header, rows)


def breakdown_sheet(breakdown: Breakdown):
    meetings = breakdown.by != "stage"
    header = [
        {
            "fair": _("Fair"),
            "sector": _("Sector"),
            "country": _("Buyer country"),
            "stage": _("Stage"),
            "month": _("Month"),
        }[breakdown.by]
    ]
    if meetings:
        header += [_("Consultations held"), _("Buyers met"), _("Companies met")]
    header += [
        _("Deals"),
        _("Value (KRW)"),
        _("Value (억원)"),
        _("Value (USD)"),
        _("Contracts signed"),
        _("Signed value (KRW)"),
    ]
    if not meetings:
        header.append(_("In the pipeline"))

    def line(row):
        cells = [row.label]
        if meetings:
            cells += [row.consultations, row.buyers, row.companies]
        cells += [
            row.deals,
            _won(row.value.krw),
            row.value.eok,
            _usd(row.value),
            row.signed_deals,
            _won(row.signed.krw),
        ]
        if not meetings:
            cells.append(_("yes") if row.in_pipeline else _("no (lost)"))
        return cells

    total = line(breakdown.total)
    if not meetings:
        total[-1] = _("total of the pipeline stages")
    return (breakdown.title, header, [line(row) for row in breakdown.rows] + [total])


def funnel_sheet(steps: list[FunnelStep]):
    header = [
        _("Step"),
        _("Count"),
        # xgettext:no-python-format
        _("% of the step before"),
        # xgettext:no-python-format
        _("% of consultations held"),
    ]
    return (
        _("Funnel"),
        header,
        [[step.label, step.count, step.of_previous, step.of_first] for step in steps],
    )


def deals_sheet(drill: DrillDown):
    header = [
        _("Deal"),
        _("Title"),
        _("Company"),
        _("Company (Korean)"),
        _("Sector"),
        _("Buyer"),
        _("Buyer country"),
        _("Fair"),
        _("Month"),
        _("Stage"),
        _("Probability (%)"),
        _("Expected value"),
        _("Currency"),
        _("Value (KRW)"),
        _("Signed on"),
    ]
    rows = [
        [
            row.deal.pk,
            row.deal.title,
            row.deal.company.name_en,
            row.deal.company.name_ko,
            row.deal.company.sector.name_en,
            row.deal.buyer.name,
            str(row.deal.buyer.country.name),
            row.fair_name or _("No fair"),
            f"{row.month:%Y-%m}",
            str(DealStage(row.deal.stage).label),
            row.deal.probability,
            row.deal.expected_value,
            row.deal.currency,
            _won(row.krw),
            row.deal.signed_on,
        ]
        for row in drill.rows
    ]
    rows.append([_("Total"), _("%(count)d deals") % {"count": drill.count}, *[""] * 11, _won(drill.total.krw), ""])
    rows.append([_("Total (억원)"), format_eok(drill.total.krw), *[""] * 13])
    rows.append([_("Total (USD)"), drill.total.usd_text, *[""] * 13])
    return (_("Deals"), header, rows)


def report_xlsx(report: Report) -> bytes:
    """The dashboard as a workbook: summary, rates used, each breakdown, the funnel."""
    from tradeon.tabular import write_xlsx_sheets

    return write_xlsx_sheets(
        [
            _summary_sheet(report.as_of, report.summary),
            rates_sheet(report.rates),
            *(breakdown_sheet(breakdown) for breakdown in report.breakdowns.values()),
            funnel_sheet(report.funnel),
        ]
    )


def drilldown_xlsx(drill: DrillDown) -> bytes:
    from tradeon.tabular import write_xlsx_sheets

    return write_xlsx_sheets(
        [
            deals_sheet(drill),
            (_("Filters"), [_("Filter"), _("Value"), ""], _header_rows(drill.as_of, drill.filters)),
            rates_sheet(drill.rates),
        ]
    )


def fair_report_xlsx(fair: ConsultationFair, report: Report, drill: DrillDown) -> bytes:
    """The per-fair report: the fair, its figures, its breakdowns, its deals and the rates used."""
    from tradeon.tabular import write_xlsx_sheets

    facts = [
        [_("Fair"), fair.name, ""],
        [_("Dates"), f"{fair.starts_on or ''} – {fair.ends_on or ''}", ""],
        [_("Sectors"), ", ".join(sector.name_en for sector in fair.sectors.all()), ""],
        [_("Target countries"), ", ".join(str(country.name) for country in fair.target_countries), ""],
        [_("As of"), report.as_of, ""],
    ]
    return write_xlsx_sheets(
        [
            (_("Fair report"), [_("Figure"), _("Value"), _("Shown as")], facts + summary_rows(report.summary)),
            *(breakdown_sheet(report.breakdowns[by]) for by in ("sector", "country", "stage", "month")),
            funnel_sheet(report.funnel),
            deals_sheet(drill),
            rates_sheet(report.rates),
        ]
    )
