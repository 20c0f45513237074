"""Meeting requests inside a fair: sending, answering, withdrawing, expiry, caps, the one-open-
request-per-pair rule, staff on behalf of a side, suggestions, and who sees which requests.
Each refusal is checked from the refused user's side, with nothing changed."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from matching import services as matching_services
from matching.fairs import emails, tasks
from matching.fairs import requests as meeting_requests
from matching.models import (
    ConsultationFair,
    FairParticipant,
    MatchingRun,
    MatchOutcome,
    MeetingRequest,
    PairDecision,
    Pairing,
)
from tests import factories
from tradeon.errors import Conflict, DomainError, InvalidTransition, NotAllowed, NotVerified

pytestmark = pytest.mark.django_db


# --- shared set-up (also imported by the API and page tests) ------------------------------------------


@dataclass
class World:
    fair: ConsultationFair
    sme: object  # an SME user whose company is an accepted participant
    buyer: object  # a buyer user whose (verified) organisation is an accepted participant
    staff: object

    @property
    def company(self):
        return self.sme.company

    @property
    def organisation(self):
        return self.buyer.buyer_organisation


def add_sme(fair, **participant) -> object:
    user = factories.SMEUserFactory()
    factories.FairParticipantFactory(fair=fair, company=user.company, **participant)
    return user


def add_buyer(fair, verified: bool = True, **participant) -> object:
    organisation = {} if verified else {"verification_state": "pending", "reviewed_at": None}
    user = factories.BuyerUserFactory(**{f"buyer_organisation__{k}": v for k, v in organisation.items()})
    factories.BuyerParticipantFactory(fair=fair, buyer=user.buyer_organisation, **participant)
    return user


def make_pairing(fair, company, buyer, score: float = 0.8) -> Pairing:
    """A proposed pair in the fair's active matching run (created on first use)."""
    run = MatchingRun.objects.filter(fair=fair, status=MatchingRun.Status.ACTIVE).first()
    if run is None:
        run = MatchingRun.objects.create(
            scope=MatchingRun.Scope.FAIR,
            fair=fair,
            scoring_model=matching_services.scoring_model_active(),
            status=MatchingRun.Status.ACTIVE,
        )
    return Pairing.objects.create(
        run=run,
        company=company,
        buyer=buyer,
        score=score,
        contributions={"text": score * 0.6, "hs": score * 0.4},
        products=[],
        explanation_en="Both work with cosmetics (HS 3304).",
        explanation_ko="화장품(HS 3304)이 일치합니다.",
        rank_for_buyer=1,
        rank_for_company=1,
        model_version=1,
    )


@pytest.fixture
def world(sme_user, buyer_user, staff_user) -> World:
    fair = factories.FairFactory()
    factories.FairParticipantFactory(fair=fair, company=sme_user.company)
    factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation)
    return World(fair=fair, sme=sme_user, buyer=buyer_user, staff=staff_user)


def buyer_asks(world: World, message: str = "We import K-beauty for 7-Eleven Thailand.") -> MeetingRequest:
    return meeting_requests.meeting_request_create(
        fair=world.fair, user=world.buyer, company=world.company, message=message
    )


def overdue(request: MeetingRequest) -> MeetingRequest:
    MeetingRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    request.refresh_from_db()
    return request


# --- sending -----------------------------------------------------------------------------------------


def test_buyer_requests_a_meeting_and_the_sme_hears_of_it_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = buyer_asks(world)
    assert request.status == "pending"
    assert request.from_side == "buyer" and not request.on_behalf
    assert request.created_by == world.buyer
    expected = timezone.now() + timedelta(hours=world.fair.request_expiry_hours)
    assert abs((request.expires_at - expected).total_seconds()) < 60
    assert [m.to for m in mail.outbox] == [[world.sme.email]]
    assert world.organisation.name in mail.outbox[0].subject
    # Triggered again (a retried task): still one email.
    assert emails.notify_request_received(request.pk) == 0
    assert len(mail.outbox) == 1


def test_sme_requests_a_buyer_with_the_pairs_score(world, django_capture_on_commit_callbacks):
    make_pairing(world.fair, world.company, world.organisation, score=0.731)
    with django_capture_on_commit_callbacks(execute=True):
        request = meeting_requests.meeting_request_create(
            fair=world.fair, user=world.sme, buyer=world.organisation, message=" Hello "
        )
    assert (request.company, request.buyer, request.from_side) == (world.company, world.organisation, "sme")
    assert request.message == "Hello"
    assert request.score == pytest.approx(0.731)
    assert [m.to for m in mail.outbox] == [[world.buyer.email]]


def test_sme_cannot_send_a_request_in_another_companys_name(world):
    other = add_sme(world.fair)
    with pytest.raises(NotAllowed) as refused:
        meeting_requests.meeting_request_create(
            fair=world.fair, user=world.sme, company=other.company, buyer=world.organisation
        )
    assert refused.value.field == "company"
    assert not MeetingRequest.objects.exists()


def test_request_without_a_counterpart_names_the_field(world):
    with pytest.raises(DomainError) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.buyer)
    assert refused.value.field == "company"
    with pytest.raises(DomainError) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.sme)
    assert refused.value.field == "buyer"


def test_unverified_buyer_cannot_request(world):
    unverified = add_buyer(world.fair, verified=False)
    with pytest.raises(NotVerified) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=unverified, company=world.company)
    assert "verify first" in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_unverified_buyer_cannot_be_requested(world):
    unverified = add_buyer(world.fair, verified=False)
    with pytest.raises(NotVerified) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=unverified.buyer_organisation)
    assert refused.value.field == "buyer"
    assert not MeetingRequest.objects.exists()


@pytest.mark.parametrize("phase", ["registration", "scheduling", "published"])
def test_requests_outside_the_requests_phase_are_refused(world, phase):
    ConsultationFair.objects.filter(pk=world.fair.pk).update(phase=phase)
    with pytest.raises(InvalidTransition) as refused:
        buyer_asks(world)
    assert refused.value.field == "phase"
    assert "Requests open" in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_requester_must_be_an_accepted_participant(world):
    invited = add_sme(world.fair, status="invited")
    outsider = factories.SMEUserFactory()
    for user in (invited, outsider):
        with pytest.raises(NotAllowed) as refused:
            meeting_requests.meeting_request_create(fair=world.fair, user=user, buyer=world.organisation)
        assert "not an accepted participant" in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_counterpart_must_be_an_accepted_participant(world):
    declined = add_sme(world.fair, status="declined")
    outsider = factories.CompanyFactory()
    for company in (declined.company, outsider):
        with pytest.raises(DomainError) as refused:
            meeting_requests.meeting_request_create(fair=world.fair, user=world.buyer, company=company)
        assert refused.value.field == "company"
        assert company.name_en in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_staff_cannot_request_without_saying_for_whom(world):
    with pytest.raises(DomainError) as refused:
        meeting_requests.meeting_request_create(
            fair=world.fair, user=world.staff, company=world.company, buyer=world.organisation
        )
    assert refused.value.field == "from_side"


def test_message_longer_than_allowed_is_refused(world):
    with pytest.raises(DomainError) as refused:
        buyer_asks(world, message="x" * 2001)
    assert refused.value.field == "message"


# --- the cap on outgoing pending requests ---------------------------------------------------------


def test_cap_on_outgoing_pending_requests(world):
    ConsultationFair.objects.filter(pk=world.fair.pk).update(max_pending_requests=2)
    buyers = [add_buyer(world.fair).buyer_organisation for _ in range(3)]
    first = meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=buyers[0])
    meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=buyers[1])
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=buyers[2])
    assert "2 pending requests" in refused.value.message and "most allowed is 2" in refused.value.message
    assert MeetingRequest.objects.count() == 2
    # Withdrawing one frees a place; so does one expiring.
    meeting_requests.meeting_request_withdraw(meeting_request=first, user=world.sme)
    third = meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=buyers[2])
    overdue(third)
    meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=buyers[0])


def test_cap_counts_only_the_participants_own_pending_requests(world):
    ConsultationFair.objects.filter(pk=world.fair.pk).update(max_pending_requests=1)
    other_buyer = add_buyer(world.fair).buyer_organisation
    # Incoming requests and staff's requests on its behalf do not use up the SME's cap...
    buyer_asks(world)
    meeting_requests.meeting_request_create_on_behalf(
        fair=world.fair, staff=world.staff, company=world.company, buyer=other_buyer, from_side="sme"
    )
    third_buyer = add_buyer(world.fair).buyer_organisation
    meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=third_buyer)
    # ...and staff are not limited by it.
    fourth = add_buyer(world.fair).buyer_organisation
    meeting_requests.meeting_request_create_on_behalf(
        fair=world.fair, staff=world.staff, company=world.company, buyer=fourth, from_side="sme"
    )
    assert MeetingRequest.objects.filter(from_side="sme", status="pending").count() == 3


# --- one open request per pair -------------------------------------------------------------------


def test_second_request_for_the_same_pair_is_refused_with_its_status(world):
    buyer_asks(world)
    with pytest.raises(Conflict) as refused:
        buyer_asks(world)
    assert "already requested" in refused.value.message and "pending" in refused.value.message
    assert MeetingRequest.objects.count() == 1


def test_request_when_the_other_side_already_asked_points_to_their_request(world):
    theirs = buyer_asks(world)
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)
    assert f"no. {theirs.pk}" in refused.value.message and "accept their request" in refused.value.message
    theirs.refresh_from_db()
    assert theirs.status == "pending"
    assert MeetingRequest.objects.count() == 1


def test_request_for_an_agreed_pair_is_refused(world):
    request = buyer_asks(world)
    meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)
    assert "already agreed" in refused.value.message


def test_declined_side_cannot_ask_again_but_the_other_side_can(world):
    request = buyer_asks(world)
    meeting_requests.meeting_request_decline(meeting_request=request, user=world.sme, reason="Not our market")
    with pytest.raises(Conflict) as refused:
        buyer_asks(world)
    assert "declined" in refused.value.message
    meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)


def test_race_for_the_same_pair_is_decided_by_the_database_as_a_conflict(world, monkeypatch):
    buyer_asks(world)
    # The service's own check passed in both racing transactions: the constraint decides.
    monkeypatch.setattr(meeting_requests, "_refuse_existing", lambda *args: None)
    with pytest.raises(Conflict) as refused:
        buyer_asks(world)
    assert "just sent" in refused.value.message
    assert MeetingRequest.objects.count() == 1


def test_overdue_request_does_not_block_a_new_one(world):
    overdue(buyer_asks(world))
    again = buyer_asks(world)
    assert again.status == "pending"
    assert sorted(MeetingRequest.objects.values_list("status", flat=True)) == ["expired", "pending"]


# --- answering -------------------------------------------------------------------------------------


def test_sme_accepts_and_the_buyer_hears_once_and_the_matcher_learns(world, django_capture_on_commit_callbacks):
    request = buyer_asks(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = meeting_requests.meeting_request_accept(
            meeting_request=request, user=world.sme, note="Looking forward to it"
        )
    assert accepted.status == "accepted"
    assert accepted.responded_by == world.sme and accepted.responded_at is not None
    assert accepted.response_note == "Looking forward to it"
    outcome = MatchOutcome.objects.get()
    assert (outcome.company, outcome.buyer, outcome.kind, outcome.fair) == (
        world.company,
        world.organisation,
        "request_accepted",
        world.fair,
    )
    assert [m.to for m in mail.outbox] == [[world.buyer.email]]
    assert "accepted" in mail.outbox[0].subject
    assert emails.notify_request_answered(request.pk) == 0
    assert len(mail.outbox) == 1


def test_buyer_declines_with_a_reason(world, django_capture_on_commit_callbacks):
    request = meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        declined = meeting_requests.meeting_request_decline(
            meeting_request=request, user=world.buyer, reason="We do not stock hair care"
        )
    assert declined.status == "declined" and declined.response_note == "We do not stock hair care"
    assert MatchOutcome.objects.get().kind == "request_declined"
    assert [m.to for m in mail.outbox] == [[world.sme.email]]
    assert "We do not stock hair care" in mail.outbox[0].body


def test_another_sme_cannot_answer_a_request_addressed_to_a_company(world):
    request = buyer_asks(world)
    other = add_sme(world.fair)
    for answer in (meeting_requests.meeting_request_accept, meeting_requests.meeting_request_decline):
        with pytest.raises(NotAllowed):
            answer(meeting_request=request, user=other)
    request.refresh_from_db()
    assert request.status == "pending" and request.responded_by is None
    assert not MatchOutcome.objects.exists()


def test_requester_cannot_answer_its_own_request(world):
    request = buyer_asks(world)
    other_buyer = add_buyer(world.fair)
    for user in (world.buyer, other_buyer):
        with pytest.raises(NotAllowed):
            meeting_requests.meeting_request_accept(meeting_request=request, user=user)
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_request_is_answered_once(world):
    request = buyer_asks(world)
    meeting_requests.meeting_request_decline(meeting_request=request, user=world.sme)
    with pytest.raises(InvalidTransition) as refused:
        meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    assert "Declined" in refused.value.message
    assert MatchOutcome.objects.count() == 1


def test_answering_outside_the_requests_phase_is_refused(world):
    request = buyer_asks(world)
    ConsultationFair.objects.filter(pk=world.fair.pk).update(phase="scheduling")
    with pytest.raises(InvalidTransition) as refused:
        meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    assert "answer meeting requests" in refused.value.message and "Requests open" in refused.value.message
    request.refresh_from_db()
    assert request.status == "pending"


def test_staff_may_answer_for_the_side_asked(world):
    request = buyer_asks(world)
    accepted = meeting_requests.meeting_request_accept(meeting_request=request, user=world.staff, note="By phone")
    assert accepted.status == "accepted" and accepted.responded_by == world.staff


def test_accepting_beyond_a_meeting_cap_is_refused(world):
    FairParticipant.objects.filter(fair=world.fair, company=world.company).update(meeting_cap=1)
    first = buyer_asks(world)
    meeting_requests.meeting_request_accept(meeting_request=first, user=world.sme)
    second_buyer = add_buyer(world.fair)
    second = meeting_requests.meeting_request_create(fair=world.fair, user=second_buyer, company=world.company)
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_accept(meeting_request=second, user=world.sme)
    assert refused.value.field == "meeting_cap" and "your cap" in refused.value.message
    second.refresh_from_db()
    assert second.status == "pending"


def test_accept_is_refused_when_the_requester_left_the_fair(world):
    request = buyer_asks(world)
    FairParticipant.objects.filter(fair=world.fair, buyer=world.organisation).update(status="declined")
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    assert world.organisation.name in refused.value.message


def test_buyer_that_lost_its_verification_cannot_accept(world):
    request = meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)
    world.organisation.verification_state = "pending"
    world.organisation.save(update_fields=["verification_state"])
    with pytest.raises(NotVerified):
        meeting_requests.meeting_request_accept(meeting_request=request, user=world.buyer)
    request.refresh_from_db()
    assert request.status == "pending"


# --- withdrawing -----------------------------------------------------------------------------------


def test_requester_withdraws_and_may_ask_again(world):
    request = buyer_asks(world)
    withdrawn = meeting_requests.meeting_request_withdraw(meeting_request=request, user=world.buyer)
    assert withdrawn.status == "withdrawn"
    assert buyer_asks(world).status == "pending"


def test_the_side_asked_cannot_withdraw(world):
    request = buyer_asks(world)
    with pytest.raises(NotAllowed):
        meeting_requests.meeting_request_withdraw(meeting_request=request, user=world.sme)
    request.refresh_from_db()
    assert request.status == "pending"


def test_an_answered_request_cannot_be_withdrawn(world):
    request = buyer_asks(world)
    meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    with pytest.raises(InvalidTransition):
        meeting_requests.meeting_request_withdraw(meeting_request=request, user=world.buyer)
    request.refresh_from_db()
    assert request.status == "accepted"


# --- expiry ------------------------------------------------------------------------------------------


def test_task_expires_overdue_requests_and_is_safe_to_run_twice(world):
    late = overdue(buyer_asks(world))
    on_time = meeting_requests.meeting_request_create(
        fair=world.fair, user=add_sme(world.fair), buyer=world.organisation
    )
    assert tasks.expire_meeting_requests() == 1
    assert tasks.expire_meeting_requests() == 0
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.status, on_time.status) == ("expired", "pending")


def test_overdue_request_cannot_be_accepted_even_before_the_task_runs(world, django_capture_on_commit_callbacks):
    request = overdue(buyer_asks(world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition) as refused:
        meeting_requests.meeting_request_accept(meeting_request=request, user=world.sme)
    assert "expired" in refused.value.message
    request.refresh_from_db()
    assert request.status == "expired"  # marked on the spot, not only by the task
    assert request.responded_by is None
    assert not MatchOutcome.objects.exists()
    assert mail.outbox == []


def test_overdue_request_reads_as_expired(world):
    request = overdue(buyer_asks(world))
    assert meeting_requests.effective_status(request) == "expired"
    assert list(meeting_requests.meeting_request_list(user=world.sme, status="expired")) == [request]
    assert not meeting_requests.meeting_request_list(user=world.sme, status="pending").exists()


# --- staff on behalf of a side ------------------------------------------------------------------------


def test_staff_turn_a_proposed_pair_into_a_request_on_behalf_of_the_sme(world, django_capture_on_commit_callbacks):
    make_pairing(world.fair, world.company, world.organisation, score=0.66)
    with django_capture_on_commit_callbacks(execute=True):
        request = meeting_requests.meeting_request_create_on_behalf(
            fair=world.fair,
            staff=world.staff,
            company=world.company,
            buyer=world.organisation,
            from_side="sme",
            message="The agency recommends this supplier.",
        )
    assert request.on_behalf and request.created_by == world.staff
    assert request.from_side == "sme" and request.score == pytest.approx(0.66)
    # The request goes to the other side as usual, which answers it.
    assert [m.to for m in mail.outbox] == [[world.buyer.email]]
    assert meeting_requests.meeting_request_accept(meeting_request=request, user=world.buyer).status == "accepted"


def test_only_staff_send_requests_on_behalf(world):
    with pytest.raises(NotAllowed):
        meeting_requests.meeting_request_create_on_behalf(
            fair=world.fair, staff=world.sme, company=world.company, buyer=world.organisation, from_side="buyer"
        )
    assert not MeetingRequest.objects.exists()


def test_staff_cannot_request_an_excluded_pair(world):
    PairDecision.objects.create(
        fair=world.fair, company=world.company, buyer=world.organisation, decision="exclude", decided_by=world.staff
    )
    with pytest.raises(Conflict) as refused:
        meeting_requests.meeting_request_create_on_behalf(
            fair=world.fair, staff=world.staff, company=world.company, buyer=world.organisation, from_side="buyer"
        )
    assert "excluded" in refused.value.message
    with pytest.raises(DomainError) as refused:
        meeting_requests.meeting_request_create_on_behalf(
            fair=world.fair, staff=world.staff, company=world.company, buyer=world.organisation, from_side="both"
        )
    assert refused.value.field == "from_side"


def test_staff_on_behalf_of_an_unverified_buyer_is_refused(world):
    unverified = add_buyer(world.fair, verified=False)
    with pytest.raises(NotVerified):
        meeting_requests.meeting_request_create_on_behalf(
            fair=world.fair,
            staff=world.staff,
            company=world.company,
            buyer=unverified.buyer_organisation,
            from_side="buyer",
        )


# --- who sees which requests ------------------------------------------------------------------------


def test_each_side_sees_only_its_own_requests_and_staff_see_all(world):
    mine = buyer_asks(world)
    other_sme, other_buyer = add_sme(world.fair), add_buyer(world.fair)
    theirs = meeting_requests.meeting_request_create(fair=world.fair, user=other_buyer, company=other_sme.company)
    assert list(meeting_requests.meeting_request_list(user=world.sme)) == [mine]
    assert list(meeting_requests.meeting_request_list(user=world.buyer)) == [mine]
    assert list(meeting_requests.meeting_request_list(user=other_sme)) == [theirs]
    assert set(meeting_requests.meeting_request_list(user=world.staff)) == {mine, theirs}
    assert set(meeting_requests.meeting_request_list(user=world.staff, fair_id=world.fair.pk, side="buyer")) == {
        mine,
        theirs,
    }
    assert not meeting_requests.meeting_request_list(user=world.staff, side="sme").exists()


def test_direction_filter_splits_incoming_from_outgoing(world):
    incoming = buyer_asks(world)
    outgoing = meeting_requests.meeting_request_create(
        fair=world.fair, user=world.sme, buyer=add_buyer(world.fair).buyer_organisation
    )
    assert list(meeting_requests.meeting_request_list(user=world.sme, direction="incoming")) == [incoming]
    assert list(meeting_requests.meeting_request_list(user=world.sme, direction="outgoing")) == [outgoing]


# --- suggestions -------------------------------------------------------------------------------------


@pytest.fixture
def proposals(world):
    """Three buyers proposed for the SME (one excluded by staff, one not an accepted participant)
    and the SME proposed for the world's buyer."""
    fair = world.fair
    good = add_buyer(fair).buyer_organisation
    excluded = add_buyer(fair).buyer_organisation
    invited = add_buyer(fair, status="invited").buyer_organisation
    pairings = {
        "world": make_pairing(fair, world.company, world.organisation, score=0.9),
        "good": make_pairing(fair, world.company, good, score=0.7),
        "excluded": make_pairing(fair, world.company, excluded, score=0.6),
        "invited": make_pairing(fair, world.company, invited, score=0.5),
    }
    PairDecision.objects.create(fair=fair, company=world.company, buyer=excluded, decision="exclude")
    return pairings


def test_sme_sees_buyers_proposed_for_it_without_excluded_or_absent_ones(world, proposals):
    suggested = list(meeting_requests.fair_suggestion_list(user=world.sme, fair=world.fair))
    assert suggested == [proposals["world"], proposals["good"]]


def test_buyer_sees_the_smes_proposed_for_it_only(world, proposals):
    other_sme = add_sme(world.fair)
    make_pairing(world.fair, other_sme.company, proposals["good"].buyer)
    assert list(meeting_requests.fair_suggestion_list(user=world.buyer, fair=world.fair)) == [proposals["world"]]


def test_requested_and_declined_pairs_leave_the_suggestions_and_withdrawn_ones_return(world, proposals):
    request = buyer_asks(world)
    assert proposals["world"] not in meeting_requests.fair_suggestion_list(user=world.sme, fair=world.fair)
    meeting_requests.meeting_request_withdraw(meeting_request=request, user=world.buyer)
    assert proposals["world"] in meeting_requests.fair_suggestion_list(user=world.sme, fair=world.fair)
    declined = buyer_asks(world)
    meeting_requests.meeting_request_decline(meeting_request=declined, user=world.sme)
    assert proposals["world"] not in meeting_requests.fair_suggestion_list(user=world.buyer, fair=world.fair)


def test_staff_see_every_open_proposal_and_participants_who_did_not_accept_see_none(world, proposals):
    staff_view = set(meeting_requests.fair_suggestion_list(user=world.staff, fair=world.fair))
    assert staff_view == {proposals["world"], proposals["good"]}
    FairParticipant.objects.filter(fair=world.fair, company=world.company).update(status="invited")
    assert not meeting_requests.fair_suggestion_list(user=world.sme, fair=world.fair).exists()


def test_suggestions_come_only_from_the_active_run(world, proposals):
    MatchingRun.objects.filter(fair=world.fair).update(status=MatchingRun.Status.SUPERSEDED)
    assert not meeting_requests.fair_suggestion_list(user=world.sme, fair=world.fair).exists()


def test_request_from_a_suggestion(world, proposals):
    request = meeting_requests.meeting_request_from_suggestion(
        pairing=proposals["good"], user=world.sme, message="Hello"
    )
    assert (request.buyer, request.from_side, request.score) == (proposals["good"].buyer, "sme", 0.7)
    on_behalf = meeting_requests.meeting_request_from_suggestion(
        pairing=proposals["world"], user=world.staff, from_side="buyer"
    )
    assert on_behalf.on_behalf and on_behalf.from_side == "buyer" and on_behalf.created_by == world.staff


def test_beat_runs_the_expiry_task():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["fairs-expire-requests"]
    assert entry["task"] == tasks.expire_meeting_requests.name
