"""Reads of the pipeline: who sees which deals, outcomes and history.

Scopes: staff see everything; an SME member their company's deals and its side's outcomes; a
buyer the deals its organisation is party to and its side's outcomes. Anyone else sees nothing.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from tradeon.accounts.models import Role

from ..models import Deal, DealChange, Meeting, MeetingOutcome, MeetingStatus, OutcomeSide


def _meetings_with_fairs():
    return Meeting.objects.select_related("fair").order_by("starts_at", "id")


def deal_list(
    user,
    *,
    stage: str | None = None,
    fair_id: int | None = None,
    company_id: int | None = None,
    buyer_id: int | None = None,
) -> QuerySet[Deal]:
    """The deals a user may see, newest change first, with parties, meetings and fairs loaded."""
    deals = Deal.objects.select_related("company", "buyer").prefetch_related(
        Prefetch("meetings", queryset=_meetings_with_fairs())
    )
    role = getattr(user, "role", None)
    if role == Role.SME and user.company_id:
        deals = deals.filter(company_id=user.company_id)
    elif role == Role.BUYER and user.buyer_organisation_id:
        deals = deals.filter(buyer_id=user.buyer_organisation_id)
    elif role != Role.STAFF:
        return deals.none()
    if stage:
        deals = deals.filter(stage=stage)
    if company_id:
        deals = deals.filter(company_id=company_id)
    if buyer_id:
        deals = deals.filter(buyer_id=buyer_id)
    if fair_id:
        # A deal may come from meetings at several fairs: it shows under each of them.
        deals = deals.filter(Exists(Meeting.objects.filter(deals=OuterRef("pk"), fair_id=fair_id)))
    return deals.order_by("-updated_at", "-id")


def deal_get(user, pk: int) -> Deal | None:
    """One deal the user may see, or None (for them it does not exist)."""
    return deal_list(user).filter(pk=pk).first()


def deal_history(deal: Deal) -> QuerySet[DealChange]:
    """The deal's changes, oldest first, with who made them."""
    return DealChange.objects.filter(deal_id=deal.pk).select_related("changed_by").order_by("changed_at", "id")


def deals_with_origin_fair(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Annotate `origin_fair_id`: the fair of the deal's earliest meeting (None without meetings).
    Reports that count a deal once per fair attribute it there."""
    first = Meeting.objects.filter(deals=OuterRef("pk")).order_by("starts_at", "id").values("fair_id")[:1]
    return deals.annotate(origin_fair_id=Subquery(first))


# --- outcomes ------------------------------------------------------------------------------------------


def user_outcome_side(user) -> str | None:
    role = getattr(user, "role", None)
    if role == Role.SME and user.company_id:
        return OutcomeSide.SME
    if role == Role.BUYER and user.buyer_organisation_id:
        return OutcomeSide.BUYER
    return None


def _party_meetings(user) -> QuerySet[Meeting]:
    side = user_outcome_side(user)
    meetings = Meeting.objects.select_related("fair", "company", "buyer")
    if side == OutcomeSide.SME:
        return meetings.filter(company_id=user.company_id)
    if side == OutcomeSide.BUYER:
        return meetings.filter(buyer_id=user.buyer_organisation_id)
    if getattr(user, "role", None) == Role.STAFF:
        return meetings
    return meetings.none()


def outcome_meetings(user, *, now=None) -> QuerySet[Meeting]:
    """Meetings whose outcome the user's side may give: scheduled ones that have started."""
    now = now or timezone.now()
    return _party_meetings(user).filter(status=MeetingStatus.SCHEDULED, starts_at__lte=now)


def outcomes_to_give(user, *, now=None, fair_id: int | None = None) -> QuerySet[Meeting]:
    """For an SME or buyer: started, scheduled meetings its side has not given the outcome of,
    newest first. For staff: those at least one side has not given (each meeting once)."""
    meetings = outcome_meetings(user, now=now)
    if fair_id:
        meetings = meetings.filter(fair_id=fair_id)
    side = user_outcome_side(user)
    if side is not None:
        given = MeetingOutcome.objects.filter(meeting=OuterRef("pk"), side=side)
        meetings = meetings.filter(~Exists(given))
    elif getattr(user, "role", None) == Role.STAFF:
        sme = MeetingOutcome.objects.filter(meeting=OuterRef("pk"), side=OutcomeSide.SME)
        buyer = MeetingOutcome.objects.filter(meeting=OuterRef("pk"), side=OutcomeSide.BUYER)
        meetings = meetings.filter(~Exists(sme) | ~Exists(buyer))
    return meetings.prefetch_related("outcomes").order_by("-starts_at", "-id")


def outcome_list(user, *, meeting_id=None, fair_id=None, side=None) -> QuerySet[MeetingOutcome]:
    """Outcomes a user may read: their own side's of their party's meetings; staff all."""
    outcomes = MeetingOutcome.objects.select_related(
        "meeting", "meeting__fair", "meeting__company", "meeting__buyer", "recorded_by"
    ).prefetch_related("products")
    own = user_outcome_side(user)
    if own == OutcomeSide.SME:
        outcomes = outcomes.filter(side=own, meeting__company_id=user.company_id)
    elif own == OutcomeSide.BUYER:
        outcomes = outcomes.filter(side=own, meeting__buyer_id=user.buyer_organisation_id)
    elif getattr(user, "role", None) != Role.STAFF:
        return outcomes.none()
    filters = Q()
    if meeting_id:
        filters &= Q(meeting_id=meeting_id)
    if fair_id:
        filters &= Q(meeting__fair_id=fair_id)
    if side:
        filters &= Q(side=side)
    return outcomes.filter(filters).order_by("-meeting__starts_at", "meeting_id", "side")


def outcome_meeting_get(user, meeting_id: int) -> Meeting | None:
    """A meeting whose outcome page the user may open (a party of it, or staff)."""
    return _party_meetings(user).filter(pk=meeting_id).first()
