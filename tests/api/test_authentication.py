"""API token authentication (tradeon.api.authentication): one statement reads the user."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import PublicationStatus
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_its_user_in_with_one_query(sme_user):
    draft = ProductFactory(company=sme_user.company, status=PublicationStatus.DRAFT)
    client = _token_client(Token.objects.create(user=sme_user).key)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/sectors/")
    assert response.status_code == 200
    assert len(queries) == 2  # the user by token, the sectors
    # The SME is signed in as itself: its own draft is in its list.
    assert draft.pk in {row["id"] for row in client.get("/api/v1/products/").json()["results"]}


def test_an_unknown_token_is_refused(buyer_user):
    Token.objects.create(user=buyer_user)
    response = _token_client("0" * 40).get("/api/v1/products/")
    assert response.status_code == 403  # DRF answers 403: the first scheme, the session, names no challenge
    assert response.json()["detail"] == "Invalid token."


def test_a_deactivated_users_token_is_refused(buyer_user):
    key = Token.objects.create(user=buyer_user).key
    type(buyer_user).objects.filter(pk=buyer_user.pk).update(is_active=False)
    response = _token_client(key).get("/api/v1/products/")
    assert response.status_code == 403  # DRF answers 403: the first scheme, the session, names no challenge
    assert response.json()["detail"] == "User inactive or deleted."


def test_a_deleted_token_no_longer_signs_in(buyer_user):
    token = Token.objects.create(user=buyer_user)
    client = _token_client(token.key)
    assert client.get("/api/v1/products/").status_code == 200
    token.delete()
    assert client.get("/api/v1/products/").status_code == 403
