"""REST API of the pipeline: meeting outcomes (record or correct one side's; list by role), deals
(list with filters, read, create, change with optimistic locking) and each deal's history.

Optimistic locking: a change names the version it was made against, as `version` in the body or
an `If-Match: "<version>"` header (each deal response carries `ETag: "<version>"`). When the deal
moved on meanwhile the answer is 409 with the current version and who changed it; nothing is
overwritten.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buyers.models import BuyerOrganisation
from catalog.models import Company, Product

from ...fairs.api.requests import BuyerRefSerializer, CompanyRefSerializer
from ...models import (
    ChangeChannel,
    Currency,
    Deal,
    DealChange,
    DealStage,
    InterestLevel,
    Meeting,
    MeetingOutcome,
    NextStep,
    OutcomeSide,
)
from ...models.pipeline import MONEY_DIGITS, MONEY_PLACES
from .. import deals as deal_services
from .. import outcomes as outcome_services
from .. import selectors
from ..history import DealConflict, person_name


def _money_field(**kwargs):
    return serializers.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, min_value=0, coerce_to_string=True, **kwargs
    )


# --- outcomes ------------------------------------------------------------------------------------------


class OutcomeSerializer(serializers.ModelSerializer):
    fair = serializers.IntegerField(source="meeting.fair_id", read_only=True)
    products = serializers.SerializerMethodField()
    expected_value = _money_field(allow_null=True, read_only=True)

    class Meta:
        model = MeetingOutcome
        fields = [
            "id",
            "meeting",
            "fair",
            "side",
            "interest",
            "next_step",
            "products",
            "expected_value",
            "currency",
            "notes",
            "recorded_by",
            "by_staff",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_products(self, obj) -> list[int]:
        return sorted(product.pk for product in obj.products.all())


class OutcomeRecordedSerializer(OutcomeSerializer):
    deal = serializers.SerializerMethodField(help_text="The deal this outcome opened or updated, if any.")
    deal_created = serializers.SerializerMethodField()

    class Meta(OutcomeSerializer.Meta):
        fields = [*OutcomeSerializer.Meta.fields, "deal", "deal_created"]
        read_only_fields = fields

    def get_deal(self, obj) -> int | None:
        deal = getattr(obj, "deal", None)
        return deal.pk if deal else None

    def get_deal_created(self, obj) -> bool:
        return bool(getattr(obj, "deal_created", False))


class OutcomeInputSerializer(serializers.Serializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.select_related("company", "buyer"))
    side = serializers.ChoiceField(
        choices=OutcomeSide.choices,
        required=False,
        help_text="Staff: which side. SMEs and buyers: their own (default).",
    )
    interest = serializers.ChoiceField(choices=InterestLevel.choices)
    next_step = serializers.ChoiceField(choices=NextStep.choices)
    products = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False, help_text="Products of the SME discussed."
    )
    expected_value = _money_field(required=False, allow_null=True)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=outcome_services.NOTES_MAX_LENGTH)


# The largest id a database column holds: a bigger number in a filter is refused, not a 500.
MAX_ID = 2**63 - 1


class _OutcomeFilters(serializers.Serializer):
    meeting = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    fair = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    side = serializers.ChoiceField(choices=OutcomeSide.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("meeting", int, description="Only this meeting's outcomes"),
            OpenApiParameter("fair", int, description="Only this fair's meetings"),
            OpenApiParameter("side", str, enum=OutcomeSide.values, description="sme or buyer"),
        ]
    )
)
class MeetingOutcomeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meeting outcomes. An SME or buyer reads and records its own side's outcomes of its meetings;
    staff read all and record or correct either side. POST records the side's outcome, or
    corrects it when there is one (201 the first time, 200 after); an outcome that shows
    interest opens or updates the pair's deal (`deal` in the answer)."""

    serializer_class = OutcomeSerializer
    filter_backends = []
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MeetingOutcome.objects.none()
        params = _OutcomeFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.outcome_list(
            self.request.user, meeting_id=data.get("meeting"), fair_id=data.get("fair"), side=data.get("side")
        )

    @extend_schema(
        request=OutcomeInputSerializer, responses={200: OutcomeRecordedSerializer, 201: OutcomeRecordedSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = OutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting = data["meeting"]
        side = data.get("side") or outcome_services.side_of_user(request.user, meeting)
        if side is None:
            if request.user.is_agency_staff:
                raise exceptions.ValidationError({"side": "Staff say which side's outcome this is: sme or buyer."})
            raise exceptions.PermissionDenied("This meeting is not yours to record an outcome for.")
        outcome = outcome_services.outcome_record(
            meeting=meeting,
            side=side,
            by=request.user,
            interest=data["interest"],
            next_step=data["next_step"],
            products=data.get("products", []),
            expected_value=data.get("expected_value"),
            currency=data.get("currency", ""),
            notes=data.get("notes", ""),
            via=ChangeChannel.API,
        )
        code = status.HTTP_201_CREATED if outcome.was_created else status.HTTP_200_OK
        return Response(OutcomeRecordedSerializer(outcome).data, status=code)


# --- deals ---------------------------------------------------------------------------------------------


class DealSerializer(serializers.ModelSerializer):
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    expected_value = _money_field(read_only=True)
    meetings = serializers.SerializerMethodField()
    fairs = serializers.SerializerMethodField(help_text="The fairs of the deal's meetings, earliest meeting first.")
    products = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "company",
            "buyer",
            "stage",
            "lost_reason",
            "expected_value",
            "currency",
            "probability",
            "expected_close_on",
            "signed_on",
            "notes",
            "meetings",
            "fairs",
            "products",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "stage_changed_at",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> CompanyRefSerializer:
        return {"id": obj.company.pk, "name_en": obj.company.name_en, "name_ko": obj.company.name_ko}

    def get_buyer(self, obj) -> BuyerRefSerializer:
        return {"id": obj.buyer.pk, "name": obj.buyer.name, "country": obj.buyer.country.code}

    def get_meetings(self, obj) -> list[int]:
        return [meeting.pk for meeting in obj.meetings.all()]

    def get_fairs(self, obj) -> list[int]:
        return list(dict.fromkeys(meeting.fair_id for meeting in obj.meetings.all()))

    def get_products(self, obj) -> list[int]:
        return sorted(product.pk for product in obj.products.all())


class DealCreateSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, help_text="Staff: the SME. SMEs: their own (default)."
    )
    buyer = serializers.PrimaryKeyRelatedField(queryset=BuyerOrganisation.objects.all())
    meetings = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all(), many=True, required=False)
    products = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), many=True, required=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=deal_services.TITLE_MAX_LENGTH)
    stage = serializers.ChoiceField(choices=DealStage.choices, required=False)
    expected_value = _money_field(required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    expected_close_on = serializers.DateField(required=False, allow_null=True)
    signed_on = serializers.DateField(required=False, allow_null=True)
    lost_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=deal_services.LOST_REASON_MAX_LENGTH
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=deal_services.NOTES_MAX_LENGTH)


class DealUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text='The version you read (or send If-Match: "<version>").'
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=deal_services.TITLE_MAX_LENGTH)
    stage = serializers.ChoiceField(choices=DealStage.choices, required=False)
    lost_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=deal_services.LOST_REASON_MAX_LENGTH
    )
    expected_value = _money_field(required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    expected_close_on = serializers.DateField(required=False, allow_null=True)
    signed_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=deal_services.NOTES_MAX_LENGTH)
    meetings = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all(), many=True, required=False)
    products = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), many=True, required=False)


class DealChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = DealChange
        fields = ["id", "field", "old_value", "new_value", "changed_by", "via", "changed_at"]
        read_only_fields = fields

    def get_changed_by(self, obj) -> dict | None:
        if obj.changed_by is None:
            return None
        return {"id": obj.changed_by.pk, "name": person_name(obj.changed_by)}


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())
    current_version = serializers.IntegerField(allow_null=True)
    changed_by = serializers.DictField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)


class _DealFilters(serializers.Serializer):
    stage = serializers.ChoiceField(choices=DealStage.choices, required=False)
    fair = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    company = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    buyer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def _if_match_version(request) -> int | None:
    """The version an If-Match header names ("3", W/"3" or 3); None without the header."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    value = header.removeprefix("W/").strip().strip('"')
    if not value.isdigit():
        raise exceptions.ValidationError({"version": 'If-Match must name a deal version, such as "3".'})
    return int(value)


def _with_products(deals):
    return deals.prefetch_related(Prefetch("products", queryset=Product.objects.only("id", "company_id")))


def _conflict_response(conflict: DealConflict) -> Response:
    return Response(
        {
            "detail": conflict.message,
            "code": conflict.code,
            "errors": [{"field": conflict.field, "message": conflict.message}],
            "current_version": conflict.current_version,
            "changed_by": None
            if conflict.changed_by is None
            else {"id": conflict.changed_by.pk, "name": person_name(conflict.changed_by)},
            "changed_at": conflict.changed_at,
        },
        status=status.HTTP_409_CONFLICT,
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("stage", str, enum=DealStage.values, description="Only deals at this stage"),
            OpenApiParameter("fair", int, description="Only deals with a meeting at this fair"),
            OpenApiParameter("company", int, description="Only this SME's deals"),
            OpenApiParameter("buyer", int, description="Only this buyer's deals"),
        ]
    )
)
class DealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Export deals. SMEs see and keep their company's; buyers see the deals they are party to;
    staff all. Changes (PATCH) name the version they were made against (`version` or If-Match)
    and get 409 when the deal moved on. Stages move forward; to signed (signed_on, default
    today) or lost (lost_reason) from any open stage; reopening is staff's. `history` lists every
    change with who, when and how."""

    serializer_class = DealSerializer
    filter_backends = []
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Deal.objects.none()
        params = _DealFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        deals = selectors.deal_list(
            self.request.user,
            stage=data.get("stage"),
            fair_id=data.get("fair"),
            company_id=data.get("company"),
            buyer_id=data.get("buyer"),
        )
        return _with_products(deals)

    def _out(self, deal, code=status.HTTP_200_OK) -> Response:
        # Read back as the list reads it (parties, meetings and products loaded).
        deal = _with_products(selectors.deal_list(self.request.user)).filter(pk=deal.pk).first() or deal
        response = Response(DealSerializer(deal).data, status=code)
        response["ETag"] = f'"{deal.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self._out(self.get_object())

    @extend_schema(request=DealCreateSerializer, responses={201: DealSerializer})
    def create(self, request, *args, **kwargs):
        serializer = DealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company = data.pop("company", None)
        if company is None:
            if not request.user.is_sme:
                raise exceptions.ValidationError({"company": "Name the SME of the deal."})
            company = request.user.company
        deal = deal_services.deal_create(by=request.user, company=company, via=ChangeChannel.API, **data)
        return self._out(deal, status.HTTP_201_CREATED)

    @extend_schema(
        request=DealUpdateSerializer,
        parameters=[OpenApiParameter("If-Match", str, location=OpenApiParameter.HEADER, required=False)],
        responses={200: DealSerializer, 409: OpenApiResponse(ConflictSerializer, description="The deal moved on.")},
    )
    def partial_update(self, request, *args, **kwargs):
        deal = self.get_object()
        serializer = DealUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        header = _if_match_version(request)
        if version is not None and header is not None and version != header:
            raise exceptions.ValidationError({"version": "The body's version and If-Match disagree."})
        version = version if version is not None else header
        if version is None:
            raise exceptions.ValidationError(
                {"version": 'Say which version you changed: "version" in the body or an If-Match header.'}
            )
        try:
            updated = deal_services.deal_update(
                deal, by=request.user, expected_version=version, via=ChangeChannel.API, **changes
            )
        except DealConflict as conflict:
            return _conflict_response(conflict)
        return self._out(updated)

    @extend_schema(responses=DealChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every change of the deal, oldest first: field, old and new value, who, how, when."""
        deal = self.get_object()
        changes = selectors.deal_history(deal)
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(DealChangeSerializer(page, many=True).data)


ROUTES: list = [  # (prefix, viewset, basename), registered by tradeon/api/urls.py
    ("meeting-outcomes", MeetingOutcomeViewSet, "meetingoutcome"),
    ("deals", DealViewSet, "deal"),
]
