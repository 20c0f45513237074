"""Fixtures shared by the whole suite: one user of each role and API clients signed in as them."""

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes(request):
    """Transactional tests (websockets, live server) end with a table flush that also removes
    the sectors and HS codes the migrations loaded; put them back for the next such test."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from catalog.reference_data import ensure_reference_data

        ensure_reference_data()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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


def pytest_sessionstart(session):
    from tests import preflight

    if preflight.in_ci() and (found := preflight.problems()):
        pytest.exit("CI=true but the real services are not all there:\n  " + "\n  ".join(found), returncode=3)


def pytest_sessionfinish(session, exitstatus):
    # Under CI a skipped test is a hidden failure (a missing service, browser or package).
    from tests import preflight

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if preflight.in_ci() and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI=true: {skipped} test(s) were skipped; under CI that is a failure.", red=True)
