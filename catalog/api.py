"""REST API of the catalogue: sectors, HS codes, certifications, companies, products."""

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings

from tradeon.accounts.models import Role
from tradeon.api.fields import CertificationCodeField, CountryListField, HSSubheadingField
from tradeon.api.pagination import KeyedListMixin, LongListPagination
from tradeon.api.permissions import IsAgencyStaff, ReadOnlyOrRole

from . import selectors, services
from .models import Certification, Company, HSCode, Product, ProductImage, Sector


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["code", "name_en", "name_ko", "is_strategic"]


class HSCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = HSCode
        fields = ["code", "level", "parent", "section", "description"]


class CertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certification
        fields = ["code", "name", "description"]


def _codes(value: str | None) -> list[str]:
    return sorted(value.split(",")) if value else []


class CompanySerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all())
    export_countries = CountryListField(required=False)
    target_countries = CountryListField(required=False)
    certifications = CertificationCodeField(many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=8), required=False)

    class Meta:
        model = Company
        fields = [
            "id",
            "name_ko",
            "name_en",
            "business_registration_number",
            "sector",
            "description_ko",
            "description_en",
            "founded_year",
            "employees",
            "revenue_band",
            "export_countries",
            "target_countries",
            "certifications",
            "languages",
            "website",
            "seoul_award",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is enforced by the database; the handler turns a clash into a 409, and
        # the service gives the friendly message for the common case.
        extra_kwargs = {"business_registration_number": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if hasattr(instance, "certification_codes"):
            data["certifications"] = _codes(instance.certification_codes)
        return data


# Formats of the list rows' fields, built once: a row asking `self.fields` for them would build
# every field of the ModelSerializer on each request.
_PRICE_FORMAT = serializers.DecimalField(max_digits=14, decimal_places=2)
_CENT = Decimal("0.01")
_COUNTRY_FORMAT = CountryListField().child
_LANGUAGES_FORMAT = serializers.ListField(child=serializers.CharField(max_length=8))


@functools.cache
def _country(code: str) -> str:
    # django-countries looks each code up through the active translation: ~1 ms a page of 50
    # companies. The answer depends on the code alone, and there are some 250 codes.
    return _COUNTRY_FORMAT.to_representation(code)


def _countries(value: str) -> list[str]:
    # `.values()` gives a multiple CountryField as the stored text, "TH,MY".
    return [_country(code) for code in value.split(",")] if value else []


class _ListRowFormats:
    """For the list-row serializers below, which format their rows field by field."""

    @functools.cached_property
    def time_format(self) -> serializers.DateTimeField:
        # DRF's format for the model's times, with the active time zone looked up once per page
        # rather than twice per row.
        return serializers.DateTimeField(default_timezone=timezone.get_current_timezone())

    @functools.cached_property
    def time_text(self) -> Callable[[datetime], str]:
        """DRF's DateTimeField.to_representation for the model's (aware) times. With DRF's
        default ISO 8601 output, the same steps without its per-value look-ups (~0.2 ms a page)."""
        field = self.time_format
        if getattr(field, "format", api_settings.DATETIME_FORMAT).lower() != ISO_8601:
            return field.to_representation
        zone = field.timezone

        def text(value: datetime) -> str:
            if value.tzinfo is None:
                return field.to_representation(value)
            value = value.astimezone(zone).isoformat()
            return value[:-6] + "Z" if value.endswith("+00:00") else value

        return text

    @functools.cached_property
    def price_text(self) -> Callable[[Decimal | None], str | None]:
        """DRF's DecimalField(max_digits=14, decimal_places=2) for a price, None kept. Prices are
        stored with exactly that precision, so rounding to cents as DRF does never changes the
        digits; with DRF's default string output, the same string without DRF's copy of the
        decimal context for each value."""
        field = _PRICE_FORMAT
        if not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING) or field.localize:
            return lambda value: None if value is None else field.to_representation(value)
        return lambda value: None if value is None else f"{value.quantize(_CENT):f}"


class CompanyListSerializer(_ListRowFormats, CompanySerializer):
    """A row of the company list, from a dict of selectors.company_rows; see ProductListSerializer."""

    certifications = serializers.SerializerMethodField()

    def get_certifications(self, obj) -> list[str]:
        return _codes(obj["certification_codes"])

    def to_representation(self, row: dict) -> dict:
        time = self.time_text
        return {
            "id": row["id"],
            "name_ko": row["name_ko"],
            "name_en": row["name_en"],
            "business_registration_number": row["business_registration_number"],
            "sector": row["sector__code"],
            "description_ko": row["description_ko"],
            "description_en": row["description_en"],
            "founded_year": row["founded_year"],
            "employees": row["employees"],
            "revenue_band": row["revenue_band"],
            "export_countries": _countries(row["export_countries"]),
            "target_countries": _countries(row["target_countries"]),
            "certifications": _codes(row["certification_codes"]),
            "languages": _LANGUAGES_FORMAT.to_representation(row["languages"]),
            "website": row["website"],
            "seoul_award": row["seoul_award"],
            "status": row["status"],
            "created_at": time(row["created_at"]),
            "updated_at": time(row["updated_at"]),
        }


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "alt_text", "position"]
        read_only_fields = ["id", "position"]


class ProductSerializer(serializers.ModelSerializer):
    hs_code = HSSubheadingField()
    certifications = CertificationCodeField(many=True, required=False)
    company_name_en = serializers.CharField(source="company.name_en", read_only=True)
    company_name_ko = serializers.CharField(source="company.name_ko", read_only=True)
    sector = serializers.CharField(source="company.sector.code", read_only=True)
    seoul_award = serializers.BooleanField(source="company.seoul_award", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "company",
            "company_name_en",
            "company_name_ko",
            "sector",
            "seoul_award",
            "name_ko",
            "name_en",
            "description_ko",
            "description_en",
            "hs_code",
            "keywords",
            "moq",
            "moq_unit",
            "price_min",
            "price_max",
            "currency",
            "lead_time_days",
            "certifications",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if hasattr(instance, "certification_codes"):
            data["certifications"] = _codes(instance.certification_codes)
        return data


class ProductListSerializer(_ListRowFormats, ProductSerializer):
    """A row of the product list, from a dict of selectors.product_rows rather than a model
    instance, written out field by field: DRF's generic field loop cost ~4 ms per page of 50. The
    declared fields still describe the row (OpenAPI); prices and times are formatted by the same
    DRF fields, and a test holds the row equal to ProductSerializer's output."""

    certifications = serializers.SerializerMethodField()

    def get_certifications(self, obj) -> list[str]:
        return _codes(obj["certification_codes"])

    def to_representation(self, row: dict) -> dict:
        price, time = self.price_text, self.time_text
        return {
            "id": row["id"],
            "company": row["company_id"],
            "company_name_en": row["company__name_en"],
            "company_name_ko": row["company__name_ko"],
            "sector": row["company_sector__code"],
            "seoul_award": row["company_seoul_award"],
            "name_ko": row["name_ko"],
            "name_en": row["name_en"],
            "description_ko": row["description_ko"],
            "description_en": row["description_en"],
            "hs_code": row["hs_code_id"],
            "keywords": row["keywords"],
            "moq": row["moq"],
            "moq_unit": row["moq_unit"],
            "price_min": price(row["price_min"]),
            "price_max": price(row["price_max"]),
            "currency": row["currency"],
            "lead_time_days": row["lead_time_days"],
            "certifications": _codes(row["certification_codes"]),
            "status": row["status"],
            "created_at": time(row["created_at"]),
            "updated_at": time(row["updated_at"]),
        }


class ProductDetailSerializer(ProductSerializer):
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta(ProductSerializer.Meta):
        fields = ProductSerializer.Meta.fields + ["images"]


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Sector.objects.all()
    serializer_class = SectorSerializer
    lookup_field = "code"
    pagination_class = None


class CertificationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Certification.objects.all()
    serializer_class = CertificationSerializer
    lookup_field = "code"
    pagination_class = None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Code prefix (digits) or words of the description"),
            OpenApiParameter("level", int, enum=[2, 4, 6]),
        ]
    )
)
class HSCodeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HSCodeSerializer
    filter_backends = []
    lookup_field = "code"
    lookup_value_regex = r"\d{2}|\d{4}|\d{6}"

    def get_queryset(self):
        level = self.request.query_params.get("level")
        return selectors.hs_code_search(
            text=self.request.query_params.get("q", ""), level=int(level) if level in ("2", "4", "6") else None
        )


class CompanyViewSet(KeyedListMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """SMEs read published companies and edit their own; staff create and edit all."""

    permission_classes = [ReadOnlyOrRole]
    write_roles = (Role.SME, Role.STAFF)
    pagination_class = LongListPagination
    list_scope = staticmethod(selectors.list_scope)
    filterset_fields = {"status": ["exact"], "seoul_award": ["exact"]}
    ordering_fields = ["name_en", "name_ko", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        queryset = selectors.company_list(user=self.request.user)
        sector = self.request.query_params.get("sector")
        if sector:
            queryset = queryset.filter(sector__code=sector)
        return queryset

    def page_rows(self, page):
        """What a list page shows (LongListPagination applies it to the page alone)."""
        return selectors.company_rows(page)

    def get_serializer_class(self):
        return CompanyListSerializer if self.action == "list" else CompanySerializer

    def get_permissions(self):
        # SMEs arrive with their company through sign-up; only staff add companies directly.
        if self.action == "create":
            return [IsAgencyStaff()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        serializer = CompanySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        company = services.company_create(created_by=request.user, **serializer.validated_data)
        return Response(CompanySerializer(company).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        company = self.get_object()
        serializer = CompanySerializer(company, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        company = services.company_update(company=company, updated_by=request.user, **serializer.validated_data)
        return Response(CompanySerializer(company).data)


PRODUCT_SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find in names, descriptions and keywords (Korean or English)"),
    OpenApiParameter("sector", str, description="Sector code, e.g. beauty"),
    OpenApiParameter("hs", str, description="HS chapter (2 digits), heading (4) or subheading (6)"),
    OpenApiParameter("certification", str, description="Certification code, e.g. halal"),
    OpenApiParameter("seoul_award", bool),
    OpenApiParameter("moq_max", int, description="Largest acceptable minimum order quantity"),
    OpenApiParameter("company", int),
]


class _SearchParams(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sector = serializers.SlugField(required=False, allow_blank=True)
    hs = serializers.RegexField(
        r"^(\d{2}|\d{4}|\d{6})$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "hs must be 2, 4 or 6 digits."},
    )
    certification = serializers.SlugField(required=False, allow_blank=True)
    seoul_award = serializers.BooleanField(required=False, allow_null=True, default=None)
    moq_max = serializers.IntegerField(required=False, min_value=1)
    company = serializers.IntegerField(required=False, min_value=1)


_SEARCH_PARAM_NAMES = tuple(_SearchParams._declared_fields)


@extend_schema_view(list=extend_schema(parameters=PRODUCT_SEARCH_PARAMETERS))
class ProductViewSet(KeyedListMixin, viewsets.ModelViewSet):
    """The catalogue. Everyone signed in searches published products; SMEs manage their own."""

    permission_classes = [ReadOnlyOrRole]
    write_roles = (Role.SME, Role.STAFF)
    pagination_class = LongListPagination
    list_scope = staticmethod(selectors.list_scope)
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        queryset = selectors.product_list(user=self.request.user)
        if self.action != "list":
            return queryset
        data = {}
        if any(name in self.request.query_params for name in _SEARCH_PARAM_NAMES):
            # The plain list (browsing by page, the commonest request) has nothing to validate:
            # building and running the serializer was ~0.3 ms.
            params = _SearchParams(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            data = params.validated_data
        return selectors.product_search(
            queryset,
            text=data.get("q", ""),
            sector=data.get("sector", ""),
            hs=data.get("hs", ""),
            certification=data.get("certification", ""),
            seoul_award=data.get("seoul_award"),
            moq_max=data.get("moq_max"),
            company_id=data.get("company"),
            order="newest",
        )

    def page_rows(self, page):
        """What a list page shows (LongListPagination applies it to the page alone)."""
        return selectors.product_rows(page)

    def get_serializer_class(self):
        if self.action == "list":
            return ProductListSerializer
        return ProductDetailSerializer

    def _company_for_write(self, request, requested):
        if request.user.role == Role.SME:
            if requested is not None and requested.pk != request.user.company_id:
                from tradeon.errors import NotAllowed

                raise NotAllowed("You can add products only to your own company.", field="company")
            return request.user.company
        if requested is None:
            raise serializers.ValidationError({"company": "Staff must say which company the product belongs to."})
        return requested

    def create(self, request, *args, **kwargs):
        serializer = ProductSerializer(data=request.data, context={"request": request})
        serializer.fields["company"].required = False
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company = self._company_for_write(request, data.pop("company", None))
        product = services.product_create(company=company, created_by=request.user, **data)
        return Response(
            ProductDetailSerializer(product, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        product = self.get_object()
        serializer = ProductSerializer(
            product, data=request.data, partial=kwargs.get("partial", False), context={"request": request}
        )
        serializer.fields["company"].read_only = True
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("company", None)
        product = services.product_update(product=product, updated_by=request.user, **data)
        return Response(ProductDetailSerializer(product, context={"request": request}).data)

    def destroy(self, request, *args, **kwargs):
        services.product_delete(product=self.get_object(), deleted_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request={"multipart/form-data": ProductImageSerializer}, responses=ProductImageSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], url_path="images")
    def add_image(self, request, pk=None):
        product = self.get_object()
        # Refuse before reading the upload: a stranger's file is not worth parsing.
        services.require_company_manager(user=request.user, company=product.company)
        serializer = ProductImageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.product_image_add(
            product=product,
            uploaded_by=request.user,
            image=serializer.validated_data["image"],
            alt_text=serializer.validated_data.get("alt_text", ""),
        )
        return Response(
            ProductImageSerializer(image, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
