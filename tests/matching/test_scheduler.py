"""The fair scheduler (matching.scheduler): small instances against brute force, each hard
constraint with a case where it binds, time zones and DST, the soft SME minimum, pinned meetings,
the reasons given for unplaced pairs, and the bound."""

import itertools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest

from matching.scheduler import (
    ACCEPTED,
    BUYER,
    CAP_REACHED,
    INTERPRETERS_BUSY,
    NO_COMMON_SLOT,
    NO_INTERPRETER,
    PINNED_CONFLICT,
    PROPOSED,
    ROOMS_FULL,
    SLOTS_TAKEN,
    SME,
    Candidate,
    Interpreter,
    Participant,
    SchedulingProblem,
    Slot,
    business_hours_mask,
    fair_slots,
    feasible_slots,
    schedule_violations,
    solve,
)

SEOUL = ZoneInfo("Asia/Seoul")
ALL_DAYS = frozenset(range(7))
TUESDAY = date(2026, 1, 6)  # winter: Los Angeles on PST (UTC-8)


def sme(languages=("ko", "en"), time_zone="Asia/Seoul", **kwargs) -> Participant:
    return Participant(kind=SME, languages=frozenset(languages), time_zone=time_zone, **kwargs)


def buyer(languages=("en",), time_zone="Asia/Seoul", **kwargs) -> Participant:
    return Participant(kind=BUYER, languages=frozenset(languages), time_zone=time_zone, **kwargs)


def accepted(cid, sme_id, buyer_id, score=0.5, **kwargs) -> Candidate:
    return Candidate(id=cid, sme=sme_id, buyer=buyer_id, priority=ACCEPTED, score=score, **kwargs)


def proposed(cid, sme_id, buyer_id, score=0.5, **kwargs) -> Candidate:
    return Candidate(id=cid, sme=sme_id, buyer=buyer_id, priority=PROPOSED, score=score, **kwargs)


def hourly_slots(n: int, day: date = TUESDAY, first_hour: int = 9) -> list[Slot]:
    """n one-hour slots from `first_hour` Seoul time."""
    return fair_slots([day], [(clock(first_hour), clock(first_hour + n))], 60, 0)


def problem(participants, candidates, *, slots=None, rooms=(), interpreters=(), **kwargs) -> SchedulingProblem:
    """Business hours around the clock unless a test sets them: most tests are about one rule."""
    kwargs.setdefault("business_hours", (0, 24))
    kwargs.setdefault("business_days", ALL_DAYS)
    return SchedulingProblem(
        slots=slots if slots is not None else hourly_slots(3),
        participants=participants,
        rooms=list(rooms),
        interpreters=list(interpreters),
        candidates=candidates,
        **kwargs,
    )


def run(p: SchedulingProblem, method: str = "auto"):
    schedule = solve(p, method=method, time_limit=30)
    assert schedule_violations(p, schedule) == []
    return schedule


def slot_of(schedule) -> dict:
    return {a.candidate_id: a.slot_index for a in schedule.assignments}


def window(slots: list[Slot], *indices: int) -> tuple[tuple[datetime, datetime], ...]:
    return tuple((slots[i].start, slots[i].end) for i in indices)


# --- fair_slots and time zones ---------------------------------------------------------------------


def test_fair_slots_cut_seoul_windows_into_utc_meetings_with_breaks():
    slots = fair_slots(
        [date(2021, 9, 7), date(2021, 9, 6)], [(clock(13), clock(15)), (clock(9), clock(10, 30))], 30, 10
    )
    seoul = [
        (s.start.astimezone(SEOUL).strftime("%m-%d %H:%M"), s.end.astimezone(SEOUL).strftime("%H:%M")) for s in slots
    ]
    # 09:00-10:30 holds 09:00 and 09:40 (10:20 would end at 10:50); 13:00-15:00 holds three.
    assert seoul[:5] == [
        ("09-06 09:00", "09:30"),
        ("09-06 09:40", "10:10"),
        ("09-06 13:00", "13:30"),
        ("09-06 13:40", "14:10"),
        ("09-06 14:20", "14:50"),
    ]
    assert len(slots) == 10
    assert slots[0].start == datetime(2021, 9, 6, 0, 0, tzinfo=UTC)  # Seoul is UTC+9
    assert all(s.start.utcoffset() == timedelta(0) for s in slots)


def test_fair_slots_reject_a_meeting_length_of_zero():
    with pytest.raises(ValueError):
        fair_slots([TUESDAY], [(clock(9), clock(10))], 0)


def test_los_angeles_buyer_and_seoul_sme_share_only_early_morning_seoul_slots():
    # Seoul 08:00-18:00 in hours; Los Angeles in January is UTC-8, so its 09:00-18:00 is Seoul
    # 02:00-11:00 the next day.
    slots = hourly_slots(10, first_hour=8)
    p = problem(
        {"s": sme(), "b": buyer(time_zone="America/Los_Angeles"), "b2": buyer()},
        [accepted("m", "s", "b"), accepted("m2", "s", "b2")],
        slots=slots,
        business_hours=(9, 18),
        business_days=frozenset(range(5)),
    )
    starts = {i: slots[i].start.astimezone(SEOUL).hour for i in range(len(slots))}
    common = sorted(set(feasible_slots(p, "s")) & set(feasible_slots(p, "b")))
    assert [starts[i] for i in common] == [9, 10]
    assert [starts[i] for i in feasible_slots(p, "s")] == list(range(9, 18))
    schedule = run(p)
    assert starts[slot_of(schedule)["m"]] in (9, 10)
    assert starts[slot_of(schedule)["m2"]] in range(9, 18)


def test_monday_morning_in_seoul_is_sunday_in_los_angeles():
    monday = date(2026, 1, 5)
    slots = fair_slots([monday], [(clock(8), clock(12))], 60)
    p = problem({"b": buyer(time_zone="America/Los_Angeles")}, [], slots=slots, business_hours=(9, 18))
    p.business_days = frozenset(range(5))
    assert feasible_slots(p, "b") == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (date(2026, 3, 3), date(2026, 3, 10)),  # US DST starts 2026-03-08: PST -> PDT
        (date(2026, 11, 3), date(2026, 10, 27)),  # US DST ends 2026-11-01: PDT -> PST
    ],
)
def test_los_angeles_business_hours_map_to_other_seoul_slots_across_the_dst_change(before, after):
    """`before` is a Seoul Tuesday with Los Angeles on PST (UTC-8), `after` one on PDT (UTC-7):
    09:00-18:00 in Los Angeles ends at 11:00 Seoul time on PST and at 10:00 on PDT."""
    slots = fair_slots([before, after], [(clock(8), clock(12))], 60)
    p = problem(
        {"b": buyer(time_zone="America/Los_Angeles"), "s": sme()},
        [],
        slots=slots,
        business_hours=(9, 18),
        business_days=frozenset(range(5)),
    )
    seen = {}
    for i in feasible_slots(p, "b"):
        local = slots[i].start.astimezone(SEOUL)
        seen.setdefault(local.date(), []).append(local.hour)
    assert seen == {before: [8, 9, 10], after: [8, 9]}
    # The Seoul SME is in business hours from 09:00 only: one shared slot on PDT, two on PST.
    shared = set(feasible_slots(p, "b")) & set(feasible_slots(p, "s"))
    assert sorted(
        (slots[i].start.astimezone(SEOUL).date(), slots[i].start.astimezone(SEOUL).hour) for i in shared
    ) == sorted([(before, 9), (before, 10), (after, 9)])


def test_business_hours_are_read_on_the_local_clock_on_the_day_of_the_change():
    # 2026-03-08 in Los Angeles has 23 hours; hours are wall-clock hours all the same.
    los_angeles = ZoneInfo("America/Los_Angeles")

    def local_slot(hour, minute=0):
        start = datetime(2026, 3, 8, hour, minute, tzinfo=los_angeles).astimezone(UTC)
        return Slot(start, start + timedelta(hours=1))

    slots = [local_slot(8, 30), local_slot(9), local_slot(17), local_slot(17, 30)]
    mask = business_hours_mask(slots, "America/Los_Angeles", (9, 18), ALL_DAYS)
    assert mask.tolist() == [False, True, True, False]


def test_a_slot_the_dst_change_makes_infeasible_is_not_used():
    # Two LA buyers want the same SME; on a PDT date only Seoul 09:00 is shared, so one of them
    # cannot be placed; on a PST date both fit (09:00 and 10:00).
    for day, placed in ((date(2026, 3, 3), 2), (date(2026, 3, 10), 1)):
        slots = fair_slots([day], [(clock(9), clock(12))], 60)
        p = problem(
            {"s": sme(), "b1": buyer(time_zone="America/Los_Angeles"), "b2": buyer(time_zone="America/Los_Angeles")},
            [accepted("m1", "s", "b1"), accepted("m2", "s", "b2")],
            slots=slots,
            business_hours=(9, 18),
            business_days=frozenset(range(5)),
        )
        schedule = run(p)
        assert schedule.placed == placed
        if placed == 1:
            (why,) = schedule.unplaced.values()
            assert why.code == SLOTS_TAKEN


def test_new_york_buyer_has_no_common_slot_with_seoul_business_hours():
    slots = hourly_slots(9, first_hour=9)
    p = problem(
        {"s": sme(), "b": buyer(time_zone="America/New_York")},
        [accepted("m", "s", "b")],
        slots=slots,
        business_hours=(9, 18),
        business_days=frozenset(range(5)),
    )
    schedule = run(p)
    assert schedule.placed == 0
    assert schedule.unplaced["m"].code == NO_COMMON_SLOT
    assert "business hours" in schedule.unplaced["m"].message
    assert "America/New_York" in schedule.unplaced["m"].message


def test_participant_business_hours_override_the_fairs():
    slots = hourly_slots(10, first_hour=8)
    p = problem(
        {"s": sme(business_hours=(8, 10)), "b": buyer()},
        [accepted("m", "s", "b")],
        slots=slots,
        business_hours=(9, 18),
    )
    assert [slots[i].start.astimezone(SEOUL).hour for i in feasible_slots(p, "s")] == [8, 9]
    assert [slots[i].start.astimezone(SEOUL).hour for i in feasible_slots(p, "b")] == list(range(9, 18))
    assert slots[slot_of(run(p))["m"]].start.astimezone(SEOUL).hour == 9


# --- hard constraints, each binding ----------------------------------------------------------------


def test_an_sme_is_never_in_two_meetings_at_once():
    slots = hourly_slots(1)
    p = problem(
        {"s": sme(), "b1": buyer(), "b2": buyer()},
        [accepted("m1", "s", "b1", 0.9), accepted("m2", "s", "b2", 0.1)],
        slots=slots,
    )
    schedule = run(p)
    assert slot_of(schedule) == {"m1": 0}
    assert schedule.unplaced["m2"].code == SLOTS_TAKEN
    assert schedule.optimal


def test_a_buyer_is_never_in_two_meetings_at_once():
    p = problem(
        {"s1": sme(), "s2": sme(), "b": buyer()},
        [accepted("m1", "s1", "b", 0.2), accepted("m2", "s2", "b", 0.7)],
        slots=hourly_slots(1),
    )
    schedule = run(p)
    assert slot_of(schedule) == {"m2": 0}
    assert schedule.unplaced["m1"].code == SLOTS_TAKEN
    assert "1 accepted requests" in schedule.unplaced["m1"].message


def test_with_two_slots_both_meetings_of_one_sme_fit():
    p = problem(
        {"s": sme(), "b1": buyer(), "b2": buyer()},
        [accepted("m1", "s", "b1"), accepted("m2", "s", "b2")],
        slots=hourly_slots(2),
    )
    assert sorted(slot_of(run(p)).values()) == [0, 1]


def test_a_video_room_holds_one_meeting_at_a_time_and_online_meetings_need_none():
    p = problem(
        {
            "s1": sme(needs_room=True),
            "s2": sme(needs_room=True),
            "s3": sme(),  # online from its own office
            "b1": buyer(),
            "b2": buyer(),
            "b3": buyer(),
        },
        [accepted("m1", "s1", "b1", 0.9), accepted("m2", "s2", "b2", 0.8), accepted("m3", "s3", "b3", 0.1)],
        slots=hourly_slots(1),
        rooms=["room-1"],
    )
    schedule = run(p)
    assert {a.candidate_id: a.room for a in schedule.assignments} == {"m1": "room-1", "m3": None}
    assert schedule.unplaced["m2"].code == ROOMS_FULL


def test_room_meetings_spread_over_slots_when_rooms_are_short():
    p = problem(
        {"s1": sme(needs_room=True), "s2": sme(needs_room=True), "b1": buyer(), "b2": buyer()},
        [accepted("m1", "s1", "b1"), accepted("m2", "s2", "b2")],
        slots=hourly_slots(2),
        rooms=["room-1"],
    )
    schedule = run(p)
    assert sorted(slot_of(schedule).values()) == [0, 1]
    assert {a.room for a in schedule.assignments} == {"room-1"}


def test_an_sme_keeps_its_room_between_consecutive_meetings():
    p = problem(
        {"s1": sme(needs_room=True), "s2": sme(needs_room=True), "b1": buyer(), "b2": buyer(), "b3": buyer()},
        [accepted("a", "s1", "b1"), accepted("b", "s1", "b2"), accepted("c", "s2", "b3")],
        slots=hourly_slots(2),
        rooms=["room-1", "room-2"],
    )
    schedule = run(p)
    rooms = {a.candidate_id: a.room for a in schedule.assignments}
    assert rooms["a"] == rooms["b"]


def test_a_fair_without_rooms_cannot_host_an_sme_that_needs_one():
    p = problem({"s": sme(needs_room=True), "b": buyer()}, [accepted("m", "s", "b")])
    schedule = run(p)
    assert schedule.unplaced["m"].code == ROOMS_FULL


def test_a_meeting_without_a_shared_language_gets_an_interpreter_for_the_buyers_language():
    thai = Interpreter("i-th", frozenset({"ko", "th"}))
    vietnamese = Interpreter("i-vi", frozenset({"ko", "vi"}))
    p = problem(
        {"s": sme(languages=("ko",)), "b": buyer(languages=("th",)), "b2": buyer(languages=("en", "ko"))},
        [accepted("m", "s", "b"), accepted("m2", "s", "b2")],
        interpreters=[vietnamese, thai],
    )
    schedule = run(p)
    interpreters = {a.candidate_id: a.interpreter for a in schedule.assignments}
    assert interpreters == {"m": "i-th", "m2": None}  # m2 shares Korean


def test_no_interpreter_speaks_the_buyers_language():
    p = problem(
        {"s": sme(languages=("ko",)), "b": buyer(languages=("th",))},
        [accepted("m", "s", "b")],
        interpreters=[Interpreter("i-vi", frozenset({"ko", "vi"}))],
    )
    schedule = run(p)
    assert schedule.unplaced["m"].code == NO_INTERPRETER
    assert "th" in schedule.unplaced["m"].message


def test_an_interpreter_must_also_speak_the_smes_language():
    p = problem(
        {"s": sme(languages=("ko",)), "b": buyer(languages=("th",))},
        [accepted("m", "s", "b")],
        interpreters=[Interpreter("i-th-en", frozenset({"en", "th"}))],
    )
    assert run(p).unplaced["m"].code == NO_INTERPRETER


def test_an_interpreter_works_only_when_available():
    slots = hourly_slots(3)
    p = problem(
        {"s": sme(languages=("ko",)), "b": buyer(languages=("th",))},
        [accepted("m", "s", "b")],
        slots=slots,
        interpreters=[Interpreter("i-th", frozenset({"ko", "th"}), availability=window(slots, 2))],
    )
    schedule = run(p)
    assert slot_of(schedule) == {"m": 2}
    # ... and not at all when the interpreter's hours miss the pair's common slots.
    p.participants["b"] = buyer(languages=("th",), availability=window(slots, 0, 1))
    schedule = run(p)
    assert schedule.unplaced["m"].code == NO_INTERPRETER
    assert "not available" in schedule.unplaced["m"].message


def test_one_interpreter_covers_one_meeting_per_slot():
    p = problem(
        {
            "s1": sme(languages=("ko",)),
            "s2": sme(languages=("ko",)),
            "b1": buyer(languages=("th",)),
            "b2": buyer(languages=("th",)),
        },
        [accepted("m1", "s1", "b1", 0.9), accepted("m2", "s2", "b2", 0.3)],
        slots=hourly_slots(1),
        interpreters=[Interpreter("i-th", frozenset({"ko", "th"}))],
    )
    schedule = run(p)
    assert slot_of(schedule) == {"m1": 0}
    assert schedule.unplaced["m2"].code == INTERPRETERS_BUSY


def test_interpreters_are_reassigned_so_every_language_is_covered():
    # A bilingual interpreter must take the Malay meeting so the Thai-only one can take Thai.
    p = problem(
        {
            "s1": sme(languages=("ko",)),
            "s2": sme(languages=("ko",)),
            "th": buyer(languages=("th",)),
            "ms": buyer(languages=("ms",)),
        },
        [accepted("m-th", "s1", "th"), accepted("m-ms", "s2", "ms")],
        slots=hourly_slots(1),
        interpreters=[Interpreter("both", frozenset({"ko", "th", "ms"})), Interpreter("thai", frozenset({"ko", "th"}))],
    )
    for method in ("heuristic", "ilp", "greedy"):
        schedule = run(p, method)
        assert {a.candidate_id: a.interpreter for a in schedule.assignments} == {"m-th": "thai", "m-ms": "both"}


def test_meetings_stay_inside_both_availability_windows():
    slots = hourly_slots(4)
    p = problem(
        {"s": sme(availability=window(slots, 1, 2, 3)), "b": buyer(availability=window(slots, 0, 2))},
        [accepted("m", "s", "b")],
        slots=slots,
    )
    assert slot_of(run(p)) == {"m": 2}


def test_disjoint_availability_windows_have_no_common_slot():
    slots = hourly_slots(4)
    p = problem(
        {"s": sme(availability=window(slots, 0, 1)), "b": buyer(availability=window(slots, 2, 3))},
        [accepted("m", "s", "b")],
        slots=slots,
    )
    schedule = run(p)
    assert schedule.unplaced["m"].code == NO_COMMON_SLOT
    assert "availability" in schedule.unplaced["m"].message


def test_an_availability_window_must_hold_the_whole_meeting():
    slots = hourly_slots(2)
    half = (slots[0].start, slots[0].start + timedelta(minutes=30))
    p = problem({"s": sme(), "b": buyer(availability=(half,))}, [accepted("m", "s", "b")], slots=slots)
    assert run(p).unplaced["m"].code == NO_COMMON_SLOT


def test_sme_cap_is_respected():
    p = problem(
        {"s": sme(cap=1), "b1": buyer(), "b2": buyer()},
        [accepted("m1", "s", "b1", 0.4), accepted("m2", "s", "b2", 0.6)],
    )
    schedule = run(p)
    assert list(slot_of(schedule)) == ["m2"]
    assert schedule.unplaced["m1"].code == CAP_REACHED
    assert "SME s has its maximum of 1" in schedule.unplaced["m1"].message


def test_buyer_cap_is_respected():
    p = problem(
        {"s1": sme(), "s2": sme(), "s3": sme(), "b": buyer(cap=2)},
        [accepted("m1", "s1", "b", 0.4), accepted("m2", "s2", "b", 0.6), accepted("m3", "s3", "b", 0.5)],
    )
    schedule = run(p)
    assert sorted(slot_of(schedule)) == ["m2", "m3"]
    assert schedule.unplaced["m1"].code == CAP_REACHED
    assert "buyer b" in schedule.unplaced["m1"].message


# --- the objective ------------------------------------------------------------------------------------


def test_accepted_requests_beat_higher_scored_proposals():
    p = problem(
        {"s1": sme(), "s2": sme(), "b": buyer()},
        [proposed("p", "s1", "b", 0.99), accepted("a", "s2", "b", 0.01)],
        slots=hourly_slots(1),
    )
    for method in ("auto", "ilp", "heuristic", "greedy"):
        schedule = run(p, method)
        assert list(slot_of(schedule)) == ["a"]
        assert schedule.unplaced["p"].code == SLOTS_TAKEN
        assert "1 accepted requests" in schedule.unplaced["p"].message


def test_more_accepted_requests_beat_one_with_more_score():
    # b1 can meet s1 or s2 in the one slot; placing the two low-scored accepted requests
    # (s1-b2 and s2-b1) beats the single high-scored one (s1-b1).
    p = problem(
        {"s1": sme(), "s2": sme(), "b1": buyer(), "b2": buyer()},
        [accepted("big", "s1", "b1", 1.0), accepted("x", "s1", "b2", 0.1), accepted("y", "s2", "b1", 0.1)],
        slots=hourly_slots(1),
    )
    for method in ("ilp", "heuristic"):
        schedule = run(p, method)
        assert sorted(slot_of(schedule)) == ["x", "y"]
        assert schedule.optimal


def test_proposals_go_by_score_when_slots_are_short():
    p = problem(
        {"s": sme(), "b1": buyer(), "b2": buyer(), "b3": buyer()},
        [proposed("low", "s", "b1", 0.2), proposed("high", "s", "b2", 0.9), proposed("mid", "s", "b3", 0.5)],
        slots=hourly_slots(2),
    )
    schedule = run(p)
    assert sorted(slot_of(schedule)) == ["high", "mid"]
    assert schedule.total_score == pytest.approx(1.4)
    assert schedule.optimal


def test_an_sme_under_its_minimum_gets_a_meeting_before_a_higher_score_elsewhere():
    p = problem(
        {"star": sme(), "newcomer": sme(min_meetings=1), "b": buyer(cap=1)},
        [proposed("star-b", "star", "b", 0.9), proposed("new-b", "newcomer", "b", 0.1)],
    )
    schedule = run(p)
    assert list(slot_of(schedule)) == ["new-b"]
    assert schedule.sme_shortfall == 0
    assert schedule.optimal
    # Without the minimum the score decides.
    p.participants["newcomer"] = sme()
    assert list(slot_of(run(p))) == ["star-b"]


def test_the_sme_minimum_never_costs_an_accepted_request():
    p = problem(
        {"star": sme(), "newcomer": sme(min_meetings=1), "b": buyer(cap=1)},
        [accepted("star-b", "star", "b", 0.9), proposed("new-b", "newcomer", "b", 0.1)],
    )
    schedule = run(p)
    assert list(slot_of(schedule)) == ["star-b"]
    assert schedule.sme_shortfall == 1
    assert schedule.optimal


def test_an_unreachable_minimum_is_reported_as_shortfall_and_still_optimal():
    p = problem({"s": sme(min_meetings=3), "b": buyer()}, [proposed("m", "s", "b")])
    schedule = run(p)
    assert schedule.placed == 1
    assert schedule.sme_shortfall == 2
    assert schedule.upper_bound.shortfall == 2
    assert schedule.optimal


# --- pinned meetings ---------------------------------------------------------------------------------


def test_a_pinned_meeting_keeps_its_slot():
    p = problem(
        {"s": sme(), "b": buyer(), "b2": buyer()},
        [proposed("pinned", "s", "b", 0.1, fixed_slot=2), accepted("m", "s", "b2", 0.9)],
    )
    schedule = run(p)
    assert slot_of(schedule)["pinned"] == 2
    assert slot_of(schedule)["m"] in (0, 1)


def test_clashing_pins_are_reported():
    p = problem(
        {"s": sme(), "b1": buyer(), "b2": buyer()},
        [accepted("first", "s", "b1", fixed_slot=1), accepted("second", "s", "b2", fixed_slot=1)],
    )
    schedule = run(p)
    assert slot_of(schedule) == {"first": 1}
    assert schedule.unplaced["second"].code == PINNED_CONFLICT


def test_a_pin_outside_the_common_slots_is_reported():
    slots = hourly_slots(3)
    p = problem(
        {"s": sme(), "b": buyer(availability=window(slots, 0))},
        [accepted("m", "s", "b", fixed_slot=2)],
        slots=slots,
    )
    schedule = run(p)
    assert schedule.unplaced["m"].code == PINNED_CONFLICT


# --- input checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ([accepted("m", "s", "nobody")], "unknown participant"),
        ([accepted("m", "b", "s")], "must pair an SME with a buyer"),
        ([accepted("m", "s", "b", -1.0)], "score"),
        ([Candidate("m", "s", "b", "maybe")], "priority"),
        ([accepted("m", "s", "b"), accepted("m", "s", "b")], "unique"),
        ([accepted("m", "s", "b"), proposed("n", "s", "b")], "twice"),
        ([accepted("m", "s", "b", fixed_slot=9)], "fixed_slot"),
    ],
)
def test_bad_input_is_refused_with_a_message(candidates, message):
    p = problem({"s": sme(), "b": buyer()}, candidates)
    with pytest.raises(ValueError, match=message):
        solve(p)


def test_naive_or_overlapping_slots_are_refused():
    naive = [Slot(datetime(2026, 1, 6, 0), datetime(2026, 1, 6, 1))]
    with pytest.raises(ValueError, match="naive"):
        solve(problem({}, [], slots=naive))
    start = datetime(2026, 1, 6, tzinfo=UTC)
    overlapping = [
        Slot(start, start + timedelta(hours=1)),
        Slot(start + timedelta(minutes=30), start + timedelta(hours=2)),
    ]
    with pytest.raises(ValueError, match="disjoint"):
        solve(problem({}, [], slots=overlapping))


def test_an_empty_fair_is_an_empty_schedule():
    schedule = run(problem({"s": sme()}, []))
    assert schedule.placed == 0 and schedule.optimal and schedule.gap == 0


# --- brute force ----------------------------------------------------------------------------------------


def brute_force(p: SchedulingProblem) -> tuple[int, int, float]:
    """The best (accepted, -shortfall, score) over every assignment of candidates to slots or to
    nothing, with every rule checked directly. For problems in UTC with all-day business hours."""
    slots = list(p.slots)
    people = p.participants

    def inside(windows, slot):
        return windows is None or any(a <= slot.start and slot.end <= b for a, b in windows)

    options = []
    for c in p.candidates:
        s, b = people[c.sme], people[c.buyer]
        ok = [t for t, slot in enumerate(slots) if inside(s.availability, slot) and inside(b.availability, slot)]
        if c.fixed_slot is not None:  # pinned: placed there, no alternative
            options.append([t for t in ok if t == c.fixed_slot])
        else:
            options.append([None, *ok])

    def interpreters_fit(meetings, t):
        needs = [c for c in meetings if not (people[c.sme].languages & people[c.buyer].languages)]
        free = [i for i in p.interpreters if inside(i.availability, slots[t])]
        if len(needs) > len(free):
            return False
        for chosen in itertools.permutations(free, len(needs)):
            if all(
                i.languages & people[c.buyer].languages and i.languages & people[c.sme].languages
                for i, c in zip(chosen, needs, strict=True)
            ):
                return True
        return False

    best = None
    for combo in itertools.product(*options):
        by_slot: dict[int, list[Candidate]] = {}
        count: dict = {}
        for c, t in zip(p.candidates, combo, strict=True):
            if t is None:
                continue
            by_slot.setdefault(t, []).append(c)
            count[c.sme] = count.get(c.sme, 0) + 1
            count[c.buyer] = count.get(c.buyer, 0) + 1
        if any(people[j].cap is not None and n > people[j].cap for j, n in count.items()):
            continue
        feasible = True
        for t, meetings in by_slot.items():
            parties = [c.sme for c in meetings] + [c.buyer for c in meetings]
            rooms = sum(1 for c in meetings if people[c.sme].needs_room)
            if len(set(parties)) < len(parties) or rooms > len(p.rooms) or not interpreters_fit(meetings, t):
                feasible = False
                break
        if not feasible:
            continue
        placed = [c for c, t in zip(p.candidates, combo, strict=True) if t is not None]
        value = (
            sum(1 for c in placed if c.priority == ACCEPTED),
            -sum(max(0, q.min_meetings - count.get(j, 0)) for j, q in people.items() if q.kind == SME),
            round(sum(c.score for c in placed), 6),
        )
        if best is None or value > best:
            best = value
    return best


def random_problem(seed: int) -> SchedulingProblem:
    """2-3 slots, 2-3 SMEs and buyers, 4-7 candidates: small enough to enumerate, busy enough
    that slots, rooms, interpreters, caps and minimums bind."""
    rng = random.Random(seed)
    slots = [
        Slot(datetime(2026, 1, 6, h, tzinfo=UTC), datetime(2026, 1, 6, h, 45, tzinfo=UTC))
        for h in range(rng.choice([2, 2, 3]))
    ]

    def some_slots():
        return window(slots, *sorted(rng.sample(range(len(slots)), rng.randint(1, len(slots)))))

    smes = {
        f"s{k}": Participant(
            kind=SME,
            languages=frozenset(rng.choice([{"ko"}, {"ko", "en"}])),
            time_zone="UTC",
            availability=some_slots() if rng.random() < 0.3 else None,
            cap=rng.choice([None, None, 1, 2]),
            min_meetings=rng.choice([0, 0, 1, 2]),
            needs_room=rng.random() < 0.6,
        )
        for k in range(rng.randint(2, 3))
    }
    buyers = {
        f"b{k}": Participant(
            kind=BUYER,
            languages=frozenset(rng.choice([{"en"}, {"en"}, {"th"}, {"th"}, {"th", "en"}, {"vi"}])),
            time_zone="UTC",
            availability=some_slots() if rng.random() < 0.3 else None,
            cap=rng.choice([None, None, 1, 2]),
        )
        for k in range(rng.randint(2, 4))
    }
    pairs = [(s, b) for s in smes for b in buyers]
    most = 7 if len(slots) == 2 else 6  # (slots + 1) ** candidates assignments to enumerate
    pairs = rng.sample(pairs, rng.randint(min(5, len(pairs)), min(most, len(pairs))))
    candidates = [
        Candidate(
            id=f"m{k}",
            sme=s,
            buyer=b,
            priority=rng.choice([ACCEPTED, PROPOSED]),
            score=rng.randint(0, 1000) / 1000,
            fixed_slot=rng.randrange(len(slots)) if rng.random() < 0.05 else None,
        )
        for k, (s, b) in enumerate(pairs)
    ]
    interpreters = [
        Interpreter(
            f"i{k}",
            frozenset({"ko", rng.choice(["th", "th", "vi"]), *rng.sample(["en", "vi"], rng.randint(0, 1))}),
            availability=some_slots() if rng.random() < 0.5 else None,
        )
        for k in range(rng.randint(1, 2))
    ]
    return SchedulingProblem(
        slots=slots,
        participants={**smes, **buyers},
        rooms=[f"r{k}" for k in range(rng.choice([1, 1, 2]))],
        interpreters=interpreters,
        candidates=candidates,
        business_hours=(0, 24),
        business_days=ALL_DAYS,
    )


@pytest.mark.parametrize("seed", range(60))
def test_the_ilp_finds_the_brute_force_optimum_and_the_bounds_hold(seed):
    p = random_problem(seed)
    exact = run(p, "ilp")
    # Pins that clash are dropped first (first come, first served); the rest must be placed.
    rejected = {cid for cid, why in exact.unplaced.items() if why.code == PINNED_CONFLICT}
    best = brute_force(replace(p, candidates=[c for c in p.candidates if c.id not in rejected]))
    assert exact.optimal
    assert (exact.placed_accepted, -exact.sme_shortfall, round(exact.total_score, 6)) == best
    for method in ("auto", "heuristic", "greedy"):
        schedule = run(p, method)
        value = (schedule.placed_accepted, -schedule.sme_shortfall, round(schedule.total_score, 6))
        assert value <= best
        if method == "auto":
            assert value == best  # tiny problems are always small enough for the ILP
        bound = solve(p, method=method).upper_bound
        assert bound.accepted >= best[0]
        assert bound.shortfall <= -best[1]
        if schedule.placed_accepted == best[0]:
            assert bound.score >= best[2] - 1e-9
        assert 0 <= schedule.gap <= 1
        assert_reasons_are_true(p, schedule)


def busier_fair(seed: int) -> SchedulingProblem:
    """12 SMEs, 20 buyers, 80 candidates in 6 slots with 2 rooms and 2 interpreters: every repair
    move of the heuristic has something to do."""
    rng = random.Random(seed)
    slots = hourly_slots(6)
    participants = {
        f"s{k}": sme(languages=("ko",) if k % 3 == 0 else ("ko", "en"), cap=4, min_meetings=2, needs_room=k % 2 == 0)
        for k in range(12)
    }
    participants |= {
        f"b{k}": buyer(
            languages=rng.choice([("en",), ("th",), ("th", "en")]),
            cap=rng.choice([2, 3, 4]),
            availability=window(slots, *sorted(rng.sample(range(6), rng.randint(2, 5)))),
        )
        for k in range(20)
    }
    pairs = rng.sample([(f"s{a}", f"b{b}") for a in range(12) for b in range(20)], 80)
    candidates = [
        Candidate(f"m{k}", s, b, rng.choice([ACCEPTED, PROPOSED]), rng.randint(0, 1000) / 1000)
        for k, (s, b) in enumerate(pairs)
    ]
    return problem(
        participants,
        candidates,
        slots=slots,
        rooms=["r1", "r2"],
        interpreters=[
            Interpreter("i1", frozenset({"ko", "th"})),
            Interpreter("i2", frozenset({"ko", "th", "en"}), availability=window(slots, 0, 1, 2)),
        ],
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_heuristic_is_feasible_bounded_and_truthful_on_a_busier_fair(seed):
    p = busier_fair(seed)
    exact = run(p, "ilp")
    assert exact.optimal
    exact_value = (exact.placed_accepted, -exact.sme_shortfall, exact.total_score)
    for method in ("heuristic", "greedy"):
        schedule = run(p, method)
        value = (schedule.placed_accepted, -schedule.sme_shortfall, schedule.total_score)
        assert value <= exact_value
        assert schedule.upper_bound.accepted >= exact.placed_accepted
        assert schedule.upper_bound.shortfall <= exact.sme_shortfall
        if schedule.placed_accepted == exact.placed_accepted:
            assert schedule.upper_bound.score >= exact.total_score - 1e-9
        assert_reasons_are_true(p, schedule)


def assert_reasons_are_true(p: SchedulingProblem, schedule) -> None:
    """Every candidate is placed or has a reason, and each reason holds in the schedule."""
    assert set(schedule.unplaced) | {a.candidate_id for a in schedule.assignments} == {c.id for c in p.candidates}
    people = p.participants
    by_id = {c.id: c for c in p.candidates}
    count: dict = {}
    busy: set = set()
    rooms_used: dict[int, int] = {}
    for a in schedule.assignments:
        c = by_id[a.candidate_id]
        for j in (c.sme, c.buyer):
            count[j] = count.get(j, 0) + 1
            busy.add((j, a.slot_index))
        if a.room is not None:
            rooms_used[a.slot_index] = rooms_used.get(a.slot_index, 0) + 1
    for cid, why in schedule.unplaced.items():
        c = by_id[cid]
        common = set(feasible_slots(p, c.sme)) & set(feasible_slots(p, c.buyer))
        sme_languages, buyer_languages = people[c.sme].languages, people[c.buyer].languages
        if not sme_languages & buyer_languages:  # only where an interpreter for the pair works
            common &= {
                t
                for t, slot in enumerate(p.slots)
                for i in p.interpreters
                if i.languages & sme_languages
                and i.languages & buyer_languages
                and (i.availability is None or any(a <= slot.start and slot.end <= b for a, b in i.availability))
            }
        both_free = [t for t in common if (c.sme, t) not in busy and (c.buyer, t) not in busy]
        if why.code == CAP_REACHED:
            assert any(people[j].cap is not None and count.get(j, 0) >= people[j].cap for j in (c.sme, c.buyer))
        elif why.code == NO_COMMON_SLOT:
            assert not set(feasible_slots(p, c.sme)) & set(feasible_slots(p, c.buyer))
        elif why.code == SLOTS_TAKEN:
            assert common and not both_free
        elif why.code == ROOMS_FULL:
            assert people[c.sme].needs_room
            assert any(rooms_used.get(t, 0) >= len(p.rooms) for t in both_free)
        elif why.code == INTERPRETERS_BUSY:
            assert not sme_languages & buyer_languages and both_free
        else:
            assert why.code in (NO_INTERPRETER, PINNED_CONFLICT)
