"""The export-contract pipeline (수출계약 추진액): what each meeting produced, as each side saw it
(`MeetingOutcome`), the deals that follow (`Deal`) with every change of value or stage kept
(`DealChange`), and the dated exchange rates staff maintain to add mixed currencies up in KRW.
Money is Decimal with its currency, never a float."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buyers.models import BuyerOrganisation
from catalog.models import Company, Currency, Product

from ..pipeline.history import DealChangeQuerySet, DealQuerySet
from .fairs import Meeting

MONEY_DIGITS = 18
MONEY_PLACES = 2


class ExchangeRate(models.Model):
    """KRW per one unit of a currency, valid from a date until the next rate of that currency.
    A report converts with the newest rate on or before its as-of date and says which it used."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    valid_from = models.DateField(_("valid from"))
    krw_per_unit = models.DecimalField(_("KRW per unit"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=200, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="one_rate_per_currency_and_day"),
            models.CheckConstraint(condition=Q(krw_per_unit__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(currency="KRW"), name="exchange_rate_not_krw"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.krw_per_unit} KRW from {self.valid_from}"


class InterestLevel(models.TextChoices):
    NONE = "none", _("No interest")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class NextStep(models.TextChoices):
    CATALOGUE = "catalogue", _("Send catalogue")
    SAMPLES = "samples", _("Send samples")
    QUOTATION = "quotation", _("Send quotation")
    VISIT = "visit", _("Visit")
    NONE = "none", _("None")


class OutcomeSide(models.TextChoices):
    SME = "sme", _("SME")
    BUYER = "buyer", _("Buyer")


class MeetingOutcome(models.Model):
    """One side's account of a meeting, asked for after it (page and email); staff may record
    or correct it for either side."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="outcomes")
    side = models.CharField(_("side"), max_length=5, choices=OutcomeSide.choices)
    interest = models.CharField(_("interest level"), max_length=6, choices=InterestLevel.choices)
    next_step = models.CharField(_("next step"), max_length=10, choices=NextStep.choices)
    products = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("products discussed"))
    expected_value = models.DecimalField(
        _("expected order value"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_staff = models.BooleanField(default=False, help_text="recorded or last corrected by staff")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting", "side"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "side"], name="one_outcome_per_meeting_side"),
            models.CheckConstraint(
                condition=(Q(expected_value__isnull=True) & Q(currency=""))
                | (Q(expected_value__gte=0) & ~Q(currency="")),
                name="outcome_value_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} outcome of meeting {self.meeting_id}"


class DealStage(models.TextChoices):
    CONSULTED = "consulted", _("Consulted")
    FOLLOW_UP = "follow_up", _("Follow-up")
    SAMPLES_QUOTATION = "samples_quotation", _("Samples / quotation")
    NEGOTIATION = "negotiation", _("Negotiation")
    SIGNED = "signed", _("Contract signed")
    LOST = "lost", _("Lost")


OPEN_STAGES = (DealStage.CONSULTED, DealStage.FOLLOW_UP, DealStage.SAMPLES_QUOTATION, DealStage.NEGOTIATION)
# The pipeline value (수출계약 추진액) adds up open and signed deals.
PIPELINE_STAGES = (*OPEN_STAGES, DealStage.SIGNED)


class Deal(models.Model):
    """An export deal between an SME and a buyer, from the meetings it came from (possibly in
    several fairs) to a signed contract or a loss. `version` is raised on every write: a writer
    that read an older version is refused instead of overwriting (optimistic locking)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="deals")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.PROTECT, related_name="deals")
    meetings = models.ManyToManyField(Meeting, blank=True, related_name="deals", verbose_name=_("meetings"))
    products = models.ManyToManyField(Product, blank=True, related_name="deals", verbose_name=_("products"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=DealStage.choices, default=DealStage.CONSULTED)
    lost_reason = models.CharField(_("reason lost"), max_length=500, blank=True)
    expected_value = models.DecimalField(
        _("expected value"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=0
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=10000, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expected_value__gte=0), name="deal_value_not_negative"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="deal_probability_percent"),
            models.CheckConstraint(condition=~Q(stage="lost") | ~Q(lost_reason=""), name="lost_deal_has_reason"),
        ]
        indexes = [models.Index(fields=["stage"]), models.Index(fields=["company", "buyer"])]

    def __str__(self) -> str:
        return f"deal {self.pk}: {self.company_id} x {self.buyer_id} ({self.stage})"


class ChangeChannel(models.TextChoices):
    PAGE = "page", _("Web page")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    TASK = "task", _("Task")
    SYSTEM = "system", _("System")


class DealChange(models.Model):
    """One change of a deal's value or stage: who, when, how, old and new. Written by the deal
    services and the deal queryset's update paths; never edited or deleted."""

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(max_length=30)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=10, choices=ChangeChannel.choices)
    changed_at = models.DateTimeField()

    objects = DealChangeQuerySet.as_manager()

    class Meta:
        ordering = ["deal", "changed_at", "id"]
        indexes = [models.Index(fields=["deal", "changed_at"])]

    def __str__(self) -> str:
        return f"deal {self.deal_id} {self.field}: {self.old_value} -> {self.new_value}"
