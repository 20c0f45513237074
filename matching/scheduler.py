"""Consultation-fair scheduler: places accepted meeting requests, then staff-approved proposed pairs,
into time slots, video rooms and interpreters, across the participants' time zones.

Pure Python, NumPy and SciPy (HiGHS through `scipy.optimize`); no Django. The services build a
`SchedulingProblem` from the fair's rows and store the `Schedule`. The method and its measured
numbers are in docs/architecture.md, "Scheduling method".

The rules, in one place:

- Slots are disjoint, aware UTC intervals (`fair_slots` builds them from the fair's Seoul-time
  session windows). Nobody is in two meetings in one slot; a video room holds one meeting per slot.
- A participant's feasible slots lie inside one of its availability windows and inside business
  hours on a business day in its own IANA time zone (zoneinfo, so DST is handled per date).
- A meeting whose SME and buyer share no language needs an interpreter who speaks one of the
  buyer's languages and one of the SME's, and is available in that slot.
- A meeting of an SME with `needs_room` (it sits in one of the agency's video rooms) takes a room.
- Caps bound each participant's meetings.
- A candidate with `fixed_slot` is pinned there by staff: it is placed in that slot or not at all,
  and pinned candidates are placed before anything else (in the order given, accepted first).
- The objective is lexicographic: (1) the number of accepted requests placed, (2) the total
  shortfall of SMEs under their `min_meetings` (smaller is better; "where possible" means it never
  costs an accepted request), (3) the total match score.

The method: a greedy placement guided by the LP relaxation of choosing meetings without slots,
repaired by moves, Kempe-chain swaps and evictions; that LP is also the upper bound the schedule
is measured against. When the bound is not met and the exact time-indexed ILP is small enough,
HiGHS solves the ILP (`scipy.optimize.milp`) and proves the optimum or reports the gap.
"""

from __future__ import annotations

import math
import time as time_module
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

ACCEPTED = "accepted"
PROPOSED = "proposed"
SME = "sme"
BUYER = "buyer"
SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = frozenset(range(5))

# Reason codes for an unplaced candidate (`Unplaced.code`).
NO_COMMON_SLOT = "no_common_slot"  # availability windows or business hours never overlap
NO_INTERPRETER = "no_interpreter"  # nobody speaks the pair's languages, or not in any common slot
CAP_REACHED = "cap_reached"  # the SME or the buyer has its maximum number of meetings
ROOMS_FULL = "rooms_full"  # where both parties are free, every video room is taken
INTERPRETERS_BUSY = "interpreters_busy"  # where both are free (and a room is), every interpreter is taken
SLOTS_TAKEN = "slots_taken"  # every common slot holds another meeting of the SME or of the buyer
PINNED_CONFLICT = "pinned_conflict"  # a pinned slot that is infeasible or clashes with another pin

# solve(method="auto") runs the exact ILP after the heuristic (when the heuristic has not met its
# bound) only up to this many (meeting, slot) variables: HiGHS proved the real 2021 fair (10,000
# variables) in about 0.5 s and a 2,000-meeting programme (53,000) in 12 s, and proved nothing in
# 60 s at 3,000 meetings (79,000). See docs/architecture.md, "Scheduling method".
ILP_VARIABLE_LIMIT = 60_000


# --- the problem ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime


@dataclass(frozen=True)
class Participant:
    kind: str  # SME or BUYER
    languages: frozenset[str]
    time_zone: str  # IANA name, e.g. "America/Los_Angeles"
    availability: tuple[tuple[datetime, datetime], ...] | None = None  # None: the whole fair
    cap: int | None = None  # most meetings; None: no cap
    min_meetings: int = 0  # SMEs: the minimum to give where possible
    needs_room: bool = False  # SMEs sitting in one of the agency's video rooms
    business_hours: tuple[float, float] | None = None  # local hours; None: the problem's
    business_days: frozenset[int] | None = None  # Monday = 0; None: the problem's


@dataclass(frozen=True)
class Interpreter:
    id: Hashable
    languages: frozenset[str]
    availability: tuple[tuple[datetime, datetime], ...] | None = None


@dataclass(frozen=True)
class Candidate:
    id: Hashable
    sme: Hashable
    buyer: Hashable
    priority: str  # ACCEPTED (a request both sides accepted) or PROPOSED (staff-approved pairing)
    score: float = 0.0  # match score, >= 0
    fixed_slot: int | None = None  # index into the problem's slots: pinned by staff


@dataclass
class SchedulingProblem:
    slots: Sequence[Slot]
    participants: dict[Hashable, Participant]
    rooms: Sequence[Hashable]
    interpreters: Sequence[Interpreter]
    candidates: Sequence[Candidate]
    business_hours: tuple[float, float] = (9, 18)
    business_days: frozenset[int] = WEEKDAYS


# --- the answer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    candidate_id: Hashable
    slot_index: int
    room: Hashable | None
    interpreter: Hashable | None


@dataclass(frozen=True)
class Unplaced:
    code: str
    message: str


@dataclass(frozen=True)
class Bound:
    """Upper bounds on (accepted placed, total score) and a lower bound on the SME shortfall. The
    score bound holds for every schedule that places at least as many accepted requests as this
    one (so it bounds the optimum's score); it ignores the SME minimums, which can only cost score.
    When the schedule is proven optimal, the bound is the schedule's own value."""

    accepted: int
    score: float
    shortfall: int = 0


@dataclass
class Schedule:
    assignments: list[Assignment]
    placed_accepted: int
    placed_proposed: int
    total_score: float
    sme_shortfall: int  # sum over SMEs of the meetings missing to their minimum
    upper_bound: Bound | None  # None when the bound was not computed
    gap: float | None  # max(gap_accepted, gap_score)
    gap_accepted: float | None  # (bound - placed) / bound
    gap_score: float | None
    optimal: bool  # proven optimal for the whole lexicographic objective
    method: str
    unplaced: dict[Hashable, Unplaced]
    seconds: float
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def placed(self) -> int:
        return len(self.assignments)


# --- slots and time zones ------------------------------------------------------------------------


def fair_slots(
    days: Iterable[date],
    daily_windows_seoul: Iterable[tuple[time, time]],
    meeting_minutes: int,
    break_minutes: int = 0,
) -> list[Slot]:
    """The fair's meeting slots in UTC: each day's Seoul-time session windows cut into meetings of
    `meeting_minutes` with `break_minutes` between them; a meeting that would run past the end of
    its window is dropped."""
    if meeting_minutes <= 0 or break_minutes < 0:
        raise ValueError("meeting_minutes must be positive and break_minutes not negative")
    windows = sorted(daily_windows_seoul)
    meeting = timedelta(minutes=meeting_minutes)
    step = timedelta(minutes=meeting_minutes + break_minutes)
    slots = []
    for day in sorted(set(days)):
        for opens, closes in windows:
            # Seoul has had no DST since 1988; converting through zoneinfo keeps that its business.
            start = datetime.combine(day, opens, SEOUL)
            end_of_window = datetime.combine(day, closes, SEOUL)
            while start + meeting <= end_of_window:
                slots.append(Slot(start.astimezone(UTC), (start + meeting).astimezone(UTC)))
                start += step
    _check_slots(slots)
    return slots


def _check_slots(slots: Sequence[Slot]) -> None:
    for i, slot in enumerate(slots):
        if slot.start.tzinfo is None or slot.end.tzinfo is None:
            raise ValueError(f"slot {i} has a naive datetime; slots are aware UTC datetimes")
        if slot.end <= slot.start:
            raise ValueError(f"slot {i} ends before it starts")
        if i and slot.start < slots[i - 1].end:
            raise ValueError(f"slot {i} overlaps or precedes slot {i - 1}; slots must be sorted and disjoint")


def _hours_minutes(hours: tuple[float, float]) -> tuple[int, int]:
    opens, closes = hours
    if not 0 <= opens < closes <= 24:
        raise ValueError(f"business hours {hours} must satisfy 0 <= opens < closes <= 24")
    return round(opens * 60), round(closes * 60)


def business_hours_mask(
    slots: Sequence[Slot], time_zone: str, hours: tuple[float, float], days: frozenset[int] = WEEKDAYS
) -> np.ndarray:
    """Which slots lie wholly inside business hours on a business day in `time_zone` (a slot that
    crosses local midnight never does). zoneinfo applies the UTC offset in force on each date."""
    zone = ZoneInfo(time_zone)
    opens, closes = _hours_minutes(hours)
    mask = np.zeros(len(slots), dtype=bool)
    for i, slot in enumerate(slots):
        start = slot.start.astimezone(zone)
        end = slot.end.astimezone(zone)
        start_minute = start.hour * 60 + start.minute + start.second / 60
        end_minute = (end - datetime.combine(start.date(), time(), zone)).total_seconds() / 60
        if start.weekday() in days and opens <= start_minute and end_minute <= closes:
            mask[i] = True
    return mask


def _availability_mask(slot_starts: np.ndarray, slot_ends: np.ndarray, windows) -> np.ndarray:
    if windows is None:
        return np.ones(len(slot_starts), dtype=bool)
    mask = np.zeros(len(slot_starts), dtype=bool)
    for opens, closes in windows:
        if opens.tzinfo is None or closes.tzinfo is None:
            raise ValueError("availability windows are aware datetimes")
        mask |= (slot_starts >= opens.timestamp()) & (slot_ends <= closes.timestamp())
    return mask


def feasible_slots(problem: SchedulingProblem, participant_id: Hashable) -> list[int]:
    """The slots a participant can meet in: inside its availability and its local business hours."""
    model = _Model(problem)
    return list(_bits(model.pmask[model.pidx[participant_id]]))


def _to_bits(mask: np.ndarray) -> int:
    return int.from_bytes(np.packbits(mask.astype(bool), bitorder="little").tobytes(), "little")


@lru_cache(maxsize=1 << 16)
def _bits(mask: int) -> tuple[int, ...]:
    """The set bits of a slot (or interpreter) mask, lowest first. Cached: the same masks recur
    thousands of times in a solve."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return tuple(out)


def _popcount(mask: int) -> int:
    return mask.bit_count()


# --- the compiled model --------------------------------------------------------------------------


class _Model:
    """The problem as integer indices and slot bitmasks (Python ints: bit t is slot t)."""

    def __init__(self, problem: SchedulingProblem):
        self.problem = problem
        slots = list(problem.slots)
        _check_slots(slots)
        self.T = T = len(slots)
        self.full = (1 << T) - 1
        starts = np.array([s.start.timestamp() for s in slots])
        ends = np.array([s.end.timestamp() for s in slots])

        self.pids = list(problem.participants)
        self.pidx = {pid: j for j, pid in enumerate(self.pids)}
        self.parts = [problem.participants[pid] for pid in self.pids]
        hours_cache: dict[tuple, int] = {}
        avail_cache: dict[tuple | None, int] = {}
        self.amask = []  # availability only
        self.pmask = []  # availability and business hours
        for part in self.parts:
            if part.kind not in (SME, BUYER):
                raise ValueError(f"participant kind must be {SME!r} or {BUYER!r}, not {part.kind!r}")
            key = (
                part.time_zone,
                part.business_hours or problem.business_hours,
                part.business_days if part.business_days is not None else problem.business_days,
            )
            if key not in hours_cache:
                hours_cache[key] = _to_bits(business_hours_mask(slots, *key))
            avail_key = None if part.availability is None else tuple(part.availability)
            if avail_key not in avail_cache:
                avail_cache[avail_key] = _to_bits(_availability_mask(starts, ends, part.availability))
            self.amask.append(avail_cache[avail_key])
            self.pmask.append(avail_cache[avail_key] & hours_cache[key])
        self.cap = [self.T if p.cap is None else max(0, min(p.cap, self.T)) for p in self.parts]
        self.min_meetings = [max(0, p.min_meetings) if p.kind == SME else 0 for p in self.parts]

        self.R = len(problem.rooms)
        self.interpreters = list(problem.interpreters)
        self.imask = [_to_bits(_availability_mask(starts, ends, i.availability)) for i in self.interpreters]

        cands = list(problem.candidates)
        self.cids = [c.id for c in cands]
        if len(set(self.cids)) != len(self.cids):
            raise ValueError("candidate ids must be unique")
        pairs = set()
        M = self.M = len(cands)
        self.s = [0] * M
        self.b = [0] * M
        self.acc = [False] * M
        self.score = [0.0] * M
        self.room = [False] * M
        self.cls = [-1] * M  # interpreter class, -1: no interpreter needed
        self.fixed = [-1] * M
        self.window = [0] * M  # common feasible slots of the two parties
        self.C = [0] * M  # ... and of an eligible interpreter, and the pinned slot
        self.classes: list[list[int]] = []  # class -> eligible interpreter indices
        class_index: dict[tuple[int, ...], int] = {}
        for m, c in enumerate(cands):
            if c.sme not in self.pidx or c.buyer not in self.pidx:
                raise ValueError(f"candidate {c.id!r} names an unknown participant")
            s, b = self.pidx[c.sme], self.pidx[c.buyer]
            if self.parts[s].kind != SME or self.parts[b].kind != BUYER:
                raise ValueError(f"candidate {c.id!r} must pair an SME with a buyer")
            if (s, b) in pairs:
                raise ValueError(f"the pair of candidate {c.id!r} appears twice; merge duplicates first")
            pairs.add((s, b))
            if c.priority not in (ACCEPTED, PROPOSED):
                raise ValueError(f"candidate {c.id!r}: priority must be {ACCEPTED!r} or {PROPOSED!r}")
            if not (c.score >= 0 and math.isfinite(c.score)):
                raise ValueError(f"candidate {c.id!r}: score must be a finite number >= 0")
            self.s[m], self.b[m] = s, b
            self.acc[m] = c.priority == ACCEPTED
            self.score[m] = float(c.score)
            self.room[m] = self.parts[s].needs_room
            window = self.pmask[s] & self.pmask[b]
            self.window[m] = window
            mask = window
            sme_langs, buyer_langs = self.parts[s].languages, self.parts[b].languages
            if not (sme_langs & buyer_langs):
                eligible = tuple(
                    i
                    for i, interp in enumerate(self.interpreters)
                    if interp.languages & buyer_langs and interp.languages & sme_langs
                )
                if eligible not in class_index:
                    class_index[eligible] = len(self.classes)
                    self.classes.append(list(eligible))
                self.cls[m] = class_index[eligible]
                union = 0
                for i in eligible:
                    union |= self.imask[i]
                mask &= union
            if c.fixed_slot is not None:
                if not 0 <= c.fixed_slot < T:
                    raise ValueError(f"candidate {c.id!r}: fixed_slot {c.fixed_slot} is not a slot index")
                self.fixed[m] = c.fixed_slot
                mask &= 1 << c.fixed_slot
            if self.R == 0 and self.room[m]:
                mask = 0
            self.C[m] = mask
        # Interpreters as bitmasks too: bit i is interpreter i.
        self.class_mask = [sum(1 << i for i in eligible) for eligible in self.classes]
        self.iavail = [0] * T
        for i, mask in enumerate(self.imask):
            for t in _bits(mask):
                self.iavail[t] |= 1 << i
        self.score_total = sum(self.score)
        self.by_participant: list[list[int]] = [[] for _ in self.pids]
        for m in range(M):
            self.by_participant[self.s[m]].append(m)
            self.by_participant[self.b[m]].append(m)

    def n_variables(self) -> int:
        return sum(_popcount(c) for c in self.C)


# --- the schedule being built --------------------------------------------------------------------


class _State:
    """A partial schedule with the bookkeeping to add and remove meetings in O(1)-ish."""

    def __init__(self, model: _Model):
        self.model = model
        self.slot = [-1] * model.M
        self.busy: list[dict[int, int]] = [{} for _ in model.pids]  # participant -> {slot: meeting}
        self.free = [model.full] * len(model.pids)
        self.count = [0] * len(model.pids)
        self.rooms_used = [0] * model.T
        self.room_full = 0 if model.R else model.full
        self.at_slot: list[set[int]] = [set() for _ in range(model.T)]
        self.interp_at: list[dict[int, int]] = [{} for _ in range(model.T)]  # slot -> {interpreter: meeting}
        self.interp_busy = [0] * model.T  # slot -> bitmask of interpreters in a meeting
        # class -> bitmask of the slots where one of the class's interpreters is idle
        self.idle_slots = [sum(1 << t for t in range(model.T) if mask & model.iavail[t]) for mask in model.class_mask]
        self.interp_of: dict[int, int] = {}
        # An interpreter search that failed for (class, slot) fails again until a meeting leaves
        # that slot: remember the slot's removal count at the failure.
        self.removals = [0] * model.T
        self.interp_failed: dict[tuple[int, int], int] = {}

    # capacity checks ---------------------------------------------------------------------------

    def caps_ok(self, m: int) -> bool:
        model = self.model
        return self.count[model.s[m]] < model.cap[model.s[m]] and self.count[model.b[m]] < model.cap[model.b[m]]

    def open_slots(self, m: int) -> int:
        """Slots where both parties are free and, if needed, a room is."""
        model = self.model
        mask = model.C[m] & self.free[model.s[m]] & self.free[model.b[m]]
        if model.room[m]:
            mask &= ~self.room_full
        return mask

    def _interpreter_path(self, m: int, t: int) -> list[tuple[int, int]] | None:
        """An augmenting path giving meeting m an interpreter at slot t, as (interpreter, meeting)
        assignments to make, or None. Bipartite matching per slot, so it is found whenever one
        exists."""
        model = self.model
        c = model.cls[m]
        key = (c, t)
        if self.interp_failed.get(key) == self.removals[t]:
            return None
        usable = model.class_mask[c] & model.iavail[t]
        idle = usable & ~self.interp_busy[t]
        if idle:
            return [((idle & -idle).bit_length() - 1, m)]
        at = self.interp_at[t]
        visited = [0]

        def search(meeting: int) -> list[tuple[int, int]] | None:
            options = model.class_mask[model.cls[meeting]] & model.iavail[t] & ~visited[0]
            idle = options & ~self.interp_busy[t]
            if idle:
                return [((idle & -idle).bit_length() - 1, meeting)]
            visited[0] |= options
            for i in _bits(options):
                path = search(at[i])
                if path is not None:
                    return path + [(i, meeting)]
            return None

        path = search(m)
        if path is None:
            self.interp_failed[key] = self.removals[t]
        return path

    def _update_idle(self, t: int) -> None:
        model = self.model
        bit = 1 << t
        idle = model.iavail[t] & ~self.interp_busy[t]
        for c, mask in enumerate(model.class_mask):
            if mask & idle:
                self.idle_slots[c] |= bit
            else:
                self.idle_slots[c] &= ~bit

    def interpreter_ok(self, m: int, t: int) -> bool:
        return self.model.cls[m] < 0 or self._interpreter_path(m, t) is not None

    # changes -------------------------------------------------------------------------------------

    def place(self, m: int, t: int, *, augment: bool = True) -> bool:
        """Put meeting m in slot t if every constraint allows it (caps are the caller's business).
        `augment=False` takes an idle interpreter only, without reassigning the others."""
        model = self.model
        s, b = model.s[m], model.b[m]
        bit = 1 << t
        if not (model.C[m] & self.free[s] & self.free[b] & bit):
            return False
        if model.room[m] and self.room_full & bit:
            return False
        if model.cls[m] >= 0:
            if augment:
                path = self._interpreter_path(m, t)
            else:
                idle = model.class_mask[model.cls[m]] & model.iavail[t] & ~self.interp_busy[t]
                path = [((idle & -idle).bit_length() - 1, m)] if idle else None
            if path is None:
                return False
            for i, meeting in path:
                self.interp_at[t][i] = meeting
                self.interp_of[meeting] = i
                self.interp_busy[t] |= 1 << i
            self._update_idle(t)
        self.slot[m] = t
        self.at_slot[t].add(m)
        self.busy[s][t] = m
        self.busy[b][t] = m
        self.free[s] &= ~bit
        self.free[b] &= ~bit
        self.count[s] += 1
        self.count[b] += 1
        if model.room[m]:
            self.rooms_used[t] += 1
            if self.rooms_used[t] >= model.R:
                self.room_full |= bit
        return True

    def remove(self, m: int) -> None:
        model = self.model
        t = self.slot[m]
        s, b = model.s[m], model.b[m]
        bit = 1 << t
        self.slot[m] = -1
        self.at_slot[t].discard(m)
        del self.busy[s][t]
        del self.busy[b][t]
        self.free[s] |= bit
        self.free[b] |= bit
        self.count[s] -= 1
        self.count[b] -= 1
        if model.room[m]:
            self.rooms_used[t] -= 1
            self.room_full &= ~bit
        if m in self.interp_of:
            i = self.interp_of.pop(m)
            del self.interp_at[t][i]
            self.interp_busy[t] &= ~(1 << i)
            self._update_idle(t)
        self.removals[t] += 1

    def try_place(self, m: int, prefer=None) -> bool:
        """Place m in an open slot: the first one, or the one `prefer(m, slots)` orders first."""
        if not self.caps_ok(m):
            return False
        slots = _bits(self.open_slots(m))
        if prefer is not None and len(slots) > 1:
            slots = prefer(m, slots)
        return any(self.place(m, t) for t in slots)

    # reading -------------------------------------------------------------------------------------

    def placed(self) -> list[int]:
        return [m for m in range(self.model.M) if self.slot[m] >= 0]

    def objective(self) -> tuple[int, int, float]:
        model = self.model
        accepted = sum(1 for m in range(model.M) if self.slot[m] >= 0 and model.acc[m])
        score = sum(model.score[m] for m in range(model.M) if self.slot[m] >= 0)
        return accepted, -self.shortfall(), score

    def shortfall(self) -> int:
        model = self.model
        return sum(
            max(0, model.min_meetings[j] - self.count[j]) for j in range(len(model.pids)) if model.min_meetings[j]
        )


def _better(a: tuple, b: tuple) -> bool:
    """Lexicographic comparison with a tolerance on the score."""
    if a[:2] != b[:2]:
        return a[:2] > b[:2]
    return a[2] > b[2] + 1e-9


# --- pinned meetings, filling and the unplaced reasons --------------------------------------------


def _place_pinned(model: _Model, state: _State) -> dict[int, Unplaced]:
    rejected = {}
    pinned = sorted((m for m in range(model.M) if model.fixed[m] >= 0), key=lambda m: not model.acc[m])
    for m in pinned:
        t = model.fixed[m]
        if model.C[m] and state.caps_ok(m) and state.place(m, t):
            continue
        why = "it is outside the parties' common slots" if not model.C[m] else "it clashes with another pinned meeting"
        if model.C[m] and not state.caps_ok(m):
            why = "a party's cap is reached by other pinned meetings"
        rejected[m] = Unplaced(PINNED_CONFLICT, f"pinned to slot {t}, but {why}")
    return rejected


def _fill(model: _Model, state: _State, skip: Iterable[int] = ()) -> None:
    """Add every candidate that still fits, best first, so no unplaced pair has a free slot left."""
    skip = set(skip)
    order = sorted(
        (m for m in range(model.M) if state.slot[m] < 0 and m not in skip and model.C[m]),
        key=lambda m: (not model.acc[m], -model.score[m]),
    )
    for m in order:
        state.try_place(m)


def _explain(model: _Model, state: _State, m: int) -> Unplaced:
    """Why candidate m is not in the final schedule, read off that schedule."""
    problem = model.problem
    s, b = model.s[m], model.b[m]
    sme, buyer = model.parts[s], model.parts[b]
    sme_id, buyer_id = model.pids[s], model.pids[b]
    if model.room[m] and model.R == 0:
        return Unplaced(ROOMS_FULL, f"SME {sme_id} needs a video room and the fair has none")
    if not model.window[m]:
        if not (model.amask[s] & model.amask[b]):
            return Unplaced(
                NO_COMMON_SLOT, f"the availability windows of SME {sme_id} and buyer {buyer_id} share no slot"
            )
        hours_s = sme.business_hours or problem.business_hours
        hours_b = buyer.business_hours or problem.business_hours
        return Unplaced(
            NO_COMMON_SLOT,
            f"no slot is inside business hours for both SME {sme_id} ({sme.time_zone}, {_hours_text(hours_s)}) "
            f"and buyer {buyer_id} ({buyer.time_zone}, {_hours_text(hours_b)}) within their availability",
        )
    if model.cls[m] >= 0 and not model.C[m]:  # a common slot exists, but no interpreter in it
        needed = "/".join(sorted(buyer.languages))
        if not model.classes[model.cls[m]]:
            return Unplaced(
                NO_INTERPRETER,
                f"SME {sme_id} and buyer {buyer_id} share no language and no interpreter speaks {needed} "
                f"and {'/'.join(sorted(sme.languages))}",
            )
        return Unplaced(
            NO_INTERPRETER,
            f"the interpreters for {needed} are not available in any of the "
            f"{_popcount(model.window[m])} slots SME {sme_id} and buyer {buyer_id} share",
        )
    # A declared cap only: the effective cap of an uncapped party (the number of slots) is reached
    # only when every slot is taken, which the slot reasons below say better.
    full = [
        (j, who)
        for j, who in ((s, f"SME {sme_id}"), (b, f"buyer {buyer_id}"))
        if model.parts[j].cap is not None and state.count[j] >= model.parts[j].cap
    ]
    if full:
        parts = " and ".join(f"{who} has its maximum of {model.parts[j].cap} meetings" for j, who in full)
        return Unplaced(CAP_REACHED, parts)
    taken = rooms = interp = 0
    blockers_accepted = blockers_proposed = 0
    for t in _bits(model.C[m]):
        others = {state.busy[s].get(t, -1), state.busy[b].get(t, -1)} - {-1}
        if others:
            taken += 1
            blockers_accepted += sum(1 for o in others if model.acc[o])
            blockers_proposed += sum(1 for o in others if not model.acc[o])
        elif model.room[m] and state.room_full >> t & 1:
            rooms += 1
        elif not state.interpreter_ok(m, t):
            interp += 1
    total = taken + rooms + interp
    detail = []
    if taken:
        detail.append(
            f"{taken} hold other meetings of the SME or the buyer "
            f"({blockers_accepted} accepted requests, {blockers_proposed} proposed pairs)"
        )
    if rooms:
        detail.append(f"{rooms} have every video room in use")
    if interp:
        detail.append(f"{interp} have every suitable interpreter in use")
    message = f"of the {total} slots SME {sme_id} and buyer {buyer_id} share, " + "; ".join(detail)
    if rooms:
        return Unplaced(ROOMS_FULL, message)
    if interp:
        return Unplaced(INTERPRETERS_BUSY, message)
    return Unplaced(SLOTS_TAKEN, message)


def _hours_text(hours: tuple[float, float]) -> str:
    def fmt(h: float) -> str:
        return f"{int(h):02d}:{round((h - int(h)) * 60):02d}"

    return f"{fmt(hours[0])}-{fmt(hours[1])}"


# --- rooms and interpreters for the final schedule ------------------------------------------------


def _assignments(model: _Model, state: _State) -> list[Assignment]:
    """Rooms per slot, keeping an SME in the room it had in its previous meeting where it can."""
    rooms = list(model.problem.rooms)
    by_slot: list[list[int]] = [[] for _ in range(model.T)]
    for m in state.placed():
        by_slot[state.slot[m]].append(m)
    last_room: dict[int, int] = {}
    room_of: dict[int, int] = {}
    for t in range(model.T):
        in_rooms = sorted((m for m in by_slot[t] if model.room[m]), key=lambda m: model.s[m])
        taken: set[int] = set()
        later = []
        for m in in_rooms:
            r = last_room.get(model.s[m])
            if r is not None and r not in taken:
                taken.add(r)
                room_of[m] = r
            else:
                later.append(m)
        free_rooms = (r for r in range(len(rooms)) if r not in taken)
        for m in later:
            room_of[m] = next(free_rooms)
        for m in in_rooms:
            last_room[model.s[m]] = room_of[m]
    out = []
    for t in range(model.T):
        for m in sorted(by_slot[t], key=lambda m: model.s[m]):
            interp = state.interp_of.get(m)
            out.append(
                Assignment(
                    candidate_id=model.cids[m],
                    slot_index=t,
                    room=rooms[room_of[m]] if m in room_of else None,
                    interpreter=model.interpreters[interp].id if interp is not None else None,
                )
            )
    return out


# --- bounds --------------------------------------------------------------------------------------


def _aggregate_rows(model: _Model, cols: list[int]):
    """Rows of the slot-free relaxation: each participant's meetings at most its cap and its number
    of slots usable with any partner; room meetings at most rooms x slots; interpreted meetings of
    each set of interpreter classes at most the interpreters' free slots (Hall's condition)."""
    col_of = {m: k for k, m in enumerate(cols)}
    rows, cols_idx, ub = [], [], []
    r = 0
    for j in range(len(model.pids)):
        ms = [m for m in model.by_participant[j] if m in col_of]
        if not ms:
            continue
        union = 0
        for m in ms:
            union |= model.C[m]
        limit = min(model.cap[j], _popcount(union))
        if limit < len(ms):
            rows += [r] * len(ms)
            cols_idx += [col_of[m] for m in ms]
            ub.append(limit)
            r += 1
    room_ms = [m for m in cols if model.room[m]]
    if room_ms:
        union = 0
        for m in room_ms:
            union |= model.C[m]
        limit = model.R * _popcount(union)
        if limit < len(room_ms):
            rows += [r] * len(room_ms)
            cols_idx += [col_of[m] for m in room_ms]
            ub.append(limit)
            r += 1
    n_classes = len(model.classes)
    by_class: list[list[int]] = [[] for _ in range(n_classes)]
    for m in cols:
        if model.cls[m] >= 0:
            by_class[model.cls[m]].append(m)
    active = [c for c in range(n_classes) if by_class[c]]
    if len(active) <= 8:
        subsets = [[c for k, c in enumerate(active) if mask >> k & 1] for mask in range(1, 1 << len(active))]
    else:
        subsets = [[c] for c in active] + [active]
    for subset in subsets:
        ms = [m for c in subset for m in by_class[c]]
        union = 0
        for m in ms:
            union |= model.C[m]
        interps = {i for c in subset for i in model.classes[c]}
        limit = sum(_popcount(model.imask[i] & union) for i in interps)
        if limit < len(ms):
            rows += [r] * len(ms)
            cols_idx += [col_of[m] for m in ms]
            ub.append(limit)
            r += 1
    return rows, cols_idx, ub, r


class _SlotFreeLP:
    """The LP relaxation of choosing meetings without slots: a b-matching with the aggregate rows
    of `_aggregate_rows`. It bounds every schedule; its solution also guides the heuristic."""

    def __init__(self, model: _Model, pinned: Iterable[int], time_limit: float):
        from scipy.sparse import csr_matrix

        self.cols = [m for m in range(model.M) if model.C[m]]
        rows, cols_idx, ub, n_rows = _aggregate_rows(model, self.cols)
        n = len(self.cols)
        self.A = csr_matrix((np.ones(len(rows)), (rows, cols_idx)), shape=(n_rows, n))
        self.b = np.array(ub, dtype=float)
        lower = np.zeros(n)
        col_of = {m: k for k, m in enumerate(self.cols)}
        for m in pinned:
            lower[col_of[m]] = 1
        self.bounds = np.column_stack([lower, np.ones(n)])
        self.acc = np.array([1.0 if model.acc[m] else 0.0 for m in self.cols])
        self.score = np.array([model.score[m] for m in self.cols])
        self.time_limit = max(1.0, time_limit)
        self.cache: dict[int, tuple[float, dict[int, float]]] = {}

    def _solve(self, c: np.ndarray, A, b):
        from scipy.optimize import linprog

        if A.shape[0] == 0:
            A, b = None, None
        return linprog(c, A_ub=A, b_ub=b, bounds=self.bounds, method="highs", options={"time_limit": self.time_limit})

    def max_accepted(self) -> int:
        if not self.cols:
            return 0
        result = self._solve(-self.acc, self.A, self.b)
        if result.status != 0:
            return int(self.acc.sum())
        return int(math.floor(-result.fun + 1e-6))

    def max_score(self, min_accepted: int) -> tuple[float, dict[int, float]]:
        """The most score with at least `min_accepted` accepted requests, and the LP's choice."""
        from scipy.sparse import csr_matrix, vstack

        if not self.cols:
            return 0.0, {}
        if min_accepted in self.cache:
            return self.cache[min_accepted]
        A = vstack([self.A, csr_matrix(-self.acc)])
        b = np.append(self.b, -min_accepted)
        result = self._solve(-self.score, A, b)
        if result.status != 0:
            return float(self.score.sum()), {}
        value = -result.fun
        # A hair of slack so rounding in the LP cannot make a bound fall below a true value.
        answer = float(value) + 1e-9 * max(1.0, abs(value)), dict(zip(self.cols, result.x.tolist(), strict=True))
        self.cache[min_accepted] = answer
        return answer


# --- the exact ILP -------------------------------------------------------------------------------


class _TimeIndexed:
    """x[m, t] for each candidate and each slot it can use; z[c, i, t] routes interpreter class c's
    meetings in slot t to interpreter i (a transportation problem, so z may stay continuous);
    shortfall[j] for SMEs with a minimum."""

    def __init__(self, model: _Model, pinned: Iterable[int], excluded: Iterable[int]):
        from scipy.sparse import csr_matrix

        self.model = model
        excluded = set(excluded)
        pinned = set(pinned)
        T = model.T
        self.x_m: list[int] = []
        self.x_t: list[int] = []
        for m in range(model.M):
            if m in excluded:
                continue
            for t in _bits(model.C[m]):
                self.x_m.append(m)
                self.x_t.append(t)
        nx = len(self.x_m)
        if nx == 0:
            self.nx = 0
            return
        x_m = np.array(self.x_m, dtype=np.int64)
        x_t = np.array(self.x_t, dtype=np.int64)
        # Interpreter routing variables.
        z_c, z_i, z_t = [], [], []
        class_slots: dict[int, set[int]] = {}
        for k in range(nx):
            c = model.cls[self.x_m[k]]
            if c >= 0:
                class_slots.setdefault(c, set()).add(self.x_t[k])
        zindex: dict[tuple[int, int, int], int] = {}
        for c, ts in class_slots.items():
            for t in sorted(ts):
                for i in model.classes[c]:
                    if model.imask[i] >> t & 1:
                        zindex[(c, i, t)] = len(z_c)
                        z_c.append(c)
                        z_i.append(i)
                        z_t.append(t)
        nz = len(z_c)
        short = [j for j in range(len(model.pids)) if model.min_meetings[j]]
        self.short = short
        ns = len(short)
        self.n = n = nx + nz + ns
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        lb: list[np.ndarray] = []
        ub: list[np.ndarray] = []
        r = 0

        def add(row_ids, col_ids, values, lower, upper):
            nonlocal r
            rows.append(np.asarray(row_ids, dtype=np.int64) + r)
            cols.append(np.asarray(col_ids, dtype=np.int64))
            vals.append(np.asarray(values, dtype=float))
            lb.append(np.asarray(lower, dtype=float))
            ub.append(np.asarray(upper, dtype=float))
            r += len(lower)

        ks = np.arange(nx)
        # Each meeting at most once (pinned ones exactly once).
        _, meeting_row = np.unique(x_m, return_inverse=True)
        n_meet = int(meeting_row.max()) + 1 if nx else 0
        meetings = np.unique(x_m)
        add(meeting_row, ks, np.ones(nx), [1.0 if m in pinned else 0.0 for m in meetings], np.ones(n_meet))
        # Each participant at most one meeting per slot (rows with one variable are left out).
        s_arr = np.array(model.s, dtype=np.int64)[x_m]
        b_arr = np.array(model.b, dtype=np.int64)[x_m]
        for party in (s_arr, b_arr):
            _, row = np.unique(party * T + x_t, return_inverse=True)
            keep = np.bincount(row)[row] > 1
            if keep.any():
                _, row = np.unique(row[keep], return_inverse=True)
                n_rows = int(row.max()) + 1
                add(row, ks[keep], np.ones(int(keep.sum())), np.zeros(n_rows), np.ones(n_rows))
        # ... and at most its cap.
        parties = np.concatenate([s_arr, b_arr])
        cap = np.array(model.cap, dtype=float)
        per_party = np.bincount(
            np.concatenate([np.array(model.s)[meetings], np.array(model.b)[meetings]]), minlength=len(model.pids)
        )
        capped = np.flatnonzero(cap < per_party)
        if len(capped):
            row_of = np.full(len(model.pids), -1)
            row_of[capped] = np.arange(len(capped))
            keep = row_of[parties] >= 0
            add(
                row_of[parties[keep]],
                np.concatenate([ks, ks])[keep],
                np.ones(int(keep.sum())),
                np.zeros(len(capped)),
                cap[capped],
            )
        # Rooms: at most R room meetings per slot.
        room = np.array(model.room, dtype=bool)[x_m]
        if room.any():
            t_room = x_t[room]
            counts = np.bincount(t_room, minlength=T)
            busy_slots = np.flatnonzero(counts > model.R)
            if len(busy_slots):
                row_of = np.full(T, -1)
                row_of[busy_slots] = np.arange(len(busy_slots))
                sel = room & (row_of[x_t] >= 0)
                add(
                    row_of[x_t[sel]],
                    ks[sel],
                    np.ones(int(sel.sum())),
                    np.zeros(len(busy_slots)),
                    np.full(len(busy_slots), float(model.R)),
                )
        # Interpreters: class c's meetings in slot t are covered by z[c, ., t]; each interpreter
        # covers at most one meeting per slot.
        if nz:
            ct_row: dict[tuple[int, int], int] = {}
            rr, cc, vv = [], [], []
            for k in range(nx):
                c = model.cls[self.x_m[k]]
                if c >= 0:
                    key = (c, self.x_t[k])
                    row_id = ct_row.setdefault(key, len(ct_row))
                    rr.append(row_id)
                    cc.append(k)
                    vv.append(1.0)
            for (c, _i, t), zk in zindex.items():
                rr.append(ct_row[(c, t)])
                cc.append(nx + zk)
                vv.append(-1.0)
            add(rr, cc, vv, np.full(len(ct_row), -np.inf), np.zeros(len(ct_row)))
            it_row: dict[tuple[int, int], int] = {}
            rr, cc = [], []
            for (_c, i, t), zk in zindex.items():
                rr.append(it_row.setdefault((i, t), len(it_row)))
                cc.append(nx + zk)
            add(rr, cc, np.ones(len(rr)), np.zeros(len(it_row)), np.ones(len(it_row)))
        # SME minimums: meetings + shortfall >= minimum.
        if ns:
            row_of = np.full(len(model.pids), -1)
            row_of[short] = np.arange(ns)
            keep = row_of[s_arr] >= 0
            rr = np.concatenate([row_of[s_arr[keep]], np.arange(ns)])
            cc = np.concatenate([ks[keep], nx + nz + np.arange(ns)])
            add(rr, cc, np.ones(len(rr)), [float(model.min_meetings[j]) for j in short], np.full(ns, np.inf))
        self.nx, self.nz, self.ns = nx, nz, ns
        self.rows = r
        self.A = csr_matrix(
            (
                np.concatenate(vals) if vals else [],
                (np.concatenate(rows) if rows else [], np.concatenate(cols) if cols else []),
            ),
            shape=(r, n),
        )
        self.lb = np.concatenate(lb) if lb else np.zeros(0)
        self.ub = np.concatenate(ub) if ub else np.zeros(0)
        upper = np.ones(n)
        upper[nx + nz :] = [float(model.min_meetings[j]) for j in short]
        self.bounds = (np.zeros(n), upper)
        self.integrality = np.concatenate([np.ones(nx), np.zeros(nz + ns)])

    def objective(self, value: np.ndarray, w_short: float) -> np.ndarray:
        """Minimisation costs: minus `value[m]` for each x[m, t], `w_short` per missing meeting."""
        c = np.zeros(self.n)
        c[: self.nx] = -value[np.array(self.x_m, dtype=np.int64)]
        c[self.nx + self.nz :] = w_short
        return c


def _solve_ilp(model: _Model, state: _State, excluded: set[int], deadline: float):
    """The exact model through HiGHS. Scores enter as integers in thousandths so the weighted
    objective is integral and HiGHS can prove the optimum of all three levels at once."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    pinned = [m for m in range(model.M) if state.slot[m] >= 0]
    ti = _TimeIndexed(model, pinned, excluded)
    if ti.nx == 0:
        return {}, True
    milli = np.round(np.array(model.score) * 1000)
    w_short = float(milli.sum()) + 1
    total_min = sum(model.min_meetings[j] for j in ti.short)
    w_acc = w_short * (total_min + 1)
    c = ti.objective(w_acc * np.array(model.acc, dtype=float) + milli, w_short)
    constraints = [LinearConstraint(ti.A, ti.lb, ti.ub)] if ti.rows else []
    remaining = max(0.1, deadline - time_module.perf_counter())
    result = milp(
        c,
        integrality=ti.integrality,
        bounds=Bounds(*ti.bounds),
        constraints=constraints,
        options={"time_limit": remaining, "mip_rel_gap": 0.0, "presolve": True},
    )
    if result.x is None:
        return None, False
    x = result.x[: ti.nx] > 0.5
    return {ti.x_m[k]: ti.x_t[k] for k in np.flatnonzero(x)}, result.status == 0


# --- the heuristic -------------------------------------------------------------------------------


def _pressure_preference(model: _Model, state: _State):
    """Order a meeting's open slots by how much the other unplaced meetings want them: each
    unplaced meeting spreads one unit of demand over its slots, on its two parties, on the room
    pool (if it needs a room) and on its interpreter class; a slot costs the demand on the
    meeting's resources there, each divided by that resource's capacity in the slot. Take the
    slot the others need least."""
    P = len(model.pids)
    room_key = P
    T = model.T
    demand: dict[int, list[float]] = {}
    capacity: dict[int, list[float]] = {room_key: [float(max(1, model.R))] * T}
    for c, mask in enumerate(model.class_mask):
        capacity[P + 1 + c] = [float(max(1, _popcount(mask & model.iavail[t]))) for t in range(T)]
    slots_of = {}

    def resources(m: int) -> list[int]:
        keys = [model.s[m], model.b[m]]
        if model.room[m]:
            keys.append(room_key)
        if model.cls[m] >= 0:
            keys.append(P + 1 + model.cls[m])
        return keys

    def add(m: int, sign: float) -> None:
        slots = slots_of.get(m)
        if slots is None:
            slots = slots_of[m] = _bits(model.C[m])
        if not slots:
            return
        share = sign / len(slots)
        for key in resources(m):
            d = demand.get(key)
            if d is None:
                d = demand[key] = [0.0] * T
            for t in slots:
                d[t] += share

    for m in range(model.M):
        if state.slot[m] < 0 and model.C[m]:
            add(m, 1.0)

    def prefer(m: int, slots: list[int]) -> list[int]:
        keys = resources(m)
        ds, db = demand[keys[0]], demand[keys[1]]
        if len(keys) == 2:
            return sorted(slots, key=lambda t: (ds[t] + db[t], t))
        extra = [(demand[k], capacity[k]) for k in keys[2:]]
        return sorted(slots, key=lambda t: (ds[t] + db[t] + sum(d[t] / cap[t] for d, cap in extra), t))

    return prefer, add


def _relocate(state: _State, m: int, avoid: int, depth: int) -> bool:
    """Move placed meeting m to another open slot, none in the bitmask `avoid`, first moving one
    meeting that blocks such a slot if `depth` allows. Leaves the state unchanged on failure.
    Slots a move chain vacates join `avoid`, so nothing moves into them and undoing always fits."""
    model = state.model
    avoid |= 1 << state.slot[m]
    # m occupies only its own slot, which is avoided, so the open slots can be read in place.
    mask = state.open_slots(m) & ~avoid
    if model.cls[m] >= 0:
        # Only an idle interpreter here: reshuffling interpreters for a move rarely pays.
        mask &= state.idle_slots[model.cls[m]]
    for t in _bits(mask):
        if _move(state, m, t):
            return True
    if depth > 0:
        s, b = model.s[m], model.b[m]
        for t in _bits(model.C[m] & ~avoid):
            if model.room[m] and state.room_full >> t & 1:
                continue
            blockers = {state.busy[s].get(t, -1), state.busy[b].get(t, -1)} - {-1}
            if len(blockers) != 1:
                continue
            (other,) = blockers
            if model.fixed[other] >= 0:
                continue
            if _relocate(state, other, avoid | 1 << t, depth - 1):
                if _move(state, m, t):
                    return True
                # The blocker moved but m still does not fit (an interpreter): put it back.
                state.remove(other)
                _restore(state, other, t)
    return False


def _move(state: _State, m: int, t: int) -> bool:
    old = state.slot[m]
    state.remove(m)
    if state.place(m, t, augment=False):
        return True
    _restore(state, m, old)
    return False


def _restore(state: _State, m: int, t: int) -> None:
    if not state.place(m, t):
        raise AssertionError(f"could not put candidate {state.model.cids[m]!r} back in slot {t}")


def _insert_with_moves(state: _State, m: int, depth: int) -> bool:
    """Place m, moving what blocks one of its slots elsewhere: the parties' meetings there (up to
    `depth` moves deep), then a room meeting if every room is taken, then a meeting holding an
    interpreter m could use. Meetings moved for a slot that still fails stay where they went (the
    schedule stays feasible and no worse)."""
    model = state.model
    if not state.caps_ok(m):
        return False
    if state.try_place(m):
        return True
    s, b = model.s[m], model.b[m]
    for t in _bits(model.C[m]):
        blockers = [o for o in {state.busy[s].get(t, -1), state.busy[b].get(t, -1)} if o >= 0]
        if any(model.fixed[o] >= 0 for o in blockers):
            continue
        if not all(_relocate(state, o, 1 << t, depth - 1) or _swap_chain_away(state, o, m, t) for o in blockers):
            continue
        bit = 1 << t
        if model.room[m] and state.room_full & bit:
            movable = [o for o in state.at_slot[t] if model.room[o] and model.fixed[o] < 0]
            if not any(_relocate(state, o, 1 << t, 0) for o in movable):
                continue
        if state.place(m, t):
            return True
        if model.cls[m] >= 0:
            usable = model.class_mask[model.cls[m]]
            holders = [o for i, o in state.interp_at[t].items() if usable >> i & 1 and model.fixed[o] < 0]
            for o in holders:
                if _relocate(state, o, 1 << t, 0) and state.place(m, t):
                    return True
    return False


def _swap_chain_away(state: _State, o: int, m: int, t: int) -> bool:
    """Free m's party from meeting o in slot t by a Kempe-chain swap: pick a slot u where that
    party is free and exchange t and u for every meeting linked to o through shared participants
    in those two slots. In a bipartite graph the chain never comes back to the party, so it ends
    free at t (the classic step of bipartite edge colouring); windows, rooms and interpreters are
    checked as the chain is applied."""
    model = state.model
    party = model.s[m] if model.s[o] == model.s[m] else model.b[m]
    return any(_kempe(state, o, t, u) for u in _bits(model.C[o] & state.free[party] & ~(1 << t)))


def _kempe(state: _State, start: int, a: int, b: int, limit: int = 64) -> bool:
    """Swap slots a and b for the chain of meetings connected to `start`; all or nothing."""
    model = state.model
    chain = [start]
    seen = {start}
    k = 0
    while k < len(chain):
        o = chain[k]
        k += 1
        other = b if state.slot[o] == a else a
        if model.fixed[o] >= 0 or not model.C[o] >> other & 1:
            return False
        for party in (model.s[o], model.b[o]):
            o2 = state.busy[party].get(other)
            if o2 is not None and o2 not in seen:
                if len(chain) >= limit:
                    return False
                seen.add(o2)
                chain.append(o2)
    old = {o: state.slot[o] for o in chain}
    for o in chain:
        state.remove(o)
    moved = []
    for o in chain:
        if not state.place(o, b if old[o] == a else a):
            for done in moved:
                state.remove(done)
            # The chain's old meetings were feasible together, so they all fit back.
            for back in chain:
                _restore(state, back, old[back])
            return False
        moved.append(o)
    return True


def _heuristic(
    model: _Model, state: _State, deadline: float, guide: dict[int, float], skip: Iterable[int], clock: _Clock
) -> None:
    """Greedy in the order the slot-free LP suggests, then repair. Accepted requests the LP picks
    go first, the most constrained (fewest common slots) first; then the other accepted requests;
    then, for SMEs under their minimum, their best proposals; then the LP's proposals and the rest
    by score. Each meeting takes the open slot its parties' other meetings need least. What does
    not fit is retried by moving the meetings that block it (two moves deep) and, for an accepted
    request, by evicting proposed pairs."""
    prefer, demand_add = _pressure_preference(model, state)
    skip = set(skip)
    todo = [m for m in range(model.M) if state.slot[m] < 0 and model.C[m] and m not in skip]
    chosen = {m for m in todo if guide.get(m, 0.0) >= 0.5}

    def place_all(ms: list[int]) -> list[int]:
        left = []
        for m in ms:
            if state.try_place(m, prefer):
                demand_add(m, -1.0)
            else:
                left.append(m)
        return left

    def repair(ms: list[int], depths: Sequence[int]) -> list[int]:
        for depth in depths:
            still = []
            for m in ms:
                if time_module.perf_counter() < deadline and _insert_with_moves(state, m, depth):
                    demand_add(m, -1.0)
                else:
                    still.append(m)
            ms = still
        return ms

    accepted = [m for m in todo if model.acc[m]]
    first = sorted((m for m in accepted if m in chosen), key=lambda m: (_popcount(model.C[m]), -model.score[m]))
    left_accepted = place_all(first)
    clock.lap("heuristic: place")
    left_accepted = repair(left_accepted, (1,))
    clock.lap("heuristic: repair")
    rest = sorted((m for m in accepted if m not in chosen), key=lambda m: -model.score[m])
    left_accepted += place_all(rest)

    proposed = {m for m in todo if not model.acc[m]}
    first_round = []
    for j in range(len(model.pids)):
        missing = model.min_meetings[j] - state.count[j]
        if missing > 0:
            mine = sorted(
                (m for m in model.by_participant[j] if m in proposed), key=lambda m: (m not in chosen, -model.score[m])
            )
            first_round += mine[:missing]
    taken = set(first_round)
    ordered = sorted((m for m in proposed if m not in taken), key=lambda m: (m not in chosen, -model.score[m]))
    left_proposed = place_all(first_round) + place_all(ordered)
    clock.lap("heuristic: place")
    left_proposed = repair(sorted(left_proposed, key=lambda m: -model.score[m]), (1,))
    clock.lap("heuristic: repair")
    # Swaps: accepted requests still out take the place of proposed pairs; proposals take the
    # place of cheaper ones. Each swap improves the objective, so this ends.
    for m in left_accepted + left_proposed:
        if time_module.perf_counter() > deadline:
            break
        if state.slot[m] < 0:
            _swap_in(state, m)
    clock.lap("heuristic: swaps")


def _swap_in(state: _State, m: int) -> bool:
    """Place m by dropping proposed pairs: its parties' meetings in one of its slots, one room
    meeting there if every room is taken, and one meeting of a party at its cap. Done only where
    the lexicographic objective gains before anything is re-placed; the dropped pairs are then
    re-placed where they still fit."""
    model = state.model
    s, b = model.s[m], model.b[m]

    def evictable(o: int) -> bool:
        return not model.acc[o] and model.fixed[o] < 0

    def cheapest(options: Iterable[int], exclude: set[int]) -> int | None:
        best = None
        for o in options:
            if o not in exclude and evictable(o) and (best is None or model.score[o] < model.score[best]):
                best = o
        return best

    def shortfall_of(counts: dict[int, int]) -> int:
        return sum(max(0, model.min_meetings[j] - n) for j, n in counts.items())

    best = None
    for t in _bits(model.C[m]):
        out = {o for o in (state.busy[s].get(t, -1), state.busy[b].get(t, -1)) if o >= 0}
        if not all(evictable(o) for o in out):
            continue
        if model.room[m] and state.rooms_used[t] - sum(1 for o in out if model.room[o]) >= model.R:
            o = cheapest((o for o in state.at_slot[t] if model.room[o]), out)
            if o is None:
                continue
            out.add(o)
        feasible = True
        for j in (s, b):
            if state.count[j] - sum(1 for o in out if j in (model.s[o], model.b[o])) >= model.cap[j]:
                o = cheapest(state.busy[j].values(), out)
                if o is None:
                    feasible = False
                    break
                out.add(o)
        if not feasible:
            continue
        smes = {s} | {model.s[o] for o in out}
        before = {j: state.count[j] for j in smes}
        after = dict(before)
        after[s] += 1
        for o in out:
            after[model.s[o]] -= 1
        gain = (
            int(model.acc[m]),
            shortfall_of(before) - shortfall_of(after),
            model.score[m] - sum(model.score[o] for o in out),
        )
        if gain[:2] < (0, 0) or (gain[:2] == (0, 0) and gain[2] <= 1e-9):
            continue
        if best is None or gain > best[0]:
            best = (gain, t, out)
    if best is None:
        return False
    _, t, out = best
    old = {o: state.slot[o] for o in out}
    for o in out:
        state.remove(o)
    if state.caps_ok(m) and state.place(m, t):
        for o in sorted(out, key=lambda o: -model.score[o]):
            _insert_with_moves(state, o, 1)
        return True
    for o, slot in old.items():
        _restore(state, o, slot)
    return False


def _greedy(model: _Model, state: _State) -> None:
    """The baseline: candidates in priority order (accepted first, then by score), each in the
    first slot where everything is free."""
    order = sorted(
        (m for m in range(model.M) if state.slot[m] < 0 and model.C[m]),
        key=lambda m: (not model.acc[m], -model.score[m]),
    )
    for m in order:
        state.try_place(m)


# --- solve ---------------------------------------------------------------------------------------


class _Clock:
    """Seconds per phase of a solve, summed over repeated phases."""

    def __init__(self):
        self.started = self.last = time_module.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time_module.perf_counter()
        self.laps[phase] = self.laps.get(phase, 0.0) + now - self.last
        self.last = now


def solve(
    problem: SchedulingProblem,
    *,
    time_limit: float = 60.0,
    method: str = "auto",
    compute_bound: bool = True,
) -> Schedule:
    """Schedule the fair within about `time_limit` seconds.

    `method`: "auto" runs the heuristic with its LP bound; if that does not prove the schedule
    optimal and the exact model has at most ILP_VARIABLE_LIMIT variables, it runs the ILP in the
    time left and keeps the better schedule. "heuristic" and "ilp" run one of them; "greedy" is the
    first-free-slot baseline. `compute_bound=False` skips the bound (greedy only; the others need it).
    """
    clock = _Clock()
    started = clock.started
    deadline = started + time_limit
    if method not in ("auto", "ilp", "heuristic", "greedy"):
        raise ValueError(f"unknown method {method!r}")
    model = _Model(problem)
    clock.lap("model")

    def fresh() -> tuple[_State, dict[int, Unplaced]]:
        state = _State(model)
        return state, _place_pinned(model, state)

    state, pinned_out = fresh()
    pinned = [m for m in range(model.M) if state.slot[m] >= 0]
    shortfall_floor = _shortfall_floor(model)
    notes: list[str] = []
    proven = False
    used = method
    lp = None
    accepted_bound, score_bound = None, None

    def lp_bound() -> None:
        nonlocal lp, accepted_bound
        lp = _SlotFreeLP(model, pinned, deadline - time_module.perf_counter())
        accepted_bound = lp.max_accepted()
        clock.lap("bound")

    if method in ("auto", "heuristic"):
        lp_bound()
        score_bound, guide = lp.max_score(accepted_bound)
        clock.lap("bound")
        _heuristic(model, state, deadline, guide, pinned_out, clock)
        _fill(model, state, skip=pinned_out)
        clock.lap("heuristic: place")
        used = "heuristic"
    elif method == "greedy":
        _greedy(model, state)
        _fill(model, state, skip=pinned_out)
        clock.lap("greedy")
    if lp is None and method != "ilp" and compute_bound:
        lp_bound()

    def closes_bound(state: _State) -> bool:
        accepted, neg_short, score = state.objective()
        if accepted_bound is None or accepted != accepted_bound or -neg_short > shortfall_floor:
            return False
        bound_score, _ = lp.max_score(accepted)
        return score >= bound_score - 1e-6 * max(1.0, score)

    if method in ("auto", "heuristic", "greedy") and lp is not None:
        proven = closes_bound(state)
        clock.lap("bound")
    run_ilp = method == "ilp" or (
        method == "auto"
        and not proven
        and model.n_variables() <= ILP_VARIABLE_LIMIT
        and time_module.perf_counter() < deadline
    )
    if run_ilp:
        ilp_state, _ = fresh()
        placement, ilp_proven = _solve_ilp(model, ilp_state, set(pinned_out), deadline)
        if placement is not None:
            for m, t in sorted(placement.items(), key=lambda item: item[1]):
                if ilp_state.slot[m] < 0 and not ilp_state.place(m, t):
                    raise AssertionError(f"ILP placement of candidate {model.cids[m]!r} is infeasible")
            _fill(model, ilp_state, skip=pinned_out)
            clock.lap("ilp")
            heuristic_better = method != "ilp" and _better(state.objective(), ilp_state.objective())
            if ilp_proven and heuristic_better:
                # Only HiGHS's tolerances could do this; trust the schedule, not the proof.
                notes.append("the ILP claimed optimality but the heuristic's schedule is better; kept it")
                ilp_proven = False
            if (
                method == "ilp"
                or ilp_proven
                or not heuristic_better
                and _better(ilp_state.objective(), state.objective())
            ):
                state, used, proven = ilp_state, "ilp", ilp_proven
            if not ilp_proven:
                notes.append("the ILP stopped at the time limit without a proof of optimality")
        elif method == "ilp":
            notes.append("the ILP found no schedule in time; the heuristic's schedule is reported")
            lp_bound()
            score_bound, guide = lp.max_score(accepted_bound)
            _heuristic(model, state, deadline, guide, pinned_out, clock)
            _fill(model, state, skip=pinned_out)
            used = "heuristic"
        else:
            notes.append("the ILP found no schedule in time; the heuristic's schedule is reported")
        if used == "ilp" and not proven and lp is None and compute_bound:
            lp_bound()

    accepted, neg_short, score = state.objective()
    bound = None
    if proven:
        bound = Bound(accepted, score, -neg_short)
    elif lp is not None:
        score_bound, _ = lp.max_score(min(accepted, accepted_bound))
        bound = Bound(accepted_bound, score_bound, shortfall_floor)
        clock.lap("bound")
    unplaced = dict(pinned_out)
    for m in range(model.M):
        if state.slot[m] < 0 and m not in unplaced:
            unplaced[m] = _explain(model, state, m)
    assignments = _assignments(model, state)
    clock.lap("reasons and rooms")
    gap_acc = gap_score = gap = None
    if bound is not None:
        gap_acc = (bound.accepted - accepted) / bound.accepted if bound.accepted else 0.0
        gap_score = max(0.0, (bound.score - score) / bound.score) if bound.score > 0 else 0.0
        gap = max(gap_acc, gap_score)
    placed = state.placed()
    return Schedule(
        assignments=assignments,
        placed_accepted=accepted,
        placed_proposed=len(placed) - accepted,
        total_score=score,
        sme_shortfall=-neg_short,
        upper_bound=bound,
        gap=gap,
        gap_accepted=gap_acc,
        gap_score=gap_score,
        optimal=proven,
        method=used,
        unplaced={model.cids[m]: why for m, why in unplaced.items()},
        seconds=time_module.perf_counter() - started,
        notes=notes,
        timings=clock.laps,
    )


def _shortfall_floor(model: _Model) -> int:
    """A lower bound on the SME shortfall: an SME cannot have more meetings than its cap, its
    usable candidates or the slots they can use."""
    floor = 0
    for j in range(len(model.pids)):
        if model.min_meetings[j]:
            usable = [m for m in model.by_participant[j] if model.C[m]]
            union = 0
            for m in usable:
                union |= model.C[m]
            most = min(model.cap[j], len(usable), _popcount(union))
            floor += max(0, model.min_meetings[j] - most)
    return floor


def schedule_violations(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """Every hard constraint the schedule breaks, checked from the problem alone (for tests and
    the benchmark; an empty list means the schedule is feasible)."""
    model = _Model(problem)
    index = {cid: m for m, cid in enumerate(model.cids)}
    problems = []
    seen_party: dict[tuple[int, int], Hashable] = {}
    seen_room: dict[tuple[Hashable, int], Hashable] = {}
    seen_interp: dict[tuple[Hashable, int], Hashable] = {}
    rooms = set(problem.rooms)
    interp_by_id = {i.id: k for k, i in enumerate(model.interpreters)}
    count = [0] * len(model.pids)
    placed = set()
    for a in schedule.assignments:
        m = index[a.candidate_id]
        if m in placed:
            problems.append(f"{a.candidate_id!r} placed twice")
        placed.add(m)
        t = a.slot_index
        s, b = model.s[m], model.b[m]
        if not model.window[m] >> t & 1:
            problems.append(f"{a.candidate_id!r} in slot {t}, outside a party's availability or business hours")
        if model.fixed[m] >= 0 and model.fixed[m] != t:
            problems.append(f"{a.candidate_id!r} is pinned to slot {model.fixed[m]}, placed in {t}")
        for j in (s, b):
            count[j] += 1
            if (j, t) in seen_party:
                problems.append(f"{model.pids[j]!r} double-booked in slot {t}")
            seen_party[(j, t)] = a.candidate_id
        if model.room[m]:
            if a.room not in rooms:
                problems.append(f"{a.candidate_id!r} needs a video room and has {a.room!r}")
            elif (a.room, t) in seen_room:
                problems.append(f"room {a.room!r} double-booked in slot {t}")
            seen_room[(a.room, t)] = a.candidate_id
        elif a.room is not None:
            problems.append(f"{a.candidate_id!r} is online-only but has room {a.room!r}")
        sme_l, buyer_l = model.parts[s].languages, model.parts[b].languages
        if not (sme_l & buyer_l):
            k = interp_by_id.get(a.interpreter)
            if k is None:
                problems.append(f"{a.candidate_id!r} needs an interpreter and has none")
            else:
                langs = model.interpreters[k].languages
                if not (langs & buyer_l and langs & sme_l):
                    problems.append(f"interpreter {a.interpreter!r} cannot interpret {a.candidate_id!r}")
                if not model.imask[k] >> t & 1:
                    problems.append(f"interpreter {a.interpreter!r} is not available in slot {t}")
                if (a.interpreter, t) in seen_interp:
                    problems.append(f"interpreter {a.interpreter!r} double-booked in slot {t}")
                seen_interp[(a.interpreter, t)] = a.candidate_id
    for j, n in enumerate(count):
        part = model.parts[j]
        if part.cap is not None and n > part.cap:
            problems.append(f"{model.pids[j]!r} has {n} meetings, over its cap of {part.cap}")
    return problems
