"""A small fair and the people around it, for the events websocket, the events API and the
notifications: who may follow the fair's stream and who must be refused."""

from dataclasses import dataclass

import pytest

from tests import factories


@dataclass
class Crowd:
    fair: object
    sme: object  # member of an accepted SME participant
    buyer: object  # member of an accepted buyer participant
    invited_buyer: object  # member of a buyer invited (not yet answered): may follow the fair
    staff: object
    other_sme: object  # an SME whose company is not in the fair
    outside_buyer: object  # a buyer whose organisation is not in the fair
    declined_sme: object  # an SME whose company declined the invitation

    @property
    def fair_key(self) -> str:
        return f"fair.{self.fair.pk}"


def make_crowd() -> Crowd:
    fair = factories.FairFactory()
    sme = factories.SMEUserFactory()
    factories.FairParticipantFactory(fair=fair, company=sme.company)
    buyer = factories.BuyerUserFactory()
    factories.BuyerParticipantFactory(fair=fair, buyer=buyer.buyer_organisation)
    invited_buyer = factories.BuyerUserFactory()
    factories.BuyerParticipantFactory(fair=fair, buyer=invited_buyer.buyer_organisation, status="invited")
    declined_sme = factories.SMEUserFactory()
    factories.FairParticipantFactory(fair=fair, company=declined_sme.company, status="declined")
    return Crowd(
        fair=fair,
        sme=sme,
        buyer=buyer,
        invited_buyer=invited_buyer,
        staff=factories.StaffUserFactory(),
        other_sme=factories.SMEUserFactory(),
        outside_buyer=factories.BuyerUserFactory(),
        declined_sme=declined_sme,
    )


@pytest.fixture
def crowd(db) -> Crowd:
    return make_crowd()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Channels keeps one channel layer per process, and channels_redis' layer binds its receive
    locks to the event loop that first used them, while every async test runs its own loop: a
    receive cancelled at one test's end would break the next. Each test gets its own layer."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
