"""REST API of fairs: meeting requests (send, answer, withdraw, list by role) and the matcher's
suggestions for a fair (and turning one into a request)."""

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buyers.models import BuyerOrganisation
from catalog.models import Company

from ...models import ConsultationFair, MeetingRequest, Pairing, RequestStatus
from .. import requests as meeting_requests


def _company(company: Company) -> dict:
    return {"id": company.pk, "name_en": company.name_en, "name_ko": company.name_ko}


def _buyer(buyer: BuyerOrganisation) -> dict:
    return {"id": buyer.pk, "name": buyer.name, "country": buyer.country.code}


class _PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()


class CompanyRefSerializer(_PartySerializer):
    name_en = serializers.CharField()
    name_ko = serializers.CharField()


class BuyerRefSerializer(_PartySerializer):
    name = serializers.CharField()
    country = serializers.CharField()


class MeetingRequestSerializer(serializers.ModelSerializer):
    fair_name = serializers.CharField(source="fair.name", read_only=True)
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="A pending request past its expiry reads as expired.")
    direction = serializers.SerializerMethodField(
        help_text="From the reader's side: incoming (to answer) or outgoing (sent); null for staff."
    )

    class Meta:
        model = MeetingRequest
        fields = [
            "id",
            "fair",
            "fair_name",
            "company",
            "buyer",
            "from_side",
            "direction",
            "message",
            "status",
            "on_behalf",
            "score",
            "created_at",
            "expires_at",
            "responded_at",
            "response_note",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> CompanyRefSerializer:
        return _company(obj.company)

    def get_buyer(self, obj) -> BuyerRefSerializer:
        return _buyer(obj.buyer)

    def get_status(self, obj) -> str:
        return meeting_requests.effective_status(obj)

    def get_direction(self, obj) -> str | None:
        request = self.context.get("request")
        side = meeting_requests.user_side(request.user) if request else None
        if side is None:
            return None
        return "outgoing" if obj.from_side == side else "incoming"


class MeetingRequestCreateSerializer(serializers.Serializer):
    fair = serializers.PrimaryKeyRelatedField(queryset=ConsultationFair.objects.all())
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, help_text="The SME to meet (buyers and staff)."
    )
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=BuyerOrganisation.objects.all(), required=False, help_text="The buyer to meet (SMEs and staff)."
    )
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=meeting_requests.MESSAGE_MAX_LENGTH, default=""
    )
    from_side = serializers.ChoiceField(
        choices=MeetingRequest.Side.choices,
        required=False,
        help_text="Staff only: the side on whose behalf the request is sent.",
    )


class AcceptSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=meeting_requests.NOTE_MAX_LENGTH)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=meeting_requests.NOTE_MAX_LENGTH)


class _RequestFilters(serializers.Serializer):
    fair = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)
    side = serializers.ChoiceField(choices=MeetingRequest.Side.choices, required=False)
    direction = serializers.ChoiceField(choices=["incoming", "outgoing"], required=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("fair", int, description="Only this fair's requests"),
            OpenApiParameter("status", str, enum=RequestStatus.values, description="pending, accepted, ..."),
            OpenApiParameter("side", str, enum=MeetingRequest.Side.values, description="The side that sent it"),
            OpenApiParameter(
                "direction", str, enum=["incoming", "outgoing"], description="SMEs and buyers: to answer, or sent"
            ),
        ]
    )
)
class MeetingRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meeting requests inside fairs. An SME sees its company's, a buyer its organisation's, staff
    all. SMEs ask buyers (`buyer`), buyers ask SMEs (`company`); staff send on behalf of a side
    (`company`, `buyer`, `from_side`). The side asked accepts or declines; the sender withdraws."""

    serializer_class = MeetingRequestSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MeetingRequest.objects.none()
        params = _RequestFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return meeting_requests.meeting_request_list(
            user=self.request.user,
            fair_id=data.get("fair"),
            status=data.get("status"),
            side=data.get("side"),
            direction=data.get("direction"),
        )

    def _out(self, meeting_request, code=status.HTTP_200_OK) -> Response:
        return Response(MeetingRequestSerializer(meeting_request, context={"request": self.request}).data, status=code)

    @extend_schema(request=MeetingRequestCreateSerializer, responses={201: MeetingRequestSerializer})
    def create(self, request, *args, **kwargs):
        serializer = MeetingRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if meeting_requests.user_side(request.user) is None and "from_side" in data:
            for field in ("company", "buyer"):
                if data.get(field) is None:
                    raise exceptions.ValidationError({field: "Staff name both the company and the buyer."})
            created = meeting_requests.meeting_request_create_on_behalf(
                fair=data["fair"],
                staff=request.user,
                company=data["company"],
                buyer=data["buyer"],
                from_side=data["from_side"],
                message=data["message"],
            )
        else:
            created = meeting_requests.meeting_request_create(
                fair=data["fair"],
                user=request.user,
                company=data.get("company"),
                buyer=data.get("buyer"),
                message=data["message"],
            )
        return self._out(created, status.HTTP_201_CREATED)

    @extend_schema(request=AcceptSerializer, responses=MeetingRequestSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = meeting_requests.meeting_request_accept(
            meeting_request=self.get_object(), user=request.user, note=serializer.validated_data.get("note", "")
        )
        return self._out(answered)

    @extend_schema(request=DeclineSerializer, responses=MeetingRequestSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = meeting_requests.meeting_request_decline(
            meeting_request=self.get_object(), user=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return self._out(answered)

    @extend_schema(request=None, responses=MeetingRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        withdrawn = meeting_requests.meeting_request_withdraw(meeting_request=self.get_object(), user=request.user)
        return self._out(withdrawn)


class SuggestionSerializer(serializers.ModelSerializer):
    fair = serializers.IntegerField(source="run.fair_id", read_only=True)
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Pairing
        fields = ["id", "fair", "company", "buyer", "score", "explanation", "products", "is_pinned"]
        read_only_fields = fields

    def get_company(self, obj) -> CompanyRefSerializer:
        return _company(obj.company)

    def get_buyer(self, obj) -> BuyerRefSerializer:
        return _buyer(obj.buyer)

    def get_explanation(self, obj) -> str:
        return obj.explanation_ko if (get_language() or "en").startswith("ko") else obj.explanation_en


class SuggestionRequestSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=meeting_requests.MESSAGE_MAX_LENGTH, default=""
    )
    from_side = serializers.ChoiceField(
        choices=MeetingRequest.Side.choices, required=False, help_text="Staff only: the side the request is from."
    )


class _SuggestionFilters(serializers.Serializer):
    fair = serializers.IntegerField(min_value=1)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("fair", int, required=True, description="The fair whose suggestions to list")]
    )
)
class FairSuggestionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The matcher's proposed pairs of a fair, as suggestions: an SME sees the buyers proposed
    for it, a buyer the SMEs, staff every pair; without pairs already requested (or declined),
    excluded pairs, and counterparts that are not accepted participants. Best first."""

    serializer_class = SuggestionSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pairing.objects.none()
        params = _SuggestionFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        fair = ConsultationFair.objects.filter(pk=params.validated_data["fair"]).first()
        if fair is None:
            raise exceptions.NotFound("No such fair.")
        return meeting_requests.fair_suggestion_list(user=self.request.user, fair=fair)

    @extend_schema(request=SuggestionRequestSerializer, responses={201: MeetingRequestSerializer})
    # Not named `request`: that would shadow the view's own `self.request`.
    @action(detail=True, methods=["post"], url_path="request")
    def request_meeting(self, request, pk=None):
        """Turn this suggestion into a meeting request: SMEs and buyers ask the other side; staff
        send it on behalf of `from_side`."""
        serializer = SuggestionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pairing = meeting_requests.fair_suggestion_get(user=request.user, pairing_id=int(pk))
        if pairing is None:
            raise exceptions.NotFound("No such suggestion (it may have been requested already).")
        created = meeting_requests.meeting_request_from_suggestion(
            pairing=pairing,
            user=request.user,
            message=serializer.validated_data["message"],
            from_side=serializer.validated_data.get("from_side"),
        )
        return Response(
            MeetingRequestSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


ROUTES: list = [  # (prefix, viewset, basename), registered by tradeon/api/urls.py
    ("meeting-requests", MeetingRequestViewSet, "meetingrequest"),
    ("fair-suggestions", FairSuggestionViewSet, "fairsuggestion"),
]
