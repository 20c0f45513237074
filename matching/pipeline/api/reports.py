"""REST API of the pipeline reports and exchange rates. Money is given as decimal strings: whole
won (`krw`), 억원 to one decimal (`eok`) and USD to the cent (`usd`, null without a USD rate),
each also as display text; every answer states its as-of date and the rates it used.

    GET  pipeline/exchange-rates/?currency=&on=       signed in: every dated rate, or those in force on a date
    POST pipeline/exchange-rates/                     staff: {currency, valid_from, krw_per_unit, source}
    GET  pipeline/reports/summary/?as_of=&<filters>    staff: the agency's figures
    GET  pipeline/reports/breakdown/{by}/             staff: by fair, sector, country, stage or month
    GET  pipeline/reports/funnel/                     staff: consultations held -> ... -> signed
    GET  pipeline/reports/deals/                      staff: the deals behind a figure (paginated), with their total
    GET  pipeline/reports/export/                     staff: the whole report as XLSX
    GET  pipeline/reports/fairs/{fair_id}/            staff: the per-fair report
    GET  pipeline/reports/fairs/{fair_id}/export/     staff: the per-fair report as XLSX
    GET  pipeline/mine/                               SMEs: their company's pipeline; buyers: their organisation's

Filters (all optional): fair (an id, or "none" for deals without meetings), sector (code),
country (ISO code), stage (a stage, or pipeline/open/all), reached (a stage: now there or
further), month (YYYY-MM), met (1: deals from held consultations).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from matching.models import ConsultationFair, Currency, DealStage, ExchangeRate
from tradeon.api.pagination import StandardPagination
from tradeon.api.permissions import IsAgencyStaff
from tradeon.tabular import CONTENT_TYPES

from .. import rates, report_exports, reports

# --- serializers ---------------------------------------------------------------------------------


class MoneySerializer(serializers.Serializer):
    krw = serializers.DecimalField(max_digits=24, decimal_places=0, help_text="Whole won")
    eok = serializers.DecimalField(max_digits=24, decimal_places=1, help_text="억원 (10^8 won), one decimal")
    usd = serializers.DecimalField(
        max_digits=24, decimal_places=2, allow_null=True, help_text="KRW / USD rate, to the cent"
    )
    krw_text = serializers.CharField()
    eok_text = serializers.CharField()
    usd_text = serializers.CharField()


class RateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "valid_from", "krw_per_unit", "source", "set_at"]
        read_only_fields = fields


class RateSetSerializer(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices, help_text="Not KRW: its rate is always 1")
    valid_from = serializers.DateField()
    krw_per_unit = serializers.DecimalField(
        max_digits=18, decimal_places=6, help_text="Won for one unit of the currency, e.g. 1130.50"
    )
    source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class _Linked(serializers.Serializer):
    """Something with `filters`: gives them as parameters, and the URLs of the deals behind it."""

    filters = serializers.SerializerMethodField()
    deals_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    def get_filters(self, obj) -> dict[str, str]:
        return obj.filters.params()

    def get_deals_url(self, obj) -> str:
        return _url(self.context, "api:pipelinereport-deals", obj.filters)

    def get_page_url(self, obj) -> str:
        return _url(self.context, "pipeline:dashboard_deals", obj.filters)


def _url(context: dict, name: str, filters: reports.ReportFilters) -> str:
    query = filters.query(as_of=context.get("as_of_param", ""))
    path = reverse(name) + (f"?{query}" if query else "")
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class SummarySerializer(_Linked):
    fairs_held = serializers.IntegerField()
    buyers_met = serializers.IntegerField()
    companies_met = serializers.IntegerField()
    consultations_held = serializers.IntegerField()
    pipeline_deals = serializers.IntegerField(help_text="Open and signed deals")
    pipeline = MoneySerializer(help_text="Pipeline value (수출계약 추진액): open and signed deals")
    open_deals = serializers.IntegerField()
    signed_deals = serializers.IntegerField()
    signed = MoneySerializer()


class BreakdownRowSerializer(_Linked):
    key = serializers.CharField()
    label = serializers.CharField()
    consultations = serializers.IntegerField(allow_null=True)
    buyers = serializers.IntegerField(allow_null=True)
    companies = serializers.IntegerField(allow_null=True)
    deals = serializers.IntegerField()
    value = MoneySerializer()
    signed_deals = serializers.IntegerField()
    signed = MoneySerializer()
    in_pipeline = serializers.BooleanField()


class BreakdownSerializer(serializers.Serializer):
    by = serializers.CharField()
    title = serializers.CharField()
    rows = BreakdownRowSerializer(many=True)
    total = BreakdownRowSerializer()


class FunnelStepSerializer(_Linked):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    of_previous = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    of_first = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class DealRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="deal.pk")
    title = serializers.CharField(source="deal.title")
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    fair = serializers.SerializerMethodField()
    month = serializers.DateField(format="%Y-%m")
    stage = serializers.ChoiceField(source="deal.stage", choices=DealStage.choices)
    probability = serializers.IntegerField(source="deal.probability")
    expected_value = serializers.DecimalField(source="deal.expected_value", max_digits=18, decimal_places=2)
    currency = serializers.CharField(source="deal.currency")
    krw = serializers.DecimalField(max_digits=24, decimal_places=0, help_text="Converted, whole won")
    signed_on = serializers.DateField(source="deal.signed_on", allow_null=True)

    def get_company(self, obj) -> dict:
        company = obj.deal.company
        return {"id": company.pk, "name_en": company.name_en, "name_ko": company.name_ko}

    def get_buyer(self, obj) -> dict:
        buyer = obj.deal.buyer
        return {"id": buyer.pk, "name": buyer.name, "country": str(buyer.country)}

    def get_fair(self, obj) -> dict | None:
        return {"id": obj.fair_id, "name": obj.fair_name} if obj.fair_id else None


def _envelope(*, as_of, filters, rates_used) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "filters": filters.params(),
        "rates": RateSerializer(rates_used, many=True).data,
    }


_FILTER_PARAMETERS = [
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="Report date (Seoul); today if left out"),
    OpenApiParameter("fair", str, description='A fair id, or "none" for deals without meetings'),
    OpenApiParameter("sector", str, description="A sector code, e.g. beauty"),
    OpenApiParameter("country", str, description="A buyer country, ISO 3166 code"),
    OpenApiParameter("stage", str, description="A deal stage, or pipeline (default), open, all"),
    OpenApiParameter("reached", str, description="Deals now at this stage or further"),
    OpenApiParameter("month", str, description="YYYY-MM: month of the deal's first consultation"),
    OpenApiParameter("met", bool, description="Only deals from held consultations"),
]
_ENVELOPE_FIELDS = {
    "as_of": serializers.DateField(),
    "filters": serializers.DictField(child=serializers.CharField()),
    "rates": RateSerializer(many=True),
}


# --- exchange rates --------------------------------------------------------------------------------


class _RateFilters(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    on = serializers.DateField(required=False)


class ExchangeRateViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The dated exchange rates reports convert with. Everyone signed in may read them (a deal's
    value in KRW depends on them); only agency staff set them. A rate for a currency and a day
    that already has one replaces it (a correction)."""

    serializer_class = RateSerializer
    pagination_class = StandardPagination
    filter_backends = []
    queryset = ExchangeRate.objects.none()

    def get_permissions(self):
        return [IsAgencyStaff()] if self.action == "create" else [IsAuthenticated()]

    def get_queryset(self):
        return rates.rate_list()

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, enum=Currency.values, description="Rates of this currency"),
            OpenApiParameter("on", OpenApiTypes.DATE, description="Only the rate in force on this date, per currency"),
        ]
    )
    def list(self, request, *args, **kwargs):
        params = _RateFilters(data=request.query_params)
        params.is_valid(raise_exception=True)
        currency, on = params.validated_data.get("currency"), params.validated_data.get("on")
        if on is not None:
            found = rates.rates_in_use(on, currencies=[currency] if currency else None)
            return Response(
                {"count": len(found), "next": None, "previous": None, "results": RateSerializer(found, many=True).data}
            )
        page = self.paginate_queryset(rates.rate_list(currency=currency))
        return self.get_paginated_response(RateSerializer(page, many=True).data)

    @extend_schema(request=RateSetSerializer, responses={201: RateSerializer})
    def create(self, request, *args, **kwargs):
        serializer = RateSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rate = rates.rate_set(by=request.user, **serializer.validated_data)
        return Response(RateSerializer(rate).data, status=status.HTTP_201_CREATED)


# --- reports -----------------------------------------------------------------------------------------


class ReportViewSet(viewsets.ViewSet):
    """The agency's pipeline reports (staff): summary, breakdowns, funnel, the deals behind any
    figure, the per-fair report and the XLSX workbook."""

    permission_classes = [IsAgencyStaff]

    def _parsed(self, request):
        as_of = reports.parse_as_of(request.query_params.get("as_of"))
        return as_of, reports.parse_filters(request.query_params)

    def _context(self, request) -> dict:
        return {"request": request, "as_of_param": (request.query_params.get("as_of") or "").strip()}

    @extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses=inline_serializer("PipelineSummaryReport", {**_ENVELOPE_FIELDS, "summary": SummarySerializer()}),
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """Fairs held, buyers and companies met, consultations held, pipeline value, contracts signed."""
        as_of, filters = self._parsed(request)
        summary, used = reports.summary(as_of=as_of, filters=filters)
        return Response(
            {
                **_envelope(as_of=as_of, filters=filters, rates_used=used),
                "summary": SummarySerializer(summary, context=self._context(request)).data,
            }
        )

    @extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses=inline_serializer(
            "PipelineBreakdownReport", {**_ENVELOPE_FIELDS, "breakdown": BreakdownSerializer()}
        ),
    )
    @action(detail=False, methods=["get"], url_path=r"breakdown/(?P<by>[a-z]+)")
    def breakdown(self, request, by: str):
        """The figures by fair, sector, country (of the buyer), stage or month."""
        as_of, filters = self._parsed(request)
        found, used = reports.breakdown(by, as_of=as_of, filters=filters)
        return Response(
            {
                **_envelope(as_of=as_of, filters=filters, rates_used=used),
                "breakdown": BreakdownSerializer(found, context=self._context(request)).data,
            }
        )

    @extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses=inline_serializer(
            "PipelineFunnelReport",
            {
                "as_of": serializers.DateField(),
                "filters": serializers.DictField(child=serializers.CharField()),
                "steps": FunnelStepSerializer(many=True),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def funnel(self, request):
        """Consultations held → with an outcome → deals → past first consultation → negotiation → signed."""
        as_of, filters = self._parsed(request)
        steps = reports.funnel(as_of=as_of, filters=filters)
        return Response(
            {
                "as_of": as_of.isoformat(),
                "filters": filters.params(),
                "steps": FunnelStepSerializer(steps, many=True, context=self._context(request)).data,
            }
        )

    @extend_schema(
        parameters=[*_FILTER_PARAMETERS, OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=inline_serializer(
            "PipelineDealsReport",
            {
                **_ENVELOPE_FIELDS,
                "total": MoneySerializer(),
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": DealRowSerializer(many=True),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def deals(self, request):
        """The deals behind a figure (open and signed unless `stage` says otherwise), with the total."""
        as_of, filters = self._parsed(request)
        drill = reports.deal_drilldown(as_of=as_of, filters=filters)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(drill.rows, request, view=self)
        return Response(
            {
                **_envelope(as_of=as_of, filters=filters, rates_used=drill.rates),
                "total": MoneySerializer(drill.total).data,
                "count": drill.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": DealRowSerializer(page, many=True).data,
            }
        )

    @extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses={(200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook")},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The whole report (summary, rates used, every breakdown, the funnel) as an XLSX workbook."""
        as_of, filters = self._parsed(request)
        report = reports.report_build(as_of=as_of, filters=filters)
        return _xlsx(report_exports.report_xlsx(report), f"pipeline-report-{as_of:%Y-%m-%d}.xlsx")

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Report date (Seoul); today if left out"),
        ],
        responses=inline_serializer(
            "PipelineFairReport",
            {
                **_ENVELOPE_FIELDS,
                "fair": inline_serializer(
                    "PipelineFairReportFair",
                    {
                        "id": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "starts_on": serializers.DateField(allow_null=True),
                        "ends_on": serializers.DateField(allow_null=True),
                    },
                ),
                "summary": SummarySerializer(),
                "breakdowns": serializers.DictField(child=BreakdownSerializer()),
                "funnel": FunnelStepSerializer(many=True),
                "deals": DealRowSerializer(many=True),
                "total": MoneySerializer(),
            },
        ),
    )
    @action(detail=False, methods=["get"], url_path=r"fairs/(?P<fair_id>\d+)")
    def fair(self, request, fair_id: str):
        """One fair's report for the city: its figures, breakdowns, funnel and deals."""
        fair, report, drill = self._fair_report(request, fair_id)
        context = self._context(request)
        return Response(
            {
                **_envelope(as_of=report.as_of, filters=report.filters, rates_used=report.rates),
                "fair": {"id": fair.pk, "name": fair.name, "starts_on": fair.starts_on, "ends_on": fair.ends_on},
                "summary": SummarySerializer(report.summary, context=context).data,
                "breakdowns": {
                    by: BreakdownSerializer(report.breakdowns[by], context=context).data
                    for by in ("sector", "country", "stage", "month")
                },
                "funnel": FunnelStepSerializer(report.funnel, many=True, context=context).data,
                "deals": DealRowSerializer(drill.rows, many=True).data,
                "total": MoneySerializer(drill.total).data,
            }
        )

    def _fair_report(self, request, fair_id: str):
        fair = get_object_or_404(ConsultationFair, pk=int(fair_id))
        as_of = reports.parse_as_of(request.query_params.get("as_of"))
        filters = reports.ReportFilters(fair=fair.pk)
        return (
            fair,
            reports.report_build(as_of=as_of, filters=filters),
            reports.deal_drilldown(as_of=as_of, filters=filters),
        )

    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="Report date (Seoul); today if left out")],
        responses={(200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook")},
    )
    @action(detail=False, methods=["get"], url_path=r"fairs/(?P<fair_id>\d+)/export")
    def fair_export(self, request, fair_id: str):
        """The per-fair report as an XLSX workbook."""
        fair, report, drill = self._fair_report(request, fair_id)
        return _xlsx(
            report_exports.fair_report_xlsx(fair, report, drill), f"fair-{fair.pk}-report-{report.as_of:%Y-%m-%d}.xlsx"
        )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- one's own pipeline ---------------------------------------------------------------------------


class OwnStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    deals = serializers.IntegerField()
    value = MoneySerializer()


class OwnPipelineSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    party_kind = serializers.CharField(help_text="sme or buyer")
    party_name = serializers.CharField()
    pipeline_deals = serializers.IntegerField()
    pipeline = MoneySerializer()
    signed_deals = serializers.IntegerField()
    signed = MoneySerializer()
    by_stage = serializers.SerializerMethodField()
    rates = RateSerializer(many=True)

    def get_by_stage(self, obj) -> list[dict]:
        return OwnStageSerializer(
            [{"stage": s, "label": label, "deals": n, "value": value} for s, label, n, value in obj.by_stage], many=True
        ).data


class MyPipelineViewSet(viewsets.ViewSet):
    """An SME's own pipeline (its company's deals) or a buyer's (its organisation's), totalled
    like the agency's. Staff are refused: they read the reports."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="Report date; today if left out")],
        responses=OwnPipelineSerializer,
    )
    def list(self, request):
        own = reports.own_pipeline(user=request.user, as_of=reports.parse_as_of(request.query_params.get("as_of")))
        return Response(OwnPipelineSerializer(own).data)


ROUTES: list = [  # (prefix, viewset, basename), registered by tradeon/api/urls.py
    ("pipeline/exchange-rates", ExchangeRateViewSet, "exchangerate"),
    ("pipeline/reports", ReportViewSet, "pipelinereport"),
    ("pipeline/mine", MyPipelineViewSet, "mypipeline"),
]
