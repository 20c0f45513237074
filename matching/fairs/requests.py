"""Meeting requests inside a fair: a buyer asks an SME for a meeting, or an SME a buyer, and the
other side accepts or declines; the matcher's proposed pairs are shown to both sides as
suggestions, and staff can send a request on behalf of either side.

Services (writes) take keyword arguments, check who acts, and write in one transaction; they
raise `tradeon.errors` exceptions with the field at fault. Selectors (reads) decide who sees what.

The rules, in one place:
- Both sides must be accepted participants of the fair, and the buyer a verified one (an
  unverified buyer can neither send nor receive requests, nor accept one).
- Requests are sent and answered only while the fair is in phase "Requests open" (after that the
  scheduler works from the accepted ones); the requester may withdraw a pending one at any time.
- One open (pending or accepted) request per pair and fair. If the other side already asked,
  a new request is refused with a pointer to theirs: accepting it is the one way to agree, so
  nothing is ever accepted on someone's behalf without them pressing "accept".
- A side that was declined cannot ask the same counterpart again in that fair.
- A participant may have at most `fair.max_pending_requests` pending requests of its own
  making; staff's requests on its behalf neither count nor are limited (staff curate them).
- A pending request expires `fair.request_expiry_hours` after it was sent. The time is checked
  whenever a request is answered (not only by the beat task), so an overdue request can never
  be accepted; it is marked expired on the spot.
- Accepting checks both sides' meeting caps: accepted requests beyond a cap could never be
  scheduled, so they are refused while the participant can still raise its cap.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers.models import BuyerOrganisation, VerificationState
from catalog.models import Company
from tradeon.accounts.models import Role
from tradeon.errors import Conflict, DomainError, InvalidTransition, NotAllowed, NotVerified

from ..models import (
    ConsultationFair,
    FairParticipant,
    FairPhase,
    MatchingRun,
    MatchOutcome,
    MeetingRequest,
    PairDecision,
    Pairing,
    ParticipantStatus,
    RequestStatus,
)
from .setup import participant_cap, require_phase

Side = MeetingRequest.Side
MESSAGE_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 500
# A pair with an agreed meeting or a "no" is not suggested again (nor is one with a live
# pending request, which depends on the time and is filtered separately).
_BLOCKING_STATUSES = (RequestStatus.ACCEPTED, RequestStatus.DECLINED)


# --- who is who --------------------------------------------------------------------------------------


def user_side(user) -> str | None:
    """The side a user speaks for in requests: "sme", "buyer", or None (staff, or no party)."""
    role = getattr(user, "role", None)
    if role == Role.SME and user.company_id:
        return Side.SME
    if role == Role.BUYER and user.buyer_organisation_id:
        return Side.BUYER
    return None


def _is_staff(user) -> bool:
    return getattr(user, "role", None) == Role.STAFF


def _other(side: str) -> str:
    return Side.BUYER if side == Side.SME else Side.SME


def _company_name(company: Company) -> str:
    return company.name_en or company.name_ko


def _party_name(request_or_pair, side: str) -> str:
    return _company_name(request_or_pair.company) if side == Side.SME else request_or_pair.buyer.name


def _speaks_for(user, request: MeetingRequest, side: str) -> bool:
    """Whether the user may act for one side of a request: its own people, or agency staff."""
    if _is_staff(user):
        return True
    if side == Side.SME:
        return user_side(user) == Side.SME and user.company_id == request.company_id
    return user_side(user) == Side.BUYER and user.buyer_organisation_id == request.buyer_id


def is_overdue(request: MeetingRequest, now=None) -> bool:
    return request.status == RequestStatus.PENDING and request.expires_at <= (now or timezone.now())


def effective_status(request: MeetingRequest, now=None) -> str:
    """The status as a person should read it: a pending request past its expiry is expired even
    before the beat task has marked it."""
    return RequestStatus.EXPIRED if is_overdue(request, now) else request.status


def _pair_score(fair: ConsultationFair, company_id: int, buyer_id: int) -> float | None:
    return (
        Pairing.objects.filter(
            run__fair=fair, run__status=MatchingRun.Status.ACTIVE, company_id=company_id, buyer_id=buyer_id
        )
        .values_list("score", flat=True)
        .first()
    )


def _participation(fair: ConsultationFair, side: str, *, company=None, buyer=None, lock=False):
    queryset = FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED)
    if lock:
        queryset = queryset.select_for_update()
    if side == Side.SME:
        return queryset.filter(kind=FairParticipant.Kind.SME, company=company).first()
    return queryset.filter(kind=FairParticipant.Kind.BUYER, buyer=buyer).first()


# --- sending a request ------------------------------------------------------------------------------


def meeting_request_create(
    *,
    fair: ConsultationFair,
    user,
    company: Company | None = None,
    buyer: BuyerOrganisation | None = None,
    message: str = "",
) -> MeetingRequest:
    """An SME user asks a buyer (`buyer=`), or a buyer user an SME (`company=`), for a meeting
    in the fair. The user's own side is taken from their account; naming another company or
    organisation as the sender is refused. Staff use `meeting_request_create_on_behalf`."""
    side = user_side(user)
    if side is None:
        if _is_staff(user):
            raise DomainError(
                _("Staff send requests on behalf of a side: say which side (from_side) sends it."), field="from_side"
            )
        raise NotAllowed(_("Only SMEs and buyers taking part in the fair can request meetings."))
    if side == Side.SME:
        if company is not None and company.pk != user.company_id:
            raise NotAllowed(_("You can request meetings only for your own company."), field="company")
        if buyer is None:
            raise DomainError(_("Choose the buyer you want to meet."), field="buyer")
        company = user.company
    else:
        if buyer is not None and buyer.pk != user.buyer_organisation_id:
            raise NotAllowed(_("You can request meetings only for your own organisation."), field="buyer")
        if company is None:
            raise DomainError(_("Choose the company you want to meet."), field="company")
        buyer = user.buyer_organisation
    return _request_create(
        fair=fair, company=company, buyer=buyer, from_side=side, message=message, created_by=user, on_behalf=False
    )


def meeting_request_create_on_behalf(
    *,
    fair: ConsultationFair,
    staff,
    company: Company,
    buyer: BuyerOrganisation,
    from_side: str,
    message: str = "",
) -> MeetingRequest:
    """Staff turn a pair (usually one the matcher proposed) into a request from `from_side` to
    the other side, which then answers as usual. The pair's score in the fair's active proposals
    is kept with the request. A pair staff excluded for the fair is refused."""
    if not _is_staff(staff):
        raise NotAllowed(_("Only agency staff can send requests on behalf of a participant."))
    if from_side not in Side.values:
        raise DomainError(_("Say which side sends the request: “sme” or “buyer”."), field="from_side")
    if PairDecision.objects.filter(
        fair=fair, company=company, buyer=buyer, decision=PairDecision.Decision.EXCLUDE
    ).exists():
        raise Conflict(
            _("This pair is excluded for this fair; allow it again before requesting a meeting for it."),
            field="company",
        )
    return _request_create(
        fair=fair,
        company=company,
        buyer=buyer,
        from_side=from_side,
        message=message,
        created_by=staff,
        on_behalf=True,
    )


def _require_verified_buyer(buyer: BuyerOrganisation, from_side: str, on_behalf: bool) -> None:
    if buyer.verification_state == VerificationState.VERIFIED:
        return
    if from_side == Side.BUYER and not on_behalf:
        raise NotVerified(
            _("Your organisation is not verified yet: verify first, then you can request meetings."), field="buyer"
        )
    if from_side == Side.BUYER:
        raise NotVerified(
            _("%(buyer)s is not a verified buyer yet: verify it before requesting meetings for it.")
            % {"buyer": buyer.name},
            field="buyer",
        )
    raise NotVerified(
        _("%(buyer)s is not a verified buyer, so it cannot receive meeting requests.") % {"buyer": buyer.name},
        field="buyer",
    )


def _expire_overdue(queryset: QuerySet, now) -> int:
    """Mark the pending requests in the queryset that are past their expiry as expired."""
    return queryset.filter(status=RequestStatus.PENDING, expires_at__lte=now).update(status=RequestStatus.EXPIRED)


@transaction.atomic
def _request_create(
    *,
    fair: ConsultationFair,
    company: Company,
    buyer: BuyerOrganisation,
    from_side: str,
    message: str,
    created_by,
    on_behalf: bool,
) -> MeetingRequest:
    to_side = _other(from_side)
    fair = ConsultationFair.objects.get(pk=fair.pk)
    _require_verified_buyer(buyer, from_side, on_behalf)
    require_phase(fair, [FairPhase.REQUESTS_OPEN], _("request meetings"))
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise DomainError(
            _("The message can be at most %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}, field="message"
        )

    # Locking the requester's participation serialises its requests, so two sent at once cannot
    # both slip under the cap.
    requester = _participation(fair, from_side, company=company, buyer=buyer, lock=True)
    if requester is None:
        if on_behalf:
            raise DomainError(
                _("%(name)s is not an accepted participant of this fair.")
                % {"name": _company_name(company) if from_side == Side.SME else buyer.name},
                field="company" if from_side == Side.SME else "buyer",
            )
        raise NotAllowed(
            _("Your company is not an accepted participant of this fair.")
            if from_side == Side.SME
            else _("Your organisation is not an accepted participant of this fair."),
            field="fair",
        )
    if _participation(fair, to_side, company=company, buyer=buyer) is None:
        raise DomainError(
            _("%(name)s is not an accepted participant of this fair.")
            % {"name": _company_name(company) if to_side == Side.SME else buyer.name},
            field="company" if to_side == Side.SME else "buyer",
        )

    now = timezone.now()
    pair = MeetingRequest.objects.filter(fair=fair, company=company, buyer=buyer)
    # An overdue request still marked pending would hold the pair's one open slot.
    _expire_overdue(pair, now)
    names = {
        "requester": _company_name(company) if from_side == Side.SME else buyer.name,
        "other": _company_name(company) if to_side == Side.SME else buyer.name,
    }
    for existing in pair.filter(status__in=[*MeetingRequest.OPEN, RequestStatus.DECLINED]).order_by("-created_at"):
        _refuse_existing(existing, from_side, names)

    if not on_behalf:
        party = {"company": company} if from_side == Side.SME else {"buyer": buyer}
        pending = MeetingRequest.objects.filter(
            fair=fair, from_side=from_side, status=RequestStatus.PENDING, expires_at__gt=now, on_behalf=False, **party
        )
        count = pending.count()
        if count >= fair.max_pending_requests:
            raise Conflict(
                _(
                    "You already have %(count)d pending requests in this fair, the most allowed is %(max)d: "
                    "wait for answers or withdraw one first."
                )
                % {"count": count, "max": fair.max_pending_requests},
                field="fair",
            )

    request = MeetingRequest(
        fair=fair,
        company=company,
        buyer=buyer,
        from_side=from_side,
        message=message,
        created_by=created_by,
        on_behalf=on_behalf,
        score=_pair_score(fair, company.pk, buyer.pk),
        expires_at=now + timedelta(hours=fair.request_expiry_hours),
    )
    try:
        # A savepoint: the outer transaction survives the refused insert and can report it.
        with transaction.atomic():
            request.save()
    except IntegrityError as error:
        # Someone sent a request for the same pair a moment ago; the database constraint
        # `one_open_request_per_pair` decided.
        raise Conflict(
            _("A meeting request between %(requester)s and %(other)s was just sent; reload to see it.") % names,
            field="company" if to_side == Side.SME else "buyer",
        ) from error
    from . import emails, notifications

    def notify():
        notifications.notify_request_received(request.pk)
        emails.notify_request_received(request.pk)

    transaction.on_commit(notify)
    return request


def _refuse_existing(existing: MeetingRequest, from_side: str, names: dict) -> None:
    if existing.status == RequestStatus.ACCEPTED:
        raise Conflict(
            _("A meeting between %(requester)s and %(other)s is already agreed in this fair (request accepted).")
            % names
        )
    if existing.status == RequestStatus.PENDING and existing.from_side == from_side:
        raise Conflict(
            _("%(requester)s already requested a meeting with %(other)s in this fair (status: pending).") % names
        )
    if existing.status == RequestStatus.PENDING:
        raise Conflict(
            _(
                "%(other)s has already asked %(requester)s for a meeting in this fair: accept their request "
                "(no. %(id)s) instead of sending a new one."
            )
            % {**names, "id": existing.pk}
        )
    if existing.status == RequestStatus.DECLINED and existing.from_side == from_side:
        raise Conflict(
            _("%(other)s declined a meeting request from %(requester)s in this fair; it cannot be sent again.") % names
        )


# --- answering ---------------------------------------------------------------------------------------


def meeting_request_accept(*, meeting_request: MeetingRequest, user, note: str = "") -> MeetingRequest:
    """The side that was asked (or staff for it) accepts, with an optional note. The pair becomes
    a candidate for the fair's schedule, and the matcher learns a positive outcome."""
    return _answer(meeting_request, user, RequestStatus.ACCEPTED, note)


def meeting_request_decline(*, meeting_request: MeetingRequest, user, reason: str = "") -> MeetingRequest:
    """The side that was asked (or staff for it) declines, with an optional reason the requester
    sees. The matcher learns a negative outcome."""
    return _answer(meeting_request, user, RequestStatus.DECLINED, reason)


def _lock(meeting_request: MeetingRequest) -> MeetingRequest:
    return (
        MeetingRequest.objects.select_for_update(of=("self",))
        .select_related("fair", "company", "buyer")
        .get(pk=meeting_request.pk)
    )


def _expired_error(request: MeetingRequest) -> InvalidTransition:
    return InvalidTransition(
        _("This request expired on %(when)s UTC and can no longer be answered or withdrawn.")
        % {"when": f"{request.expires_at:%Y-%m-%d %H:%M}"},
        field="status",
    )


def _require_pending(request: MeetingRequest) -> None:
    if request.status != RequestStatus.PENDING:
        raise InvalidTransition(
            _("This request is no longer pending (it is %(status)s).") % {"status": request.get_status_display()},
            field="status",
        )


def _answer(meeting_request: MeetingRequest, user, status: str, note: str) -> MeetingRequest:
    # Not one transaction: an overdue request is marked expired and that mark is kept, then
    # the answer is refused.
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            _("The note can be at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH},
            field="note" if status == RequestStatus.ACCEPTED else "reason",
        )
    with transaction.atomic():
        request = _lock(meeting_request)
        answering = _other(request.from_side)
        if not _speaks_for(user, request, answering):
            raise NotAllowed(
                _("Only the company this request was sent to can answer it.")
                if answering == Side.SME
                else _("Only the buyer this request was sent to can answer it.")
            )
        _require_pending(request)
        expired = is_overdue(request)
        if expired:
            _expire_overdue(MeetingRequest.objects.filter(pk=request.pk), timezone.now())
        else:
            require_phase(request.fair, [FairPhase.REQUESTS_OPEN], _("answer meeting requests"))
            if status == RequestStatus.ACCEPTED:
                _check_can_accept(request, user)
            request.status = status
            request.responded_at = timezone.now()
            request.responded_by = user
            request.response_note = note
            request.save(update_fields=["status", "responded_at", "responded_by", "response_note"])
            # Imported here: matching.services loads NumPy, which request pages need only now.
            from matching.services import match_outcome_record

            match_outcome_record(
                company_id=request.company_id,
                buyer_id=request.buyer_id,
                kind=MatchOutcome.Kind.REQUEST_ACCEPTED
                if status == RequestStatus.ACCEPTED
                else MatchOutcome.Kind.REQUEST_DECLINED,
                fair=request.fair,
                recorded_by=user,
                occurred_at=request.responded_at,
            )
            from . import emails, notifications

            def notify():
                notifications.notify_request_answered(request.pk)
                emails.notify_request_answered(request.pk)

            transaction.on_commit(notify)
    if expired:
        raise _expired_error(request)
    return request


def _check_can_accept(request: MeetingRequest, user) -> None:
    fair = request.fair
    if request.buyer.verification_state != VerificationState.VERIFIED:
        raise NotVerified(
            _("Your organisation is not verified yet: verify first, then you can accept meetings.")
            if user_side(user) == Side.BUYER
            else _("%(buyer)s is not a verified buyer at the moment, so the meeting cannot be agreed.")
            % {"buyer": request.buyer.name},
            field="buyer",
        )
    for side in (Side.SME, Side.BUYER):
        participant = _participation(fair, side, company=request.company, buyer=request.buyer)
        if participant is None:
            raise Conflict(
                _("%(name)s no longer takes part in this fair.") % {"name": _party_name(request, side)},
                field="company" if side == Side.SME else "buyer",
            )
        party = {"company_id": request.company_id} if side == Side.SME else {"buyer_id": request.buyer_id}
        agreed = MeetingRequest.objects.filter(fair=fair, status=RequestStatus.ACCEPTED, **party).count()
        cap = participant_cap(participant)
        if agreed >= cap:
            own = _speaks_for(user, request, side) and not _is_staff(user)
            raise Conflict(
                _(
                    "You have already agreed %(count)d meetings in this fair, your cap; raise your cap "
                    "before accepting more."
                )
                % {"count": agreed}
                if own
                else _("%(name)s has already agreed %(count)d meetings in this fair, its cap.")
                % {"name": _party_name(request, side), "count": agreed},
                field="meeting_cap",
            )


def meeting_request_withdraw(*, meeting_request: MeetingRequest, user) -> MeetingRequest:
    """The requesting side (or staff for it) takes back a pending request, in any phase."""
    with transaction.atomic():
        request = _lock(meeting_request)
        if not _speaks_for(user, request, request.from_side):
            raise NotAllowed(_("Only the side that sent this request can withdraw it."))
        _require_pending(request)
        expired = is_overdue(request)
        if expired:
            _expire_overdue(MeetingRequest.objects.filter(pk=request.pk), timezone.now())
        else:
            request.status = RequestStatus.WITHDRAWN
            request.responded_at = timezone.now()
            request.responded_by = user
            request.save(update_fields=["status", "responded_at", "responded_by"])
    if expired:
        raise _expired_error(request)
    return request


def meeting_requests_expire(*, now=None) -> int:
    """Mark every pending request past its expiry as expired; returns how many. Safe to run
    twice (the second run finds none)."""
    return _expire_overdue(MeetingRequest.objects.all(), now or timezone.now())


# --- selectors ---------------------------------------------------------------------------------------


def meeting_request_list(
    *,
    user,
    fair_id: int | None = None,
    status: str | None = None,
    side: str | None = None,
    direction: str | None = None,
) -> QuerySet[MeetingRequest]:
    """The requests a user may see: an SME its company's, a buyer its organisation's, staff all.

    Filters: `status` as people read it (a pending request past its expiry counts as expired),
    `side` the side that sent it, `direction` "incoming" or "outgoing" from the user's side
    (ignored for staff)."""
    queryset = MeetingRequest.objects.select_related("fair", "company", "buyer").order_by("-created_at", "-id")
    own_side = user_side(user)
    if own_side == Side.SME:
        queryset = queryset.filter(company_id=user.company_id)
    elif own_side == Side.BUYER:
        queryset = queryset.filter(buyer_id=user.buyer_organisation_id)
    elif not _is_staff(user):
        return queryset.none()
    if fair_id:
        queryset = queryset.filter(fair_id=fair_id)
    now = timezone.now()
    if status == RequestStatus.PENDING:
        queryset = queryset.filter(status=RequestStatus.PENDING, expires_at__gt=now)
    elif status == RequestStatus.EXPIRED:
        queryset = queryset.filter(
            Q(status=RequestStatus.EXPIRED) | Q(status=RequestStatus.PENDING, expires_at__lte=now)
        )
    elif status:
        queryset = queryset.filter(status=status)
    if side:
        queryset = queryset.filter(from_side=side)
    if direction and own_side:
        queryset = queryset.filter(from_side=own_side if direction == "outgoing" else _other(own_side))
    return queryset


def fair_suggestion_list(*, user, fair: ConsultationFair) -> QuerySet[Pairing]:
    """The matcher's proposed pairs of the fair (its active run), as suggestions: an SME sees the
    buyers proposed for it, a buyer the SMEs, staff every pair; best first.

    Left out: pairs staff excluded, pairs with a live request (pending and not overdue, or
    accepted) or a declined one, and counterparts who are not accepted participants or (buyers)
    not verified. A participant that has not accepted the invitation sees none."""
    from matching.selectors import pairing_list

    own_side = user_side(user)
    if own_side is None and not _is_staff(user):
        return Pairing.objects.none()
    if own_side is not None:
        own = (
            _participation(fair, own_side, company=user.company)
            if own_side == Side.SME
            else _participation(fair, own_side, buyer=user.buyer_organisation)
        )
        if own is None:
            return Pairing.objects.none()
    # pairing_list applies who-sees-which-pairings (an SME its own, a buyer its own) and the order.
    queryset = pairing_list(user=user, fair_id=fair.pk)
    accepted = FairParticipant.objects.filter(fair=fair, status=ParticipantStatus.ACCEPTED)
    now = timezone.now()
    asked = MeetingRequest.objects.filter(fair=fair, company=OuterRef("company_id"), buyer=OuterRef("buyer_id")).filter(
        Q(status__in=_BLOCKING_STATUSES) | Q(status=RequestStatus.PENDING, expires_at__gt=now)
    )
    excluded = PairDecision.objects.filter(
        fair=fair, company=OuterRef("company_id"), buyer=OuterRef("buyer_id"), decision=PairDecision.Decision.EXCLUDE
    )
    return (
        queryset.filter(
            company_id__in=accepted.filter(kind=FairParticipant.Kind.SME).values("company_id"),
            buyer_id__in=accepted.filter(kind=FairParticipant.Kind.BUYER).values("buyer_id"),
            buyer__verification_state=VerificationState.VERIFIED,
        )
        .exclude(Exists(asked))
        .exclude(Exists(excluded))
    )


def fair_suggestion_get(*, user, pairing_id: int) -> Pairing | None:
    """One suggestion by its pairing id, if the user may see it as a suggestion now."""
    fair = ConsultationFair.objects.filter(runs__pairings__pk=pairing_id).first()
    if fair is None:
        return None
    return fair_suggestion_list(user=user, fair=fair).filter(pk=pairing_id).first()


def meeting_request_from_suggestion(
    *, pairing: Pairing, user, message: str = "", from_side: str | None = None
) -> MeetingRequest:
    """Turn a suggestion into a request: a participant asks the counterpart; staff send it on
    behalf of `from_side`, with the pairing's score."""
    fair = pairing.run.fair
    if _is_staff(user):
        return meeting_request_create_on_behalf(
            fair=fair,
            staff=user,
            company=pairing.company,
            buyer=pairing.buyer,
            from_side=from_side or "",
            message=message,
        )
    if user_side(user) == Side.SME:
        return meeting_request_create(fair=fair, user=user, buyer=pairing.buyer, message=message)
    return meeting_request_create(fair=fair, user=user, company=pairing.company, message=message)
