"""REST API of the buyer database: buyer organisations, verification, sourcing requests."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.models import Sector
from tradeon.accounts.models import Role
from tradeon.api.fields import CertificationCodeField, HSCodeOfInterestField
from tradeon.api.permissions import IsAgencyStaff, ReadOnlyOrRole
from tradeon.errors import NotAllowed

from . import selectors, services
from .models import BuyerOrganisation, SourcingRequest

PUBLIC_BUYER_FIELDS = [
    "id",
    "name",
    "country",
    "city",
    "buyer_type",
    "sectors",
    "hs_codes",
    "import_volume_band",
    "languages",
    "time_zone",
    "website",
    "description",
    "verification_state",
]


class BuyerPublicSerializer(serializers.ModelSerializer):
    """What an SME may see of a verified buyer: never its contact details."""

    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    hs_codes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = BuyerOrganisation
        fields = PUBLIC_BUYER_FIELDS
        read_only_fields = fields


class BuyerSerializer(serializers.ModelSerializer):
    """The full profile, for the buyer's own members and staff."""

    sectors = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Sector.objects.all(), required=False)
    hs_codes = HSCodeOfInterestField(many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=8), required=False)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, default=None)

    class Meta:
        model = BuyerOrganisation
        fields = PUBLIC_BUYER_FIELDS + [
            "contact_name",
            "contact_email",
            "contact_phone",
            "reviewed_by",
            "reviewed_at",
            "rejection_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "verification_state",
            "reviewed_by",
            "reviewed_at",
            "rejection_reason",
            "created_at",
            "updated_at",
        ]


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BuyerViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Buyers: staff see and verify all; a buyer sees and edits its own; SMEs see verified
    buyers' public profiles."""

    permission_classes = [ReadOnlyOrRole]
    write_roles = (Role.BUYER, Role.STAFF)
    filterset_fields = {"country": ["exact"], "buyer_type": ["exact"], "verification_state": ["exact"]}
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BuyerOrganisation.objects.none()
        queryset = selectors.buyer_list(user=self.request.user)
        sector = self.request.query_params.get("sector")
        if sector:
            queryset = queryset.filter(sectors__code=sector)
        return queryset

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return BuyerSerializer
        if self.request.user.role == Role.SME:
            return BuyerPublicSerializer
        return BuyerSerializer

    def create(self, request, *args, **kwargs):
        if request.user.role != Role.STAFF:
            raise NotAllowed("Buyers register through sign-up; only staff add buyer organisations directly.")
        serializer = BuyerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        buyer = services.buyer_create(created_by=request.user, **serializer.validated_data)
        return Response(BuyerSerializer(buyer).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        buyer = self.get_object()
        serializer = BuyerSerializer(buyer, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        buyer = services.buyer_update(buyer=buyer, updated_by=request.user, **serializer.validated_data)
        return Response(BuyerSerializer(buyer).data)

    @extend_schema(request=None, responses=BuyerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def verify(self, request, pk=None):
        buyer = services.buyer_verify(buyer=self.get_object(), reviewer=request.user)
        return Response(BuyerSerializer(buyer).data)

    @extend_schema(request=RejectSerializer, responses=BuyerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def reject(self, request, pk=None):
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        buyer = services.buyer_reject(
            buyer=self.get_object(), reviewer=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(BuyerSerializer(buyer).data)

    @extend_schema(request=None, responses=BuyerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def reopen(self, request, pk=None):
        buyer = services.buyer_reopen(buyer=self.get_object(), reviewer=request.user)
        return Response(BuyerSerializer(buyer).data)


class SourcingRequestSerializer(serializers.ModelSerializer):
    buyer = serializers.PrimaryKeyRelatedField(queryset=BuyerOrganisation.objects.all(), required=False)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    buyer_country = serializers.CharField(source="buyer.country.code", read_only=True)
    hs_codes = HSCodeOfInterestField(many=True, required=False)
    required_certifications = CertificationCodeField(many=True, required=False)

    class Meta:
        model = SourcingRequest
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "buyer_country",
            "title",
            "description",
            "hs_codes",
            "quantity",
            "quantity_unit",
            "target_price",
            "currency",
            "required_certifications",
            "wanted_by",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SourcingRequestViewSet(viewsets.ModelViewSet):
    permission_classes = [ReadOnlyOrRole]
    write_roles = (Role.BUYER, Role.STAFF)
    serializer_class = SourcingRequestSerializer
    filterset_fields = {"status": ["exact"], "buyer": ["exact"]}
    ordering_fields = ["created_at", "wanted_by"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SourcingRequest.objects.none()
        return selectors.sourcing_request_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = SourcingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        requested = data.pop("buyer", None)
        if request.user.role == Role.BUYER:
            if requested is not None and requested.pk != request.user.buyer_organisation_id:
                raise NotAllowed("You can post sourcing requests only for your own organisation.", field="buyer")
            buyer = request.user.buyer_organisation
        elif requested is None:
            raise serializers.ValidationError({"buyer": "Staff must say which buyer the request belongs to."})
        else:
            buyer = requested
        sourcing_request = services.sourcing_request_create(buyer=buyer, created_by=request.user, **data)
        return Response(SourcingRequestSerializer(sourcing_request).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        sourcing_request = self.get_object()
        serializer = SourcingRequestSerializer(
            sourcing_request, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("buyer", None)
        sourcing_request = services.sourcing_request_update(
            sourcing_request=sourcing_request, updated_by=request.user, **data
        )
        return Response(SourcingRequestSerializer(sourcing_request).data)

    def destroy(self, request, *args, **kwargs):
        services.sourcing_request_delete(sourcing_request=self.get_object(), deleted_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
