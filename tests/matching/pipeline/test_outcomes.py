"""Meeting outcomes: each side records its own (staff either), only for scheduled meetings that
have started, with values that carry their currency; an outcome that shows interest opens or
updates the pair's deal; and the "how did it go?" email goes once per meeting and person after
the meeting ended."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from matching.models import Deal, DealChange, MeetingOutcome, SentEmail
from matching.pipeline import deals, outcomes, selectors, tasks
from tests import factories
from tests.matching.pipeline.conftest import past_meeting
from tradeon.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


def record(pair, *, by=None, side="sme", meeting=None, **values):
    fields = {"interest": "high", "next_step": "samples"}
    fields.update(values)
    return outcomes.outcome_record(meeting=meeting or pair.meeting, side=side, by=by or pair.sme, **fields)


# --- who records what -----------------------------------------------------------------------------------


def test_each_side_records_its_own_outcome(pair):
    sme = record(pair, products=pair.products, expected_value="25000", currency="usd", notes="Wants 2,000 units")
    buyer = record(pair, by=pair.buyer_user, side="buyer", interest="medium", next_step="quotation")
    assert (sme.side, sme.interest, sme.next_step, sme.expected_value, sme.currency) == (
        "sme",
        "high",
        "samples",
        Decimal("25000.00"),
        "USD",
    )
    assert set(sme.products.all()) == set(pair.products) and sme.recorded_by == pair.sme and not sme.by_staff
    assert (buyer.side, buyer.recorded_by, buyer.was_created) == ("buyer", pair.buyer_user, True)


def test_recording_again_corrects_the_sides_outcome(pair):
    record(pair, interest="low")
    corrected = record(pair, interest="high", next_step="visit")
    assert corrected.was_created is False
    assert MeetingOutcome.objects.get().interest == "high"


def test_staff_record_and_correct_either_side(pair):
    record(pair, interest="low", next_step="none")
    corrected = record(pair, by=pair.staff, side="sme", interest="medium", next_step="catalogue")
    buyer = record(pair, by=pair.staff, side="buyer", interest="none", next_step="none")
    assert corrected.by_staff and corrected.recorded_by == pair.staff and corrected.interest == "medium"
    assert buyer.by_staff and MeetingOutcome.objects.count() == 2


def test_a_side_cannot_record_the_other_sides_outcome(pair):
    with pytest.raises(NotAllowed) as refused:
        record(pair, by=pair.sme, side="buyer")
    assert refused.value.field == "side"
    with pytest.raises(NotAllowed):
        record(pair, by=pair.buyer_user, side="sme")
    assert not MeetingOutcome.objects.exists()


@pytest.mark.parametrize("outsider", ["other_sme", "other_buyer"])
def test_outsiders_cannot_record_an_outcome(pair, outsider):
    for side in ("sme", "buyer"):
        with pytest.raises(NotAllowed):
            record(pair, by=getattr(pair, outsider), side=side)
    assert not MeetingOutcome.objects.exists() and not Deal.objects.exists()


def test_no_outcome_before_the_meeting_starts(pair):
    later = past_meeting(pair.company, pair.buyer, hours_ago=-3)
    with pytest.raises(Conflict) as refused:
        record(pair, meeting=later)
    assert "has not started yet" in refused.value.message
    assert record(pair, meeting=later, now=later.starts_at).side == "sme"


@pytest.mark.parametrize(("status", "message"), [("cancelled", "was cancelled"), ("draft", "not scheduled yet")])
def test_no_outcome_for_cancelled_or_draft_meetings(pair, status, message):
    meeting = past_meeting(pair.company, pair.buyer, hours_ago=30, status=status)
    with pytest.raises(Conflict) as refused:
        record(pair, meeting=meeting, by=pair.staff)
    assert message in refused.value.message
    assert not MeetingOutcome.objects.exists()


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"expected_value": "5000"}, "currency", "Give the currency"),
        ({"currency": "EUR"}, "expected_value", "Give the expected order value in EUR"),
        ({"expected_value": "-5", "currency": "USD"}, "expected_value", "negative"),
        ({"expected_value": "5.123", "currency": "USD"}, "expected_value", "two decimal places"),
        ({"expected_value": "5", "currency": "XYZ"}, "currency", "Unknown currency"),
        ({"interest": "enormous"}, "interest", "Unknown interest level"),
        ({"next_step": "party"}, "next_step", "Unknown next step"),
        ({"notes": "x" * 4001}, "notes", "4000"),
    ],
)
def test_invalid_outcomes_are_refused_on_the_field_at_fault(pair, values, field, message):
    with pytest.raises(DomainError) as refused:
        record(pair, **values)
    assert refused.value.field == field and message in refused.value.message
    assert not MeetingOutcome.objects.exists()


def test_products_discussed_must_be_the_smes(pair):
    with pytest.raises(DomainError) as refused:
        record(pair, products=[factories.ProductFactory()])
    assert refused.value.field == "products"


# --- deals from outcomes --------------------------------------------------------------------------------


def test_no_interest_opens_no_deal(pair):
    outcome = record(pair, interest="none", next_step="none")
    assert outcome.deal is None and not Deal.objects.exists()


def test_interest_without_a_next_step_opens_a_consulted_deal(pair):
    outcome = record(pair, interest="low", next_step="none")
    deal = outcome.deal
    assert outcome.deal_created and (deal.stage, deal.expected_value, deal.currency) == ("consulted", 0, "USD")
    assert list(deal.meetings.all()) == [pair.meeting] and deal.created_by == pair.sme


def test_interest_with_a_next_step_opens_a_follow_up_deal_with_the_value_and_products(pair):
    outcome = record(pair, products=pair.products[:1], expected_value="120000", currency="THB")
    deal = outcome.deal
    assert (deal.stage, deal.probability, deal.expected_value, deal.currency) == (
        "follow_up",
        25,
        Decimal("120000.00"),
        "THB",
    )
    assert list(deal.products.all()) == pair.products[:1] and deal.title == pair.products[0].name_en
    assert {row.via for row in DealChange.objects.filter(deal=deal)} == {"page"}
    assert {row.changed_by for row in DealChange.objects.filter(deal=deal)} == {pair.sme}


def test_the_other_sides_outcome_updates_the_same_deal(pair):
    first = record(pair, interest="medium", next_step="none", products=pair.products[:1]).deal
    outcome = record(
        pair, by=pair.buyer_user, side="buyer", products=pair.products, expected_value="9000", currency="EUR", via="api"
    )
    assert outcome.deal.pk == first.pk and not outcome.deal_created and Deal.objects.count() == 1
    deal = Deal.objects.get()
    assert (deal.stage, deal.expected_value, deal.currency, deal.version) == (
        "follow_up",
        Decimal("9000.00"),
        "EUR",
        2,
    )
    assert set(deal.products.all()) == set(pair.products)
    changed = DealChange.objects.filter(deal=deal, via="api")
    assert {row.field for row in changed} == {"stage", "probability", "expected_value", "currency", "products"}
    assert {row.changed_by for row in changed} == {pair.buyer_user}


def test_an_outcome_never_overwrites_a_value_someone_set_nor_moves_a_deal_back(pair, make_deal):
    deal = make_deal(stage="negotiation")
    outcome = record(pair, by=pair.buyer_user, side="buyer", expected_value="1", currency="KRW")
    assert outcome.deal.pk == deal.pk
    deal.refresh_from_db()
    assert (deal.stage, deal.expected_value, deal.currency, deal.version) == (
        "negotiation",
        Decimal("50000.00"),
        "USD",
        1,
    )


def test_a_later_meeting_is_linked_to_the_open_deal(pair):
    deal = record(pair).deal
    later = past_meeting(pair.company, pair.buyer, hours_ago=1.5 - 24 * 30)
    outcome = record(pair, meeting=later, now=later.starts_at + dt.timedelta(hours=1))
    assert outcome.deal.pk == deal.pk
    assert set(Deal.objects.get().meetings.all()) == {pair.meeting, later}


def test_a_closed_deal_does_not_take_new_meetings_a_new_deal_opens(pair, make_deal):
    lost = make_deal()
    deals.deal_update(lost, by=pair.staff, expected_version=1, stage="lost", lost_reason="Too expensive")
    outcome = record(pair)
    assert outcome.deal_created and outcome.deal.pk != lost.pk and Deal.objects.count() == 2


def test_a_buyer_recording_an_outcome_does_not_gain_rights_on_the_deal(pair):
    deal = record(pair, by=pair.buyer_user, side="buyer").deal
    with pytest.raises(NotAllowed):
        deals.deal_update(deal, by=pair.buyer_user, expected_version=deal.version, stage="negotiation")


# --- asking for outcomes ----------------------------------------------------------------------------------


def test_both_sides_are_asked_once_after_the_meeting_ends(pair):
    sent = outcomes.outcome_requests_send()
    assert sent == 2 and outcomes.outcome_requests_send() == 0
    by_to = {message.to[0]: message for message in mail.outbox}
    assert set(by_to) == {"kim@hanbit.example", "anong@siam.example"}
    assert by_to["kim@hanbit.example"].subject == "How did your meeting with Siam Beauty Retail go?"
    assert f"/pipeline/meetings/{pair.meeting.pk}/outcome/" in by_to["anong@siam.example"].body
    assert "(UTC+07:00)" in by_to["anong@siam.example"].body  # the buyer reads Bangkok time


def test_no_request_before_the_meeting_ends(pair):
    outcomes.outcome_requests_send(now=pair.meeting.ends_at - dt.timedelta(minutes=1))
    assert not mail.outbox


def test_a_side_that_gave_its_outcome_is_not_asked(pair):
    record(pair)
    assert outcomes.outcome_requests_send() == 1
    assert [message.to[0] for message in mail.outbox] == ["anong@siam.example"]


def test_no_request_for_cancelled_no_show_or_old_meetings(pair):
    pair.meeting.status = "cancelled"
    pair.meeting.save()
    past_meeting(pair.company, pair.buyer, hours_ago=30, live_state="no_show", no_show_side="buyer")
    past_meeting(pair.company, pair.buyer, hours_ago=24 * 15)
    assert outcomes.outcome_requests_send() == 0 and not mail.outbox


def test_a_buyer_without_accounts_is_not_asked_at_its_contact_address(pair):
    silent = factories.BuyerOrganisationFactory(contact_email="info@noaccount.example")
    past_meeting(pair.company, silent, hours_ago=5)
    outcomes.outcome_requests_send()
    assert "info@noaccount.example" not in {message.to[0] for message in mail.outbox}


def test_the_beat_task_sends_the_requests(pair):
    assert tasks.request_outcomes.delay().get() == 2
    assert SentEmail.objects.filter(key__startswith="outcome-request:").count() == 2


# --- what each side has to give -------------------------------------------------------------------------


def test_outcomes_to_give_lists_the_sides_missing_outcomes(pair):
    upcoming = past_meeting(pair.company, pair.buyer, hours_ago=-5)
    assert list(selectors.outcomes_to_give(pair.sme)) == [pair.meeting]
    assert list(selectors.outcomes_to_give(pair.buyer_user)) == [pair.meeting]
    record(pair)
    assert list(selectors.outcomes_to_give(pair.sme)) == []
    assert list(selectors.outcomes_to_give(pair.staff)) == [pair.meeting]
    assert list(selectors.outcomes_to_give(pair.other_sme)) == []
    assert upcoming not in selectors.outcomes_to_give(pair.staff, now=timezone.now())
