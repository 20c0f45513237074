"""The database enforces that each role has exactly the affiliation it needs."""

import pytest
from django.db import IntegrityError, transaction

from tests import factories
from tradeon.accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "make",
    [
        lambda: User.objects.create(username="a", role=Role.SME),
        lambda: User.objects.create(username="b", role=Role.BUYER, company=factories.CompanyFactory()),
        lambda: User.objects.create(username="c", role=Role.STAFF, company=factories.CompanyFactory()),
        lambda: User.objects.create(
            username="d",
            role=Role.SME,
            company=factories.CompanyFactory(),
            buyer_organisation=factories.BuyerOrganisationFactory(),
        ),
        lambda: User.objects.create(username="e", role="admin"),
    ],
)
def test_half_made_users_are_refused_by_the_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_createsuperuser_makes_staff():
    user = User.objects.create_superuser("root", "root@example.com", "pw-long-enough")
    assert user.role == Role.STAFF and user.is_superuser
