"""Standby on the fair day: who could take a no-show's slot (free then, available, under their cap,
verified, not already meeting the present party), best match first and marked when online; and
re-assigning the slot in one action: the no-show is cancelled with its reason, the standby meeting
takes the same slot and room, both new parties hear at once, the board hears both meetings, and
every refusal leaves everything as it was."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from matching import services as matching_services
from matching.fairs import booking, live
from matching.models import AvailabilityWindow, LiveState, MatchingRun, Meeting, MeetingStatus, PairDecision, Pairing
from realtime import services as realtime
from realtime.models import Event
from realtime.streams import fair_stream, user_stream
from tests import factories
from tests.matching.fairs.test_live_state import Clock, make_day, meeting_events, minutes
from tradeon.errors import Conflict, DomainError, InvalidTransition, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def staff():
    return factories.StaffUserFactory()


def at_1300(meeting) -> datetime:
    return datetime.combine(meeting.fair.starts_on, time(4), tzinfo=UTC)  # 13:00 Seoul


def make_pairing(fair, company, buyer, score: float):
    """A proposed pair in the fair's active matching run (created on first use)."""
    run = MatchingRun.objects.filter(fair=fair, status=MatchingRun.Status.ACTIVE).first() or MatchingRun.objects.create(
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
        contributions={"text": score},
        explanation_en="Both work with cosmetics.",
        explanation_ko="화장품이 일치합니다.",
        model_version=1,
    )


def standby_buyer(fair, name: str, **kwargs):
    """An accepted buyer participant with one member account."""
    participant = factories.BuyerParticipantFactory(fair=fair, buyer__name=name, **kwargs)
    user = factories.BuyerUserFactory(buyer_organisation=participant.buyer)
    return participant, user


@pytest.fixture
def no_show(clock):
    """Alpha Cosmetics is in the room of its 10:00 meeting; Siam Retail has not come 6 minutes in
    (the fair's no-show delay is 5): a no-show candidate of the buyer side."""
    meeting, sme_user, buyer_user = make_day()
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    clock.set(minutes(meeting, 6))
    live.live_tick(clock.now)
    meeting.refresh_from_db()
    assert meeting.no_show_side == "buyer"
    return meeting, sme_user, buyer_user


def test_standby_buyers_are_the_free_ones_best_match_first_online_marked(no_show, staff):
    meeting, sme_user, _buyer = no_show
    fair = meeting.fair
    best, _u1 = standby_buyer(fair, "Best Match Trading")
    online, online_user = standby_buyer(fair, "Online Beauty Imports")
    unscored, _u3 = standby_buyer(fair, "Unscored Distribution")
    make_pairing(fair, meeting.company, best.buyer, score=0.91)
    make_pairing(fair, meeting.company, online.buyer, score=0.55)
    realtime.presence_enter(fair_stream(fair.pk), online_user, "lobby-1")

    suggestions = live.standby_suggestions(meeting)
    assert [(s["name"], s["score"], s["online"]) for s in suggestions] == [
        ("Best Match Trading", 0.91, False),
        ("Online Beauty Imports", 0.55, True),
        ("Unscored Distribution", None, False),
    ]
    assert [s["rank"] for s in suggestions] == [1, 2, 3]
    assert suggestions[0]["id"] == best.buyer_id and suggestions[0]["side"] == "buyer"
    assert suggestions[0]["room"] == meeting.room.name


def test_busy_unavailable_capped_unverified_or_already_met_buyers_are_not_suggested(no_show, staff):
    meeting, _sme_user, _buyer = no_show
    fair = meeting.fair
    free, _ = standby_buyer(fair, "Free Buyer")
    busy, _ = standby_buyer(fair, "Busy Buyer")
    elsewhere = factories.PublishedMeetingFactory(buyer=busy.buyer, starts_at=meeting.starts_at + timedelta(minutes=20))
    assert elsewhere.fair_id != fair.pk  # busy in another fair counts too
    away, _ = standby_buyer(fair, "Away Buyer")
    AvailabilityWindow.objects.create(
        participant=away, starts_at=at_1300(meeting), ends_at=at_1300(meeting) + timedelta(hours=2)
    )
    capped, _ = standby_buyer(fair, "Capped Buyer", meeting_cap=1)
    other_sme = factories.FairParticipantFactory(fair=fair)
    factories.PublishedMeetingFactory(
        fair=fair, company=other_sme.company, buyer=capped.buyer, starts_at=at_1300(meeting)
    )
    unverified, _ = standby_buyer(fair, "Unverified Buyer", buyer__verification_state="pending")
    met, _ = standby_buyer(fair, "Met Already")
    factories.PublishedMeetingFactory(fair=fair, company=meeting.company, buyer=met.buyer, starts_at=at_1300(meeting))
    excluded, _ = standby_buyer(fair, "Excluded Pair")
    PairDecision.objects.create(
        fair=fair, company=meeting.company, buyer=excluded.buyer, decision=PairDecision.Decision.EXCLUDE
    )
    factories.BuyerParticipantFactory(fair=fair, buyer__name="Declined Buyer", status="declined")
    within, _ = standby_buyer(fair, "Available Then")
    AvailabilityWindow.objects.create(
        participant=within, starts_at=meeting.starts_at - timedelta(hours=1), ends_at=meeting.ends_at
    )

    names = {s["name"] for s in live.standby_suggestions(meeting)}
    assert names == {"Free Buyer", "Available Then"}


def test_a_buyer_that_needs_an_interpreter_is_suggested_only_with_a_free_one(no_show):
    meeting, _sme_user, _buyer = no_show
    fair = meeting.fair
    meeting.company.languages = ["ko"]
    meeting.company.save(update_fields=["languages"])
    thai, _ = standby_buyer(fair, "Thai Only", buyer__languages=["th"])
    assert live.standby_suggestions(meeting) == []  # nobody interprets Korean and Thai
    busy_interpreter = factories.InterpreterFactory(name="Busy Interpreter", languages=["ko", "th"])
    factories.PublishedMeetingFactory(starts_at=meeting.starts_at, interpreter=busy_interpreter)
    assert live.standby_suggestions(meeting) == []
    factories.InterpreterFactory(name="Ms Thai", languages=["ko", "th"])
    [suggestion] = live.standby_suggestions(meeting)
    assert (suggestion["name"], suggestion["interpreter"]) == ("Thai Only", "Ms Thai")


def test_both_sides_absent_needs_the_side_named(clock):
    meeting, _sme, _buyer = make_day()
    live.live_tick(minutes(meeting, 6))
    meeting.refresh_from_db()
    assert meeting.no_show_side == "both"
    with pytest.raises(DomainError) as refused:
        live.standby_suggestions(meeting)
    assert refused.value.field == "side"
    other_sme = factories.FairParticipantFactory(fair=meeting.fair, company__name_en="Standby SME")
    assert [s["id"] for s in live.standby_suggestions(meeting, side="sme")] == [other_sme.company_id]


# --- re-assigning -----------------------------------------------------------------------------------


def test_reassigning_cancels_the_no_show_and_books_the_standby_in_the_same_slot_and_room(
    no_show, staff, clock, django_capture_on_commit_callbacks
):
    meeting, sme_user, absent_user = no_show
    standby, standby_user = standby_buyer(meeting.fair, "Standby Trading")
    seq_before = meeting_events(meeting.fair_id)

    with django_capture_on_commit_callbacks(execute=True):
        new = live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=staff)

    old = Meeting.objects.get(pk=meeting.pk)
    assert old.status == MeetingStatus.CANCELLED
    assert old.cancel_reason == "No-show: the buyer did not join"
    assert (old.live_state, old.no_show_side, old.replaced_by_id) == (LiveState.NO_SHOW, "buyer", new.pk)
    assert new.source == Meeting.Source.STANDBY and new.status == MeetingStatus.SCHEDULED
    assert (new.company_id, new.buyer_id) == (meeting.company_id, standby.buyer_id)
    assert (new.starts_at, new.ends_at, new.room_id) == (meeting.starts_at, meeting.ends_at, meeting.room_id)
    assert new.published_at is not None

    # Both new parties hear at once, with the way into the new room; the absent buyer does not.
    for user in (sme_user, standby_user):
        [told] = Event.objects.filter(stream__key=user_stream(user.pk), kind="meeting.reassigned")
        assert told.data["url"] == f"/fairs/meetings/{new.pk}/room/"
        assert told.data["meeting"] == new.pk
    assert (
        "Siam Retail did not join"
        in Event.objects.get(stream__key=user_stream(sme_user.pk), kind="meeting.reassigned").data["message"]
    )
    assert not Event.objects.filter(stream__key=user_stream(absent_user.pk), kind="meeting.reassigned").exists()

    # The board hears both meetings.
    rows = meeting_events(meeting.fair_id)[len(seq_before) :]
    assert [(r["id"], r["board_state"]) for r in rows] == [(old.pk, "cancelled"), (new.pk, "scheduled")]
    assert rows[0]["replaced_by"] == new.pk

    # And the emails go out as for any change: the cancellation to the old parties, the new meeting to the new.
    recipients = {address for message in mail.outbox for address in message.to}
    assert standby_user.email in recipients and absent_user.email in recipients and sme_user.email in recipients


def test_the_interpreter_is_kept_when_they_still_speak_both_languages(clock, staff):
    interpreter = factories.InterpreterFactory(name="Ms Thai", languages=["ko", "th", "en"])
    meeting, sme_user, _buyer = make_day(interpreter=interpreter)
    meeting.company.languages = ["ko"]
    meeting.company.save(update_fields=["languages"])
    meeting.refresh_from_db()
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    clock.set(minutes(meeting, 7))
    standby, _ = standby_buyer(meeting.fair, "Thai Standby", buyer__languages=["th"])
    new = live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=staff)
    assert new.interpreter_id == interpreter.pk


def test_an_absent_sme_is_replaced_by_a_standby_sme(clock, staff):
    meeting, _sme_user, buyer_user = make_day()
    clock.set(minutes(meeting, 2))
    live.attendance_join(meeting=meeting, user=buyer_user, side="buyer", channel_name="siam")
    live.live_tick(clock.set(minutes(meeting, 8)))
    standby = factories.FairParticipantFactory(fair=meeting.fair, company__name_en="Standby Cosmetics")
    [suggestion] = live.standby_suggestions(Meeting.objects.get(pk=meeting.pk))
    assert suggestion["id"] == standby.company_id
    new = live.slot_reassign(meeting=meeting, replacement=standby.company, by=staff)
    assert (new.company_id, new.buyer_id, new.room_id) == (standby.company_id, meeting.buyer_id, meeting.room_id)
    assert Meeting.objects.get(pk=meeting.pk).cancel_reason == "No-show: the SME did not join"


def _unchanged(meeting):
    fresh = Meeting.objects.get(pk=meeting.pk)
    return fresh.status == MeetingStatus.SCHEDULED and Meeting.objects.filter(fair=meeting.fair).count() == 1


def test_a_meeting_that_is_not_a_no_show_candidate_is_not_reassigned(staff, clock):
    meeting, sme_user, _buyer = make_day()
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    clock.set(minutes(meeting, 1))
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    clock.set(minutes(meeting, 3))  # the buyer is not late yet
    with pytest.raises(InvalidTransition):
        live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=staff)
    assert _unchanged(meeting)


def test_the_present_side_is_not_replaced(no_show, staff):
    meeting, _sme, _buyer = no_show
    other_sme = factories.FairParticipantFactory(fair=meeting.fair)
    with pytest.raises(InvalidTransition) as refused:
        live.slot_reassign(meeting=meeting, replacement=other_sme.company, by=staff)
    assert refused.value.field == "side"
    assert _unchanged(meeting)


def test_an_absent_party_who_just_walked_in_is_not_replaced(no_show, staff, clock):
    meeting, _sme, buyer_user = no_show
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    # The buyer comes in; the stored state has not caught up (no tick yet), the service checks anyway.
    meeting.attendance.create(user=buyer_user, side="buyer", channel_name="late", joined_at=clock.now)
    with pytest.raises(InvalidTransition):
        live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=staff)
    assert _unchanged(meeting)


def test_a_slot_that_is_over_is_not_reassigned(no_show, staff, clock):
    meeting, _sme, _buyer = no_show
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    clock.set(meeting.ends_at + timedelta(seconds=1))
    with pytest.raises(InvalidTransition):
        live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=staff)
    assert Meeting.objects.filter(fair=meeting.fair).count() == 1


def test_a_busy_replacement_is_refused_with_the_reason(no_show, staff):
    meeting, _sme, _buyer = no_show
    busy, _ = standby_buyer(meeting.fair, "Busy Buyer")
    factories.PublishedMeetingFactory(buyer=busy.buyer, starts_at=meeting.starts_at)
    with pytest.raises(Conflict) as refused:
        live.slot_reassign(meeting=meeting, replacement=busy.buyer, by=staff)
    assert "another meeting at this time" in refused.value.message
    assert _unchanged(meeting)


def test_someone_outside_the_fair_is_refused(no_show, staff):
    meeting, _sme, _buyer = no_show
    stranger = factories.BuyerOrganisationFactory(name="Stranger Ltd")
    with pytest.raises(DomainError) as refused:
        live.slot_reassign(meeting=meeting, replacement=stranger, by=staff)
    assert refused.value.field == "replacement"
    assert _unchanged(meeting)


@pytest.mark.parametrize("role", ["sme", "buyer"])
def test_only_staff_reassign_and_a_refusal_changes_nothing(no_show, role):
    meeting, sme_user, buyer_user = no_show
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    events = Event.objects.count()
    with pytest.raises(NotAllowed):
        live.slot_reassign(meeting=meeting, replacement=standby.buyer, by=sme_user if role == "sme" else buyer_user)
    assert _unchanged(meeting)
    assert Event.objects.count() == events


# --- the API ------------------------------------------------------------------------------------------


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_api_lists_standby_and_reassigns_for_staff(no_show, staff):
    meeting, _sme, _buyer = no_show
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    client = _client(staff)
    listed = client.get(f"/api/v1/live-meetings/{meeting.pk}/standby/")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == [standby.buyer_id]
    answer = client.post(
        f"/api/v1/live-meetings/{meeting.pk}/reassign/", {"to": standby.buyer_id, "side": "buyer"}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["replaced"] == meeting.pk and body["meeting"]["buyer"]["id"] == standby.buyer_id
    assert Meeting.objects.get(pk=meeting.pk).replaced_by_id == body["meeting"]["id"]


def test_the_api_refuses_a_meeting_that_is_not_a_candidate_with_409(staff, clock):
    meeting, _sme, _buyer = make_day()
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    clock.set(minutes(meeting, -30))
    answer = _client(staff).post(
        f"/api/v1/live-meetings/{meeting.pk}/reassign/", {"to": standby.buyer_id, "side": "buyer"}, format="json"
    )
    assert answer.status_code == 409
    assert "not a no-show candidate" in answer.json()["detail"]
    assert _unchanged(meeting)


@pytest.mark.parametrize("body", [{}, {"to": "x"}, {"to": 1, "side": "interpreter"}])
def test_the_api_refuses_a_bad_reassign_body_with_400(no_show, staff, body):
    meeting, _sme, _buyer = no_show
    assert _client(staff).post(f"/api/v1/live-meetings/{meeting.pk}/reassign/", body, format="json").status_code == 400
    assert _unchanged(meeting)


@pytest.mark.parametrize("who", ["sme", "buyer", "anonymous"])
def test_the_standby_and_reassign_api_refuse_everyone_but_staff(no_show, who):
    meeting, sme_user, buyer_user = no_show
    standby, _ = standby_buyer(meeting.fair, "Standby Trading")
    client = _client({"sme": sme_user, "buyer": buyer_user, "anonymous": None}[who])
    assert client.get(f"/api/v1/live-meetings/{meeting.pk}/standby/").status_code == 403
    answer = client.post(
        f"/api/v1/live-meetings/{meeting.pk}/reassign/", {"to": standby.buyer_id, "side": "buyer"}, format="json"
    )
    assert answer.status_code == 403
    assert _unchanged(meeting)


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only (CI runs it)"
)


@on_postgresql
def test_a_double_booking_the_database_refuses_is_a_409_not_a_500(no_show, staff, monkeypatch):
    """A booking elsewhere that raced past every check: PostgreSQL's exclusion constraint refuses
    the standby meeting, the API answers 409, and the no-show is not cancelled."""
    meeting, _sme, _buyer = no_show
    raced, _ = standby_buyer(meeting.fair, "Raced Buyer")
    factories.PublishedMeetingFactory(buyer=raced.buyer, starts_at=meeting.starts_at)
    # Both checks miss it, as they would for a booking committed a moment after they ran.
    monkeypatch.setattr(live, "_overlapping", lambda m: Meeting.objects.none())
    monkeypatch.setattr(booking, "_check_clashes", lambda proposal, exclude: None)
    answer = _client(staff).post(
        f"/api/v1/live-meetings/{meeting.pk}/reassign/", {"to": raced.buyer_id, "side": "buyer"}, format="json"
    )
    assert answer.status_code == 409, answer.content
    assert "Raced Buyer" in answer.json()["detail"]
    assert _unchanged(meeting)
