"""Fixtures for the web-page tests: a small catalogue and buyer database, and signing in
through the real sign-in form's backend with the factories' password."""

import pytest

from tests import factories


@pytest.fixture
def sign_in(client):
    def _sign_in(user):
        assert client.login(username=user.username, password=factories.PASSWORD)
        return client

    return _sign_in


@pytest.fixture
def own_product(sme_user):
    return factories.ProductFactory(company=sme_user.company, name_en="Centella toner", name_ko="병풀 토너")


@pytest.fixture
def other_product(db):
    return factories.ProductFactory(name_en="Ginseng shampoo", name_ko="인삼 샴푸")


@pytest.fixture
def own_sourcing_request(buyer_user):
    return factories.SourcingRequestFactory(buyer=buyer_user.buyer_organisation)


@pytest.fixture
def pending_buyer(db):
    return factories.BuyerOrganisationFactory(verification_state="pending", reviewed_at=None, name="Hanoi Home Imports")
