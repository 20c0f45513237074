"""Writes to the buyer database: profiles, verification and sourcing requests."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tradeon.accounts.models import Role
from tradeon.errors import InvalidTransition, NotAllowed

from .models import BuyerOrganisation, SourcingRequest, VerificationState

BUYER_FIELDS = {
    "name",
    "country",
    "city",
    "buyer_type",
    "import_volume_band",
    "languages",
    "time_zone",
    "website",
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
}
SOURCING_REQUEST_FIELDS = {
    "title",
    "description",
    "quantity",
    "quantity_unit",
    "target_price",
    "currency",
    "wanted_by",
    "status",
}


def can_manage_buyer(*, user, buyer: BuyerOrganisation) -> bool:
    return user.role == Role.STAFF or (user.role == Role.BUYER and user.buyer_organisation_id == buyer.pk)


def _apply(instance, data: dict, allowed: set[str], relations: set[str]) -> None:
    unknown = set(data) - allowed - relations
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for field, value in data.items():
        if field not in relations:
            setattr(instance, field, value)


def _set_relations(instance, data: dict, relations: set[str]) -> None:
    for field in relations:
        if data.get(field) is not None:
            getattr(instance, field).set(data[field])


@transaction.atomic
def buyer_create(*, created_by=None, sectors=None, hs_codes=None, **data) -> BuyerOrganisation:
    """Create a buyer organisation. Always starts pending: only staff verify."""
    buyer = BuyerOrganisation()
    _apply(buyer, data, BUYER_FIELDS, set())
    buyer.full_clean(validate_unique=False)
    buyer.save()
    _set_relations(buyer, {"sectors": sectors, "hs_codes": hs_codes}, {"sectors", "hs_codes"})
    return buyer


@transaction.atomic
def buyer_update(*, buyer: BuyerOrganisation, updated_by, **data) -> BuyerOrganisation:
    if not can_manage_buyer(user=updated_by, buyer=buyer):
        raise NotAllowed("Only this buyer's members and agency staff can change it.")
    relations = {"sectors", "hs_codes"}
    _apply(buyer, data, BUYER_FIELDS, relations)
    buyer.full_clean(validate_unique=False)
    buyer.save()
    _set_relations(buyer, data, relations)
    return buyer


def _review(buyer_id: int, reviewer, state: str, reason: str) -> BuyerOrganisation:
    if reviewer.role != Role.STAFF:
        raise NotAllowed("Only agency staff can verify or reject buyers.")
    # Lock the row: two staff reviewing the same buyer at once must not both succeed.
    buyer = BuyerOrganisation.objects.select_for_update().get(pk=buyer_id)
    if buyer.verification_state != VerificationState.PENDING:
        raise InvalidTransition(
            f"This buyer was already {buyer.get_verification_state_display().lower()}; reopen it first.",
            field="verification_state",
        )
    buyer.verification_state = state
    buyer.reviewed_by = reviewer
    buyer.reviewed_at = timezone.now()
    buyer.rejection_reason = reason
    buyer.save(update_fields=["verification_state", "reviewed_by", "reviewed_at", "rejection_reason", "updated_at"])
    return buyer


@transaction.atomic
def buyer_verify(*, buyer: BuyerOrganisation, reviewer) -> BuyerOrganisation:
    return _review(buyer.pk, reviewer, VerificationState.VERIFIED, "")


@transaction.atomic
def buyer_reject(*, buyer: BuyerOrganisation, reviewer, reason: str) -> BuyerOrganisation:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the buyer is rejected; they will see it."})
    return _review(buyer.pk, reviewer, VerificationState.REJECTED, reason)


@transaction.atomic
def buyer_reopen(*, buyer: BuyerOrganisation, reviewer) -> BuyerOrganisation:
    """Send a reviewed buyer back to the queue (e.g. after it fixed what got it rejected)."""
    if reviewer.role != Role.STAFF:
        raise NotAllowed("Only agency staff can reopen a review.")
    buyer = BuyerOrganisation.objects.select_for_update().get(pk=buyer.pk)
    buyer.verification_state = VerificationState.PENDING
    buyer.save(update_fields=["verification_state", "updated_at"])
    return buyer


@transaction.atomic
def sourcing_request_create(
    *, buyer: BuyerOrganisation, created_by, hs_codes=(), required_certifications=(), **data
) -> SourcingRequest:
    if not can_manage_buyer(user=created_by, buyer=buyer):
        raise NotAllowed("Only this buyer's members and agency staff can post its sourcing requests.")
    request = SourcingRequest(buyer=buyer)
    _apply(request, data, SOURCING_REQUEST_FIELDS, set())
    request.full_clean(exclude=["buyer"])
    request.save()
    request.hs_codes.set(hs_codes)
    request.required_certifications.set(required_certifications)
    return request


@transaction.atomic
def sourcing_request_update(*, sourcing_request: SourcingRequest, updated_by, **data) -> SourcingRequest:
    if not can_manage_buyer(user=updated_by, buyer=sourcing_request.buyer):
        raise NotAllowed("Only this buyer's members and agency staff can change its sourcing requests.")
    relations = {"hs_codes", "required_certifications"}
    _apply(sourcing_request, data, SOURCING_REQUEST_FIELDS, relations)
    sourcing_request.full_clean(exclude=["buyer"])
    sourcing_request.save()
    _set_relations(sourcing_request, data, relations)
    return sourcing_request


@transaction.atomic
def sourcing_request_delete(*, sourcing_request: SourcingRequest, deleted_by) -> None:
    if not can_manage_buyer(user=deleted_by, buyer=sourcing_request.buyer):
        raise NotAllowed("Only this buyer's members and agency staff can delete its sourcing requests.")
    sourcing_request.delete()
