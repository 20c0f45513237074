"""Follow-up prompts: 1, 3 and 6 months after a meeting that led to a deal still open, the SME's
members are reminded to follow it up and update the deal (an email and a notification).

A prompt is due from its date until the next one is due (the 6-month one until 12 months after
the meeting): a run that comes late still sends the prompt that is due, and a prompt that was
missed is stale once the next is due (it would say the same, later). Each is sent once per SME
member and meeting, however often the daily task runs (the SentEmail key, and the notification's
dedupe key). None once every deal from the meeting is signed or lost, and none for cancelled or
draft meetings.
"""

import calendar as month_calendar
import datetime
import logging

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext, override

from realtime.services import notify_users

from ..fairs import calendar
from ..fairs.emails import recipients_of, send_once
from ..models import OPEN_STAGES, Deal, Meeting, MeetingStatus, SentEmail

logger = logging.getLogger(__name__)

PROMPT_MONTHS = (1, 3, 6)
LAST_PROMPT_UNTIL_MONTHS = 12
NOTIFICATION_KIND = "deal.follow_up"


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, month_calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def prompt_due(meeting_start: datetime.datetime, now: datetime.datetime) -> int | None:
    """Which prompt (in months) is due for a meeting that started at `meeting_start`, or None."""
    # Dates in Seoul: "one month after" a Tuesday-morning meeting is a Seoul calendar date.
    start = meeting_start.astimezone(calendar.SEOUL)
    ends = [*PROMPT_MONTHS[1:], LAST_PROMPT_UNTIL_MONTHS]
    for months, until in zip(PROMPT_MONTHS, ends, strict=True):
        if add_months(start, months) <= now < add_months(start, until):
            return months
    return None


def follow_up_key(months: int, meeting_id: int, person_id) -> str:
    return f"follow-up:{months}m:{meeting_id}:{person_id}"


def follow_ups_send(now=None) -> int:
    """Send the follow-up prompts that are due; returns how many emails went out."""
    now = now or timezone.now()
    earliest = add_months(now, -LAST_PROMPT_UNTIL_MONTHS)
    latest = add_months(now, -PROMPT_MONTHS[0])
    from tradeon.accounts.models import User

    people = User.objects.filter(is_active=True).exclude(email="").order_by("id")
    open_deals = Deal.objects.filter(stage__in=OPEN_STAGES).select_related("buyer").order_by("id")
    meetings = (
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=earliest,
            starts_at__lte=latest,
            deals__stage__in=OPEN_STAGES,
        )
        .distinct()
        .select_related("fair", "company", "buyer", "room", "interpreter")
        .prefetch_related(
            Prefetch("deals", queryset=open_deals, to_attr="open_deals"),
            Prefetch("company__members", queryset=people, to_attr="notify_members"),
        )
        .order_by("starts_at", "id")
    )
    due = []
    for meeting in meetings:
        months = prompt_due(meeting.starts_at, now)
        if months is None or not meeting.open_deals:
            continue
        for person in recipients_of(meeting.company):
            if getattr(person, "role", None):
                due.append((meeting, months, person))
    keys = [follow_up_key(months, meeting.pk, person.pk) for meeting, months, person in due]
    done = set()
    for start in range(0, len(keys), 500):
        done.update(SentEmail.objects.filter(key__in=keys[start : start + 500]).values_list("key", flat=True))

    sent = 0
    for (meeting, months, person), key in zip(due, keys, strict=True):
        if key in done:
            continue
        deal = meeting.open_deals[0]
        url = reverse("pipeline:deal_detail", args=[deal.pk])
        context = {
            "meeting": meeting,
            "fair": meeting.fair,
            "months": months,
            "deals": meeting.open_deals,
            "entry": calendar.agenda_entry(meeting, zone=calendar.SEOUL, side="sme"),
            "url": settings.SITE_URL + url,
            "site_url": settings.SITE_URL,
        }
        if not send_once(key, person, "follow_up", context):
            continue
        sent += 1
        with override(getattr(person, "preferred_language", "en") or "en"):
            message = ngettext(
                "%(months)d month since your meeting with %(buyer)s: how is the deal going?",
                "%(months)d months since your meeting with %(buyer)s: how is the deal going?",
                months,
            ) % {"months": months, "buyer": meeting.buyer.name}
        notify_users(
            [person],
            NOTIFICATION_KIND,
            message,
            url=url,
            data={"deal": deal.pk, "meeting": meeting.pk, "months": months},
            dedupe_key=f"follow-up:{months}m:{meeting.pk}",
        )
    if sent:
        logger.info("sent %s deal follow-up prompts", sent)
    return sent
