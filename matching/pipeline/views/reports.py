"""Pages of the pipeline reports: the staff dashboard (summary, breakdowns by fair, sector, buyer
country, stage and month, the funnel, as inline SVG charts and tables), the deals behind any
figure, the per-fair report for the city (printable, and XLSX), the exchange rates staff keep,
and each SME's or buyer's own pipeline. Every figure links to the deals behind it; every page
states its as-of date and the rates it converted with."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Sector
from matching.models import ConsultationFair, Currency, Deal, DealStage
from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.tabular import CONTENT_TYPES
from tradeon.web import add_service_error, role_required

from .. import charts, rates, report_exports, reports
from ..money import format_eok

DEALS_PER_PAGE = 100
# Breakdown charts span a whole card: drawn wider so their text stays at reading size.
FULL_WIDTH_CHART = 1000


# --- helpers -------------------------------------------------------------------------------------


def _as_of_param(request) -> str:
    """The as-of date as the request gave it ("" for today), carried along by every link."""
    return (request.GET.get("as_of") or "").strip()


def drill_url(filters: reports.ReportFilters, as_of_param: str = "") -> str:
    query = filters.query(as_of=as_of_param)
    return reverse("pipeline:dashboard_deals") + (f"?{query}" if query else "")


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _parse(request) -> tuple:
    return reports.parse_as_of(request.GET.get("as_of")), reports.parse_filters(request.GET)


def _summary_cards(summary: reports.Summary, as_of_param: str) -> list[dict]:
    filters = summary.filters
    from_meetings = drill_url(filters.narrowed(met=True, stage=filters.stage or "all"), as_of_param)
    pipeline = drill_url(filters, as_of_param)
    return [
        {
            "key": "fairs",
            "label": _("Consultation fairs held"),
            "value": f"{summary.fairs_held:,}",
            "url": from_meetings,
        },
        {"key": "buyers", "label": _("Buyers met"), "value": f"{summary.buyers_met:,}", "url": from_meetings},
        {
            "key": "companies",
            "label": _("Companies that met buyers"),
            "value": f"{summary.companies_met:,}",
            "url": from_meetings,
        },
        {
            "key": "consultations",
            "label": _("Consultations held"),
            "value": f"{summary.consultations_held:,}",
            "url": from_meetings,
        },
        {
            "label": _("Pipeline value"),
            "value": summary.pipeline.eok_text,
            "sub": f"{summary.pipeline.krw_text} · {summary.pipeline.usd_text}",
            "note": _("%(count)d deals, open and signed") % {"count": summary.pipeline_deals},
            "url": pipeline,
            "key": "pipeline",
        },
        {
            "label": _("Contracts signed"),
            "value": f"{summary.signed_deals:,}",
            "sub": f"{summary.signed.eok_text} · {summary.signed.krw_text} · {summary.signed.usd_text}",
            "url": drill_url(filters.narrowed(stage=DealStage.SIGNED), as_of_param),
            "key": "signed",
        },
    ]


def _breakdown_view(breakdown: reports.Breakdown, as_of_param: str) -> dict:
    rows = [{"row": row, "url": drill_url(row.filters, as_of_param)} for row in breakdown.rows]
    if breakdown.by == "fair":
        for item in rows:
            fair_id = item["row"].filters.fair
            item["report_url"] = reverse("pipeline:fair_report", args=[fair_id]) if fair_id else ""
    marks = [
        charts.Mark(
            label=item["row"].label,
            value=item["row"].value.krw,
            text=item["row"].value.eok_text,
            url=item["url"],
            muted=not item["row"].in_pipeline,
        )
        for item in rows
    ]
    return {
        "by": breakdown.by,
        "title": breakdown.title,
        "rows": rows,
        "total": breakdown.total,
        "total_url": drill_url(breakdown.total.filters, as_of_param),
        "chart": charts.bar_chart(marks, width=FULL_WIDTH_CHART),
        "meetings": breakdown.by != "stage",
    }


def _funnel_view(steps: list[reports.FunnelStep], as_of_param: str) -> dict:
    marks = [
        charts.Mark(
            label=step.label, value=step.count, text=f"{step.count:,}", url=drill_url(step.filters, as_of_param)
        )
        for step in steps
    ]
    notes = [
        _("%(percent)s%% of the step before") % {"percent": step.of_previous} if step.of_previous is not None else ""
        for step in steps
    ]
    return {"chart": charts.funnel_chart(marks, notes), "steps": steps, "urls": [mark.url for mark in marks]}


def _trend_view(breakdown: reports.Breakdown, as_of_param: str) -> dict:
    marks = [
        charts.Mark(
            label=row.label, value=row.value.krw, text=row.value.eok_text, url=drill_url(row.filters, as_of_param)
        )
        for row in breakdown.rows
    ]
    return charts.trend_chart(marks, axis_text=format_eok)


def _report_context(report: reports.Report, as_of_param: str) -> dict:
    return {
        "report": report,
        "cards": _summary_cards(report.summary, as_of_param),
        "breakdowns": [
            _breakdown_view(report.breakdowns[by], as_of_param) for by in ("fair", "sector", "country", "stage")
        ],
        "month": _breakdown_view(report.breakdowns["month"], as_of_param),
        "trend": _trend_view(report.breakdowns["month"], as_of_param),
        "funnel": _funnel_view(report.funnel, as_of_param),
        "described_filters": reports.describe_filters(report.filters),
    }


def _error_page(request, template: str, error: DomainError, context: dict | None = None):
    # A bad parameter is the request's fault (400); a missing exchange rate is not, but the page
    # cannot be built either: both say what to do.
    status = 200 if error.field == "currency" else 400
    return render(
        request,
        template,
        {"error": error, "as_of_param": _as_of_param(request), "today": timezone.localdate(), **(context or {})},
        status=status,
    )


# --- the dashboard -------------------------------------------------------------------------------


@role_required(Role.STAFF)
def dashboard(request):
    try:
        as_of, filters = _parse(request)
        report = reports.report_build(as_of=as_of, filters=filters)
    except DomainError as error:
        return _error_page(request, "pipeline/reports/dashboard.html", error)
    context = _report_context(report, _as_of_param(request))
    query = request.GET.urlencode()
    context.update(
        {
            "as_of_param": _as_of_param(request),
            "export_url": reverse("pipeline:dashboard_export") + (f"?{query}" if query else ""),
            "clear_url": reverse("pipeline:dashboard")
            + (f"?as_of={_as_of_param(request)}" if _as_of_param(request) else ""),
        }
    )
    return render(request, "pipeline/reports/dashboard.html", context)


@role_required(Role.STAFF)
def dashboard_export(request):
    try:
        as_of, filters = _parse(request)
        report = reports.report_build(as_of=as_of, filters=filters)
    except DomainError as error:
        return _error_page(request, "pipeline/reports/dashboard.html", error)
    return _xlsx(report_exports.report_xlsx(report), f"pipeline-report-{as_of:%Y-%m-%d}.xlsx")


# --- the deals behind a figure ---------------------------------------------------------------------


def _filter_choices() -> dict:
    countries = sorted({str(code) for code in Deal.objects.values_list("buyer__country", flat=True).distinct() if code})
    from django_countries import countries as all_countries

    names = dict(all_countries)
    return {
        "fairs": ConsultationFair.objects.order_by("-starts_on", "-id").values_list("pk", "name"),
        "sectors": Sector.objects.order_by("display_order").values_list("code", "name_en", "name_ko"),
        "countries": [(code, names.get(code, code)) for code in countries],
        "stage_groups": [
            ("pipeline", _("Open and signed")),
            ("open", _("Open")),
            ("all", _("All stages")),
        ],
        "stages": DealStage.choices,
    }


@role_required(Role.STAFF)
def dashboard_deals(request):
    try:
        as_of, filters = _parse(request)
        drill = reports.deal_drilldown(as_of=as_of, filters=filters)
    except DomainError as error:
        return _error_page(request, "pipeline/reports/deals.html", error, {"choices": _filter_choices()})
    page = Paginator(drill.rows, DEALS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pipeline/reports/deals.html",
        {
            "drill": drill,
            "page_obj": page,
            "rows": page.object_list,
            "described_filters": reports.describe_filters(filters),
            "filters": filters,
            "as_of_param": _as_of_param(request),
            "choices": _filter_choices(),
            "page_query": query.urlencode(),
            "export_url": reverse("pipeline:dashboard_deals_export") + (f"?{query.urlencode()}" if query else ""),
            "dashboard_url": reverse("pipeline:dashboard") + (f"?{filters.query(as_of=_as_of_param(request))}"),
        },
    )


@role_required(Role.STAFF)
def dashboard_deals_export(request):
    try:
        as_of, filters = _parse(request)
        drill = reports.deal_drilldown(as_of=as_of, filters=filters)
    except DomainError as error:
        return _error_page(request, "pipeline/reports/deals.html", error, {"choices": _filter_choices()})
    return _xlsx(report_exports.drilldown_xlsx(drill), f"pipeline-deals-{as_of:%Y-%m-%d}.xlsx")


# --- the per-fair report -------------------------------------------------------------------------


def _fair_report(request, fair_id: int):
    fair = get_object_or_404(ConsultationFair.objects.prefetch_related("sectors"), pk=fair_id)
    as_of = reports.parse_as_of(request.GET.get("as_of"))
    filters = reports.ReportFilters(fair=fair.pk)
    return (
        fair,
        reports.report_build(as_of=as_of, filters=filters),
        reports.deal_drilldown(as_of=as_of, filters=filters),
    )


@role_required(Role.STAFF)
def fair_report(request, fair_id: int):
    try:
        fair, report, drill = _fair_report(request, fair_id)
    except DomainError as error:
        fair = get_object_or_404(ConsultationFair, pk=fair_id)
        return _error_page(request, "pipeline/reports/fair_report.html", error, {"fair": fair})
    as_of_param = _as_of_param(request)
    context = _report_context(report, as_of_param)
    context.update(
        {
            "fair": fair,
            "drill": drill,
            "as_of_param": as_of_param,
            "export_url": reverse("pipeline:fair_report_export", args=[fair.pk])
            + (f"?as_of={as_of_param}" if as_of_param else ""),
            "generated_at": timezone.localtime(),
        }
    )
    return render(request, "pipeline/reports/fair_report.html", context)


@role_required(Role.STAFF)
def fair_report_export(request, fair_id: int):
    try:
        fair, report, drill = _fair_report(request, fair_id)
    except DomainError as error:
        fair = get_object_or_404(ConsultationFair, pk=fair_id)
        return _error_page(request, "pipeline/reports/fair_report.html", error, {"fair": fair})
    return _xlsx(
        report_exports.fair_report_xlsx(fair, report, drill), f"fair-{fair.pk}-report-{report.as_of:%Y-%m-%d}.xlsx"
    )


# --- exchange rates --------------------------------------------------------------------------------


class ExchangeRateForm(forms.Form):
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), choices=[c for c in Currency.choices if c[0] != Currency.KRW]
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    krw_per_unit = forms.CharField(
        label=gettext_lazy("KRW per unit"),
        max_length=30,
        help_text=gettext_lazy("Won for one unit of the currency, e.g. 1130.50 for USD or 0.049 for VND."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    source = forms.CharField(label=gettext_lazy("Source"), max_length=200, required=False)


@role_required(Role.STAFF)
def exchange_rates(request):
    form = ExchangeRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate = rates.rate_set(
                currency=data["currency"],
                valid_from=data["valid_from"],
                krw_per_unit=data["krw_per_unit"],
                source=data["source"],
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Saved: 1 %(currency)s = %(rate)s KRW from %(date)s.")
                % {"currency": rate.currency, "rate": rate.krw_per_unit.normalize(), "date": rate.valid_from},
            )
            return redirect("pipeline:exchange_rates")
    today = timezone.localdate()
    in_force = {rate.pk for rate in rates.rates_in_use(today)}
    return render(
        request,
        "pipeline/reports/exchange_rates.html",
        {"form": form, "rates": rates.rate_list(), "in_force": in_force, "today": today},
        status=400 if request.method == "POST" else 200,
    )


# --- one's own pipeline ------------------------------------------------------------------------


@role_required(Role.SME, Role.BUYER, Role.STAFF)
def my_pipeline(request):
    if request.user.is_agency_staff:
        return redirect("pipeline:dashboard")
    try:
        own = reports.own_pipeline(user=request.user, as_of=reports.parse_as_of(request.GET.get("as_of")))
    except DomainError as error:
        return _error_page(request, "pipeline/reports/my_pipeline.html", error)
    return render(request, "pipeline/reports/my_pipeline.html", {"own": own})


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/export/", dashboard_export, name="dashboard_export"),
    path("dashboard/deals/", dashboard_deals, name="dashboard_deals"),
    path("dashboard/deals/export/", dashboard_deals_export, name="dashboard_deals_export"),
    path("dashboard/fairs/<int:fair_id>/", fair_report, name="fair_report"),
    path("dashboard/fairs/<int:fair_id>/export/", fair_report_export, name="fair_report_export"),
    path("exchange-rates/", exchange_rates, name="exchange_rates"),
    path("mine/", my_pipeline, name="my_pipeline"),
]
