"""The scheduler run from the database (matching.fairs.scheduling): candidates from accepted
requests and pinned proposals, the run end to end through Celery (eager), the reasons stored for
unplaced pairs, re-runs that replace the drafts and keep staff's meetings (with their people,
rooms and interpreters), failures, publishing, and who sees which meetings."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from matching import scheduler
from matching.fairs import booking, scheduling
from matching.models import (
    AvailabilityWindow,
    MatchingRun,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    PairDecision,
    Pairing,
    ScheduleRun,
    VideoRoom,
)
from matching.services import scoring_model_active
from tests import factories
from tradeon.errors import Conflict, DomainError, InvalidTransition, NotAllowed

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def at(fair, day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(fair.starts_on + timedelta(days=day), time(hours, minutes), SEOUL).astimezone(UTC)


def accept(fair, sme, buyer, score=None) -> MeetingRequest:
    return MeetingRequest.objects.create(
        fair=fair,
        company=sme.company,
        buyer=buyer.buyer,
        from_side="buyer",
        status="accepted",
        score=score,
        expires_at=at(fair, 0, "09:00"),
    )


def proposals(fair, scores: dict) -> MatchingRun:
    run = MatchingRun.objects.create(scope="fair", fair=fair, status="active", scoring_model=scoring_model_active())
    for (sme, buyer), score in scores.items():
        Pairing.objects.create(
            run=run,
            company=sme.company,
            buyer=buyer.buyer,
            score=score,
            contributions={},
            explanation_en="",
            explanation_ko="",
            model_version=1,
        )
    return run


def pin(fair, sme, buyer) -> PairDecision:
    return PairDecision.objects.create(fair=fair, company=sme.company, buyer=buyer.buyer, decision="pin")


def window(participant, starts, ends) -> None:
    AvailabilityWindow.objects.create(participant=participant, starts_at=starts, ends_at=ends)


def run_now(fair, staff, django_capture_on_commit_callbacks) -> ScheduleRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling.schedule_run_start(fair=fair, started_by=staff)
    run.refresh_from_db()
    return run


@pytest.fixture
def staff():
    return factories.StaffUserFactory()


@pytest.fixture
def small_fair():
    """Three SMEs and four buyers. Accepted: A-X, B-X, C-Z (C speaks only Korean, Z only Thai:
    an interpreter), B-W (their windows never meet). Pinned: A-Y (proposed), A-X (also accepted:
    counts once), B-Z (pinned but not proposed)."""
    fair = factories.FairFactory(phase="scheduling")
    sme = {
        name: factories.FairParticipantFactory(fair=fair, company__name_en=f"SME {name}", **extra)
        for name, extra in {"A": {}, "B": {}, "C": {"company__languages": ["ko"]}}.items()
    }
    buyer = {
        name: factories.BuyerParticipantFactory(fair=fair, buyer__name=f"Buyer {name}", **extra)
        for name, extra in {
            "X": {"buyer__time_zone": "Asia/Seoul", "buyer__languages": ["en"]},
            "Y": {"buyer__time_zone": "Asia/Seoul", "buyer__languages": ["en"]},
            "Z": {"buyer__time_zone": "Asia/Bangkok", "buyer__languages": ["th"]},
            "W": {"buyer__time_zone": "Asia/Seoul", "buyer__languages": ["en"]},
        }.items()
    }
    factories.InterpreterFactory(name="Thai interpreter", languages=["ko", "th"])
    accept(fair, sme["A"], buyer["X"], score=0.9)
    accept(fair, sme["B"], buyer["X"], score=0.5)
    accept(fair, sme["C"], buyer["Z"])  # no score of its own: the proposal's
    accept(fair, sme["B"], buyer["W"], score=0.3)
    window(sme["B"], at(fair, 1, "09:00"), at(fair, 1, "17:00"))
    window(buyer["W"], at(fair, 0, "09:00"), at(fair, 0, "17:00"))
    proposals(fair, {(sme["A"], buyer["Y"]): 0.8, (sme["A"], buyer["X"]): 0.9, (sme["C"], buyer["Z"]): 0.7})
    pin(fair, sme["A"], buyer["Y"])
    pin(fair, sme["A"], buyer["X"])
    pin(fair, sme["B"], buyer["Z"])
    return fair, sme, buyer


def pair_of(meeting) -> tuple[str, str]:
    return meeting.company.name_en[-1], meeting.buyer.name[-1]


def drafts(fair) -> list[Meeting]:
    return list(Meeting.objects.filter(fair=fair, status="draft").select_related("company", "buyer", "interpreter"))


# --- the problem ---------------------------------------------------------------------------------


def test_the_problem_has_accepted_requests_then_pinned_proposals_each_pair_once(small_fair):
    fair, sme, buyer = small_fair
    built = scheduling.schedule_problem_build(fair)
    by_pair = {(c.sme, c.buyer): c for c in built.problem.candidates}
    assert set(by_pair) == {
        ("SME A", "Buyer X"),
        ("SME B", "Buyer X"),
        ("SME C", "Buyer Z"),
        ("SME B", "Buyer W"),
        ("SME A", "Buyer Y"),
    }
    assert by_pair[("SME A", "Buyer X")].priority == scheduler.ACCEPTED
    assert by_pair[("SME A", "Buyer X")].score == pytest.approx(0.9)
    assert by_pair[("SME C", "Buyer Z")].score == pytest.approx(0.7)  # the proposal's score
    assert by_pair[("SME A", "Buyer Y")].priority == scheduler.PROPOSED
    assert [row["code"] for row in built.not_schedulable] == [scheduling.NOT_PROPOSED]
    people = built.problem.participants
    assert people["SME C"].languages == frozenset({"ko"}) and people["SME C"].needs_room
    assert people["Buyer Z"].time_zone == "Asia/Bangkok"
    assert people["SME A"].cap == fair.default_meeting_cap
    assert built.problem.business_hours == (fair.local_hours_from, fair.local_hours_to)
    assert len(built.problem.slots) == 3 * 8  # 3 days x (3 morning + 5 afternoon slots)


# --- the run, end to end ---------------------------------------------------------------------------


def test_a_run_places_requests_and_pinned_pairs_and_says_why_the_rest_could_not(
    small_fair, staff, django_capture_on_commit_callbacks
):
    fair, sme, buyer = small_fair
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.status == ScheduleRun.Status.DONE, run.error
    assert (run.progress, run.stage) == (100, "done")
    assert (run.placed_accepted, run.placed_proposed, run.candidates) == (3, 1, 5)
    assert run.bound_accepted == 3 and run.optimal and run.gap == 0
    assert run.method and run.seconds is not None and run.finished_at
    reasons = {(row["company_name"], row["buyer_name"]): row["code"] for row in run.unplaced}
    assert reasons == {("SME B", "Buyer W"): scheduler.NO_COMMON_SLOT, ("SME B", "Buyer Z"): scheduling.NOT_PROPOSED}
    assert all(row["message"] and row["company"] and row["buyer"] for row in run.unplaced)

    meetings = {pair_of(m): m for m in drafts(fair)}
    assert set(meetings) == {("A", "X"), ("B", "X"), ("C", "Z"), ("A", "Y")}
    assert meetings[("A", "X")].source == Meeting.Source.REQUEST and meetings[("A", "X")].request is not None
    assert meetings[("A", "Y")].source == Meeting.Source.PROPOSAL and meetings[("A", "Y")].score == pytest.approx(0.8)
    assert meetings[("C", "Z")].interpreter.name == "Thai interpreter"
    slots = {(s.start, s.end) for s in booking.fair_slot_list(fair)}
    for meeting in meetings.values():
        assert (meeting.starts_at, meeting.ends_at) in slots
        assert meeting.room is not None  # every SME sits in a video room
    # B only on its available day; Z inside Bangkok business hours.
    assert meetings[("B", "X")].starts_at.astimezone(SEOUL).date() == fair.starts_on + timedelta(days=1)
    assert 8 <= meetings[("C", "Z")].starts_at.astimezone(ZoneInfo("Asia/Bangkok")).hour < 20
    # Nobody twice at once, no room twice at once.
    for key in ("company_id", "buyer_id", "room_id"):
        seen = [(getattr(m, key), m.starts_at) for m in meetings.values()]
        assert len(seen) == len(set(seen))


def test_a_rerun_replaces_the_drafts_and_keeps_what_staff_changed(
    small_fair, staff, django_capture_on_commit_callbacks
):
    fair, sme, buyer = small_fair
    run_now(fair, staff, django_capture_on_commit_callbacks)
    first = {pair_of(m): m for m in drafts(fair)}
    moved = booking.meeting_move(meeting=first[("A", "X")], moved_by=staff, starts_at=at(fair, 2, "16:20"))
    cancelled = booking.meeting_cancel(meeting=first[("A", "Y")], cancelled_by=staff, reason="staff dropped it")
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.status == ScheduleRun.Status.DONE, run.error
    second = {pair_of(m): m for m in drafts(fair)}
    assert set(second) == {("A", "X"), ("B", "X"), ("C", "Z")}  # A-Y stays cancelled, not placed again
    kept = second[("A", "X")]
    assert (kept.pk, kept.starts_at, kept.source) == (moved.pk, at(fair, 2, "16:20"), Meeting.Source.STAFF)
    assert second[("B", "X")].pk != first[("B", "X")].pk  # replaced
    assert Meeting.objects.filter(pk=cancelled.pk, status="cancelled").exists()
    assert Meeting.objects.filter(fair=fair, company=sme["A"].company, buyer=buyer["X"].buyer).count() == 1
    # The run counted only what it placed itself.
    assert (run.placed_accepted, run.placed_proposed) == (2, 0)


def test_a_kept_meeting_holds_its_room_its_people_and_its_interpreter(staff, django_capture_on_commit_callbacks):
    """One room, one interpreter. Staff's meeting at 13:00 holds all three; three accepted pairs
    that could meet only at 13:00 are refused each for what it needed."""
    fair = factories.FairFactory(phase="scheduling", rooms=1)
    interpreter = factories.InterpreterFactory(languages=["ko", "th"])
    held_sme = factories.FairParticipantFactory(fair=fair, company__languages=["ko"])
    held_buyer = factories.BuyerParticipantFactory(fair=fair, buyer__languages=["th"], buyer__time_zone="Asia/Seoul")
    booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=held_sme.company,
        buyer=held_buyer.buyer,
        starts_at=at(fair, 0, "13:00"),
        room=VideoRoom.objects.get(name="Video room 1"),
        interpreter=interpreter,
    )
    only_then = (at(fair, 0, "13:00"), at(fair, 0, "13:40"))
    wants_room = factories.FairParticipantFactory(fair=fair)
    wants_interpreter = factories.FairParticipantFactory(fair=fair, company__languages=["ko"], uses_video_room=False)
    buyers = [
        factories.BuyerParticipantFactory(fair=fair, buyer__languages=langs, buyer__time_zone="Asia/Seoul")
        for langs in (["en"], ["th"], ["en"])
    ]
    for participant in (wants_room, wants_interpreter, *buyers):
        window(participant, *only_then)
    accept(fair, wants_room, buyers[0])  # needs the room
    accept(fair, wants_interpreter, buyers[1])  # needs the interpreter
    accept(fair, held_sme, buyers[2])  # needs the held SME itself
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.status == ScheduleRun.Status.DONE, run.error
    assert run.placed_accepted == 0 and run.placed_proposed == 0
    codes = {(row["company"], row["buyer"]): row["code"] for row in run.unplaced}
    assert codes[(wants_room.company_id, buyers[0].buyer_id)] == scheduler.ROOMS_FULL
    assert codes[(wants_interpreter.company_id, buyers[1].buyer_id)] in (
        scheduler.NO_INTERPRETER,
        scheduler.INTERPRETERS_BUSY,
    )
    assert codes[(held_sme.company_id, buyers[2].buyer_id)] in (scheduler.NO_COMMON_SLOT, scheduler.SLOTS_TAKEN)
    assert Meeting.objects.filter(fair=fair).count() == 1


def test_kept_meetings_count_against_caps(staff, django_capture_on_commit_callbacks):
    fair = factories.FairFactory(phase="scheduling")
    sme = factories.FairParticipantFactory(fair=fair, meeting_cap=1)
    first, second = (factories.BuyerParticipantFactory(fair=fair, buyer__time_zone="Asia/Seoul") for _ in range(2))
    booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=sme.company,
        buyer=first.buyer,
        starts_at=at(fair, 0, "13:00"),
        room=VideoRoom.objects.get(name="Video room 1"),
    )
    accept(fair, sme, second)
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.placed_accepted == 0
    assert [row["code"] for row in run.unplaced] == [scheduler.CAP_REACHED]
    assert "has its maximum of 1 meetings (1 of them booked by staff)" in run.unplaced[0]["message"]


def test_an_sme_minimum_is_met_where_possible(staff, django_capture_on_commit_callbacks):
    fair = factories.FairFactory(phase="scheduling", min_meetings_per_sme=2)
    sme = factories.FairParticipantFactory(fair=fair)
    buyers = [factories.BuyerParticipantFactory(fair=fair, buyer__time_zone="Asia/Seoul") for _ in range(3)]
    proposals(fair, {(sme, b): 0.1 * (i + 1) for i, b in enumerate(buyers)})
    for b in buyers[:2]:
        pin(fair, sme, b)
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.sme_shortfall == 0 and run.placed_proposed == 2


def test_participants_who_are_not_accepted_are_reported_not_scheduled(staff, django_capture_on_commit_callbacks):
    fair = factories.FairFactory(phase="scheduling")
    sme = factories.FairParticipantFactory(fair=fair)
    gone = factories.BuyerParticipantFactory(fair=fair, status="declined")
    accept(fair, sme, gone)
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert [row["code"] for row in run.unplaced] == [scheduling.NOT_PARTICIPATING]
    assert gone.buyer.name in run.unplaced[0]["message"]


# --- refusals and failures ------------------------------------------------------------------------


def test_a_run_is_only_for_staff_and_only_while_scheduling(small_fair, staff):
    fair, *_ = small_fair
    for user in (factories.SMEUserFactory(), factories.BuyerUserFactory()):
        with pytest.raises(NotAllowed):
            scheduling.schedule_run_start(fair=fair, started_by=user)
    fair.phase = "requests_open"
    fair.save()
    with pytest.raises(InvalidTransition):
        scheduling.schedule_run_start(fair=fair, started_by=staff)
    assert not ScheduleRun.objects.exists()


def test_one_run_at_a_time(small_fair, staff):
    fair, *_ = small_fair
    scheduling.schedule_run_start(fair=fair, started_by=staff)  # queued: the task waits for commit
    with pytest.raises(Conflict) as refused:
        scheduling.schedule_run_start(fair=fair, started_by=staff)
    assert "in progress" in refused.value.message
    assert ScheduleRun.objects.filter(fair=fair).count() == 1


def test_a_run_abandoned_by_its_worker_does_not_block_the_next(small_fair, staff):
    fair, *_ = small_fair
    stale = ScheduleRun.objects.create(fair=fair, status="running")
    ScheduleRun.objects.filter(pk=stale.pk).update(created_at=stale.created_at - timedelta(hours=2))
    scheduling.schedule_run_start(fair=fair, started_by=staff)
    stale.refresh_from_db()
    assert stale.status == ScheduleRun.Status.FAILED and "abandoned" in stale.error


def test_a_failing_solver_marks_the_run_failed_and_keeps_the_draft(
    small_fair, staff, monkeypatch, django_capture_on_commit_callbacks
):
    fair, *_ = small_fair
    run_now(fair, staff, django_capture_on_commit_callbacks)
    before = sorted(Meeting.objects.values_list("pk", flat=True))

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(scheduling.scheduler, "solve", broken)
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    assert run.status == ScheduleRun.Status.FAILED
    assert "solver exploded" in run.error and run.finished_at
    assert sorted(Meeting.objects.values_list("pk", flat=True)) == before


def test_running_the_task_twice_solves_once(small_fair, staff, django_capture_on_commit_callbacks):
    fair, *_ = small_fair
    run = run_now(fair, staff, django_capture_on_commit_callbacks)
    ids = sorted(Meeting.objects.values_list("pk", flat=True))
    again = scheduling.schedule_run_execute(run.pk)
    assert again.status == ScheduleRun.Status.DONE
    assert sorted(Meeting.objects.values_list("pk", flat=True)) == ids
    assert scheduling.schedule_run_execute(10**9) is None


def test_a_draft_planned_around_an_old_schedule_is_not_stored(small_fair, staff):
    fair, sme, buyer = small_fair
    built = scheduling.schedule_problem_build(fair)
    booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=sme["A"].company,
        buyer=buyer["Y"].buyer,
        starts_at=at(fair, 0, "13:00"),
        room=VideoRoom.objects.get(name="Video room 1"),
    )
    with pytest.raises(Conflict):
        booking.drafts_replace(fair=fair, meetings=[], planned_around=built.planned_around)


# --- publishing -----------------------------------------------------------------------------------


def test_publishing_schedules_the_drafts_moves_the_phase_and_emails_everyone(
    small_fair, staff, django_capture_on_commit_callbacks
):
    fair, sme, buyer = small_fair
    factories.SMEUserFactory(company=sme["A"].company, email="a@example.com")
    factories.BuyerUserFactory(buyer_organisation=buyer["X"].buyer, email="x@example.com")
    run_now(fair, staff, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        published = scheduling.schedule_publish(fair=fair, published_by=staff)
    assert published.phase == "published" and published.published_at
    meetings = Meeting.objects.filter(fair=fair)
    assert meetings.count() == 4
    assert set(meetings.values_list("status", flat=True)) == {MeetingStatus.SCHEDULED}
    assert set(meetings.values_list("published_at", flat=True)) == {published.published_at}
    to = {m.to[0] for m in mail.outbox}
    assert {"a@example.com", "x@example.com"} <= to
    agenda = next(m for m in mail.outbox if m.to == ["a@example.com"])
    assert "Buyer X" in agenda.body and "Buyer Y" in agenda.body
    # Once published, the scheduler no longer runs.
    with pytest.raises(InvalidTransition):
        scheduling.schedule_run_start(fair=fair, started_by=staff)


def test_publishing_an_empty_schedule_is_refused(staff):
    fair = factories.FairFactory(phase="scheduling")
    with pytest.raises(DomainError) as refused:
        scheduling.schedule_publish(fair=fair, published_by=staff)
    assert "no meetings" in refused.value.message
    fair.refresh_from_db()
    assert fair.phase == "scheduling"


def test_smes_and_buyers_cannot_publish(small_fair, staff, django_capture_on_commit_callbacks):
    fair, *_ = small_fair
    run_now(fair, staff, django_capture_on_commit_callbacks)
    for user in (factories.SMEUserFactory(), factories.BuyerUserFactory()):
        with pytest.raises(NotAllowed):
            scheduling.schedule_publish(fair=fair, published_by=user)
    fair.refresh_from_db()
    assert fair.phase == "scheduling"
    assert not Meeting.objects.filter(status="scheduled").exists()
    assert mail.outbox == []


def test_publishing_while_a_run_is_in_progress_is_refused(small_fair, staff):
    fair, sme, buyer = small_fair
    booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=sme["A"].company,
        buyer=buyer["Y"].buyer,
        starts_at=at(fair, 0, "13:00"),
        room=VideoRoom.objects.get(name="Video room 1"),
    )
    scheduling.schedule_run_start(fair=fair, started_by=staff)
    with pytest.raises(Conflict):
        scheduling.schedule_publish(fair=fair, published_by=staff)


# --- who sees which meetings ----------------------------------------------------------------------


def test_smes_and_buyers_see_only_their_own_published_meetings(small_fair, staff, django_capture_on_commit_callbacks):
    fair, sme, buyer = small_fair
    a_user = factories.SMEUserFactory(company=sme["A"].company)
    x_user = factories.BuyerUserFactory(buyer_organisation=buyer["X"].buyer)
    run_now(fair, staff, django_capture_on_commit_callbacks)
    assert not scheduling.meeting_list(user=a_user).exists()  # drafts are staff's
    assert scheduling.meeting_list(user=staff).count() == 4
    scheduling.schedule_publish(fair=fair, published_by=staff)
    assert {pair_of(m) for m in scheduling.meeting_list(user=a_user)} == {("A", "X"), ("A", "Y")}
    assert {pair_of(m) for m in scheduling.meeting_list(user=x_user)} == {("A", "X"), ("B", "X")}
    outsider = factories.SMEUserFactory()
    assert not scheduling.meeting_list(user=outsider).exists()
