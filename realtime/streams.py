"""Which streams exist and who may read them. A stream key is "user.<id>" (a person's own
notifications) or "fair.<id>" (a fair's live board and announcements)."""

import re

from django.utils.translation import gettext as _

from tradeon.errors import DomainError, NotAllowed

_KEY = re.compile(r"^(user|fair)\.([1-9][0-9]{0,17})$")


def user_stream(user_id: int) -> str:
    return f"user.{user_id}"


def fair_stream(fair_id: int) -> str:
    return f"fair.{fair_id}"


def group_name(key: str) -> str:
    """The channel-layer group of a stream (group names allow letters, digits, - _ and .)."""
    return f"stream.{key}"


def parse(key) -> tuple[str, int]:
    """("user" | "fair", id) of a well-formed key; a DomainError on field "stream" otherwise."""
    match = _KEY.match(key) if isinstance(key, str) else None
    if match is None:
        raise DomainError(_('A stream is "user.<id>" or "fair.<id>".'), field="stream")
    return match.group(1), int(match.group(2))


def require_readable(user, key: str) -> tuple[str, int]:
    """Refuse (NotAllowed) a user who may not read the stream: a personal stream is its owner's
    alone; a fair's stream is staff's and the fair's invited or accepted participants'."""
    kind, object_id = parse(key)
    if user is None or not user.is_authenticated:
        raise NotAllowed(_("Sign in first."), field="stream")
    if kind == "user":
        if object_id != user.pk:
            raise NotAllowed(_("You can only follow your own notifications."), field="stream")
        return kind, object_id
    from matching.models import ConsultationFair, FairParticipant, ParticipantStatus

    if getattr(user, "is_agency_staff", False):
        # Checked so that a mistyped key never leaves an empty stream row behind.
        if not ConsultationFair.objects.filter(pk=object_id).exists():
            raise DomainError(_("There is no such fair."), field="stream")
        return kind, object_id

    mine = FairParticipant.objects.filter(
        fair_id=object_id, status__in=[ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED]
    )
    if user.company_id:
        mine = mine.filter(company_id=user.company_id)
    elif user.buyer_organisation_id:
        mine = mine.filter(buyer_id=user.buyer_organisation_id)
    else:
        mine = mine.none()
    if not mine.exists():
        raise NotAllowed(_("You are not taking part in this fair."), field="stream")
    return kind, object_id
