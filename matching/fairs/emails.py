"""Emails of a fair: invitations, meeting requests and answers, the published schedule, changes,
and reminders. Each email has a key and is recorded in `SentEmail` before it is sent, so one that
is triggered twice (a task retried, two workers at once) goes out once.

Emails are rendered in the recipient's preferred language from templates/emails/<name>.txt (the
first line is the subject) and sent with Django's email backend (the console in the demo). Times
in them are shown in the recipient's own zone (a buyer's organisation's, Seoul for SME members
and interpreters) with Seoul time alongside; calendar attachments carry UTC.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation

from buyers.models import BuyerOrganisation
from catalog.models import Company

from ..models import FairParticipant, Meeting, MeetingRequest, MeetingStatus, SentEmail
from . import calendar

logger = logging.getLogger(__name__)

# Reminders before each scheduled meeting, longest first. A reminder is due from `lead` before the
# start until the next shorter one is due (then it is stale: the shorter one says the same, later).
REMINDERS = (("24h", timedelta(hours=24)), ("15m", timedelta(minutes=15)))


def recipients_of(party: Company | BuyerOrganisation) -> list:
    """The people who hear about a company's or buyer organisation's meetings: its active
    members with an email address. (A buyer organisation without accounts: its contact email.)
    Uses `party.notify_members` when a caller prefetched it (see `_prefetch_people`)."""
    members = getattr(party, "notify_members", None)
    if members is None:
        members = list(party.members.filter(is_active=True).exclude(email="").order_by("id"))
    if members:
        return list(members)
    contact = getattr(party, "contact_email", "")
    return [_Contact(contact)] if contact else []


class _Contact:
    """A contact address with no account: gets English."""

    def __init__(self, email: str):
        self.email = email
        self.pk = f"contact:{email}"
        self.preferred_language = "en"


def _language_of(recipient) -> str:
    return getattr(recipient, "preferred_language", "en") or "en"


def send_once(
    key: str, recipient, template: str, context: dict, attachments: Iterable[tuple[str, str, str]] = ()
) -> bool:
    """Render templates/emails/<template>.txt for the recipient and send it, unless an email with
    this key was sent already. Returns whether it was sent now. The key row and the send share a
    transaction: if sending fails, the row goes too and a retry sends again. Attachments may be
    callables taking no argument (run in the recipient's language, e.g. a calendar file)."""
    language = _language_of(recipient)
    with translation.override(language):
        text = render_to_string(f"emails/{template}.txt", {**context, "recipient": recipient}).strip()
        files = [item() if callable(item) else item for item in attachments]
    subject, _, body = text.partition("\n")
    try:
        with transaction.atomic():
            SentEmail.objects.create(key=key[:200], recipient=recipient.email, subject=subject[:300])
            message = EmailMessage(subject.strip(), body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, [recipient.email])
            for filename, content, mimetype in files:
                message.attach(filename, content, mimetype)
            message.send()
    except IntegrityError:
        return False
    return True


def notify_invitations(participant_ids: list[int]) -> int:
    sent = 0
    for participant in FairParticipant.objects.filter(pk__in=participant_ids).select_related(
        "fair", "company", "buyer"
    ):
        for person in recipients_of(participant.party):
            sent += send_once(
                f"invitation:{participant.pk}:{person.pk}",
                person,
                "invitation",
                {"fair": participant.fair, "participant": participant, "site_url": settings.SITE_URL},
            )
    return sent


def _request_context(request: MeetingRequest) -> dict:
    return {"request": request, "fair": request.fair, "site_url": settings.SITE_URL}


def notify_request_received(request_id: int) -> int:
    """The side that was asked hears of the request."""
    request = MeetingRequest.objects.select_related("fair", "company", "buyer").get(pk=request_id)
    to_sme = request.from_side == MeetingRequest.Side.BUYER
    receiving = request.company if to_sme else request.buyer
    # The answer is due by a time in the reader's own zone.
    zone = calendar.SEOUL if to_sme else calendar.zone_of_buyer(request.buyer)
    expires = calendar.ZonedTime.of(request.expires_at, request.expires_at, zone)
    context = {**_request_context(request), "expires": f"{expires.date_label} {expires.starts:%H:%M} ({expires.zone})"}
    return sum(
        send_once(f"request-received:{request.pk}:{person.pk}", person, "request_received", context)
        for person in recipients_of(receiving)
    )


def notify_request_answered(request_id: int) -> int:
    """The requesting side hears whether the request was accepted or declined."""
    request = MeetingRequest.objects.select_related("fair", "company", "buyer").get(pk=request_id)
    requesting = request.buyer if request.from_side == MeetingRequest.Side.BUYER else request.company
    return sum(
        send_once(
            f"request-{request.status}:{request.pk}:{person.pk}", person, "request_answered", _request_context(request)
        )
        for person in recipients_of(requesting)
    )


# --- meetings: who hears, in which zone -----------------------------------------------------------


@dataclass(frozen=True)
class _Reader:
    """A person who hears about a meeting, with the zone and side they read it from."""

    person: object
    zone: ZoneInfo
    side: str | None  # "sme", "buyer", or None for an interpreter


def _readers_of_party(meeting: Meeting, side: str) -> list[_Reader]:
    if side == FairParticipant.Kind.SME:
        return [_Reader(p, calendar.SEOUL, side) for p in recipients_of(meeting.company)]
    zone = calendar.zone_of_buyer(meeting.buyer)
    return [_Reader(p, zone, side) for p in recipients_of(meeting.buyer)]


def _meeting_readers(meeting: Meeting, *, interpreter: bool = False) -> list[_Reader]:
    readers = _readers_of_party(meeting, FairParticipant.Kind.SME) + _readers_of_party(
        meeting, FairParticipant.Kind.BUYER
    )
    if interpreter and meeting.interpreter_id:
        person = _interpreter_recipient(meeting.interpreter)
        if person is not None:
            # Interpreters work from the agency in Seoul.
            readers.append(_Reader(person, calendar.SEOUL, None))
    return readers


def _interpreter_recipient(interpreter):
    user = interpreter.user
    if user is not None and user.is_active and user.email:
        return user
    if interpreter.email:
        contact = _Contact(interpreter.email)
        contact.pk = f"interpreter:{interpreter.pk}"
        return contact
    return None


def _prefetch_people(meetings):
    """The parties' notifiable members in two queries for a whole list of meetings."""
    from tradeon.accounts.models import User

    people = User.objects.filter(is_active=True).exclude(email="").order_by("id")
    return meetings.prefetch_related(
        Prefetch("company__members", queryset=people, to_attr="notify_members"),
        Prefetch("buyer__members", queryset=people, to_attr="notify_members"),
    )


def _ics_attachment(meeting: Meeting, *, cancel: bool, attendee: str | None = None):
    method = "CANCEL" if cancel else "PUBLISH"
    return lambda: (
        calendar.ics_filename(meeting),
        calendar.meeting_ics(meeting, method=method, attendee=attendee),
        f"text/calendar; method={method}",
    )


def notify_schedule_published(fair_id: int) -> int:
    """Each person of each participant with meetings gets their agenda once per publication: the
    times in their own zone and Seoul time, and the agenda as an .ics attachment."""
    from ..models import ConsultationFair

    fair = ConsultationFair.objects.get(pk=fair_id)
    meetings = _prefetch_people(calendar.meetings_published().filter(fair=fair, status=MeetingStatus.SCHEDULED))
    by_person: dict = {}
    for meeting in meetings:
        for reader in _meeting_readers(meeting):
            by_person.setdefault(reader.person.pk, (reader, []))[1].append(meeting)
    stamp = f"{fair.published_at:%Y%m%d%H%M%S}" if fair.published_at else "0"
    sent = 0
    for pk, (reader, rows) in by_person.items():
        entries = [calendar.agenda_entry(m, zone=reader.zone, side=reader.side) for m in rows]

        def attachment(rows=rows):
            # Built in the recipient's language, inside send_once.
            return (
                f"tradeon-agenda-{fair.pk}.ics",
                calendar.agenda_ics(rows, fair.name),
                "text/calendar; method=PUBLISH",
            )

        sent += send_once(
            f"published:{fair.pk}:{stamp}:{pk}",
            reader.person,
            "schedule_published",
            {
                "fair": fair,
                "meetings": rows,
                "entries": entries,
                "zone": reader.zone.key,
                "side": reader.side,
                "site_url": settings.SITE_URL,
            },
            [attachment],
        )
    return sent


def notify_meeting_changed(meeting_id: int) -> int:
    """A published meeting moved, changed room or interpreter, or was cancelled: its parties hear
    once per version (the calendar SEQUENCE), with the updated event attached (same UID; a
    cancellation as METHOD:CANCEL, STATUS:CANCELLED)."""
    meeting = Meeting.objects.select_related("fair", "company", "buyer", "room", "interpreter").get(pk=meeting_id)
    if meeting.published_at is None or meeting.status == MeetingStatus.DRAFT:
        return 0
    cancelled = meeting.status == MeetingStatus.CANCELLED
    return sum(
        send_once(
            f"changed:{meeting.pk}:{meeting.sequence}:{reader.person.pk}",
            reader.person,
            "meeting_changed",
            {
                "meeting": meeting,
                "fair": meeting.fair,
                "entry": calendar.agenda_entry(meeting, zone=reader.zone, side=reader.side),
                "site_url": settings.SITE_URL,
            },
            [_ics_attachment(meeting, cancel=cancelled, attendee=reader.person.email if cancelled else None)],
        )
        for reader in _meeting_readers(meeting)
    )


# --- reminders ------------------------------------------------------------------------------------


def _reminder_key(kind: str, meeting: Meeting, person) -> str:
    # The start time is in the key: a meeting moved to another time gets its reminders again.
    return f"reminder-{kind}:{meeting.pk}:{int(meeting.starts_at.timestamp())}:{person.pk}"


def notify_meeting_reminders(*, now: datetime | None = None) -> int:
    """Send the reminders that are due: 24 hours before each scheduled, published meeting and 15
    minutes before, to both parties' people and the interpreter. A run that comes late still
    sends a reminder that is due; the 24-hour one is stale once the 15-minute one is due, and both
    once the meeting has started. Each is sent once (the SentEmail key), however often this runs."""
    now = now or timezone.now()
    sent = 0
    for index, (kind, lead) in enumerate(REMINDERS):
        superseded_by = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else timedelta(0)
        meetings = _prefetch_people(
            calendar.meetings_published().filter(
                status=MeetingStatus.SCHEDULED, starts_at__gt=now + superseded_by, starts_at__lte=now + lead
            )
        )
        due = [(m, r) for m in meetings for r in _meeting_readers(m, interpreter=True)]
        # Skip the ones already sent without rendering them (the task runs every minute); the
        # key's unique index still decides when two runs race.
        keys = [_reminder_key(kind, m, r.person) for m, r in due]
        done = set()
        for start in range(0, len(keys), 500):
            done.update(SentEmail.objects.filter(key__in=keys[start : start + 500]).values_list("key", flat=True))
        for (meeting, reader), key in zip(due, keys, strict=True):
            if key in done:
                continue
            sent += send_once(
                key,
                reader.person,
                "meeting_reminder",
                {
                    "meeting": meeting,
                    "fair": meeting.fair,
                    "kind": kind,
                    "now": now,
                    "entry": calendar.agenda_entry(meeting, zone=reader.zone, side=reader.side),
                    "site_url": settings.SITE_URL,
                },
                [_ics_attachment(meeting, cancel=False)],
            )
    if sent:
        logger.info("sent %s meeting reminders", sent)
    return sent
