"""The SME catalogue: sectors, the HS nomenclature, certifications, companies and products."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .validators import validate_business_registration_number, validate_languages, validate_product_image


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Currency(models.TextChoices):
    """ISO 4217 codes used for product prices and for deal and outcome values (the pipeline's
    exchange rates cover each of them)."""

    KRW = "KRW", "KRW"
    USD = "USD", "USD"
    EUR = "EUR", "EUR"
    JPY = "JPY", "JPY"
    CNY = "CNY", "CNY"
    VND = "VND", "VND"
    THB = "THB", "THB"
    MYR = "MYR", "MYR"
    SGD = "SGD", "SGD"
    IDR = "IDR", "IDR"
    GBP = "GBP", "GBP"
    AED = "AED", "AED"


class Sector(models.Model):
    """One of the five strategic sectors (5대 전략산업) or "other"."""

    code = models.SlugField(max_length=32, unique=True)
    name_en = models.CharField(max_length=100)
    name_ko = models.CharField(max_length=100)
    is_strategic = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order"]

    def __str__(self) -> str:
        return self.name_en


class HSCode(models.Model):
    """One entry of the WCO Harmonized System: a 2-digit chapter, 4-digit heading or 6-digit
    subheading. The code itself is the primary key, so products can refer to it directly."""

    code = models.CharField(max_length=6, primary_key=True)
    level = models.PositiveSmallIntegerField(choices=[(2, "chapter"), (4, "heading"), (6, "subheading")])
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    section = models.CharField(max_length=8, blank=True)
    description = models.TextField()

    class Meta:
        ordering = ["code"]
        verbose_name = "HS code"
        constraints = [
            models.CheckConstraint(name="hscode_level_matches_length", condition=Q(level__in=[2, 4, 6])),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:60]}"


class Certification(models.Model):
    """A certification an SME or product holds, or a buyer requires (FDA, CE, Halal, ...)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RevenueBand(models.TextChoices):
    UNDER_1B = "lt1b", _("Under 1 billion KRW")
    B1_TO_5 = "1to5b", _("1-5 billion KRW")
    B5_TO_10 = "5to10b", _("5-10 billion KRW")
    B10_TO_50 = "10to50b", _("10-50 billion KRW")
    OVER_50B = "gt50b", _("Over 50 billion KRW")


class Company(models.Model):
    """A Seoul SME that lists itself and its products for export."""

    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    business_registration_number = models.CharField(
        _("business registration number"),
        max_length=12,
        unique=True,
        validators=[validate_business_registration_number],
        help_text=_("10 digits, written 123-45-67890."),
    )
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="companies")
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    founded_year = models.PositiveSmallIntegerField(
        _("founding year"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue_band = models.CharField(_("annual revenue"), max_length=10, choices=RevenueBand.choices, blank=True)
    export_countries = CountryField(_("already exports to"), multiple=True, blank=True)
    target_countries = CountryField(_("target countries"), multiple=True, blank=True)
    certifications = models.ManyToManyField(Certification, blank=True, related_name="companies")
    languages = models.JSONField(_("languages spoken"), default=list, blank=True, validators=[validate_languages])
    website = models.URLField(_("website"), blank=True)
    seoul_award = models.BooleanField(_("Seoul Award"), default=False)
    status = models.CharField(max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT)
    # `status` as a column the database computes. A buyer's list filters on it without a
    # parameter (`WHERE is_published`), so PostgreSQL plans its page once per connection instead
    # of on every request (plan_cache_mode=force_custom_plan replans statements with parameters).
    is_published = models.GeneratedField(
        expression=Q(status=PublicationStatus.PUBLISHED), output_field=models.BooleanField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name_plural = "companies"
        indexes = [
            models.Index(fields=["status", "sector"]),
            # The published companies in the list's order, with the key a deep page needs, so a
            # deep page finds its ids in the index alone (tradeon.pagination).
            models.Index(
                fields=["name_en", "id"],
                condition=Q(is_published=True),
                name="company_published_by_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.name_ko})"


class Product(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="products")
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    hs_code = models.ForeignKey(
        HSCode,
        on_delete=models.PROTECT,
        related_name="products",
        limit_choices_to={"level": 6},
        verbose_name=_("HS code"),
    )
    keywords = models.CharField(_("keywords"), max_length=500, blank=True, help_text=_("Comma-separated."))
    moq = models.PositiveIntegerField(_("minimum order quantity"), default=1, validators=[MinValueValidator(1)])
    moq_unit = models.CharField(_("MOQ unit"), max_length=30, default="pcs")
    price_min = models.DecimalField(_("unit price from"), max_digits=14, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(_("unit price to"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), null=True, blank=True)
    certifications = models.ManyToManyField(Certification, blank=True, related_name="products")
    status = models.CharField(max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT)
    # Lower-cased names, descriptions and keywords of the product and its company, kept by the
    # services; one indexed column makes Korean and English substring search a single lookup.
    search_text = models.TextField(editable=False, default="")
    # Copies of the company's facts, kept by the services (catalog.services.product_fill_derived_fields
    # and company_products_sync), so a buyer's list, count and filters read the product row alone:
    # the join to the company cost 15-25 ms per list at 10^5 products (docs/benchmarks.md).
    is_listed = models.BooleanField(
        _("listed"),
        default=False,
        editable=False,
        help_text=_("Published, and its company is published: what buyers see."),
    )
    # No index of its own: searches read it through product_listed_by_sector below.
    company_sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    company_seoul_award = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "hs_code"]),
            models.Index(fields=["company", "status"]),
            models.Index(fields=["moq"]),
            # Buyers' lists in their two orders (API: newest first; web catalogue: Seoul Award
            # holders first); partial, so the count and a page read only listed products.
            models.Index(fields=["id"], condition=Q(is_listed=True), name="product_listed_newest"),
            models.Index(
                fields=["-company_seoul_award", "id"], condition=Q(is_listed=True), name="product_listed_award_first"
            ),
            # A sector's listed products, read from the index alone by a search that filters on
            # the sector (with a certification: 43 -> 7 ms for sector=food&certification=halal).
            models.Index(fields=["company_sector", "id"], condition=Q(is_listed=True), name="product_listed_by_sector"),
        ]
        constraints = [
            models.CheckConstraint(
                name="product_price_range_ordered",
                condition=Q(price_min__isnull=True) | Q(price_max__isnull=True) | Q(price_min__lte=F("price_max")),
                violation_error_message="The lowest unit price must not exceed the highest.",
            ),
            models.CheckConstraint(name="product_moq_positive", condition=Q(moq__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name_en


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path, validators=[validate_product_image])
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"image {self.position} of product {self.product_id}"
