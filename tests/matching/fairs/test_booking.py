"""Booking meetings by hand (matching.fairs.booking): every rule with a case where it binds,
the clear messages that name who clashes, staff's override of availability and hours (and that
it never overrides double booking or caps), moves, swaps, cancels, and a published meeting's
calendar sequence and change emails."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from matching.fairs import booking
from matching.models import (
    AvailabilityWindow,
    InterpreterAvailability,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    VideoRoom,
)
from tests import factories
from tradeon.errors import Conflict, DomainError, InvalidTransition, NotAllowed

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def at(fair, day: int, hhmm: str) -> datetime:
    """The UTC instant of a Seoul wall-clock time on the fair's day-th day (0 = first)."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(fair.starts_on + timedelta(days=day), time(hours, minutes), SEOUL).astimezone(UTC)


def room(number: int) -> VideoRoom:
    return VideoRoom.objects.get(name=f"Video room {number}")


@pytest.fixture
def fair():
    return factories.FairFactory(phase="scheduling")


@pytest.fixture
def staff():
    return factories.StaffUserFactory()


@pytest.fixture
def sme(fair):
    return factories.FairParticipantFactory(fair=fair, company__name_en="Seoul Company Alpha")


@pytest.fixture
def buyer(fair):
    return factories.BuyerParticipantFactory(fair=fair, buyer__name="Bangkok Beauty Alpha")


def book(fair, staff, sme, buyer, when, *, room_number: int | None = 1, **kwargs) -> Meeting:
    return booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=sme.company,
        buyer=buyer.buyer,
        starts_at=when,
        room=room(room_number) if room_number else None,
        **kwargs,
    )


# --- adding ---------------------------------------------------------------------------------------


def test_staff_book_a_draft_meeting_at_one_of_the_fairs_slots(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    assert meeting.status == MeetingStatus.DRAFT
    assert meeting.source == Meeting.Source.STAFF
    assert (meeting.starts_at, meeting.ends_at) == (at(fair, 0, "13:00"), at(fair, 0, "13:40"))
    assert meeting.published_at is None and meeting.sequence == 0


def test_a_meeting_links_the_accepted_request_and_takes_its_score(fair, staff, sme, buyer):
    request = MeetingRequest.objects.create(
        fair=fair,
        company=sme.company,
        buyer=buyer.buyer,
        from_side="buyer",
        status="accepted",
        score=0.61,
        expires_at=at(fair, 0, "09:00"),
    )
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    assert meeting.request == request
    assert meeting.score == pytest.approx(0.61)


def test_a_time_that_is_not_a_slot_is_refused(fair, staff, sme, buyer):
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:05"))
    assert refused.value.field == "starts_at"
    assert "not one of the fair's slots" in refused.value.message
    # After the last day, and in the lunch break: not slots either.
    for when in (at(fair, 3, "13:00"), at(fair, 0, "12:10")):
        with pytest.raises(DomainError):
            book(fair, staff, sme, buyer, when)
    assert not Meeting.objects.exists()


def test_a_naive_time_is_refused(fair, staff, sme, buyer):
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00").replace(tzinfo=None))
    assert refused.value.field == "starts_at"


def test_both_parties_must_be_accepted_participants(fair, staff, sme):
    invited = factories.BuyerParticipantFactory(fair=fair, status="invited")
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, invited, at(fair, 0, "13:00"))
    assert refused.value.field == "buyer"
    assert invited.buyer.name in refused.value.message
    outsider = factories.BuyerParticipantFactory()  # another fair's buyer
    with pytest.raises(DomainError):
        book(fair, staff, sme, outsider, at(fair, 0, "13:00"))
    declined = factories.FairParticipantFactory(fair=fair, status="declined")
    buyer = factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(DomainError) as refused:
        book(fair, staff, declined, buyer, at(fair, 0, "13:00"))
    assert refused.value.field == "company"
    assert not Meeting.objects.exists()


# --- double booking -----------------------------------------------------------------------------


def test_an_sme_in_two_meetings_at_once_is_refused_naming_it_and_the_time(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(Conflict) as refused:
        book(fair, staff, sme, other, at(fair, 0, "13:00"), room_number=2)
    assert refused.value.field == "company"
    assert "Seoul Company Alpha already has a meeting 13:00-13:40 KST" in refused.value.message
    assert "Bangkok Beauty Alpha" in refused.value.message
    assert Meeting.objects.count() == 1


def test_a_buyer_in_two_meetings_at_once_is_refused(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = factories.FairParticipantFactory(fair=fair)
    with pytest.raises(Conflict) as refused:
        book(fair, staff, other, buyer, at(fair, 0, "13:00"), room_number=2)
    assert refused.value.field == "buyer"
    assert "Bangkok Beauty Alpha already has a meeting 13:00-13:40 KST" in refused.value.message


def test_a_room_holds_one_meeting_at_a_time(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other_sme, other_buyer = factories.FairParticipantFactory(fair=fair), factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(Conflict) as refused:
        book(fair, staff, other_sme, other_buyer, at(fair, 0, "13:00"), room_number=1)
    assert refused.value.field == "room"
    assert "Video room 1 is already taken 13:00-13:40 KST" in refused.value.message
    # Another room at the same time, or the same room in the next slot, is fine.
    book(fair, staff, other_sme, other_buyer, at(fair, 0, "13:00"), room_number=2)
    third_sme, third_buyer = factories.FairParticipantFactory(fair=fair), factories.BuyerParticipantFactory(fair=fair)
    book(fair, staff, third_sme, third_buyer, at(fair, 0, "13:50"), room_number=1)


def test_an_interpreter_is_in_one_meeting_at_a_time(fair, staff):
    interpreter = factories.InterpreterFactory(name="Kim Interpreter", languages=["ko", "th"])
    pairs = [
        (
            factories.FairParticipantFactory(fair=fair, company__languages=["ko"]),
            factories.BuyerParticipantFactory(fair=fair, buyer__languages=["th"]),
        )
        for _ in range(2)
    ]
    book(fair, staff, *pairs[0], at(fair, 0, "13:00"), interpreter=interpreter)
    with pytest.raises(Conflict) as refused:
        book(fair, staff, *pairs[1], at(fair, 0, "13:00"), room_number=2, interpreter=interpreter)
    assert refused.value.field == "interpreter"
    assert "Kim Interpreter is already interpreting 13:00-13:40 KST" in refused.value.message
    assert Meeting.objects.count() == 1


def test_double_booking_is_refused_across_fairs(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other_fair = factories.FairFactory(phase="scheduling", starts_on=fair.starts_on, ends_on=fair.ends_on)
    same_company = factories.FairParticipantFactory(fair=other_fair, company=sme.company)
    other_buyer = factories.BuyerParticipantFactory(fair=other_fair)
    with pytest.raises(Conflict) as refused:
        book(other_fair, staff, same_company, other_buyer, at(fair, 0, "13:00"), room_number=2)
    assert "Seoul Company Alpha already has a meeting" in refused.value.message


def test_a_cancelled_meeting_frees_its_slot(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    booking.meeting_cancel(meeting=meeting, cancelled_by=staff, reason="buyer cannot come")
    other = factories.BuyerParticipantFactory(fair=fair)
    book(fair, staff, sme, other, at(fair, 0, "13:00"))


def test_a_pair_gets_one_meeting(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    with pytest.raises(Conflict) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "14:40"))
    assert "already have a meeting in this fair" in refused.value.message


# --- rooms and interpreters -----------------------------------------------------------------------


def test_an_sme_that_sits_in_a_video_room_needs_one(fair, staff, sme, buyer):
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"), room_number=None)
    assert refused.value.field == "room"
    assert "choose a room" in refused.value.message


def test_an_sme_meeting_online_takes_no_room(fair, staff, buyer):
    online = factories.FairParticipantFactory(fair=fair, uses_video_room=False)
    with pytest.raises(DomainError) as refused:
        book(fair, staff, online, buyer, at(fair, 0, "13:00"), room_number=1)
    assert refused.value.field == "room"
    meeting = book(fair, staff, online, buyer, at(fair, 0, "13:00"), room_number=None)
    assert meeting.room is None


def test_a_fair_without_rooms_books_without_them(staff):
    fair = factories.FairFactory(phase="scheduling", rooms=0)
    sme, buyer = factories.FairParticipantFactory(fair=fair), factories.BuyerParticipantFactory(fair=fair)
    assert book(fair, staff, sme, buyer, at(fair, 0, "13:00"), room_number=None).room is None


def test_the_room_must_be_one_of_the_fairs(fair, staff, sme, buyer):
    VideoRoom.objects.get_or_create(name="Video room 9")
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"), room_number=9)
    assert refused.value.field == "room"
    assert "not one of this fair's video rooms" in refused.value.message


def test_a_pair_without_a_common_language_needs_an_interpreter_who_speaks_both(fair, staff):
    sme = factories.FairParticipantFactory(fair=fair, company__languages=["ko"])
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__languages=["th"])
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    assert refused.value.field == "interpreter"
    assert "share no language" in refused.value.message
    wrong = factories.InterpreterFactory(languages=["ko", "ms"])
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=wrong)
    assert refused.value.field == "interpreter"
    assert "does not speak both" in refused.value.message
    inactive = factories.InterpreterFactory(languages=["ko", "th"], is_active=False)
    with pytest.raises(DomainError):
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=inactive)
    right = factories.InterpreterFactory(languages=["ko", "th"])
    assert book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=right).interpreter == right


def test_an_interpreter_outside_their_availability_is_refused_unless_forced(fair, staff):
    sme = factories.FairParticipantFactory(fair=fair, company__languages=["ko"])
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__languages=["th"])
    interpreter = factories.InterpreterFactory(languages=["ko", "th"])
    InterpreterAvailability.objects.create(
        interpreter=interpreter, starts_at=at(fair, 0, "09:00"), ends_at=at(fair, 0, "12:00")
    )
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=interpreter)
    assert refused.value.field == "interpreter"
    assert book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=interpreter, force=True)


# --- availability, hours and caps ---------------------------------------------------------------


def test_a_party_outside_its_availability_is_refused_unless_staff_force_it(fair, staff, sme, buyer):
    AvailabilityWindow.objects.create(participant=sme, starts_at=at(fair, 1, "09:00"), ends_at=at(fair, 1, "17:00"))
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    assert refused.value.field == "company"
    assert "not available" in refused.value.message
    assert book(fair, staff, sme, buyer, at(fair, 1, "13:00"))  # inside the window
    other = factories.BuyerParticipantFactory(fair=fair)
    assert book(fair, staff, sme, other, at(fair, 0, "13:00"), force=True)


def test_a_buyer_outside_its_local_business_hours_is_refused_unless_forced(fair, staff, sme, buyer):
    # 09:00 in Seoul is 07:00 in Bangkok: before the fair's earliest local hour (08:00).
    with pytest.raises(DomainError) as refused:
        book(fair, staff, sme, buyer, at(fair, 0, "09:00"))
    assert refused.value.field == "buyer"
    assert "07:00-07:40" in refused.value.message and "Asia/Bangkok" in refused.value.message
    assert book(fair, staff, sme, buyer, at(fair, 0, "10:40"))  # 08:40 in Bangkok
    other = factories.BuyerParticipantFactory(fair=fair)
    forced = book(fair, staff, sme, other, at(fair, 0, "09:00"), force=True)
    assert forced.starts_at == at(fair, 0, "09:00")


def test_force_never_overrides_double_booking(fair, staff, sme, buyer):
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(Conflict):
        book(fair, staff, sme, other, at(fair, 0, "13:00"), room_number=2, force=True)


def test_caps_bound_a_participants_meetings_even_when_forced(fair, staff, sme, buyer):
    sme.meeting_cap = 1
    sme.save()
    book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(Conflict) as refused:
        book(fair, staff, sme, other, at(fair, 0, "14:40"), force=True)
    assert refused.value.field == "company"
    assert "maximum of 1 meetings" in refused.value.message
    assert Meeting.objects.count() == 1


def test_the_fairs_default_cap_applies_without_a_participant_cap(fair, staff, buyer):
    fair.default_meeting_cap = 1
    fair.save()
    book(fair, staff, factories.FairParticipantFactory(fair=fair), buyer, at(fair, 0, "13:00"))
    with pytest.raises(Conflict) as refused:
        book(fair, staff, factories.FairParticipantFactory(fair=fair), buyer, at(fair, 0, "14:40"))
    assert refused.value.field == "buyer"


# --- phases and permissions -----------------------------------------------------------------------


def test_booking_before_scheduling_is_refused(staff):
    fair = factories.FairFactory(phase="requests_open")
    sme, buyer = factories.FairParticipantFactory(fair=fair), factories.BuyerParticipantFactory(fair=fair)
    with pytest.raises(InvalidTransition):
        book(fair, staff, sme, buyer, at(fair, 0, "13:00"))


@pytest.mark.parametrize("user_factory", [factories.SMEUserFactory, factories.BuyerUserFactory])
def test_smes_and_buyers_cannot_book_move_swap_or_cancel(fair, staff, sme, buyer, user_factory):
    user = user_factory()
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = book(
        fair,
        staff,
        factories.FairParticipantFactory(fair=fair),
        factories.BuyerParticipantFactory(fair=fair),
        at(fair, 0, "14:40"),
    )
    before = list(Meeting.objects.order_by("pk").values())
    with pytest.raises(NotAllowed):
        booking.meeting_add(
            fair=fair, added_by=user, company=sme.company, buyer=buyer.buyer, starts_at=at(fair, 1, "13:00")
        )
    with pytest.raises(NotAllowed):
        booking.meeting_move(meeting=meeting, moved_by=user, starts_at=at(fair, 1, "13:00"))
    with pytest.raises(NotAllowed):
        booking.meeting_swap(meeting=meeting, other=other, swapped_by=user)
    with pytest.raises(NotAllowed):
        booking.meeting_cancel(meeting=meeting, cancelled_by=user, reason="no")
    assert list(Meeting.objects.order_by("pk").values()) == before


# --- moving, swapping, cancelling --------------------------------------------------------------


def test_moving_a_draft_checks_the_new_slot_and_makes_it_staffs(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    Meeting.objects.filter(pk=meeting.pk).update(source=Meeting.Source.REQUEST)
    moved = booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(fair, 1, "14:40"), room=room(2))
    assert (moved.starts_at, moved.room) == (at(fair, 1, "14:40"), room(2))
    assert moved.source == Meeting.Source.STAFF
    assert moved.sequence == 0  # not published: no calendar version yet


def test_moving_onto_someone_elses_meeting_is_refused_and_changes_nothing(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other = factories.BuyerParticipantFactory(fair=fair)
    book(fair, staff, factories.FairParticipantFactory(fair=fair), other, at(fair, 0, "14:40"), room_number=2)
    with pytest.raises(Conflict):
        booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(fair, 0, "14:40"), room=room(2))
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.room) == (at(fair, 0, "13:00"), room(1))
    # Moving within its own slot to a free room is fine: it does not clash with itself.
    assert booking.meeting_move(meeting=meeting, moved_by=staff, room=room(3)).room == room(3)


def test_a_move_that_changes_nothing_is_refused(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    with pytest.raises(DomainError):
        booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(fair, 0, "13:00"))


def test_clearing_a_needed_interpreter_is_refused(fair, staff):
    sme = factories.FairParticipantFactory(fair=fair, company__languages=["ko"])
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__languages=["th"])
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"), interpreter=factories.InterpreterFactory())
    with pytest.raises(DomainError) as refused:
        booking.meeting_move(meeting=meeting, moved_by=staff, interpreter=None)
    assert refused.value.field == "interpreter"


def test_swap_exchanges_times_and_rooms(fair, staff, sme, buyer):
    a = book(fair, staff, sme, buyer, at(fair, 0, "13:00"), room_number=1)
    b = book(
        fair,
        staff,
        factories.FairParticipantFactory(fair=fair),
        factories.BuyerParticipantFactory(fair=fair),
        at(fair, 0, "14:40"),
        room_number=2,
    )
    a2, b2 = booking.meeting_swap(meeting=a, other=b, swapped_by=staff)
    assert (a2.starts_at, a2.room) == (at(fair, 0, "14:40"), room(2))
    assert (b2.starts_at, b2.room) == (at(fair, 0, "13:00"), room(1))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.starts_at, b.starts_at) == (at(fair, 0, "14:40"), at(fair, 0, "13:00"))


def test_swap_of_meetings_sharing_a_room_and_a_party(fair, staff, sme, buyer):
    # Same SME, same room, two slots: every intermediate state would double-book; the end state does not.
    a = book(fair, staff, sme, buyer, at(fair, 0, "13:00"), room_number=1)
    b = book(fair, staff, sme, factories.BuyerParticipantFactory(fair=fair), at(fair, 0, "14:40"), room_number=1)
    booking.meeting_swap(meeting=a, other=b, swapped_by=staff)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.starts_at, b.starts_at) == (at(fair, 0, "14:40"), at(fair, 0, "13:00"))
    assert a.room == b.room == room(1)


def test_a_swap_that_would_double_book_is_refused(fair, staff, sme, buyer):
    a = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    other_sme = factories.FairParticipantFactory(fair=fair)
    b = book(fair, staff, other_sme, factories.BuyerParticipantFactory(fair=fair), at(fair, 0, "14:40"), room_number=2)
    # Our buyer already meets someone at 14:40, so meeting a cannot go there.
    book(fair, staff, factories.FairParticipantFactory(fair=fair), buyer, at(fair, 0, "14:40"), room_number=3)
    with pytest.raises(Conflict) as refused:
        booking.meeting_swap(meeting=a, other=b, swapped_by=staff)
    assert "Bangkok Beauty Alpha already has a meeting 14:40-15:20 KST" in refused.value.message
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.starts_at, b.starts_at) == (at(fair, 0, "13:00"), at(fair, 0, "14:40"))


def test_swapping_a_meeting_with_itself_is_refused(fair, staff, sme, buyer):
    a = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    with pytest.raises(DomainError):
        booking.meeting_swap(meeting=a, other=a, swapped_by=staff)


def test_cancelling_needs_a_reason_and_a_cancelled_meeting_cannot_move(fair, staff, sme, buyer):
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    with pytest.raises(DomainError) as refused:
        booking.meeting_cancel(meeting=meeting, cancelled_by=staff, reason="  ")
    assert refused.value.field == "reason"
    cancelled = booking.meeting_cancel(meeting=meeting, cancelled_by=staff, reason="Buyer's flight changed")
    assert (cancelled.status, cancelled.cancel_reason) == (MeetingStatus.CANCELLED, "Buyer's flight changed")
    with pytest.raises(InvalidTransition):
        booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(fair, 1, "13:00"))


# --- after publishing -----------------------------------------------------------------------------


@pytest.fixture
def published(fair, staff, sme, buyer):
    """A published fair with one scheduled meeting; the SME and the buyer each have a member."""
    factories.SMEUserFactory(company=sme.company, email="sme@example.com")
    factories.BuyerUserFactory(buyer_organisation=buyer.buyer, email="buyer@example.com")
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.SCHEDULED, published_at=at(fair, 0, "00:00"))
    fair.phase = "published"
    fair.save()
    meeting.refresh_from_db()
    return meeting


def test_moving_a_published_meeting_bumps_its_sequence_and_tells_both_parties(
    published, staff, django_capture_on_commit_callbacks
):
    fair = published.fair
    with django_capture_on_commit_callbacks(execute=True):
        moved = booking.meeting_move(meeting=published, moved_by=staff, starts_at=at(fair, 1, "13:00"))
    assert moved.sequence == 1
    assert moved.status == MeetingStatus.SCHEDULED
    assert moved.source == Meeting.Source.STAFF
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer@example.com", "sme@example.com"]
    assert all("Meeting changed" in m.subject for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        booking.meeting_move(meeting=moved, moved_by=staff, room=room(2))
    moved.refresh_from_db()
    assert moved.sequence == 2
    assert len(mail.outbox) == 4


def test_swapping_published_meetings_bumps_both(published, staff, django_capture_on_commit_callbacks):
    fair = published.fair
    other = book(
        fair,
        staff,
        factories.FairParticipantFactory(fair=fair),
        factories.BuyerParticipantFactory(fair=fair),
        at(fair, 0, "14:40"),
        room_number=2,
    )
    assert other.status == MeetingStatus.SCHEDULED and other.published_at is not None
    a, b = booking.meeting_swap(meeting=published, other=other, swapped_by=staff)
    assert (a.sequence, b.sequence) == (1, 1)


def test_cancelling_a_published_meeting_bumps_its_sequence_and_says_why(
    published, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = booking.meeting_cancel(meeting=published, cancelled_by=staff, reason="SME is ill")
    assert cancelled.sequence == 1
    assert len(mail.outbox) == 2
    assert all("Meeting cancelled" in m.subject and "SME is ill" in m.body for m in mail.outbox)


def test_a_meeting_added_after_publishing_is_scheduled_and_announced(
    published, staff, django_capture_on_commit_callbacks
):
    fair = published.fair
    sme = factories.FairParticipantFactory(fair=fair)
    factories.SMEUserFactory(company=sme.company, email="late@example.com")
    buyer = published.buyer.fair_participations.get()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book(fair, staff, sme, buyer, at(fair, 1, "13:00"))
    assert meeting.status == MeetingStatus.SCHEDULED and meeting.published_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer@example.com", "late@example.com"]


def test_editing_a_draft_sends_nothing(fair, staff, sme, buyer, django_capture_on_commit_callbacks):
    factories.SMEUserFactory(company=sme.company)
    meeting = book(fair, staff, sme, buyer, at(fair, 0, "13:00"))
    with django_capture_on_commit_callbacks(execute=True):
        booking.meeting_move(meeting=meeting, moved_by=staff, starts_at=at(fair, 1, "13:00"))
        booking.meeting_cancel(meeting=meeting, cancelled_by=staff, reason="not needed")
    assert mail.outbox == []


def test_editing_is_refused_once_the_fair_is_over(published, staff):
    fair = published.fair
    fair.phase = "follow_up"
    fair.save()
    with pytest.raises(InvalidTransition):
        booking.meeting_move(meeting=published, moved_by=staff, starts_at=at(fair, 1, "13:00"))
    with pytest.raises(InvalidTransition):
        booking.meeting_cancel(meeting=published, cancelled_by=staff, reason="late")
