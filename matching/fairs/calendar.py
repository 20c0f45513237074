"""After publishing: each person's agenda in their own time zone (and Seoul time alongside), the
meetings as iCalendar (RFC 5545) files and subscription feeds, and the per-user feed tokens.

Times are stored in UTC; they are turned into wall-clock time per date with zoneinfo, so a buyer
in Los Angeles sees the right hour on both sides of a daylight-saving change. Calendar files carry
UTC only (DTSTART/DTEND with Z), which every client converts itself.

The iCalendar writer is a few dozen lines on purpose: the format we emit is small (one VEVENT
per meeting), and the rules that matter (CRLF, folding at 75 octets without splitting a UTF-8
character, TEXT escaping) are tested by parsing the output back.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _

from catalog.validators import validate_time_zone
from matching.scheduler import SEOUL
from tradeon.accounts.models import Role
from tradeon.errors import DomainError

from ..models import CalendarFeed, ConsultationFair, FairParticipant, Meeting, MeetingStatus

PRODID = "-//Seoul Business Agency//Trade On//EN"
# How far back a subscription feed reaches: calendar apps keep older events themselves.
FEED_HISTORY = timedelta(days=90)


# --- time zones -----------------------------------------------------------------------------------


def zone_named(name: str, *, field: str = "tz") -> ZoneInfo:
    """A zone from a name someone typed (a ?tz= parameter); an unknown name is a DomainError on
    that field, never a 500."""
    try:
        validate_time_zone(name)
    except ValidationError:
        raise DomainError(
            _("“%(name)s” is not a time zone; use a name like America/Los_Angeles or Asia/Seoul.") % {"name": name},
            field=field,
        ) from None
    return ZoneInfo(name)


def zone_of_buyer(buyer) -> ZoneInfo:
    try:
        return ZoneInfo(buyer.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        # The model validates the name; an old row with a bad one still renders, in UTC.
        return ZoneInfo("UTC")


def zone_of_user(user) -> ZoneInfo:
    """The zone a person reads times in: a buyer their organisation's, SME members and staff Seoul
    (the SMEs sit in Seoul; staff run the fair from there)."""
    if getattr(user, "role", None) == Role.BUYER and getattr(user, "buyer_organisation", None) is not None:
        return zone_of_buyer(user.buyer_organisation)
    return SEOUL


@dataclass(frozen=True)
class ZonedTime:
    """A meeting's start and end as wall-clock time in one zone, with that date's UTC offset."""

    starts: datetime
    ends: datetime
    zone: str

    @classmethod
    def of(cls, starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> "ZonedTime":
        return cls(starts_at.astimezone(zone), ends_at.astimezone(zone), zone.key)

    @property
    def offset(self) -> str:
        """The UTC offset on this date, "+09:00" or "-07:00" (differs across a DST change)."""
        delta = self.starts.utcoffset() or timedelta(0)
        minutes = int(delta.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    @property
    def offset_label(self) -> str:
        return f"UTC{self.offset}"

    @property
    def abbreviation(self) -> str:
        return self.starts.tzname() or ""

    @property
    def date_label(self) -> str:
        # dateformat keeps the datetime's own zone and translates the weekday name.
        return dateformat.format(self.starts, "D Y-m-d")

    @property
    def time_range(self) -> str:
        end = f"{self.ends:%H:%M}"
        if self.ends.date() != self.starts.date():
            end = f"{dateformat.format(self.ends, 'D')} {end}"
        return f"{self.starts:%H:%M}–{end}"

    @property
    def label(self) -> str:
        """ "Mon 2025-03-10 17:00–17:40 PDT (UTC-07:00)"."""
        abbreviation = self.abbreviation
        # Zones without a letter abbreviation (Asia/Bangkok gives "+07") would say it twice.
        named = f" {abbreviation}" if abbreviation and abbreviation[0] not in "+-" else ""
        return f"{self.date_label} {self.time_range}{named} ({self.offset_label})"

    def as_dict(self) -> dict:
        return {
            "time_zone": self.zone,
            "starts_at": self.starts.isoformat(),
            "ends_at": self.ends.isoformat(),
            "utc_offset": self.offset,
            "abbreviation": self.abbreviation,
        }


@dataclass(frozen=True)
class AgendaEntry:
    """One meeting as a person sees it: in their zone, in Seoul time, and the counterpart's local
    time. `side` is the viewer's side ("sme", "buyer", or None for staff and interpreters)."""

    meeting: Meeting
    viewer: ZonedTime
    seoul: ZonedTime
    buyer_local: ZonedTime
    side: str | None

    @property
    def counterpart(self):
        if self.side == FairParticipant.Kind.SME:
            return self.meeting.buyer
        if self.side == FairParticipant.Kind.BUYER:
            return self.meeting.company
        return None

    @property
    def counterpart_name(self) -> str:
        counterpart = self.counterpart
        if counterpart is None:
            return ""
        return counterpart.name if self.side == FairParticipant.Kind.SME else str(counterpart)

    @property
    def counterpart_time(self) -> ZonedTime:
        """The SME sits in Seoul; staff see the buyer's local time (Seoul is already alongside)."""
        return self.seoul if self.side == FairParticipant.Kind.BUYER else self.buyer_local

    @property
    def is_cancelled(self) -> bool:
        return self.meeting.status == MeetingStatus.CANCELLED


def agenda_entry(meeting: Meeting, *, zone: ZoneInfo, side: str | None) -> AgendaEntry:
    return AgendaEntry(
        meeting=meeting,
        viewer=ZonedTime.of(meeting.starts_at, meeting.ends_at, zone),
        seoul=ZonedTime.of(meeting.starts_at, meeting.ends_at, SEOUL),
        buyer_local=ZonedTime.of(meeting.starts_at, meeting.ends_at, zone_of_buyer(meeting.buyer)),
        side=side,
    )


def side_of_user(user) -> str | None:
    role = getattr(user, "role", None)
    if role == Role.SME:
        return FairParticipant.Kind.SME
    if role == Role.BUYER:
        return FairParticipant.Kind.BUYER
    return None


def agenda_entries(meetings: Iterable[Meeting], *, user, zone: ZoneInfo | None = None) -> list[AgendaEntry]:
    zone = zone or zone_of_user(user)
    side = side_of_user(user)
    return [agenda_entry(m, zone=zone, side=side) for m in meetings]


# --- who sees which meetings ----------------------------------------------------------------------


def meetings_published() -> QuerySet[Meeting]:
    """Meetings that were published to their parties: scheduled ones, and cancelled ones that had
    been published (so subscribed calendars drop them). A draft is never shown to anyone here."""
    return (
        Meeting.objects.filter(
            published_at__isnull=False, status__in=[MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED]
        )
        .select_related("fair", "company", "buyer", "room", "interpreter")
        .order_by("starts_at", "id")
    )


def meeting_list_for_user(user, *, fair: ConsultationFair | None = None) -> QuerySet[Meeting]:
    """The published meetings a user may see: their company's or buyer organisation's; staff all."""
    meetings = meetings_published()
    if fair is not None:
        meetings = meetings.filter(fair=fair)
    role = getattr(user, "role", None)
    if role == Role.STAFF:
        return meetings
    if role == Role.SME and user.company_id:
        return meetings.filter(company_id=user.company_id)
    if role == Role.BUYER and user.buyer_organisation_id:
        return meetings.filter(buyer_id=user.buyer_organisation_id)
    return meetings.none()


def meeting_upcoming_for_user(user, *, now: datetime | None = None) -> QuerySet[Meeting]:
    """Scheduled meetings not yet over, across all the user's fairs."""
    now = now or timezone.now()
    return meeting_list_for_user(user).filter(status=MeetingStatus.SCHEDULED, ends_at__gt=now)


def fair_list_for_agenda(user) -> QuerySet[ConsultationFair]:
    """Fairs whose agenda a user may open: staff all; others those their side takes part in."""
    fairs = ConsultationFair.objects.all()
    role = getattr(user, "role", None)
    if role == Role.STAFF:
        return fairs
    if role == Role.SME and user.company_id:
        return fairs.filter(participants__company_id=user.company_id).distinct()
    if role == Role.BUYER and user.buyer_organisation_id:
        return fairs.filter(participants__buyer_id=user.buyer_organisation_id).distinct()
    return fairs.none()


# --- iCalendar (RFC 5545) -------------------------------------------------------------------------

_FOLD_AT = 75  # octets per line, excluding CRLF (RFC 5545 3.1)


def ics_escape(value: str) -> str:
    """Escape a TEXT value: backslash first, then ; and , and newlines as \\n."""
    value = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets; continuation lines start with one
    space. A cut never falls inside a UTF-8 character (Korean names are 3 octets a syllable)."""
    data = line.encode()
    if len(data) <= _FOLD_AT:
        return line
    pieces, start, limit = [], 0, _FOLD_AT
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: back off
            end -= 1
        pieces.append(data[start:end].decode())
        start, limit = end, _FOLD_AT - 1  # the leading space counts
    return "\r\n ".join(pieces)


def _param(value: str) -> str:
    # Parameter values may not contain DQUOTE; quote them since names hold , ; and :.
    return '"' + str(value).replace('"', "'") + '"'


def ics_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_url(meeting: Meeting) -> str:
    """The meeting on its fair's agenda page."""
    return f"{settings.SITE_URL}{reverse('fairs:agenda', args=[meeting.fair_id])}#meeting-{meeting.pk}"


def _organizer() -> str:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return f"ORGANIZER;CN={_param(name or 'Trade On')}:mailto:{address or 'noreply@tradeon.example'}"


def _event_lines(meeting: Meeting, *, stamp: datetime, attendee: str | None = None) -> list[str]:
    cancelled = meeting.status == MeetingStatus.CANCELLED
    fair = meeting.fair
    summary = f"{meeting.company} × {meeting.buyer.name} ({fair.name})"
    if cancelled:
        summary = _("Cancelled: %(summary)s") % {"summary": summary}
    description = [_("Online export consultation fair: %(fair)s") % {"fair": fair.name}]
    if meeting.room_id:
        description.append(_("Video room: %(room)s (the SME joins from the agency)") % {"room": meeting.room.name})
    else:
        description.append(_("Online video meeting (no agency room)"))
    if meeting.interpreter_id:
        description.append(_("Interpreter: %(name)s") % {"name": meeting.interpreter.name})
    if cancelled and meeting.cancel_reason:
        description.append(_("Cancelled: %(reason)s") % {"reason": meeting.cancel_reason})
    description.append(_("Your agenda: %(url)s") % {"url": meeting_url(meeting)})
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}@tradeon",
        f"DTSTAMP:{ics_utc(stamp)}",
        f"DTSTART:{ics_utc(meeting.starts_at)}",
        f"DTEND:{ics_utc(meeting.ends_at)}",
        f"SEQUENCE:{meeting.sequence}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{ics_escape(summary)}",
        f"DESCRIPTION:{ics_escape(chr(10).join(description))}",
        f"LOCATION:{ics_escape(meeting.room.name if meeting.room_id else _('Online'))}",
        f"URL:{meeting_url(meeting)}",
        _organizer(),
    ]
    if attendee:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{attendee}")
    if meeting.created_at:
        lines.append(f"CREATED:{ics_utc(meeting.created_at)}")
    if meeting.updated_at:
        lines.append(f"LAST-MODIFIED:{ics_utc(meeting.updated_at)}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def _is_published(meeting: Meeting) -> bool:
    return meeting.published_at is not None and meeting.status != MeetingStatus.DRAFT


def _calendar(events: list[str], *, method: str, name: str | None = None, feed: bool = False) -> str:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", f"METHOD:{method}"]
    if name:
        head += [f"NAME:{ics_escape(name)}", f"X-WR-CALNAME:{ics_escape(name)}"]
    if feed:
        # Ask subscribed clients to look again hourly (RFC 7986, and the older Outlook name).
        head += ["REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    lines = [*head, *events, "END:VCALENDAR"]
    return "".join(ics_fold(line) + "\r\n" for line in lines)


def meeting_ics(meeting: Meeting, *, method: str = "PUBLISH", attendee: str | None = None) -> str:
    """One meeting as a VCALENDAR. METHOD:PUBLISH for downloads and change emails; an email about
    a cancellation passes method="CANCEL" (the event then says STATUS:CANCELLED, same UID, the
    meeting's higher SEQUENCE)."""
    if not _is_published(meeting):
        raise ValueError(f"meeting {meeting.pk} is not published; it has no calendar event")
    return _calendar(_event_lines(meeting, stamp=timezone.now(), attendee=attendee), method=method)


def agenda_ics(meetings: Iterable[Meeting], name: str, *, feed: bool = False) -> str:
    """Many meetings as one VCALENDAR (METHOD:PUBLISH): a fair's agenda or a subscription feed.
    Unpublished meetings are left out whatever the caller passed."""
    stamp = timezone.now()
    events: list[str] = []
    for meeting in meetings:
        if _is_published(meeting):
            events += _event_lines(meeting, stamp=stamp)
    return _calendar(events, method="PUBLISH", name=name, feed=feed)


def ics_filename(meeting: Meeting) -> str:
    return f"tradeon-meeting-{meeting.pk}.ics"


# --- subscription feeds ---------------------------------------------------------------------------


def calendar_feed_get(*, user) -> CalendarFeed:
    """The user's feed, made on first use (get_or_create copes with two first uses at once)."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user) -> CalendarFeed:
    """A new token: the old subscription URL stops working at once (e.g. it was shared by mistake)."""
    feed = calendar_feed_get(user=user)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    feed.token = secrets.token_urlsafe()
    feed.save(update_fields=["token"])
    return feed


def calendar_feed_urls(feed: CalendarFeed) -> dict[str, str]:
    https = f"{settings.SITE_URL}{reverse('fairs:calendar_feed', args=[feed.token])}"
    return {"url": https, "webcal_url": "webcal://" + https.split("://", 1)[-1]}


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The feed a token opens, or None: the token is the credential, for active accounts only."""
    if not token or len(token) > 64:
        return None
    return CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()


def calendar_feed_name(user) -> str:
    role = getattr(user, "role", None)
    if role == Role.SME and user.company_id:
        return f"Trade On: {user.company}"
    if role == Role.BUYER and user.buyer_organisation_id:
        return f"Trade On: {user.buyer_organisation.name}"
    return "Trade On: " + _("all published meetings")


def calendar_feed_ics(feed: CalendarFeed, *, now: datetime | None = None) -> str:
    """Every published meeting of the feed owner's company or buyer organisation across fairs
    (staff: all), from FEED_HISTORY ago on, cancelled ones as CANCELLED; in the owner's language."""
    user = feed.user
    now = now or timezone.now()
    meetings = meeting_list_for_user(user).filter(ends_at__gte=now - FEED_HISTORY)
    with translation.override(user.preferred_language or "en"):
        return agenda_ics(meetings, calendar_feed_name(user), feed=True)
