"""Reads of fair setup: which fairs and participants a user may see."""

from django.db.models import Count, Q, QuerySet

from tradeon.accounts.models import Role

from ..models import ConsultationFair, FairParticipant, Interpreter, ParticipantStatus


def fair_list(*, user) -> QuerySet[ConsultationFair]:
    """Staff see every fair; SMEs and buyers the fairs they are invited to."""
    fairs = (
        ConsultationFair.objects.prefetch_related("sectors")
        .annotate(participant_count=Count("participants", filter=Q(participants__status=ParticipantStatus.ACCEPTED)))
        .order_by("-starts_on", "-id")
    )
    if user.role == Role.STAFF:
        return fairs
    if user.role == Role.SME and user.company_id:
        return fairs.filter(participants__company_id=user.company_id)
    if user.role == Role.BUYER and user.buyer_organisation_id:
        return fairs.filter(participants__buyer_id=user.buyer_organisation_id)
    return fairs.none()


def participant_list(*, user, fair_id: int | None = None) -> QuerySet[FairParticipant]:
    """Staff see every participant; an SME or buyer sees, in the fairs it is invited to, the
    accepted participants (its possible counterparts) and its own participation."""
    participants = FairParticipant.objects.select_related("fair", "company", "buyer").prefetch_related("availability")
    if fair_id is not None:
        participants = participants.filter(fair_id=fair_id)
    if user.role == Role.STAFF:
        return participants
    if user.role == Role.SME and user.company_id:
        own = Q(company_id=user.company_id)
    elif user.role == Role.BUYER and user.buyer_organisation_id:
        own = Q(buyer_id=user.buyer_organisation_id)
    else:
        return participants.none()
    my_fairs = FairParticipant.objects.filter(own).values("fair_id")
    return participants.filter(fair_id__in=my_fairs).filter(Q(status=ParticipantStatus.ACCEPTED) | own)


def interpreter_list() -> QuerySet[Interpreter]:
    return Interpreter.objects.prefetch_related("availability")
