"""Matching (비즈매칭): proposed SME-buyer pairings with their reasons, staff
decisions on pairs, the versioned scoring model, and the outcomes it learns from."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buyers.models import BuyerOrganisation
from catalog.models import Company

from .fairs import ConsultationFair


class ScoringModel(models.Model):
    """A version of the signal weights: the documented defaults (version 1) or weights learned
    from outcomes. Exactly one is active; each pairing records the version that scored it."""

    class Source(models.TextChoices):
        DEFAULT = "default", _("Documented defaults")
        LEARNED = "learned", _("Learned from outcomes")

    version = models.PositiveIntegerField(unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    weights = models.JSONField()
    outcomes_used = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_scoring_model")
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.source})"


class MatchingRun(models.Model):
    """One recompute. Its pairings become visible together, when the run is activated, so a
    reader never sees a half-written result."""

    class Scope(models.TextChoices):
        FULL = "full", _("All buyers and companies")
        FAIR = "fair", _("One fair")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        ACTIVE = "active", _("Active")
        SUPERSEDED = "superseded", _("Superseded")
        FAILED = "failed", _("Failed")

    scope = models.CharField(max_length=10, choices=Scope.choices)
    fair = models.ForeignKey(ConsultationFair, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    pairings_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one active run for all buyers, and one per fair.
            models.UniqueConstraint(
                fields=["scope"], condition=Q(status="active", fair__isnull=True), name="one_active_full_run"
            ),
            models.UniqueConstraint(
                fields=["fair"], condition=Q(status="active", fair__isnull=False), name="one_active_run_per_fair"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.scope}, {self.status})"


class Pairing(models.Model):
    """A proposed SME-buyer pair: its score, each signal's contribution, the products that fit,
    and a short explanation in English and Korean."""

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="pairings")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pairings")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="pairings")
    score = models.FloatField()
    contributions = models.JSONField(help_text="signal name -> weighted contribution to the score")
    products = models.JSONField(default=list, help_text="the company's best-fitting products, best first")
    explanation_en = models.TextField()
    explanation_ko = models.TextField()
    rank_for_buyer = models.PositiveSmallIntegerField(null=True, blank=True)
    rank_for_company = models.PositiveSmallIntegerField(null=True, blank=True)
    model_version = models.PositiveIntegerField()
    is_pinned = models.BooleanField(default=False)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "company", "buyer"], name="one_pairing_per_pair_per_run")]
        indexes = [
            models.Index(fields=["run", "buyer", "rank_for_buyer"]),
            models.Index(fields=["run", "company", "rank_for_company"]),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} x {self.buyer_id}: {self.score:.3f}"


class PairDecision(models.Model):
    """Staff pin a pair into a fair's proposals or exclude it; an excluded pair never comes back
    for that fair."""

    class Decision(models.TextChoices):
        PIN = "pin", _("Pinned")
        EXCLUDE = "exclude", _("Excluded")

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="pair_decisions")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fair", "company", "buyer"], name="one_decision_per_fair_pair")]

    def __str__(self) -> str:
        return f"{self.decision} {self.company_id} x {self.buyer_id} in fair {self.fair_id}"


class MatchOutcome(models.Model):
    """Something that happened between an SME and a buyer, which tells the matcher whether the
    pair was a good one. Meeting requests, meetings and deals (later issues) record these."""

    class Kind(models.TextChoices):
        REQUEST_ACCEPTED = "request_accepted", _("Meeting request accepted")
        REQUEST_DECLINED = "request_declined", _("Meeting request declined")
        MEETING_HELD = "meeting_held", _("Meeting held")
        NO_SHOW = "no_show", _("No-show")
        DEAL_ADVANCED = "deal_advanced", _("Deal advanced")
        DEAL_LOST = "deal_lost", _("Deal lost")

    POSITIVE = {Kind.REQUEST_ACCEPTED, Kind.MEETING_HELD, Kind.DEAL_ADVANCED}

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="match_outcomes")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="match_outcomes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    fair = models.ForeignKey(ConsultationFair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["company", "buyer"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.company_id} x {self.buyer_id}"

    @property
    def is_positive(self) -> bool:
        return self.kind in self.POSITIVE
