"""The OpenAPI schema and the browsable docs work, with their assets served locally (offline)."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_lists_the_endpoints(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/products/",
        "/api/v1/companies/",
        "/api/v1/buyers/",
        "/api/v1/sourcing-requests/",
        "/api/v1/hs-codes/",
        "/api/v1/matches/",
        "/api/v1/fairs/",
    ):
        assert path in paths, path


def test_swagger_ui_uses_local_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_redoc_uses_local_assets(client):
    html = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in html
