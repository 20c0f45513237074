"""Deals through the services: the stage rules (forward, signed, lost, reopening), probabilities
that follow the stage, who may create and change a deal (from the side of the one refused, and
that nothing changed), and the optimistic lock: the second of two writers holding the same
version is told who changed the deal, and the first writer's change stands (on PostgreSQL also
with writers in threads)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from matching.models import Deal, DealChange
from matching.pipeline import deals
from matching.pipeline.history import DealConflict
from tests import factories
from tests.concurrency import in_threads
from tests.matching.pipeline.conftest import past_meeting
from tradeon.errors import DomainError, InvalidTransition, NotAllowed

pytestmark = pytest.mark.django_db


def move(deal, by, **changes):
    return deals.deal_update(deal, by=by, expected_version=deal.version, **changes)


# --- stages ------------------------------------------------------------------------------------------


def test_a_new_deal_starts_consulted_with_its_default_probability(pair, make_deal):
    deal = make_deal()
    assert (deal.stage, deal.probability, deal.version) == ("consulted", 10, 1)
    assert deal.stage_changed_at is not None and deal.created_by == pair.staff


def test_a_deal_moves_forward_one_step_and_the_probability_follows(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="follow_up")
    assert (deal.stage, deal.probability, deal.version) == ("follow_up", 25, 2)


def test_a_deal_may_skip_steps_forward(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="negotiation")
    assert (deal.stage, deal.probability) == ("negotiation", 60)


def test_a_probability_given_with_the_stage_change_is_kept(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="samples_quotation", probability=55)
    assert (deal.stage, deal.probability) == ("samples_quotation", 55)


def test_an_sme_cannot_move_a_deal_back(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="negotiation")
    with pytest.raises(InvalidTransition) as refused:
        move(deal, pair.sme, stage="follow_up")
    assert "cannot go back from “Negotiation” to “Follow-up”" in refused.value.message
    assert refused.value.field == "stage" and refused.value.status_code == 409
    deal.refresh_from_db()
    assert deal.stage == "negotiation" and deal.version == 2


def test_staff_can_correct_a_stage_backwards(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="negotiation")
    deal = move(deal, pair.staff, stage="follow_up")
    assert (deal.stage, deal.probability) == ("follow_up", 25)


@pytest.mark.parametrize("start", ["consulted", "follow_up", "samples_quotation", "negotiation"])
def test_a_deal_can_be_signed_from_any_open_stage_and_dates_today_in_seoul(pair, make_deal, start):
    deal = make_deal(stage=start)
    signed = move(deal, pair.sme, stage="signed")
    assert (signed.stage, signed.probability) == ("signed", 100)
    assert signed.signed_on == deals.today_in_seoul()


def test_a_given_signing_date_is_kept(pair, make_deal):
    deal = move(make_deal(), pair.sme, stage="signed", signed_on=dt.date(2025, 3, 4))
    assert deal.signed_on == dt.date(2025, 3, 4)


def test_a_signed_deal_with_another_probability_is_refused(pair, make_deal):
    deal = make_deal()
    with pytest.raises(DomainError) as refused:
        move(deal, pair.sme, stage="signed", probability=80)
    assert refused.value.field == "probability" and "100" in refused.value.message
    assert Deal.objects.get(pk=deal.pk).stage == "consulted"


@pytest.mark.parametrize("start", ["consulted", "follow_up", "samples_quotation", "negotiation"])
def test_losing_a_deal_needs_a_reason(pair, make_deal, start):
    deal = make_deal(stage=start)
    with pytest.raises(DomainError) as refused:
        move(deal, pair.sme, stage="lost")
    assert refused.value.field == "lost_reason" and refused.value.message == "Say why the deal was lost."
    with pytest.raises(DomainError):
        move(deal, pair.sme, stage="lost", lost_reason="   ")
    lost = move(deal, pair.sme, stage="lost", lost_reason="Price too high for 7-Eleven margins")
    assert (lost.stage, lost.probability, lost.lost_reason) == ("lost", 0, "Price too high for 7-Eleven margins")


def test_an_sme_cannot_reopen_a_closed_deal(pair, make_deal):
    lost = move(make_deal(), pair.sme, stage="lost", lost_reason="No budget")
    with pytest.raises(InvalidTransition) as refused:
        move(lost, pair.sme, stage="negotiation")
    assert "only agency staff can reopen it" in refused.value.message
    signed = make_deal(stage="signed")
    with pytest.raises(InvalidTransition):
        move(signed, pair.sme, stage="lost", lost_reason="Cancelled")
    assert Deal.objects.get(pk=lost.pk).stage == "lost" and Deal.objects.get(pk=signed.pk).stage == "signed"


def test_staff_reopen_a_lost_deal_and_the_reason_is_cleared_but_kept_in_history(pair, make_deal):
    lost = move(make_deal(), pair.sme, stage="lost", lost_reason="No budget")
    reopened = move(lost, pair.staff, stage="follow_up")
    assert (reopened.stage, reopened.lost_reason, reopened.probability) == ("follow_up", "", 25)
    change = DealChange.objects.filter(deal=lost, field="lost_reason").last()
    assert (change.old_value, change.new_value, change.changed_by) == ("No budget", "", pair.staff)


def test_staff_reopen_a_signed_deal_and_the_signing_date_is_cleared(pair, make_deal):
    signed = make_deal(stage="signed", signed_on=dt.date(2025, 5, 1))
    reopened = move(signed, pair.staff, stage="negotiation")
    assert (reopened.stage, reopened.signed_on) == ("negotiation", None)


def test_dates_and_reasons_only_for_the_stages_they_belong_to(pair, make_deal):
    deal = make_deal()
    with pytest.raises(DomainError) as refused:
        move(deal, pair.sme, signed_on=dt.date(2025, 1, 1))
    assert refused.value.field == "signed_on"
    with pytest.raises(DomainError) as refused:
        move(deal, pair.sme, lost_reason="why")
    assert refused.value.field == "lost_reason"


def test_unknown_stage_and_fields_are_refused_with_their_names(pair, make_deal):
    deal = make_deal()
    with pytest.raises(DomainError) as refused:
        move(deal, pair.staff, stage="won")
    assert refused.value.field == "stage"
    with pytest.raises(DomainError) as refused:
        move(deal, pair.staff, version=9)
    assert "version" in refused.value.message
    with pytest.raises(DomainError) as refused:
        deals.deal_update(deal, by=pair.staff, expected_version=None, title="x")
    assert refused.value.field == "version"


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "cannot be negative"), ("1.005", "two decimal places"), ("abc", "12500.00"), ("1e30", "too large")],
)
def test_bad_amounts_are_refused_on_the_value_field(pair, make_deal, value, message):
    deal = make_deal()
    with pytest.raises(DomainError) as refused:
        move(deal, pair.sme, expected_value=value)
    assert refused.value.field == "expected_value" and message in refused.value.message


def test_a_deal_can_start_signed_or_lost(pair, make_deal):
    assert make_deal(stage="signed").probability == 100
    with pytest.raises(DomainError):
        make_deal(stage="lost")
    assert make_deal(stage="lost", lost_reason="Went with a Chinese supplier").probability == 0


def test_meetings_and_products_must_be_the_pairs_own(pair, make_deal):
    other_meeting = past_meeting(factories.CompanyFactory(), pair.buyer, hours_ago=30)
    with pytest.raises(DomainError) as refused:
        make_deal(meetings=[other_meeting])
    assert refused.value.field == "meetings"
    with pytest.raises(DomainError) as refused:
        make_deal(products=[factories.ProductFactory()])
    assert refused.value.field == "products"
    assert not Deal.objects.exists()


def test_relinking_meetings_and_products_is_a_change_with_history(pair, make_deal):
    deal = make_deal()
    second = past_meeting(pair.company, pair.buyer, hours_ago=30)
    updated = move(deal, pair.sme, meetings=[pair.meeting, second], products=pair.products[:1])
    assert updated.version == 2
    assert set(updated.meetings.all()) == {pair.meeting, second}
    change = DealChange.objects.get(deal=deal, field="meetings", via="page", old_value=str(pair.meeting.pk))
    assert change.new_value == ",".join(str(pk) for pk in sorted([pair.meeting.pk, second.pk]))


def test_an_update_without_any_change_writes_nothing(pair, make_deal):
    deal = make_deal()
    before = DealChange.objects.count()
    same = move(deal, pair.sme, expected_value=Decimal("50000"), currency="USD")
    assert same.version == 1 and DealChange.objects.count() == before


# --- who may ---------------------------------------------------------------------------------------------


def test_a_buyer_sees_but_cannot_change_a_deal(pair, make_deal):
    deal = make_deal()
    with pytest.raises(NotAllowed) as refused:
        move(deal, pair.buyer_user, stage="negotiation")
    assert "Buyers see the deals" in refused.value.message
    deal.refresh_from_db()
    assert deal.stage == "consulted" and deal.version == 1


def test_an_sme_of_another_company_cannot_change_the_deal(pair, make_deal):
    deal = make_deal()
    with pytest.raises(NotAllowed):
        move(deal, pair.other_sme, expected_value=Decimal("1"))
    with pytest.raises(NotAllowed):
        move(deal, pair.other_buyer, expected_value=Decimal("1"))
    deal.refresh_from_db()
    assert deal.expected_value == Decimal("50000.00") and deal.version == 1


def test_deals_are_created_by_staff_or_the_smes_own_members(pair):
    deal = deals.deal_create(by=pair.sme, company=pair.company, buyer=pair.buyer)
    assert deal.company == pair.company
    for outsider in (pair.other_sme, pair.buyer_user):
        with pytest.raises(NotAllowed):
            deals.deal_create(by=outsider, company=pair.company, buyer=pair.buyer)
    assert Deal.objects.count() == 1


# --- optimistic locking ----------------------------------------------------------------------------------


def test_the_second_writer_with_the_same_version_is_told_and_the_first_change_stands(pair, make_deal):
    deal = make_deal()
    read_by_sme = Deal.objects.get(pk=deal.pk)
    read_by_staff = Deal.objects.get(pk=deal.pk)
    deals.deal_update(read_by_sme, by=pair.sme, expected_version=read_by_sme.version, expected_value=Decimal("70000"))
    with pytest.raises(DealConflict) as conflict:
        deals.deal_update(
            read_by_staff, by=pair.staff, expected_version=read_by_staff.version, expected_value=Decimal("90000")
        )
    assert conflict.value.status_code == 409 and conflict.value.current_version == 2
    assert conflict.value.changed_by == pair.sme
    assert pair.sme.username in conflict.value.message and "reload" in conflict.value.message
    deal.refresh_from_db()
    assert (deal.expected_value, deal.version) == (Decimal("70000.00"), 2)
    assert list(DealChange.objects.filter(deal=deal, field="expected_value").values_list("new_value", flat=True)) == [
        "50000.00",
        "70000.00",
    ]


def test_a_write_between_the_check_and_the_update_is_still_refused(pair, make_deal, monkeypatch):
    """The version is checked by the UPDATE itself, not only by the read before it."""
    deal = make_deal()
    real_current = deals._current

    def current_then_someone_writes(row):
        values = real_current(row)
        Deal.objects.filter(pk=row.pk).update(title="written meanwhile")
        return values

    monkeypatch.setattr(deals, "_current", current_then_someone_writes)
    with pytest.raises(DealConflict):
        deals.deal_update(deal, by=pair.sme, expected_version=1, expected_value=Decimal("1"))
    deal.refresh_from_db()
    assert deal.expected_value == Decimal("50000.00")


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL row locks (SQLite serialises them)"
)
WRITERS = 8


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_with_one_version_exactly_one_wins(pair, make_deal):
    deal = make_deal()

    def write(index: int):
        try:
            updated = deals.deal_update(
                Deal.objects.get(pk=deal.pk),
                by=pair.staff,
                expected_version=1,
                expected_value=Decimal(1000 + index),
            )
            return ("ok", updated.expected_value)
        except DealConflict as conflict:
            return ("conflict", conflict.current_version)

    results = in_threads(write, WRITERS)
    winners = [r for r in results if r[0] == "ok"]
    assert len(winners) == 1, results
    assert all(r == ("conflict", 2) for r in results if r[0] != "ok"), results
    deal.refresh_from_db()
    assert deal.version == 2 and deal.expected_value == winners[0][1]
    assert DealChange.objects.filter(deal=deal, field="expected_value").count() == 2  # creation + the winner
