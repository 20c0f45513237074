"""Reads of the buyer database, with the visibility rules per role."""

from django.db.models import Q, QuerySet

from tradeon.accounts.models import Role

from .models import BuyerOrganisation, SourcingRequest, SourcingRequestStatus, VerificationState


def buyer_list(*, user) -> QuerySet[BuyerOrganisation]:
    """Staff see every buyer; a buyer only its own organisation; SMEs only verified buyers
    (and, through the serializer, only their public profile)."""
    queryset = BuyerOrganisation.objects.prefetch_related("sectors", "hs_codes")
    if user.role == Role.STAFF:
        return queryset
    if user.role == Role.BUYER:
        return queryset.filter(pk=user.buyer_organisation_id)
    return queryset.filter(verification_state=VerificationState.VERIFIED)


def buyer_verification_queue() -> QuerySet[BuyerOrganisation]:
    return (
        BuyerOrganisation.objects.filter(verification_state=VerificationState.PENDING)
        .prefetch_related("sectors", "members")
        .order_by("created_at", "id")
    )


def sourcing_request_list(*, user) -> QuerySet[SourcingRequest]:
    """Staff see all; a buyer its own; SMEs the open requests of verified buyers."""
    queryset = SourcingRequest.objects.select_related("buyer").prefetch_related("hs_codes", "required_certifications")
    if user.role == Role.STAFF:
        return queryset
    if user.role == Role.BUYER:
        return queryset.filter(buyer_id=user.buyer_organisation_id)
    return queryset.filter(
        Q(status=SourcingRequestStatus.OPEN) & Q(buyer__verification_state=VerificationState.VERIFIED)
    )
