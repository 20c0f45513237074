"""Django admin works for staff and only for staff."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/catalog/product/",
    "/admin/catalog/company/",
    "/admin/buyers/buyerorganisation/",
    "/admin/accounts/user/",
    "/admin/catalog/hscode/?q=3304",
]


@pytest.mark.parametrize("url", PAGES)
def test_superuser_staff_opens_admin_pages(client, url):
    factories.ProductFactory()
    factories.SourcingRequestFactory()
    client.force_login(factories.StaffUserFactory(is_superuser=True))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("factory", [factories.SMEUserFactory, factories.BuyerUserFactory])
def test_smes_and_buyers_are_kept_out_of_admin(client, factory):
    client.force_login(factory())
    response = client.get("/admin/catalog/product/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
