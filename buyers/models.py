"""Overseas buyer organisations, their verification, and their sourcing requests."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from catalog.models import Certification, Currency, HSCode, Sector
from catalog.validators import validate_languages, validate_time_zone


class BuyerType(models.TextChoices):
    IMPORTER = "importer", _("Importer")
    DISTRIBUTOR = "distributor", _("Distributor")
    WHOLESALER = "wholesaler", _("Wholesaler")
    RETAILER = "retailer", _("Retail chain")
    ONLINE_MARKETPLACE = "marketplace", _("Online marketplace")
    AGENT = "agent", _("Sourcing agent")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    PUBLIC_PROCUREMENT = "procurement", _("Public procurement")


class ImportVolumeBand(models.TextChoices):
    UNDER_100K = "lt100k", _("Under USD 100k a year")
    K100_TO_1M = "100kto1m", _("USD 100k-1M a year")
    M1_TO_10 = "1to10m", _("USD 1-10M a year")
    OVER_10M = "gt10m", _("Over USD 10M a year")


class VerificationState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class BuyerOrganisation(models.Model):
    """An overseas importer, distributor or retailer. Registration is open at any time;
    staff vet each one into a verified ("genuine") buyer or reject it with a reason."""

    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    buyer_type = models.CharField(_("type"), max_length=20, choices=BuyerType.choices)
    sectors = models.ManyToManyField(Sector, blank=True, related_name="buyers", verbose_name=_("sectors of interest"))
    hs_codes = models.ManyToManyField(
        HSCode, blank=True, related_name="interested_buyers", verbose_name=_("HS codes of interest")
    )
    import_volume_band = models.CharField(
        _("annual import volume"), max_length=10, choices=ImportVolumeBand.choices, blank=True
    )
    languages = models.JSONField(_("languages"), default=list, blank=True, validators=[validate_languages])
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    # Contact details: visible to the buyer's own members and staff only, never to SMEs.
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    verification_state = models.CharField(
        max_length=10, choices=VerificationState.choices, default=VerificationState.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["verification_state", "country"])]
        constraints = [
            models.CheckConstraint(
                name="buyer_review_recorded",
                condition=Q(verification_state=VerificationState.PENDING)
                | Q(verification_state=VerificationState.VERIFIED, reviewed_at__isnull=False)
                | (
                    Q(verification_state=VerificationState.REJECTED, reviewed_at__isnull=False)
                    & ~Q(rejection_reason="")
                ),
                violation_error_message="A verified or rejected buyer needs a review time, and a rejection a reason.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country.code})"

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED


class SourcingRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SourcingRequest(models.Model):
    """What a buyer is looking for right now."""

    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="sourcing_requests")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    hs_codes = models.ManyToManyField(HSCode, blank=True, related_name="sourcing_requests", verbose_name=_("HS codes"))
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True, validators=[MinValueValidator(1)])
    quantity_unit = models.CharField(_("unit"), max_length=30, default="pcs")
    target_price = models.DecimalField(_("target unit price"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    required_certifications = models.ManyToManyField(Certification, blank=True, related_name="sourcing_requests")
    wanted_by = models.DateField(_("wanted by"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=SourcingRequestStatus.choices, default=SourcingRequestStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "buyer"])]

    def __str__(self) -> str:
        return self.title
