"""The scheduler run of a fair and publishing: the problem built from the fair's rows, the run as
a Celery task with progress for the staff page, its draft stored through `booking`, publishing,
and the reads of the schedule (meeting lists by role, the grid, per participant, the XLSX file).

What a run schedules: the fair's ACCEPTED meeting requests (priority "accepted", score the
request's, else the pair's proposal score), then the pairs staff pinned (`PairDecision` "pin")
that are among the fair's active proposals (priority "proposed", the proposal's score); a pair in
both counts once, as accepted.

Re-running replaces the drafts earlier runs placed (status draft, source request or proposal).
Meetings staff added, moved or swapped (source "staff") and cancelled ones stay as they are, and
their pairs are not scheduled again. The run plans around every booked meeting it keeps (and any
meeting of the same people, rooms or interpreters in another fair at the fair's times) by taking
those slots out of the people's and interpreters' availability, their meetings out of the caps
and SME minimums, and their rooms out of the slot with a pinned placeholder meeting per held room.
Those kept meetings are not `Candidate.fixed_slot` pins: a pin is "that slot or not at all" and
the solver would pick its room and interpreter itself, while staff's meeting stays exactly where
staff put it (even outside business hours, if staff forced it).
"""

import logging
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matching import scheduler
from matching.scheduler import SEOUL
from tradeon.accounts.models import Role
from tradeon.errors import Conflict, DomainError

from ..models import (
    BOOKED_STATUSES,
    ConsultationFair,
    FairParticipant,
    FairPhase,
    Interpreter,
    MatchingRun,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    PairDecision,
    Pairing,
    ParticipantStatus,
    RequestStatus,
    ScheduleRun,
)
from . import booking
from .setup import participant_cap, require_phase, require_staff

logger = logging.getLogger(__name__)

# The solver's time limit: the real 2021 scale is proven optimal in about a second
# (docs/architecture.md, "Scheduling method"); larger fairs get the heuristic's answer by then.
SOLVE_SECONDS = 30.0
# A run queued or running this long has lost its worker; a new run may replace it.
STALE_RUN_AFTER = timedelta(hours=1)
ACTIVE_RUN_STATUSES = (ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING)
# Reasons found before solving, beside the scheduler's own codes.
NOT_PARTICIPATING = "not_participating"
NOT_PROPOSED = "not_proposed"

STAGES = {
    "queued": gettext_lazy("Waiting for a worker"),
    "loading": gettext_lazy("Loading the fair"),
    "solving": gettext_lazy("Solving"),
    "saving": gettext_lazy("Saving the draft schedule"),
    "done": gettext_lazy("Done"),
    "failed": gettext_lazy("Failed"),
}


# --- the problem from the database ---------------------------------------------------------------


@dataclass
class FairProblem:
    """A fair's scheduling problem and what is needed to turn the answer back into meetings."""

    fair: ConsultationFair
    problem: scheduler.SchedulingProblem
    pairs: dict[tuple[int, int], dict]  # candidate id (company, buyer) -> what a meeting needs
    held_rooms: dict[int, set[int]]  # slot index -> rooms held there by kept meetings
    rooms: list[int]
    not_schedulable: list[dict] = field(default_factory=list)
    planned_around: list[tuple] = field(default_factory=list)
    holds: int = 0
    # (kind, pk) -> (the participant's cap, its meetings kept from before): the scheduler saw the
    # difference, so its "cap reached" message is told again in these terms.
    caps: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


def _labels(names: dict[int, str]) -> dict[int, str]:
    """Participant ids for the scheduler are their names (its reasons name them); a name two
    parties share gets the id."""
    count: dict[str, int] = defaultdict(int)
    for name in names.values():
        count[name] += 1
    return {pk: (name if count[name] == 1 else f"{name} (#{pk})") for pk, name in names.items()}


def _overlapping(slots: list[scheduler.Slot], starts_at: datetime, ends_at: datetime) -> range:
    """Indices of the slots that overlap [starts_at, ends_at) (slots are sorted and disjoint)."""
    starts = [s.start for s in slots]
    ends = [s.end for s in slots]
    return range(bisect_right(ends, starts_at), bisect_left(starts, ends_at))


def _availability(
    slots: list[scheduler.Slot], windows: list[tuple[datetime, datetime]] | None, blocked: set[int]
) -> tuple[tuple[datetime, datetime], ...] | None:
    """A party's availability as the scheduler takes it: its own windows less the slots its kept
    meetings hold. None: the whole fair."""
    if windows is None and not blocked:
        return None
    usable = []
    for t, slot in enumerate(slots):
        if t in blocked:
            continue
        if windows is None or any(s <= slot.start and slot.end <= e for s, e in windows):
            usable.append((slot.start, slot.end))
    return tuple(usable)


def schedule_problem_build(fair: ConsultationFair) -> FairProblem:
    fair = ConsultationFair.objects.prefetch_related("session_windows", "rooms").get(pk=fair.pk)
    slots = booking.fair_slot_list(fair)
    if not slots:
        raise DomainError(_("The fair has no meeting slots: set its dates and session windows."), field="fair")
    rooms = [room.pk for room in fair.rooms.all()]
    participants = list(
        FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED)
        .select_related("company", "buyer")
        .prefetch_related("availability")
    )
    smes = {p.company_id: p for p in participants if p.kind == FairParticipant.Kind.SME}
    buyers = {p.buyer_id: p for p in participants if p.kind == FairParticipant.Kind.BUYER}
    sme_label = _labels({pk: booking.company_name(p.company) for pk, p in smes.items()})
    buyer_label = _labels({pk: p.buyer.name for pk, p in buyers.items()})

    # What the run keeps and plans around: every booked meeting at the fair's times except the
    # drafts it replaces (in this fair or, for the same people, rooms and interpreters, another).
    kept = list(
        Meeting.objects.filter(status__in=BOOKED_STATUSES, starts_at__lt=slots[-1].end, ends_at__gt=slots[0].start)
        .exclude(booking.REPLACEABLE & Q(fair=fair))
        .only("pk", "fair_id", "company_id", "buyer_id", "room_id", "interpreter_id", "starts_at", "ends_at")
    )
    blocked = {"company": defaultdict(set), "buyer": defaultdict(set), "interpreter": defaultdict(set)}
    held_rooms: dict[int, set[int]] = defaultdict(set)
    kept_here = {"company": defaultdict(int), "buyer": defaultdict(int)}
    for meeting in kept:
        span = set(_overlapping(slots, meeting.starts_at, meeting.ends_at))
        blocked["company"][meeting.company_id] |= span
        blocked["buyer"][meeting.buyer_id] |= span
        if meeting.interpreter_id:
            blocked["interpreter"][meeting.interpreter_id] |= span
        if meeting.room_id in rooms:
            for t in span:
                held_rooms[t].add(meeting.room_id)
        if meeting.fair_id == fair.pk:
            kept_here["company"][meeting.company_id] += 1
            kept_here["buyer"][meeting.buyer_id] += 1

    hours = (fair.local_hours_from, fair.local_hours_to)
    has_rooms = bool(rooms)
    people: dict = {}
    for pk, p in smes.items():
        windows = [(w.starts_at, w.ends_at) for w in p.availability.all()] or None
        people[sme_label[pk]] = scheduler.Participant(
            kind=scheduler.SME,
            languages=booking.company_languages(p.company),
            time_zone=booking.SME_TIME_ZONE,
            availability=_availability(slots, windows, blocked["company"][pk]),
            cap=max(0, participant_cap(p) - kept_here["company"][pk]),
            min_meetings=max(0, fair.min_meetings_per_sme - kept_here["company"][pk]),
            needs_room=p.uses_video_room and has_rooms,
        )
    for pk, p in buyers.items():
        windows = [(w.starts_at, w.ends_at) for w in p.availability.all()] or None
        people[buyer_label[pk]] = scheduler.Participant(
            kind=scheduler.BUYER,
            languages=booking.buyer_languages(p.buyer),
            time_zone=p.buyer.time_zone or "UTC",
            availability=_availability(slots, windows, blocked["buyer"][pk]),
            cap=max(0, participant_cap(p) - kept_here["buyer"][pk]),
        )
    interpreters = [
        scheduler.Interpreter(
            id=i.pk,
            languages=frozenset(i.languages or ()),
            availability=_availability(slots, booking.interpreter_windows(i, fair), blocked["interpreter"][i.pk]),
        )
        for i in Interpreter.objects.filter(is_active=True).prefetch_related("availability")
    ]

    built = FairProblem(
        fair=fair,
        problem=scheduler.SchedulingProblem(
            slots=slots,
            participants=people,
            rooms=rooms,
            interpreters=interpreters,
            candidates=[],
            business_hours=hours,
            business_days=scheduler.WEEKDAYS,
        ),
        pairs={},
        held_rooms=held_rooms,
        rooms=rooms,
        planned_around=booking.kept_meetings_signature(fair),
        caps={
            **{("company", pk): (participant_cap(p), kept_here["company"][pk]) for pk, p in smes.items()},
            **{("buyer", pk): (participant_cap(p), kept_here["buyer"][pk]) for pk, p in buyers.items()},
        },
    )
    _add_candidates(built, smes, buyers, sme_label, buyer_label)
    _add_room_holds(built, slots)
    return built


def _add_candidates(built: FairProblem, smes: dict, buyers: dict, sme_label: dict, buyer_label: dict) -> None:
    fair = built.fair
    # Pairs staff already decided by hand (their meeting is kept, or they cancelled it).
    handled = set(Meeting.objects.filter(fair=fair).exclude(booking.REPLACEABLE).values_list("company_id", "buyer_id"))
    active_run = MatchingRun.objects.filter(fair=fair, status=MatchingRun.Status.ACTIVE).first()
    proposal_scores = (
        {(c, b): s for c, b, s in Pairing.objects.filter(run=active_run).values_list("company_id", "buyer_id", "score")}
        if active_run
        else {}
    )
    wanted: dict[tuple[int, int], dict] = {}
    for request in MeetingRequest.objects.filter(fair=fair, status=RequestStatus.ACCEPTED).select_related(
        "company", "buyer"
    ):
        pair = (request.company_id, request.buyer_id)
        score = request.score if request.score is not None else proposal_scores.get(pair, 0.0)
        wanted[pair] = {
            "priority": scheduler.ACCEPTED,
            "source": Meeting.Source.REQUEST,
            "request": request.pk,
            "score": score,
            "company_name": booking.company_name(request.company),
            "buyer_name": request.buyer.name,
        }
    for decision in PairDecision.objects.filter(fair=fair, decision=PairDecision.Decision.PIN).select_related(
        "company", "buyer"
    ):
        pair = (decision.company_id, decision.buyer_id)
        if pair in wanted:
            continue  # accepted by both sides: counts once, as accepted
        entry = {
            "priority": scheduler.PROPOSED,
            "source": Meeting.Source.PROPOSAL,
            "request": None,
            "score": proposal_scores.get(pair, 0.0),
            "company_name": booking.company_name(decision.company),
            "buyer_name": decision.buyer.name,
        }
        if pair not in proposal_scores:
            entry["unplaced"] = (
                NOT_PROPOSED,
                _("pinned, but not among the fair's current proposals: recompute the fair's proposed pairs"),
            )
        wanted[pair] = entry
    candidates = []
    for pair, entry in sorted(wanted.items()):
        if pair in handled:
            continue
        company_id, buyer_id = pair
        reason = entry.pop("unplaced", None)
        if reason is None and company_id not in smes:
            reason = (NOT_PARTICIPATING, _("%(who)s is not an accepted participant") % {"who": entry["company_name"]})
        if reason is None and buyer_id not in buyers:
            reason = (NOT_PARTICIPATING, _("%(who)s is not an accepted participant") % {"who": entry["buyer_name"]})
        if reason is not None:
            built.not_schedulable.append(_unplaced_row(pair, entry, *reason))
            continue
        built.pairs[pair] = entry
        candidates.append(
            scheduler.Candidate(
                id=pair,
                sme=sme_label[company_id],
                buyer=buyer_label[buyer_id],
                priority=entry["priority"],
                score=max(0.0, float(entry["score"] or 0.0)),
            )
        )
    built.problem.candidates = candidates


def _add_room_holds(built: FairProblem, slots: list[scheduler.Slot]) -> None:
    """A kept meeting's room is taken in its slot: a placeholder meeting pinned there, between two
    placeholder parties who can meet only then, takes one room from the slot's count. It scores 0
    and is a proposal, so it changes neither objective nor bound, and it is dropped afterwards."""
    always = (0, 24)
    every_day = frozenset(range(7))
    for t, held in sorted(built.held_rooms.items()):
        window = ((slots[t].start, slots[t].end),)
        for room in sorted(held):
            sme_id, buyer_id = ("hold", "sme", t, room), ("hold", "buyer", t, room)
            for pid, kind, needs in ((sme_id, scheduler.SME, True), (buyer_id, scheduler.BUYER, False)):
                built.problem.participants[pid] = scheduler.Participant(
                    kind=kind,
                    languages=frozenset({"-"}),
                    time_zone="UTC",
                    availability=window,
                    needs_room=needs,
                    business_hours=always,
                    business_days=every_day,
                )
            built.problem.candidates.append(
                scheduler.Candidate(
                    id=("hold", t, room), sme=sme_id, buyer=buyer_id, priority=scheduler.PROPOSED, fixed_slot=t
                )
            )
            built.holds += 1


def _unplaced_row(pair: tuple[int, int], entry: dict, code: str, message: str) -> dict:
    return {
        "company": pair[0],
        "buyer": pair[1],
        "company_name": entry["company_name"],
        "buyer_name": entry["buyer_name"],
        "priority": entry["priority"],
        "code": code,
        "message": str(message),
    }


def _reason_text(built: FairProblem, schedule: scheduler.Schedule, pair: tuple[int, int], why) -> str:
    """The scheduler's reason, except that "cap reached" counts the meetings staff kept too (the
    scheduler only saw the caps less those)."""
    if why.code != scheduler.CAP_REACHED:
        return why.message
    placed: dict[tuple[str, int], int] = defaultdict(int)
    for a in schedule.assignments:
        if a.candidate_id in built.pairs:
            placed[("company", a.candidate_id[0])] += 1
            placed[("buyer", a.candidate_id[1])] += 1
    entry = built.pairs[pair]
    full = []
    for key, name in ((("company", pair[0]), entry["company_name"]), (("buyer", pair[1]), entry["buyer_name"])):
        cap, kept = built.caps[key]
        if kept + placed[key] >= cap:
            text = _("%(who)s has its maximum of %(cap)s meetings") % {"who": name, "cap": cap}
            if kept:
                text += " " + _("(%(kept)s of them booked by staff)") % {"kept": kept}
            full.append(text)
    return "; ".join(full) or why.message


def _meetings_from(built: FairProblem, schedule: scheduler.Schedule) -> list[Meeting]:
    """The solver's assignments as draft meetings. Rooms are given again per slot: the solver only
    counted the rooms kept meetings hold, so each meeting keeps its solver room unless a kept meeting
    holds it, and otherwise takes a free one."""
    slots = built.problem.slots
    real = [a for a in schedule.assignments if a.candidate_id in built.pairs]
    by_slot: dict[int, list] = defaultdict(list)
    for a in real:
        by_slot[a.slot_index].append(a)
    meetings = []
    for t, assignments in sorted(by_slot.items()):
        taken = set(built.held_rooms.get(t, ()))
        room_of: dict = {}
        for a in assignments:
            if a.room is not None and a.room not in taken:
                room_of[a.candidate_id] = a.room
                taken.add(a.room)
        for a in assignments:
            if a.room is not None and a.candidate_id not in room_of:
                free = next(r for r in built.rooms if r not in taken)
                room_of[a.candidate_id] = free
                taken.add(free)
        for a in assignments:
            entry = built.pairs[a.candidate_id]
            meetings.append(
                Meeting(
                    fair=built.fair,
                    company_id=a.candidate_id[0],
                    buyer_id=a.candidate_id[1],
                    request_id=entry["request"],
                    source=entry["source"],
                    starts_at=slots[t].start,
                    ends_at=slots[t].end,
                    room_id=room_of.get(a.candidate_id),
                    interpreter_id=a.interpreter,
                    status=MeetingStatus.DRAFT,
                    score=float(entry["score"] or 0.0),
                )
            )
    return meetings


# --- the run -------------------------------------------------------------------------------------


def schedule_run_start(*, fair: ConsultationFair, started_by) -> ScheduleRun:
    """Queue a scheduler run for the fair (one at a time; the database refuses a second). The
    Celery task starts after commit: eagerly in tests and the demo, on a worker with Redis."""
    require_staff(started_by, _("run the scheduler"))
    try:
        with transaction.atomic():
            locked = ConsultationFair.objects.select_for_update().get(pk=fair.pk)
            require_phase(locked, [FairPhase.SCHEDULING], _("run the scheduler"))
            ScheduleRun.objects.filter(
                fair=locked, status__in=ACTIVE_RUN_STATUSES, created_at__lt=timezone.now() - STALE_RUN_AFTER
            ).update(
                status=ScheduleRun.Status.FAILED,
                stage="failed",
                error="abandoned: no worker finished it",
                finished_at=timezone.now(),
            )
            if ScheduleRun.objects.filter(fair=locked, status__in=ACTIVE_RUN_STATUSES).exists():
                raise _run_in_progress()
            run = ScheduleRun.objects.create(fair=locked, started_by=started_by, stage="queued")

            def dispatch():
                from . import tasks

                tasks.run_schedule.delay(run.pk)

            transaction.on_commit(dispatch)
    except IntegrityError as exc:
        # Two staff pressed "run" at once: the one-run-at-a-time constraint refused the second.
        raise _run_in_progress() from exc
    return run


def _run_in_progress() -> Conflict:
    return Conflict(_("A scheduler run is in progress for this fair; wait for it to finish."), field="fair")


def _progress(run: ScheduleRun, percent: int, stage: str) -> None:
    run.progress, run.stage = percent, stage
    ScheduleRun.objects.filter(pk=run.pk).update(progress=percent, stage=stage)


def schedule_run_execute(run_id: int) -> ScheduleRun | None:
    """Solve the fair and store its draft (the body of the Celery task). Safe to run twice: only
    a queued run is claimed."""
    claimed = ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.QUEUED).update(
        status=ScheduleRun.Status.RUNNING, progress=10, stage="loading"
    )
    if not claimed:
        logger.info("schedule run %s is gone or already claimed", run_id)
        return ScheduleRun.objects.filter(pk=run_id).first()
    run = ScheduleRun.objects.select_related("fair").get(pk=run_id)
    try:
        require_phase(run.fair, [FairPhase.SCHEDULING], _("run the scheduler"))
        built = schedule_problem_build(run.fair)
        _progress(run, 30, "solving")
        schedule = scheduler.solve(built.problem, time_limit=SOLVE_SECONDS)
        _progress(run, 80, "saving")
        booking.drafts_replace(
            fair=run.fair, meetings=_meetings_from(built, schedule), planned_around=built.planned_around
        )
        unplaced = [
            _unplaced_row(cid, built.pairs[cid], why.code, _reason_text(built, schedule, cid, why))
            for cid, why in schedule.unplaced.items()
            if cid in built.pairs
        ]
        bound = schedule.upper_bound
        run.status, run.progress, run.stage = ScheduleRun.Status.DONE, 100, "done"
        run.method = schedule.method
        run.candidates = len(built.pairs)
        run.placed_accepted = schedule.placed_accepted
        run.placed_proposed = schedule.placed_proposed - built.holds
        run.total_score = schedule.total_score
        run.bound_accepted = bound.accepted if bound else None
        run.bound_score = bound.score if bound else None
        run.gap = schedule.gap
        run.optimal = schedule.optimal
        run.sme_shortfall = schedule.sme_shortfall
        run.unplaced = built.not_schedulable + sorted(
            unplaced, key=lambda row: (row["company_name"], row["buyer_name"])
        )
        run.seconds = schedule.seconds
    except Exception as exc:  # the run must end failed, whatever went wrong, never stay "running"
        logger.exception("schedule run %s failed", run_id)
        run.status, run.stage = ScheduleRun.Status.FAILED, "failed"
        run.error = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    run.finished_at = timezone.now()
    run.save()
    return run


# --- publishing ----------------------------------------------------------------------------------


@transaction.atomic
def schedule_publish(*, fair: ConsultationFair, published_by) -> ConsultationFair:
    """The draft becomes the schedule: its meetings are scheduled and published, the fair moves to
    "published", and every participant with meetings gets their agenda by email after commit."""
    require_staff(published_by, _("publish the schedule"))
    locked = ConsultationFair.objects.select_for_update().get(pk=fair.pk)
    require_phase(locked, [FairPhase.SCHEDULING], _("publish the schedule"))
    if ScheduleRun.objects.filter(fair=locked, status__in=ACTIVE_RUN_STATUSES).exists():
        raise _run_in_progress()
    drafts = Meeting.objects.filter(fair=locked, status=MeetingStatus.DRAFT)
    if not drafts.exists():
        raise DomainError(
            _("The draft schedule has no meetings: run the scheduler or add meetings before publishing."),
            field="fair",
        )
    now = timezone.now()
    drafts.update(status=MeetingStatus.SCHEDULED, published_at=now, updated_at=now)
    locked.phase = FairPhase.PUBLISHED
    locked.published_at = now
    locked.save(update_fields=["phase", "published_at"])
    fair_id = locked.pk

    def notify():
        from . import emails, notifications

        notifications.notify_schedule_published(fair_id)
        emails.notify_schedule_published(fair_id)

    transaction.on_commit(notify)
    return locked


# --- reads ---------------------------------------------------------------------------------------


def meeting_list(*, user, fair_id: int | None = None, status: str | None = None) -> QuerySet[Meeting]:
    """Staff see every meeting; an SME or a buyer only its own published (scheduled) ones, never
    drafts or anyone else's."""
    meetings = Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter")
    if fair_id is not None:
        meetings = meetings.filter(fair_id=fair_id)
    if user.role == Role.STAFF:
        return meetings.filter(status=status) if status else meetings
    if user.role == Role.SME and user.company_id:
        meetings = meetings.filter(company_id=user.company_id)
    elif user.role == Role.BUYER and user.buyer_organisation_id:
        meetings = meetings.filter(buyer_id=user.buyer_organisation_id)
    else:
        return meetings.none()
    meetings = meetings.filter(status=MeetingStatus.SCHEDULED, published_at__isnull=False)
    return meetings.filter(status=status) if status else meetings


def schedule_run_list(*, fair_id: int | None = None) -> QuerySet[ScheduleRun]:
    runs = ScheduleRun.objects.select_related("fair", "started_by")
    return runs.filter(fair_id=fair_id) if fair_id is not None else runs


def schedule_run_latest(fair: ConsultationFair) -> ScheduleRun | None:
    return fair.schedule_runs.order_by("-created_at", "-id").first()


@dataclass
class GridRow:
    starts_at: datetime
    ends_at: datetime
    cells: list[list[Meeting]]

    @property
    def seoul_start(self) -> datetime:
        return self.starts_at.astimezone(SEOUL)

    @property
    def seoul_end(self) -> datetime:
        return self.ends_at.astimezone(SEOUL)


@dataclass
class GridDay:
    day: date
    rows: list[GridRow]


@dataclass
class ScheduleGrid:
    """Rows: the fair's slots per day (Seoul time); columns: its rooms, then "online" for
    meetings without a room."""

    columns: list[str]
    days: list[GridDay]
    meetings: int


def schedule_grid(fair: ConsultationFair, meetings: list[Meeting] | None = None) -> ScheduleGrid:
    if meetings is None:
        meetings = list(
            Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES).select_related(
                "company", "buyer", "room", "interpreter"
            )
        )
    rooms = list(fair.rooms.all())
    extra = sorted({m.room for m in meetings if m.room is not None and m.room not in rooms}, key=lambda r: r.name)
    rooms += extra
    column_of = {room.pk: index for index, room in enumerate(rooms)}
    online = len(rooms)
    times = {(s.start, s.end) for s in booking.fair_slot_list(fair)} | {(m.starts_at, m.ends_at) for m in meetings}
    rows = {key: GridRow(key[0], key[1], [[] for _ in range(online + 1)]) for key in sorted(times)}
    for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.company.name_en, m.pk)):
        column = column_of[meeting.room_id] if meeting.room_id is not None else online
        rows[(meeting.starts_at, meeting.ends_at)].cells[column].append(meeting)
    days: dict[date, list[GridRow]] = defaultdict(list)
    for row in rows.values():
        days[row.seoul_start.date()].append(row)
    return ScheduleGrid(
        columns=[room.name for room in rooms] + [str(_("Online"))],
        days=[GridDay(day, day_rows) for day, day_rows in sorted(days.items())],
        meetings=len(meetings),
    )


@dataclass
class ParticipantAgenda:
    participant: FairParticipant
    name: str
    time_zone: str
    meetings: list[Meeting]


def schedule_by_participant(fair: ConsultationFair, meetings: list[Meeting] | None = None) -> list[ParticipantAgenda]:
    """Each accepted participant with its booked meetings (SMEs first, then buyers)."""
    if meetings is None:
        meetings = list(
            Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES).select_related(
                "company", "buyer", "room", "interpreter"
            )
        )
    by_company, by_buyer = defaultdict(list), defaultdict(list)
    for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.pk)):
        by_company[meeting.company_id].append(meeting)
        by_buyer[meeting.buyer_id].append(meeting)
    agendas = []
    for p in FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED).select_related(
        "company", "buyer"
    ):
        if p.kind == FairParticipant.Kind.SME:
            agendas.append(
                ParticipantAgenda(p, booking.company_name(p.company), "Asia/Seoul", by_company[p.company_id])
            )
        else:
            agendas.append(ParticipantAgenda(p, p.buyer.name, p.buyer.time_zone or "UTC", by_buyer[p.buyer_id]))
    agendas.sort(key=lambda a: (a.participant.kind != FairParticipant.Kind.SME, a.name.lower()))
    return agendas


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def schedule_xlsx(fair: ConsultationFair) -> bytes:
    """The schedule as a workbook: the grid (slots x rooms, Seoul time) and one row per meeting
    with its times in Seoul and in the buyer's zone. Text cells are made formula-safe."""
    from tradeon.tabular import write_xlsx_sheets

    meetings = list(
        Meeting.objects.filter(fair=fair, status__in=BOOKED_STATUSES).select_related(
            "company", "buyer", "room", "interpreter"
        )
    )
    grid = schedule_grid(fair, meetings)
    grid_rows = [
        [
            day.day,
            f"{row.seoul_start:%H:%M}-{row.seoul_end:%H:%M}",
            *(
                "\n".join(
                    f"{booking.company_name(m.company)} × {m.buyer.name}"
                    + (f" (interpreter: {m.interpreter.name})" if m.interpreter else "")
                    for m in meetings_here
                )
                for meetings_here in row.cells
            ),
        ]
        for day in grid.days
        for row in day.rows
    ]
    listing_header = [
        "Meeting",
        "Status",
        "Starts (KST)",
        "Ends (KST)",
        "SME",
        "SME (Korean)",
        "Buyer",
        "Buyer country",
        "Buyer time zone",
        "Starts (buyer's time)",
        "Ends (buyer's time)",
        "Room",
        "Interpreter",
        "Source",
        "Score",
        "Starts (UTC)",
    ]
    listing_rows = [
        [
            m.pk,
            m.status,
            _local(m.starts_at, "Asia/Seoul"),
            _local(m.ends_at, "Asia/Seoul"),
            m.company.name_en,
            m.company.name_ko,
            m.buyer.name,
            str(m.buyer.country),
            m.buyer.time_zone or "UTC",
            _local(m.starts_at, m.buyer.time_zone or "UTC"),
            _local(m.ends_at, m.buyer.time_zone or "UTC"),
            m.room.name if m.room else "online",
            m.interpreter.name if m.interpreter else "",
            m.source,
            round(m.score, 4),
            _local(m.starts_at, "UTC"),
        ]
        for m in sorted(meetings, key=lambda m: (m.starts_at, m.pk))
    ]
    return write_xlsx_sheets(
        [
            ("Grid", ["Date", "Time (KST)", *grid.columns], grid_rows),
            ("Meetings", listing_header, listing_rows),
        ]
    )


def stage_label(stage: str) -> str:
    return str(STAGES.get(stage, stage))
