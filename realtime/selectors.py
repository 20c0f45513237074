"""Reads of the realtime app: a user's notifications (the events of their personal stream) and
how many of them are unread."""

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from . import streams
from .models import Event, Stream


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Event]:
    """The user's own notifications, newest first, each with `unread` (numbered above the
    stream's read mark). Nobody else's: the stream is chosen from the user, never from input."""
    queryset = (
        Event.objects.filter(stream__key=streams.user_stream(user.pk))
        .annotate(unread=ExpressionWrapper(Q(seq__gt=F("stream__read_seq")), output_field=BooleanField()))
        .order_by("-seq")
    )
    if unread_only:
        queryset = queryset.filter(seq__gt=F("stream__read_seq"))
    return queryset


def notification_counts(*, user) -> dict:
    """{"stream", "last_seq", "read_seq", "unread"} of the user's notifications, in one query.
    Numbers on a stream have no gaps, so the unread ones are simply those above the read mark."""
    key = streams.user_stream(user.pk)
    last_seq, read_seq = Stream.objects.filter(key=key).values_list("last_seq", "read_seq").first() or (0, 0)
    return {"stream": key, "last_seq": last_seq, "read_seq": read_seq, "unread": max(last_seq - read_seq, 0)}


def stream_last_seqs(keys) -> dict[str, int]:
    """{key: the newest number} of the streams `keys`, 0 for a stream without events yet."""
    keys = list(keys)
    found = dict(Stream.objects.filter(key__in=keys).values_list("key", "last_seq"))
    return {key: found.get(key, 0) for key in keys}
