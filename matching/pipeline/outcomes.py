"""Meeting outcomes: after each meeting both sides are asked (on a page, and by email once the
meeting has ended) how it went: interest, next step, products discussed, the order value they
expect. Staff may record or correct either side's outcome.

The rules, in one place:
- Who: a side's own members record their side (an SME member the SME side of their company's
  meetings, a buyer the buyer side of their organisation's); agency staff either side. Each side
  sees its own account; staff see both.
- When: only for scheduled meetings (not drafts, not cancelled ones), from the meeting's start
  on. Recording again corrects the side's outcome (one per meeting and side).
- Values: an expected value needs its currency and a currency needs a value; the products are
  the SME's own.
- Deals from outcomes: an outcome that shows interest (anything but "none", from either side)
  puts the pair into the pipeline. With no open deal for the SME and buyer, a deal is created at
  "consulted", or at "follow-up" when a next step is given, linked to the meeting and the
  products discussed and taking the expected value and currency. With an open deal, the meeting
  and products are added to it, its value is taken only while it has none (a value someone set
  is never overwritten), and a "consulted" deal moves to "follow-up" when a next step is given
  (never backwards). The change is recorded as made by whoever recorded the outcome, through
  the same channel. An outcome of "no interest" changes no deal; a person closes it.
- Requests: `outcome_requests_send` (Celery beat) emails each person of each side that has not
  given its outcome, once per meeting and person, from the meeting's end for OUTCOME_REQUEST_DAYS
  days; not for meetings that were no-shows.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Company, Product
from tradeon.accounts.models import Role
from tradeon.errors import Conflict, DomainError, NotAllowed

from ..fairs import calendar
from ..fairs.emails import recipients_of, send_once
from ..models import (
    OPEN_STAGES,
    ChangeChannel,
    Currency,
    Deal,
    DealStage,
    InterestLevel,
    LiveState,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    NextStep,
    OutcomeSide,
    SentEmail,
)
from . import deals

OUTCOME_REQUEST_DAYS = 14
NOTES_MAX_LENGTH = 4000


def side_of_user(user, meeting: Meeting) -> str | None:
    """The side of this meeting a user belongs to, or None (staff, or not a party)."""
    role = getattr(user, "role", None)
    if role == Role.SME and user.company_id and user.company_id == meeting.company_id:
        return OutcomeSide.SME
    if role == Role.BUYER and user.buyer_organisation_id and user.buyer_organisation_id == meeting.buyer_id:
        return OutcomeSide.BUYER
    return None


def outcome_can_record(user, meeting: Meeting, side: str) -> bool:
    if getattr(user, "role", None) == Role.STAFF:
        return True
    return side_of_user(user, meeting) == side


def _choice(value, choices, field: str, message: str) -> str:
    if value not in choices.values:
        raise DomainError(message % {"value": value, "choices": ", ".join(choices.values)}, field=field)
    return value


def outcome_record(
    *,
    meeting: Meeting,
    side: str,
    by,
    interest: str,
    next_step: str,
    products=(),
    expected_value=None,
    currency: str = "",
    notes: str = "",
    via: str = ChangeChannel.PAGE,
    now=None,
) -> MeetingOutcome:
    """Record (or correct) one side's outcome of a meeting, and put the pair into the pipeline
    when it shows interest. The returned outcome carries `was_created` (a first record, not a
    correction), `deal` (the deal it opened or updated, or None) and `deal_created`."""
    now = now or timezone.now()
    side = _choice(side, OutcomeSide, "side", _("Unknown side %(value)r; use one of: %(choices)s."))
    if not outcome_can_record(by, meeting, side):
        if side_of_user(by, meeting) is not None:
            raise NotAllowed(_("You can record only your own side's outcome of this meeting."), field="side")
        raise NotAllowed(_("This meeting is not yours to record an outcome for."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("This meeting was cancelled; there is no outcome to record."), field="meeting")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(_("This meeting is not scheduled yet; there is no outcome to record."), field="meeting")
    if meeting.starts_at > now:
        raise Conflict(_("The meeting has not started yet; record its outcome once it has."), field="meeting")

    interest = _choice(
        interest, InterestLevel, "interest", _("Unknown interest level %(value)r; use one of: %(choices)s.")
    )
    next_step = _choice(next_step, NextStep, "next_step", _("Unknown next step %(value)r; use one of: %(choices)s."))
    has_value = expected_value not in (None, "")
    currency = (currency or "").strip().upper()
    if has_value and not currency:
        raise DomainError(_("Give the currency of the expected order value."), field="currency")
    if currency and not has_value:
        raise DomainError(
            _("Give the expected order value in %(currency)s, or leave the currency empty.") % {"currency": currency},
            field="expected_value",
        )
    value = deals.clean_amount(expected_value) if has_value else None
    if currency:
        currency = deals.clean_currency(currency)
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX_LENGTH:
        raise DomainError(_("At most %(max)d characters.") % {"max": NOTES_MAX_LENGTH}, field="notes")
    products = list(products)
    for product in products:
        if product.company_id != meeting.company_id:
            raise DomainError(
                _("“%(product)s” is not a product of this SME.") % {"product": product.name_en or product.name_ko},
                field="products",
            )

    by_staff = getattr(by, "role", None) == Role.STAFF
    with transaction.atomic():
        # One writer per SME at a time: both sides answering at once must not open two deals.
        Company.objects.select_for_update().filter(pk=meeting.company_id).first()
        outcome, created = MeetingOutcome.objects.update_or_create(
            meeting=meeting,
            side=side,
            defaults={
                "interest": interest,
                "next_step": next_step,
                "expected_value": value,
                "currency": currency,
                "notes": notes,
                "recorded_by": by,
                "by_staff": by_staff,
            },
        )
        outcome.products.set(products)
        outcome.was_created = created
        outcome.deal, outcome.deal_created = _deal_from_outcome(outcome, meeting, products, by=by, via=via)
    return outcome


def _deal_title(products: list[Product]) -> str:
    names = [product.name_en or product.name_ko for product in products[:3]]
    title = ", ".join(names)
    return title if len(title) <= deals.TITLE_MAX_LENGTH else title[: deals.TITLE_MAX_LENGTH - 1] + "…"


def _deal_from_outcome(outcome: MeetingOutcome, meeting: Meeting, products: list[Product], *, by, via):
    """The rule in the module docstring. Returns (deal or None, whether it was created)."""
    if outcome.interest == InterestLevel.NONE:
        return None, False
    next_step_given = outcome.next_step != NextStep.NONE
    deal = (
        Deal.objects.select_for_update()
        .filter(company_id=meeting.company_id, buyer_id=meeting.buyer_id, stage__in=OPEN_STAGES)
        .order_by("-updated_at", "-id")
        .first()
    )
    if deal is None:
        created = deals._deal_create(
            by=by,
            company=meeting.company,
            buyer=meeting.buyer,
            via=via,
            meetings=[meeting],
            products=products,
            changes={
                "title": _deal_title(products),
                "stage": DealStage.FOLLOW_UP if next_step_given else DealStage.CONSULTED,
                "expected_value": outcome.expected_value if outcome.expected_value is not None else Decimal("0"),
                "currency": outcome.currency or Currency.USD,
                "probability": None,
                "expected_close_on": None,
                "signed_on": None,
                "lost_reason": "",
                "notes": "",
            },
        )
        return created, True
    changes: dict = {}
    linked = list(deal.meetings.all())
    if meeting.pk not in {m.pk for m in linked}:
        changes["meetings"] = [*linked, meeting]
    known = list(deal.products.all())
    added = [product for product in products if product.pk not in {p.pk for p in known}]
    if added:
        changes["products"] = [*known, *added]
    if not deal.expected_value and outcome.expected_value:
        changes["expected_value"] = outcome.expected_value
        changes["currency"] = outcome.currency
    if deal.stage == DealStage.CONSULTED and next_step_given:
        changes["stage"] = DealStage.FOLLOW_UP
    if changes:
        # The row is locked above, so the version read is the one written.
        deal = deals._deal_update(deal, by=by, expected_version=deal.version, via=via, changes=changes)
    return deal, False


# --- asking for outcomes -----------------------------------------------------------------------------


def _people_with_accounts(party) -> list:
    # Only people who can sign in can give an outcome (not a buyer's bare contact address).
    return [person for person in recipients_of(party) if getattr(person, "role", None)]


def outcome_requests_send(now=None) -> int:
    """Email "how did it go?" to each person of each side that has not given the outcome of a
    meeting that ended in the last OUTCOME_REQUEST_DAYS days; once per meeting and person, however
    often this runs. Returns how many were sent."""
    from tradeon.accounts.models import User

    now = now or timezone.now()
    people = User.objects.filter(is_active=True).exclude(email="").order_by("id")
    meetings = (
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            published_at__isnull=False,
            ends_at__lte=now,
            ends_at__gt=now - timedelta(days=OUTCOME_REQUEST_DAYS),
        )
        .exclude(live_state=LiveState.NO_SHOW)
        .select_related("fair", "company", "buyer", "room", "interpreter")
        .prefetch_related(
            "outcomes",
            Prefetch("company__members", queryset=people, to_attr="notify_members"),
            Prefetch("buyer__members", queryset=people, to_attr="notify_members"),
        )
        .order_by("ends_at", "id")
    )
    due = []
    for meeting in meetings:
        given = {outcome.side for outcome in meeting.outcomes.all()}
        for side, party in ((OutcomeSide.SME, meeting.company), (OutcomeSide.BUYER, meeting.buyer)):
            if side in given:
                continue
            zone = calendar.SEOUL if side == OutcomeSide.SME else calendar.zone_of_buyer(meeting.buyer)
            for person in _people_with_accounts(party):
                due.append((meeting, side, person, zone))
    keys = [f"outcome-request:{meeting.pk}:{person.pk}" for meeting, _side, person, _zone in due]
    done = set()
    for start in range(0, len(keys), 500):
        done.update(SentEmail.objects.filter(key__in=keys[start : start + 500]).values_list("key", flat=True))
    sent = 0
    for (meeting, side, person, zone), key in zip(due, keys, strict=True):
        if key in done:
            continue
        sent += send_once(
            key,
            person,
            "outcome_request",
            {
                "meeting": meeting,
                "fair": meeting.fair,
                "side": side,
                "entry": calendar.agenda_entry(meeting, zone=zone, side=side),
                "url": settings.SITE_URL + reverse("pipeline:outcome", args=[meeting.pk]),
                "site_url": settings.SITE_URL,
            },
        )
    return sent
