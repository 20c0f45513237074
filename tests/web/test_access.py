"""Every page opens for the roles it is for, and refuses the others: 403 for a signed-in user
of the wrong role, the sign-in page for an anonymous visitor."""

import pytest
from django.urls import reverse

SME, BUYER, STAFF = "sme", "buyer", "staff"

PAGES = [
    # (url name, which fixture gives the URL argument, roles that may open it)
    ("catalog:dashboard", None, {SME}),
    ("catalog:product_create", None, {SME}),
    ("catalog:product_edit", "own_product", {SME, STAFF}),
    ("catalog:catalogue", None, {SME, BUYER, STAFF}),
    ("catalog:product_detail", "own_product", {SME, BUYER, STAFF}),
    ("catalog:company_detail", "own_company", {SME, BUYER, STAFF}),
    ("buyers:buyer_list", None, {SME, STAFF}),
    ("buyers:buyer_detail", "own_buyer", {SME, BUYER, STAFF}),
    ("buyers:my_organisation", None, {BUYER}),
    ("buyers:sourcing_request_list", None, {SME, BUYER, STAFF}),
    ("buyers:sourcing_request_create", None, {BUYER}),
    ("buyers:sourcing_request_edit", "own_sourcing_request", {BUYER, STAFF}),
    ("buyers:verification_queue", None, {STAFF}),
]


@pytest.fixture
def url_for(request, own_product, buyer_user, own_sourcing_request):
    arguments = {
        "own_product": own_product.pk,
        "own_company": own_product.company_id,
        "own_buyer": buyer_user.buyer_organisation_id,
        "own_sourcing_request": own_sourcing_request.pk,
    }

    def _url_for(name, argument):
        return reverse(name, args=[arguments[argument]] if argument else [])

    return _url_for


@pytest.fixture
def users(sme_user, buyer_user, staff_user):
    return {SME: sme_user, BUYER: buyer_user, STAFF: staff_user}


@pytest.mark.parametrize(("name", "argument", "allowed"), PAGES)
@pytest.mark.parametrize("role", [SME, BUYER, STAFF])
def test_page_opens_for_its_roles_and_refuses_the_others(
    client, sign_in, users, url_for, name, argument, allowed, role
):
    sign_in(users[role])
    response = client.get(url_for(name, argument))
    if role in allowed:
        assert response.status_code == 200, response.content[:500]
        assert b"<nav" in response.content
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "argument", "allowed"), PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, url_for, name, argument, allowed):
    url = url_for(name, argument)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_home_sends_each_role_to_its_start_page(client, sign_in, users):
    expected = {SME: "catalog:dashboard", BUYER: "catalog:catalogue", STAFF: "buyers:verification_queue"}
    for role, user in users.items():
        sign_in(user)
        assert client.get(reverse("home"))["Location"] == reverse(expected[role])
        client.logout()


def test_nav_depends_on_role(client, sign_in, users):
    sign_in(users[SME])
    page = client.get(reverse("catalog:dashboard")).content.decode()
    assert "My products" in page and "Verification queue" not in page and "My organisation" not in page
    client.logout()
    sign_in(users[BUYER])
    page = client.get(reverse("catalog:catalogue")).content.decode()
    assert "My organisation" in page and "My sourcing requests" in page and "Dashboard" not in page
    client.logout()
    sign_in(users[STAFF])
    page = client.get(reverse("buyers:verification_queue")).content.decode()
    for label in ("Verification queue", "Catalogue", "Buyers", "Admin", "Import"):
        assert label in page
    assert "/catalogue/import/" in page
