"""Reports of the export-contract pipeline (수출계약 추진액) for staff and the city: the agency's
summary, the same broken down by fair, sector, buyer country, stage and month, the funnel from
meetings to signed contracts, and the deals behind every figure. Reads only.

Definitions (the dashboard, the API and the XLSX files all use these):

- A report has an as-of date (Seoul). Its exchange rates are those in force on that date
  (`money.rate_book`), and it lists them. Its cut-off is the end of that day or now, whichever
  is earlier: meetings are counted if held by then, deals if created by then, each deal at its
  current stage and value.
- A *held consultation* is a published meeting that was not cancelled (status "scheduled",
  `published_at` set), is not a no-show, and has ended by the cut-off (or was completed live
  by then, even before its scheduled end). A fair is *held* once it has one held consultation;
  buyers and companies *met* are those of held consultations.
- The *pipeline value* adds up open and signed deals (`PIPELINE_STAGES`); lost deals are left
  out. Each deal is converted to whole won and the whole won added up (see `money`).
- A deal's *fair* is the fair of its earliest meeting (deals without meetings: "no fair"); its
  *month* is the month (Seoul time) of its earliest meeting, or of its creation without one.
- The funnel counts current stages: a deal "past consulted" is now in follow-up or later,
  lost deals count as deals but not beyond. A lost deal's furthest stage is not reconstructed.

Every figure carries the filters that select the deals behind it (`ReportFilters`), which the
drill-down page and the API's deals endpoint take.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from catalog.models import Sector
from matching.models import (
    OPEN_STAGES,
    PIPELINE_STAGES,
    ConsultationFair,
    Deal,
    DealStage,
    ExchangeRate,
    LiveState,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
)
from matching.scheduler import SEOUL
from tradeon.errors import DomainError

from .money import MoneyTotal, RateBook, money_total, rate_book

NO_FAIR = "none"
# Dates a report may be asked for: the service started in 2021; the bounds keep date arithmetic
# (the end of the as-of day, the next month) far from the calendar's ends.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
BREAKDOWNS = ("fair", "sector", "country", "stage", "month")
# The order deals move along; `reached=<stage>` selects deals now at that stage or further.
STAGE_ORDER = (
    DealStage.CONSULTED,
    DealStage.FOLLOW_UP,
    DealStage.SAMPLES_QUOTATION,
    DealStage.NEGOTIATION,
    DealStage.SIGNED,
)
STAGE_GROUPS = {
    "pipeline": tuple(PIPELINE_STAGES),
    "open": tuple(OPEN_STAGES),
    "all": tuple(DealStage.values),
}


def _stage_group_labels() -> dict[str, str]:
    return {"pipeline": _("Open and signed"), "open": _("Open"), "all": _("All stages")}


# --- Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """What a report or drill-down is narrowed to. Empty means "all". `stage` is a DealStage or a
    group (pipeline, open, all); money figures default to the pipeline (open and signed)."""

    fair: int | None = None
    no_fair: bool = False
    sector: str = ""
    country: str = ""
    stage: str = ""
    reached: str = ""
    month: dt.date | None = None
    met: bool = False

    def params(self) -> dict[str, str]:
        """The query-string parameters that recreate these filters (what the links carry)."""
        values = {
            "fair": NO_FAIR if self.no_fair else (str(self.fair) if self.fair else ""),
            "sector": self.sector,
            "country": self.country,
            "stage": self.stage,
            "reached": self.reached,
            "month": f"{self.month:%Y-%m}" if self.month else "",
            "met": "1" if self.met else "",
        }
        return {key: value for key, value in values.items() if value}

    def query(self, **extra) -> str:
        params = self.params()
        params.update({key: str(value) for key, value in extra.items() if value not in (None, "")})
        return urlencode(params)

    def narrowed(self, **changes) -> "ReportFilters":
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return not self.params()

    def stages(self, default: str = "pipeline") -> tuple[str, ...]:
        """The stages a deal may be in to count: the stage filter (or `default`) and `reached`."""
        chosen = self.stage or default
        stages = STAGE_GROUPS.get(chosen, (chosen,))
        if self.reached:
            further = STAGE_ORDER[STAGE_ORDER.index(self.reached) :]
            stages = tuple(stage for stage in stages if stage in further)
        return stages


def parse_filters(params: Mapping) -> ReportFilters:
    """Filters from query parameters (page or API); a bad value is a DomainError naming it."""

    def value(name: str) -> str:
        return (params.get(name) or "").strip()

    fair_text, fair, no_fair = value("fair"), None, False
    if fair_text == NO_FAIR:
        no_fair = True
    elif fair_text:
        known = fair_text.isdigit() and len(fair_text) <= 12
        if not known or not ConsultationFair.objects.filter(pk=int(fair_text)).exists():
            raise DomainError(_("There is no fair %(fair)s.") % {"fair": fair_text}, field="fair")
        fair = int(fair_text)
    sector = value("sector")
    if sector and not Sector.objects.filter(code=sector).exists():
        raise DomainError(_("There is no sector %(sector)s.") % {"sector": sector}, field="sector")
    country = value("country").upper()
    if country and country not in dict(countries):
        raise DomainError(_("%(country)s is not a country code.") % {"country": country}, field="country")
    stage = value("stage")
    if stage and stage not in DealStage.values and stage not in STAGE_GROUPS:
        raise DomainError(
            _("Unknown stage %(stage)s; use one of %(choices)s.")
            % {"stage": stage, "choices": ", ".join([*DealStage.values, *STAGE_GROUPS])},
            field="stage",
        )
    reached = value("reached")
    if reached and reached not in STAGE_ORDER:
        raise DomainError(
            _("Unknown stage %(stage)s; use one of %(choices)s.")
            % {"stage": reached, "choices": ", ".join(STAGE_ORDER)},
            field="reached",
        )
    month = None
    if month_text := value("month"):
        try:
            month = dt.datetime.strptime(month_text, "%Y-%m").date()
        except ValueError:
            raise DomainError(_("Give the month as YYYY-MM, e.g. 2021-05."), field="month") from None
        if not EARLIEST_YEAR <= month.year <= LATEST_YEAR:
            raise DomainError(
                _("Give a month between %(first)d and %(last)d.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
                field="month",
            )
    met = value("met").lower() in ("1", "true", "yes", "on")
    return ReportFilters(
        fair=fair,
        no_fair=no_fair,
        sector=sector,
        country=country,
        stage=stage,
        reached=reached,
        month=month,
        met=met,
    )


def parse_as_of(text: str | None) -> dt.date:
    """The as-of date of a report: YYYY-MM-DD, or today in Seoul."""
    text = (text or "").strip()
    if not text:
        return timezone.localdate()
    try:
        as_of = dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(_("Give the as-of date as YYYY-MM-DD, e.g. 2021-08-31."), field="as_of") from None
    if not EARLIEST_YEAR <= as_of.year <= LATEST_YEAR:
        raise DomainError(
            _("Give a date between %(first)d and %(last)d.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
            field="as_of",
        )
    return as_of


def cutoff_of(as_of: dt.date) -> dt.datetime:
    """The end of the as-of day in Seoul, or now if that is earlier."""
    end_of_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), SEOUL)
    return min(end_of_day, timezone.now())


def _month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month.replace(day=1), dt.time(), SEOUL)
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time(), SEOUL)


def _month_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SEOUL).date().replace(day=1)


# --- Querysets ---------------------------------------------------------------------------------------


def held_meetings(*, cutoff: dt.datetime) -> QuerySet:
    """Held consultations by `cutoff` (see the module docstring)."""
    return (
        Meeting.objects.filter(status=MeetingStatus.SCHEDULED, published_at__isnull=False)
        .exclude(live_state=LiveState.NO_SHOW)
        .filter(Q(ends_at__lte=cutoff) | Q(live_state=LiveState.COMPLETED, starts_at__lte=cutoff))
    )


def _filtered_meetings(filters: ReportFilters, *, cutoff: dt.datetime) -> QuerySet:
    meetings = held_meetings(cutoff=cutoff)
    if filters.no_fair:
        return meetings.none()  # every meeting belongs to a fair
    if filters.fair:
        meetings = meetings.filter(fair_id=filters.fair)
    return _filter_sector_country_month(meetings, filters, month_field="starts_at")


def _filter_sector_country_month(queryset: QuerySet, filters: ReportFilters, *, month_field: str) -> QuerySet:
    """Meetings or deals (both have a company and a buyer) of the filters' sector, country and
    month, the month taken from `month_field`."""
    if filters.sector:
        queryset = queryset.filter(company__sector__code=filters.sector)
    if filters.country:
        queryset = queryset.filter(buyer__country=filters.country)
    if filters.month:
        start, end = _month_range(filters.month)
        queryset = queryset.filter(**{f"{month_field}__gte": start, f"{month_field}__lt": end})
    return queryset


def deal_queryset(filters: ReportFilters, *, cutoff: dt.datetime, stages: tuple[str, ...] | None = None) -> QuerySet:
    """Deals created by `cutoff` matching `filters` (every stage unless `stages`), annotated with
    `first_fair_id` and `month_at` (their earliest meeting's start, or their creation)."""
    earliest = Meeting.objects.filter(deals=OuterRef("pk")).order_by("starts_at", "id")
    deals = Deal.objects.filter(created_at__lte=cutoff).annotate(
        first_fair_id=Subquery(earliest.values("fair_id")[:1]),
        month_at=Coalesce(
            Subquery(earliest.values("starts_at")[:1], output_field=DateTimeField()),
            "created_at",
            output_field=DateTimeField(),
        ),
    )
    if filters.no_fair:
        deals = deals.filter(first_fair_id__isnull=True)
    elif filters.fair:
        deals = deals.filter(first_fair_id=filters.fair)
    deals = _filter_sector_country_month(deals, filters, month_field="month_at")
    if filters.met:
        deals = deals.filter(Exists(held_meetings(cutoff=cutoff).filter(deals=OuterRef("pk"))))
    if stages is not None:
        deals = deals.filter(stage__in=stages)
    return deals


# --- Results ---------------------------------------------------------------------------------------


@dataclass
class Summary:
    fairs_held: int
    buyers_met: int
    companies_met: int
    consultations_held: int
    pipeline_deals: int
    pipeline: MoneyTotal
    open_deals: int
    signed_deals: int
    signed: MoneyTotal
    filters: ReportFilters


@dataclass
class BreakdownRow:
    """One row of a breakdown: its meetings (None where they do not apply, e.g. stages), its
    deals and their value, its signed contracts, and the filters of the deals behind it."""

    key: str
    label: str
    filters: ReportFilters
    consultations: int | None
    buyers: int | None
    companies: int | None
    deals: int
    value: MoneyTotal
    signed_deals: int
    signed: MoneyTotal
    in_pipeline: bool = True


@dataclass
class Breakdown:
    by: str
    title: str
    rows: list[BreakdownRow]
    total: BreakdownRow


@dataclass
class FunnelStep:
    key: str
    label: str
    count: int
    filters: ReportFilters
    of_previous: Decimal | None  # percent of the step before, one decimal
    of_first: Decimal | None


@dataclass
class DealRow:
    deal: Deal
    fair_id: int | None
    fair_name: str
    month: dt.date
    krw: Decimal


@dataclass
class Report:
    """Everything the dashboard shows for one as-of date and set of filters."""

    as_of: dt.date
    cutoff: dt.datetime
    filters: ReportFilters
    summary: Summary
    breakdowns: dict[str, Breakdown]
    funnel: list[FunnelStep]
    rates: list[ExchangeRate]


@dataclass
class DrillDown:
    as_of: dt.date
    filters: ReportFilters
    rows: list[DealRow]
    total: MoneyTotal
    rates: list[ExchangeRate]
    stages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.rows)


# --- Building ---------------------------------------------------------------------------------------


@dataclass
class _MeetingFact:
    fair_id: int
    sector: str
    country: str
    month: dt.date
    buyer_id: int
    company_id: int
    has_outcome: bool


@dataclass
class _DealFact:
    id: int
    stage: str
    krw: Decimal
    fair: str  # fair id as text, or NO_FAIR
    sector: str
    country: str
    month: dt.date


class _Facts:
    """The held meetings and deals of one report, loaded once (two queries) and converted with
    one rate book; every figure of the report is counted from these."""

    def __init__(self, *, as_of: dt.date, filters: ReportFilters):
        self.as_of, self.filters = as_of, filters
        self.cutoff = cutoff_of(as_of)
        self.book: RateBook = rate_book(as_of)
        outcome = MeetingOutcome.objects.filter(meeting=OuterRef("pk"))
        self.meetings = [
            _MeetingFact(
                fair_id=fair_id,
                sector=sector or "",
                country=str(country or ""),
                month=_month_of(starts_at),
                buyer_id=buyer_id,
                company_id=company_id,
                has_outcome=has_outcome,
            )
            for fair_id, sector, country, starts_at, buyer_id, company_id, has_outcome in _filtered_meetings(
                filters, cutoff=self.cutoff
            )
            .annotate(has_outcome=Exists(outcome))
            .values_list(
                "fair_id",
                "company__sector__code",
                "buyer__country",
                "starts_at",
                "buyer_id",
                "company_id",
                "has_outcome",
            )
            .order_by()
        ]
        allowed = set(filters.stages(default="all"))
        self.deals = [
            _DealFact(
                id=pk,
                stage=stage,
                krw=self.book.to_krw(value, currency),
                fair=str(fair_id) if fair_id else NO_FAIR,
                sector=sector or "",
                country=str(country or ""),
                month=_month_of(month_at),
            )
            for pk, stage, value, currency, fair_id, sector, country, month_at in deal_queryset(
                filters, cutoff=self.cutoff
            )
            .values_list(
                "id",
                "stage",
                "expected_value",
                "currency",
                "first_fair_id",
                "company__sector__code",
                "buyer__country",
                "month_at",
            )
            .order_by()
            if stage in allowed
        ]

    def total(self, krw: Decimal) -> MoneyTotal:
        return money_total(krw, self.book)

    def pipeline_scope(self) -> set[str]:
        return set(self.filters.stages(default="pipeline"))


def _sum(deals) -> Decimal:
    return sum((deal.krw for deal in deals), Decimal(0))


def _summary(facts: _Facts) -> Summary:
    meetings, scope = facts.meetings, facts.pipeline_scope()
    pipeline = [deal for deal in facts.deals if deal.stage in scope]
    signed = [deal for deal in pipeline if deal.stage == DealStage.SIGNED]
    return Summary(
        fairs_held=len({m.fair_id for m in meetings}),
        buyers_met=len({m.buyer_id for m in meetings}),
        companies_met=len({m.company_id for m in meetings}),
        consultations_held=len(meetings),
        pipeline_deals=len(pipeline),
        pipeline=facts.total(_sum(pipeline)),
        open_deals=sum(1 for deal in pipeline if deal.stage in OPEN_STAGES),
        signed_deals=len(signed),
        signed=facts.total(_sum(signed)),
        filters=facts.filters,
    )


def _labels(by: str, keys) -> dict[str, str]:
    if by == "fair":
        ids = [int(key) for key in keys if key != NO_FAIR]
        names = {str(pk): name for pk, name in ConsultationFair.objects.filter(pk__in=ids).values_list("pk", "name")}
        return {
            key: names.get(key, _("No fair")) if key != NO_FAIR else _("No fair (deals without meetings)")
            for key in keys
        }
    if by == "sector":
        korean = translation.get_language() == "ko"
        names = {
            code: (name_ko if korean else name_en)
            for code, name_en, name_ko in Sector.objects.filter(code__in=list(keys)).values_list(
                "code", "name_en", "name_ko"
            )
        }
        return {key: names.get(key, key) for key in keys}
    if by == "country":
        return {key: str(dict(countries).get(key, key)) for key in keys}
    if by == "stage":
        return {key: str(DealStage(key).label) for key in keys}
    return {key: key for key in keys}  # months: "2021-05"


def _order(by: str, keys: list[str]) -> list[str]:
    if by == "fair":
        ids = [int(key) for key in keys if key != NO_FAIR]
        dates = {str(pk): day for pk, day in ConsultationFair.objects.filter(pk__in=ids).values_list("pk", "starts_on")}
        # By the fair's first day, undated fairs after dated ones, "no fair" last.
        return sorted(keys, key=lambda key: (key == NO_FAIR, dates.get(key) or dt.date.max, key.zfill(12)))
    if by == "sector":
        order = dict(Sector.objects.values_list("code", "display_order"))
        return sorted(keys, key=lambda k: (order.get(k, 999), k))
    if by == "stage":
        return sorted(keys, key=DealStage.values.index)
    return sorted(keys)  # months in order; countries are ordered by value by the caller


def _filters_for(by: str, key: str, base: ReportFilters) -> ReportFilters:
    if by == "fair":
        return base.narrowed(fair=None, no_fair=True) if key == NO_FAIR else base.narrowed(fair=int(key), no_fair=False)
    if by == "month":
        return base.narrowed(month=dt.datetime.strptime(key, "%Y-%m").date())
    return base.narrowed(**{by: key})


def _key_of(by: str, fact) -> str:
    if by == "month":
        return f"{fact.month:%Y-%m}"
    if by == "fair":
        return str(fact.fair_id) if isinstance(fact, _MeetingFact) else fact.fair
    return getattr(fact, by)


def breakdown_title(by: str) -> str:
    titles = {
        "fair": _("By fair"),
        "sector": _("By sector"),
        "country": _("By buyer country"),
        "stage": _("By stage"),
        "month": _("By month"),
    }
    if by not in titles:
        raise DomainError(
            _("Unknown breakdown %(by)s; use one of %(choices)s.") % {"by": by, "choices": ", ".join(BREAKDOWNS)},
            field="by",
        )
    return titles[by]


def _breakdown(facts: _Facts, by: str) -> Breakdown:
    title = breakdown_title(by)
    # Stages: every stage of the filter (lost too, flagged); the others: the pipeline deals.
    scope = set(facts.filters.stages(default="all")) if by == "stage" else facts.pipeline_scope()
    deals = [deal for deal in facts.deals if deal.stage in scope]
    meetings = [] if by == "stage" else facts.meetings
    deals_by, meetings_by = defaultdict(list), defaultdict(list)
    for deal in deals:
        deals_by[_key_of(by, deal)].append(deal)
    for meeting in meetings:
        meetings_by[_key_of(by, meeting)].append(meeting)
    keys = _order(by, list(set(deals_by) | set(meetings_by)))
    labels = _labels(by, keys)

    def row(key: str, label: str, row_deals, row_meetings, filters: ReportFilters) -> BreakdownRow:
        signed = [deal for deal in row_deals if deal.stage == DealStage.SIGNED]
        return BreakdownRow(
            key=key,
            label=label,
            filters=filters,
            consultations=None if by == "stage" else len(row_meetings),
            buyers=None if by == "stage" else len({m.buyer_id for m in row_meetings}),
            companies=None if by == "stage" else len({m.company_id for m in row_meetings}),
            deals=len(row_deals),
            value=facts.total(_sum(row_deals)),
            signed_deals=len(signed),
            signed=facts.total(_sum(signed)),
            in_pipeline=by != "stage" or key in PIPELINE_STAGES,
        )

    base = facts.filters if by != "stage" else facts.filters.narrowed(stage="", reached=facts.filters.reached)
    rows = [row(key, labels[key], deals_by[key], meetings_by[key], _filters_for(by, key, base)) for key in keys]
    if by == "country":
        # The markets that matter most first.
        rows.sort(key=lambda item: (-item.value.krw, -(item.consultations or 0), item.label))
    total_filters = facts.filters if by != "stage" else facts.filters.narrowed(stage=facts.filters.stage or "all")
    total = row("total", _("Total"), deals, meetings, total_filters)
    if by == "stage":
        # The pipeline value leaves lost deals out; the total row says what the pipeline adds up to.
        in_pipeline = [deal for deal in deals if deal.stage in PIPELINE_STAGES]
        total.value = facts.total(_sum(in_pipeline))
        total.deals = len(in_pipeline)
        total.filters = facts.filters.narrowed(stage=facts.filters.stage or "pipeline")
    return Breakdown(by=by, title=title, rows=rows, total=total)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _funnel(facts: _Facts) -> list[FunnelStep]:
    filters = facts.filters
    deals = facts.deals

    def reached(stage: str) -> int:
        further = STAGE_ORDER[STAGE_ORDER.index(stage) :]
        return sum(1 for deal in deals if deal.stage in further)

    from_meetings = filters.narrowed(met=True, stage=filters.stage or "all")
    counts = [
        ("held", _("Consultations held"), len(facts.meetings), from_meetings),
        (
            "outcome",
            _("Consultations with an outcome"),
            sum(1 for meeting in facts.meetings if meeting.has_outcome),
            from_meetings,
        ),
        ("deals", _("Deals"), len(deals), filters.narrowed(stage=filters.stage or "all")),
        (
            "follow_up",
            _("Past first consultation"),
            reached(DealStage.FOLLOW_UP),
            filters.narrowed(reached=DealStage.FOLLOW_UP, stage=filters.stage or "all"),
        ),
        (
            "negotiation",
            _("In negotiation or signed"),
            reached(DealStage.NEGOTIATION),
            filters.narrowed(reached=DealStage.NEGOTIATION, stage=filters.stage or "all"),
        ),
        (
            "signed",
            _("Contracts signed"),
            reached(DealStage.SIGNED),
            filters.narrowed(reached=DealStage.SIGNED, stage=filters.stage or "all"),
        ),
    ]
    steps, previous, first = [], None, None
    for key, label, count, step_filters in counts:
        steps.append(
            FunnelStep(
                key=key,
                label=label,
                count=count,
                filters=step_filters,
                of_previous=_percent(count, previous) if previous is not None else None,
                of_first=_percent(count, first) if first is not None else None,
            )
        )
        previous = count
        first = count if first is None else first
    return steps


# --- Selectors -----------------------------------------------------------------------------------


def report_build(*, as_of: dt.date | None = None, filters: ReportFilters | None = None) -> Report:
    """The whole dashboard: summary, every breakdown and the funnel, with the rates used."""
    as_of = as_of or timezone.localdate()
    filters = filters or ReportFilters()
    facts = _Facts(as_of=as_of, filters=filters)
    return Report(
        as_of=as_of,
        cutoff=facts.cutoff,
        filters=filters,
        summary=_summary(facts),
        breakdowns={by: _breakdown(facts, by) for by in BREAKDOWNS},
        funnel=_funnel(facts),
        rates=facts.book.used(),
    )


def summary(
    *, as_of: dt.date | None = None, filters: ReportFilters | None = None
) -> tuple[Summary, list[ExchangeRate]]:
    """The agency's figures (the dashboard's cards) and the rates they were converted with."""
    facts = _Facts(as_of=as_of or timezone.localdate(), filters=filters or ReportFilters())
    return _summary(facts), facts.book.used()


def breakdown(
    by: str, *, as_of: dt.date | None = None, filters: ReportFilters | None = None
) -> tuple[Breakdown, list[ExchangeRate]]:
    """The figures by fair, sector, country, stage or month, and the rates used."""
    breakdown_title(by)  # an unknown breakdown is refused before any work
    facts = _Facts(as_of=as_of or timezone.localdate(), filters=filters or ReportFilters())
    return _breakdown(facts, by), facts.book.used()


def funnel(*, as_of: dt.date | None = None, filters: ReportFilters | None = None) -> list[FunnelStep]:
    """Consultations held -> with an outcome -> deals -> past consulted -> negotiation -> signed."""
    facts = _Facts(as_of=as_of or timezone.localdate(), filters=filters or ReportFilters())
    return _funnel(facts)


def deal_drilldown(*, as_of: dt.date | None = None, filters: ReportFilters | None = None) -> DrillDown:
    """The deals behind a figure (pipeline deals unless the filters name a stage), each with its
    value in whole won, and their total."""
    as_of = as_of or timezone.localdate()
    filters = filters or ReportFilters()
    book = rate_book(as_of)
    stages = filters.stages(default="pipeline")
    deals = list(
        deal_queryset(filters, cutoff=cutoff_of(as_of), stages=stages)
        .select_related("company", "company__sector", "buyer")
        .order_by("month_at", "id")
    )
    fair_names = dict(
        ConsultationFair.objects.filter(pk__in={d.first_fair_id for d in deals if d.first_fair_id}).values_list(
            "pk", "name"
        )
    )
    rows = [
        DealRow(
            deal=deal,
            fair_id=deal.first_fair_id,
            fair_name=fair_names.get(deal.first_fair_id, "") if deal.first_fair_id else "",
            month=_month_of(deal.month_at),
            krw=book.to_krw(deal.expected_value, deal.currency),
        )
        for deal in deals
    ]
    return DrillDown(
        as_of=as_of,
        filters=filters,
        rows=rows,
        total=money_total(_sum(rows), book),
        rates=book.used(),
        stages=stages,
    )


def describe_filters(filters: ReportFilters) -> list[tuple[str, str]]:
    """(name, value) pairs a person reads: ("Fair", "Beauty online export fair (Thailand)")."""
    described = []
    if filters.no_fair:
        described.append((_("Fair"), _("No fair (deals without meetings)")))
    elif filters.fair:
        described.append((_("Fair"), _labels("fair", [str(filters.fair)])[str(filters.fair)]))
    if filters.sector:
        described.append((_("Sector"), _labels("sector", [filters.sector])[filters.sector]))
    if filters.country:
        described.append((_("Buyer country"), _labels("country", [filters.country])[filters.country]))
    if filters.stage:
        label = _stage_group_labels().get(filters.stage) or str(DealStage(filters.stage).label)
        described.append((_("Stage"), label))
    if filters.reached:
        described.append((_("Reached"), str(DealStage(filters.reached).label)))
    if filters.month:
        described.append((_("Month"), f"{filters.month:%Y-%m}"))
    if filters.met:
        described.append((_("From"), _("held consultations")))
    return described


# --- One party's own pipeline --------------------------------------------------------------------


@dataclass
class OwnPipeline:
    as_of: dt.date
    party_kind: str  # "sme" or "buyer"
    party_name: str
    pipeline_deals: int
    pipeline: MoneyTotal
    signed_deals: int
    signed: MoneyTotal
    by_stage: list[tuple[str, str, int, MoneyTotal]]  # stage, label, deals, value
    rates: list[ExchangeRate]


def own_pipeline(*, user, as_of: dt.date | None = None) -> OwnPipeline:
    """An SME's (its company's) or a buyer's (its organisation's) deals, totalled like the
    agency's pipeline. Staff have no own pipeline: they read the reports."""
    from tradeon.errors import NotAllowed

    as_of = as_of or timezone.localdate()
    if user.is_sme and user.company_id:
        deals, kind, name = Deal.objects.filter(company_id=user.company_id), "sme", user.company.name_en
    elif user.is_buyer and user.buyer_organisation_id:
        deals, kind, name = (
            Deal.objects.filter(buyer_id=user.buyer_organisation_id),
            "buyer",
            user.buyer_organisation.name,
        )
    elif user.is_sme or user.is_buyer:
        deals, kind, name = Deal.objects.none(), "sme" if user.is_sme else "buyer", ""
    else:
        raise NotAllowed(_("Agency staff read the pipeline reports instead."))
    book = rate_book(as_of)
    values = [
        (stage, book.to_krw(value, currency))
        for stage, value, currency in deals.filter(created_at__lte=cutoff_of(as_of)).values_list(
            "stage", "expected_value", "currency"
        )
    ]
    pipeline = [krw for stage, krw in values if stage in PIPELINE_STAGES]
    signed = [krw for stage, krw in values if stage == DealStage.SIGNED]
    by_stage = []
    for stage in DealStage.values:
        here = [krw for s, krw in values if s == stage]
        if here:
            by_stage.append((stage, str(DealStage(stage).label), len(here), money_total(sum(here, Decimal(0)), book)))
    return OwnPipeline(
        as_of=as_of,
        party_kind=kind,
        party_name=name,
        pipeline_deals=len(pipeline),
        pipeline=money_total(sum(pipeline, Decimal(0)), book),
        signed_deals=len(signed),
        signed=money_total(sum(signed, Decimal(0)), book),
        by_stage=by_stage,
        rates=book.used(),
    )
