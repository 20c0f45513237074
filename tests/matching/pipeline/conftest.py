"""A met pair for the pipeline tests: an SME with a member and products, a buyer organisation with
a member, and a published meeting between them that ended an hour ago; plus outsiders of each
role, and a helper to make deals through the service."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from matching.models import Deal
from matching.pipeline import deals
from tests import factories


@dataclass
class Pair:
    company: object
    buyer: object
    sme: object
    buyer_user: object
    staff: object
    meeting: object
    products: list
    other_sme: object
    other_buyer: object


def past_meeting(company, buyer, *, hours_ago: float = 2, **fields):
    starts_at = timezone.now() - dt.timedelta(hours=hours_ago)
    return factories.PublishedMeetingFactory(
        company=company, buyer=buyer, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=40), **fields
    )


@pytest.fixture
def pair(db) -> Pair:
    company = factories.CompanyFactory(name_en="Hanbit Cosmetics")
    buyer = factories.BuyerOrganisationFactory(name="Siam Beauty Retail")
    return Pair(
        company=company,
        buyer=buyer,
        sme=factories.SMEUserFactory(company=company, email="kim@hanbit.example"),
        buyer_user=factories.BuyerUserFactory(buyer_organisation=buyer, email="anong@siam.example"),
        staff=factories.StaffUserFactory(username="sba-park"),
        meeting=past_meeting(company, buyer),
        products=[factories.ProductFactory(company=company), factories.ProductFactory(company=company)],
        other_sme=factories.SMEUserFactory(),
        other_buyer=factories.BuyerUserFactory(),
    )


@pytest.fixture
def make_deal(pair):
    """make_deal(**fields): a deal of the pair, created by staff through the service."""

    def build(**fields) -> Deal:
        values = {"expected_value": Decimal("50000.00"), "currency": "USD", "meetings": [pair.meeting]}
        values.update(fields)
        by = values.pop("by", pair.staff)
        return deals.deal_create(by=by, company=pair.company, buyer=pair.buyer, **values)

    return build
