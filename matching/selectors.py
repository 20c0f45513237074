"""Reads of the matching app: which pairings a user may see, fairs, runs."""

from django.db.models import Q, QuerySet

from buyers.models import VerificationState
from tradeon.accounts.models import Role

from .models import ConsultationFair, MatchingRun, Pairing, ScoringModel


def pairing_list(
    *, user, fair_id: int | None = None, buyer_id: int | None = None, company_id: int | None = None
) -> QuerySet[Pairing]:
    """Pairings of the active run (all buyers, or one fair's), as the user may see them.

    An SME sees only its own company's recommended buyers (verified ones), never another SME's
    pairings; a buyer only its own recommended suppliers, never scores about other buyers."""
    queryset = Pairing.objects.filter(run__status=MatchingRun.Status.ACTIVE).select_related(
        "company", "company__sector", "buyer", "run"
    )
    queryset = queryset.filter(run__fair_id=fair_id) if fair_id else queryset.filter(run__fair__isnull=True)
    if user.role == Role.SME:
        queryset = queryset.filter(
            Q(rank_for_company__isnull=False) | Q(is_pinned=True),
            company_id=user.company_id,
            buyer__verification_state=VerificationState.VERIFIED,
        )
    elif user.role == Role.BUYER:
        queryset = queryset.filter(
            Q(rank_for_buyer__isnull=False) | Q(is_pinned=True), buyer_id=user.buyer_organisation_id
        )
    if buyer_id:
        queryset = queryset.filter(buyer_id=buyer_id).order_by("rank_for_buyer", "-score", "id")
    elif company_id:
        queryset = queryset.filter(company_id=company_id).order_by("rank_for_company", "-score", "id")
    elif user.role == Role.SME:
        queryset = queryset.order_by("rank_for_company", "-score", "id")
    elif user.role == Role.BUYER:
        queryset = queryset.order_by("rank_for_buyer", "-score", "id")
    else:
        queryset = queryset.order_by("-score", "id")
    return queryset


def fair_list() -> QuerySet[ConsultationFair]:
    return ConsultationFair.objects.prefetch_related("sectors")


def matching_runs_recent(*, limit: int = 10) -> list[MatchingRun]:
    return list(MatchingRun.objects.select_related("fair", "scoring_model")[:limit])


def scoring_model_list() -> QuerySet[ScoringModel]:
    return ScoringModel.objects.all()
