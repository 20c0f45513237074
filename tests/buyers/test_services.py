"""Buyer services: verification is for staff only, happens once, and is recorded."""

import pytest
from django.core.exceptions import ValidationError

from buyers import selectors, services
from buyers.models import VerificationState
from tests import factories
from tradeon.errors import InvalidTransition, NotAllowed

pytestmark = pytest.mark.django_db


def _pending():
    return factories.BuyerOrganisationFactory(verification_state=VerificationState.PENDING, reviewed_at=None)


@pytest.mark.parametrize("factory", [factories.SMEUserFactory, factories.BuyerUserFactory])
def test_only_staff_verify(factory):
    buyer = _pending()
    with pytest.raises(NotAllowed):
        services.buyer_verify(buyer=buyer, reviewer=factory())
    buyer.refresh_from_db()
    assert buyer.verification_state == VerificationState.PENDING


def test_a_buyer_cannot_verify_itself():
    user = factories.BuyerUserFactory(
        buyer_organisation__verification_state=VerificationState.PENDING, buyer_organisation__reviewed_at=None
    )
    with pytest.raises(NotAllowed):
        services.buyer_verify(buyer=user.buyer_organisation, reviewer=user)


def test_reject_needs_a_reason_and_reopen_sends_back_to_the_queue():
    staff = factories.StaffUserFactory()
    buyer = _pending()
    with pytest.raises(ValidationError):
        services.buyer_reject(buyer=buyer, reviewer=staff, reason="  ")
    services.buyer_reject(buyer=buyer, reviewer=staff, reason="Website does not exist")
    with pytest.raises(InvalidTransition):
        services.buyer_verify(buyer=buyer, reviewer=staff)
    services.buyer_reopen(buyer=buyer, reviewer=staff)
    assert list(selectors.buyer_verification_queue()) == [buyer]
    services.buyer_verify(buyer=buyer, reviewer=staff)
    buyer.refresh_from_db()
    assert buyer.verification_state == VerificationState.VERIFIED and buyer.reviewed_by == staff


def test_verification_queue_is_oldest_first_and_pending_only():
    first, second = _pending(), _pending()
    factories.BuyerOrganisationFactory()  # verified
    assert list(selectors.buyer_verification_queue()) == [first, second]


def test_time_zone_must_be_iana():
    with pytest.raises(ValidationError) as error:
        services.buyer_create(name="X", country="US", buyer_type="importer", time_zone="PST")
    assert "time_zone" in error.value.message_dict
