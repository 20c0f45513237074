"""Fixtures shared by the whole suite: one user of each role and API clients signed in as them."""

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def sme_user(db):
    return factories.SMEUserFactory()


@pytest.fixture
def buyer_user(db):
    return factories.BuyerUserFactory()


@pytest.fixture
def unverified_buyer_user(db):
    return factories.BuyerUserFactory(
        buyer_organisation__verification_state="pending", buyer_organisation__reviewed_at=None
    )


@pytest.fixture
def staff_user(db):
    return factories.StaffUserFactory()


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def sme_client(sme_user):
    return _client_for(sme_user)


@pytest.fixture
def buyer_client(buyer_user):
    return _client_for(buyer_user)


@pytest.fixture
def unverified_buyer_client(unverified_buyer_user):
    return _client_for(unverified_buyer_user)


@pytest.fixture
def staff_client(staff_user):
    return _client_for(staff_user)
