"""Push notifications of a fair: what a person hears on their own event stream (the bell and the
toasts, realtime.services.notify_users), beside the emails of emails.py. Sent after commit, like
the emails, and each with a dedupe key, so one triggered twice (a retried task, two tickers at
once) is stored once per person.

Each notification has a `kind`, a `message` in the recipient's preferred language (times in
their own zone: a buyer's organisation's, Seoul for SME members and interpreters), a `url` of the
page it is about, and the ids it concerns in its data:

  fair.invited        fair, participant        -> the participant's page of the fair
  request.received    fair, request            -> the fair's requests page
  request.accepted    fair, request            -> the fair's requests page
  request.declined    fair, request            -> the fair's requests page
  schedule.published  fair, meetings (count)   -> the person's agenda of the fair
  meeting.added       fair, meeting, starts_at -> the agenda
  meeting.changed     fair, meeting, starts_at -> the agenda
  meeting.cancelled   fair, meeting, starts_at -> the agenda
  meeting.starting    fair, meeting, starts_at -> the meeting's video room
  meeting.joined      fair, meeting, side      -> the meeting's video room (the other side came in)
  meeting.reassigned  fair, meeting, starts_at -> the standby meeting's video room

A push is best effort: the change it reports is committed already, so a failure is logged and
never reaches the person who made the change (the emails still go out).
"""

import functools
import logging
from collections import Counter
from datetime import datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from realtime import services as realtime
from realtime.models import Event
from tradeon.accounts.models import User

from ..models import ConsultationFair, FairParticipant, Meeting, MeetingRequest, MeetingStatus, RequestStatus
from . import calendar
from .booking import company_name

logger = logging.getLogger(__name__)

# "Your meeting starts in 5 minutes" is due from this long before the start until the start.
STARTING_SOON = timedelta(minutes=5)


def _best_effort(function):
    @functools.wraps(function)
    def wrapped(*args, **kwargs) -> int:
        try:
            return function(*args, **kwargs)
        except Exception:
            logger.exception("push notification %s failed", function.__name__)
            return 0

    return wrapped


def _active_members():
    return User.objects.filter(is_active=True).order_by("id")


def _people(party) -> list:
    """The accounts of a company or buyer organisation who hear about it (`push_members` when a
    caller prefetched them)."""
    members = getattr(party, "push_members", None)
    if members is None:
        members = party.members.filter(is_active=True).order_by("id")
    return list(members)


def _push(people, kind: str, message_of, *, url: str, data: dict, dedupe_key: str) -> int:
    """One notification per person, its message written in their language."""
    sent = 0
    for person in people:
        with translation.override(getattr(person, "preferred_language", "") or "en"):
            message = message_of(person)
        sent += realtime.notify_users([person], kind, message, url=url, data=data, dedupe_key=dedupe_key)
    return sent


def _when(meeting: Meeting, zone: ZoneInfo) -> str:
    return calendar.ZonedTime.of(meeting.starts_at, meeting.ends_at, zone).label


def _agenda_url(fair_id: int) -> str:
    return reverse("fairs:agenda", kwargs={"fair_pk": fair_id})


def room_url(meeting_id: int) -> str:
    return reverse("fairs:room", kwargs={"pk": meeting_id})


def _meeting_data(meeting: Meeting) -> dict:
    return {"fair": meeting.fair_id, "meeting": meeting.pk, "starts_at": meeting.starts_at.isoformat()}


# --- invitations and requests -------------------------------------------------------------------------


@_best_effort
def notify_invitations(participant_ids: list[int]) -> int:
    sent = 0
    for participant in FairParticipant.objects.filter(pk__in=participant_ids).select_related(
        "fair", "company", "buyer"
    ):
        fair = participant.fair
        sent += _push(
            _people(participant.party),
            "fair.invited",
            lambda person, fair=fair: _("You are invited to the consultation fair “%(fair)s”.") % {"fair": fair.name},
            url=reverse("fairs:my_fair", kwargs={"pk": fair.pk}),
            data={"fair": fair.pk, "participant": participant.pk},
            dedupe_key=f"invited:{participant.pk}",
        )
    return sent


def _request(request_id: int) -> MeetingRequest:
    return MeetingRequest.objects.select_related("fair", "company", "buyer").get(pk=request_id)


@_best_effort
def notify_request_received(request_id: int) -> int:
    """The side that was asked hears of the request."""
    request = _request(request_id)
    to_sme = request.from_side == MeetingRequest.Side.BUYER
    names = {"requester": request.buyer.name if to_sme else company_name(request.company), "fair": request.fair.name}
    return _push(
        _people(request.company if to_sme else request.buyer),
        "request.received",
        lambda person: _("%(requester)s asked for a meeting with you at %(fair)s.") % names,
        url=reverse("fairs:requests", kwargs={"fair_pk": request.fair_id}),
        data={"fair": request.fair_id, "request": request.pk},
        dedupe_key=f"request-received:{request.pk}",
    )


@_best_effort
def notify_request_answered(request_id: int) -> int:
    """The requesting side hears that its request was accepted or declined."""
    request = _request(request_id)
    if request.status not in (RequestStatus.ACCEPTED, RequestStatus.DECLINED):
        return 0
    from_buyer = request.from_side == MeetingRequest.Side.BUYER
    names = {"other": company_name(request.company) if from_buyer else request.buyer.name, "fair": request.fair.name}
    accepted = request.status == RequestStatus.ACCEPTED
    return _push(
        _people(request.buyer if from_buyer else request.company),
        f"request.{request.status}",
        lambda person: (
            (
                _("%(other)s accepted your meeting request at %(fair)s.")
                if accepted
                else _("%(other)s declined your meeting request at %(fair)s.")
            )
            % names
        ),
        url=reverse("fairs:requests", kwargs={"fair_pk": request.fair_id}),
        data={"fair": request.fair_id, "request": request.pk},
        dedupe_key=f"request-{request.status}:{request.pk}",
    )


# --- the schedule and its changes ---------------------------------------------------------------------


@_best_effort
def notify_schedule_published(fair_id: int) -> int:
    """Each person of each participant with meetings hears that the schedule is out, and how many
    meetings they have; once per publication."""
    fair = ConsultationFair.objects.get(pk=fair_id)
    pairs = Meeting.objects.filter(fair=fair, status=MeetingStatus.SCHEDULED, published_at__isnull=False).values_list(
        "company_id", "buyer_id"
    )
    per_company, per_buyer = Counter(), Counter()
    for company_id, buyer_id in pairs:
        per_company[company_id] += 1
        per_buyer[buyer_id] += 1
    if not per_company:
        return 0
    people = _active_members().filter(Q(company_id__in=per_company) | Q(buyer_organisation_id__in=per_buyer))
    stamp = f"{fair.published_at:%Y%m%d%H%M%S}" if fair.published_at else "0"

    def count_of(person) -> int:
        return per_company[person.company_id] if person.company_id else per_buyer[person.buyer_organisation_id]

    def message(person) -> str:
        count = count_of(person)
        return ngettext(
            "The schedule of %(fair)s is published: you have %(count)d meeting.",
            "The schedule of %(fair)s is published: you have %(count)d meetings.",
            count,
        ) % {"fair": fair.name, "count": count}

    return sum(
        _push(
            [person],
            "schedule.published",
            message,
            url=_agenda_url(fair.pk),
            data={"fair": fair.pk, "meetings": count_of(person)},
            dedupe_key=f"published:{fair.pk}:{stamp}",
        )
        for person in people
    )


def _meeting(meeting_id: int) -> Meeting:
    return Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter").get(pk=meeting_id)


def _push_to_parties(meeting: Meeting, kind: str, text_of, *, url: str, dedupe_key: str) -> int:
    """Both parties' people; `text_of(other, when)` is the message with the counterpart's name
    and the time in the reader's zone."""
    sent = 0
    for people, other, zone in (
        (_people(meeting.company), meeting.buyer.name, calendar.SEOUL),
        (_people(meeting.buyer), company_name(meeting.company), calendar.zone_of_buyer(meeting.buyer)),
    ):
        sent += _push(
            people,
            kind,
            lambda person, other=other, zone=zone: text_of(other, _when(meeting, zone)),
            url=url,
            data=_meeting_data(meeting),
            dedupe_key=dedupe_key,
        )
    return sent


@_best_effort
def notify_meeting_changed(meeting_id: int) -> int:
    """A published meeting moved, changed room or interpreter, or was cancelled: both parties
    hear once per version (the calendar sequence)."""
    meeting = _meeting(meeting_id)
    if meeting.published_at is None or meeting.status == MeetingStatus.DRAFT:
        return 0
    if meeting.status == MeetingStatus.CANCELLED:
        kind = "meeting.cancelled"

        def text_of(other, when):
            return _("Your meeting with %(other)s on %(when)s is cancelled.") % {"other": other, "when": when}
    else:
        kind = "meeting.changed"

        def text_of(other, when):
            return _("Your meeting with %(other)s has changed: it is now on %(when)s.") % {"other": other, "when": when}

    return _push_to_parties(
        meeting, kind, text_of, url=_agenda_url(meeting.fair_id), dedupe_key=f"{kind}:{meeting.pk}:{meeting.sequence}"
    )


@_best_effort
def notify_meeting_added(meeting_id: int) -> int:
    """Staff added a meeting to a published schedule: both parties hear once."""
    meeting = _meeting(meeting_id)
    if meeting.published_at is None or meeting.status != MeetingStatus.SCHEDULED:
        return 0
    if meeting.source == Meeting.Source.STANDBY:
        return 0  # a no-show's slot refilled: notify_reassigned tells both parties, with the room
    return _push_to_parties(
        meeting,
        "meeting.added",
        lambda other, when: (
            _("A meeting with %(other)s was added to your agenda: %(when)s.") % {"other": other, "when": when}
        ),
        url=_agenda_url(meeting.fair_id),
        dedupe_key=f"meeting.added:{meeting.pk}",
    )


# --- the fair day -----------------------------------------------------------------------------------


def _starting_key(meeting: Meeting) -> str:
    # The start time is in the key: a meeting moved to a later time is announced again.
    return f"starting:{meeting.pk}:{int(meeting.starts_at.timestamp())}"


@_best_effort
def notify_meetings_starting_soon(now: datetime | None = None) -> int:
    """ "Your meeting with X starts in 5 minutes": to both parties' people and the interpreter's
    account, once per meeting and person, for each scheduled, published meeting that starts
    within STARTING_SOON (starts_at - 5 min <= now < starts_at). Runs every minute (live_tick),
    so it is cheap: the fairs on around today's date (a handful of rows), then their meetings
    in the time range through the (fair, status, starts_at) index, then one lookup of the keys
    already sent."""
    now = now or timezone.now()
    fair_ids = list(
        ConsultationFair.objects.filter(
            starts_on__lte=(now + timedelta(days=1)).date(), ends_on__gte=(now - timedelta(days=1)).date()
        ).values_list("pk", flat=True)
    )
    if not fair_ids:
        return 0
    members = _active_members()
    meetings = list(
        Meeting.objects.filter(
            fair_id__in=fair_ids,
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + STARTING_SOON,
            published_at__isnull=False,
        )
        .select_related("fair", "company", "buyer", "room", "interpreter__user")
        .prefetch_related(
            Prefetch("company__members", queryset=members, to_attr="push_members"),
            Prefetch("buyer__members", queryset=members, to_attr="push_members"),
        )
    )
    due = []
    for meeting in meetings:
        interpreter = meeting.interpreter.user if meeting.interpreter_id else None
        readers = [(p, "sme") for p in _people(meeting.company)] + [(p, "buyer") for p in _people(meeting.buyer)]
        if interpreter is not None and interpreter.is_active:
            readers.append((interpreter, None))
        due.extend((meeting, person, side) for person, side in readers)
    keys = [f"{_starting_key(m)}:user:{person.pk}" for m, person, _side in due]
    done = set(Event.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else set()
    sent = 0
    for (meeting, person, side), key in zip(due, keys, strict=True):
        if key in done:
            continue
        minutes = max(1, ceil((meeting.starts_at - now).total_seconds() / 60))
        names = {
            "company": company_name(meeting.company),
            "buyer": meeting.buyer.name,
            "other": meeting.buyer.name if side == "sme" else company_name(meeting.company),
            "minutes": minutes,
        }

        def text(person, side=side, names=names, minutes=minutes):
            if side is None:
                return (
                    ngettext(
                        "The meeting of %(company)s and %(buyer)s that you interpret starts in %(minutes)d minute.",
                        "The meeting of %(company)s and %(buyer)s that you interpret starts in %(minutes)d minutes.",
                        minutes,
                    )
                    % names
                )
            return (
                ngettext(
                    "Your meeting with %(other)s starts in %(minutes)d minute.",
                    "Your meeting with %(other)s starts in %(minutes)d minutes.",
                    minutes,
                )
                % names
            )

        sent += _push(
            [person],
            "meeting.starting",
            text,
            url=room_url(meeting.pk),
            data=_meeting_data(meeting),
            dedupe_key=_starting_key(meeting),
        )
    return sent


# --- the day itself -------------------------------------------------------------------------------


@_best_effort
def notify_party_joined(meeting_id: int, side: str) -> int:
    """The first time one side enters the meeting's room, the other side's people hear it
    ("the buyer has joined")."""
    meeting = _meeting(meeting_id)
    if side == "buyer":
        people, name = _people(meeting.company), meeting.buyer.name
    else:
        people, name = _people(meeting.buyer), company_name(meeting.company)
    return _push(
        people,
        "meeting.joined",
        lambda person: _("%(name)s has joined your meeting room.") % {"name": name},
        url=room_url(meeting.pk),
        data={**_meeting_data(meeting), "side": side},
        dedupe_key=f"meeting.joined:{meeting.pk}:{side}",
    )


@_best_effort
def notify_reassigned(meeting_id: int, replaced_side: str, absent_name: str) -> int:
    """A no-show's slot went to a standby party: the newcomer and the party who stayed hear at
    once, with the way into the new meeting's room."""
    meeting = _meeting(meeting_id)
    company, buyer = company_name(meeting.company), meeting.buyer.name
    sme_zone, buyer_zone = calendar.SEOUL, calendar.zone_of_buyer(meeting.buyer)
    newcomer_is_sme = replaced_side == "sme"
    sent = 0
    for people, zone, is_newcomer, other in (
        (_people(meeting.company), sme_zone, newcomer_is_sme, buyer),
        (_people(meeting.buyer), buyer_zone, not newcomer_is_sme, company),
    ):
        if is_newcomer:

            def text(person, other=other, zone=zone):
                return _("You have a new meeting now (%(when)s) with %(other)s. Join the room.") % {
                    "when": _when(meeting, zone),
                    "other": other,
                }
        else:

            def text(person, other=other, zone=zone):
                return _("%(absent)s did not join; you now meet %(other)s instead (%(when)s). Join the new room.") % {
                    "absent": absent_name,
                    "other": other,
                    "when": _when(meeting, zone),
                }

        sent += _push(
            people,
            "meeting.reassigned",
            text,
            url=room_url(meeting.pk),
            data=_meeting_data(meeting),
            dedupe_key=f"meeting.reassigned:{meeting.pk}",
        )
    return sent
