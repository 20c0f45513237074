"""Publishing events. An event is stored with its stream's next sequence number in the
caller's transaction and pushed to the stream's websocket group after commit, so a rolled-back
change pushes nothing and a client that missed a push finds the event by number."""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeon.errors import DomainError

from . import streams
from .models import Event, Stream

logger = logging.getLogger(__name__)


def event_frame(event: Event, key: str) -> dict:
    """The JSON an event travels as, over the websocket and in the REST API alike."""
    return {
        "type": "event",
        "stream": key,
        "seq": event.seq,
        "kind": event.kind,
        "data": event.data,
        "at": event.created_at.isoformat(),
    }


def stream_get(key: str, *, lock: bool = False) -> Stream:
    streams.parse(key)
    stream, _ = Stream.objects.get_or_create(key=key)
    if lock:
        stream = Stream.objects.select_for_update().get(pk=stream.pk)
    return stream


def group_send(group: str, message: dict) -> None:
    """Send to a channel-layer group from synchronous code, best effort: what is pushed is
    stored first (an event, a chat line), so a failed push is logged and read back later."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not push %s to group %s", message.get("type"), group)


def _push(key: str, frame: dict) -> None:
    group_send(streams.group_name(key), {"type": "stream.event", "frame": frame})


def event_publish(key: str, kind: str, data: dict | None = None, *, dedupe_key: str | None = None) -> Event | None:
    """Store the next event of stream `key` and push it after commit. With a `dedupe_key` that
    was used before, nothing happens and None is returned."""
    with transaction.atomic():
        if dedupe_key and Event.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        # The row lock orders concurrent publishers: numbers are gap-free and never reused.
        stream = stream_get(key, lock=True)
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    stream=stream,
                    seq=stream.last_seq + 1,
                    kind=kind,
                    data=data or {},
                    dedupe_key=dedupe_key or None,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            if dedupe_key and Event.objects.filter(dedupe_key=dedupe_key).exists():
                return None  # a concurrent publisher raised the same event first
            raise
        Stream.objects.filter(pk=stream.pk).update(last_seq=F("last_seq") + 1)
    frame = event_frame(event, key)
    transaction.on_commit(lambda: _push(key, frame))
    return event


def notify_users(
    users: Iterable,
    kind: str,
    message: str,
    *,
    url: str = "",
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Put a notification on each user's personal stream; returns how many were new."""
    sent = 0
    for user in users:
        user_id = getattr(user, "pk", user)
        payload = {"message": str(message), "url": url, **(data or {})}
        key = f"{dedupe_key}:user:{user_id}" if dedupe_key else None
        if event_publish(streams.user_stream(user_id), kind, payload, dedupe_key=key) is not None:
            sent += 1
    return sent


def events_after(key: str, after: int, *, limit: int = 500) -> tuple[int, list[Event]]:
    """The stream's newest number and its events numbered above `after` (at most `limit`).

    The events are read before the number: an event and its number commit together, so the
    number is never below the last event returned, and a client that compares the two knows
    whether more is waiting."""
    events = list(Event.objects.filter(stream__key=key, seq__gt=after).order_by("seq")[:limit])
    last_seq = Stream.objects.filter(key=key).values_list("last_seq", flat=True).first() or 0
    return max([last_seq, *(e.seq for e in events[-1:])]), events


# --- notifications (the events of a personal stream) -----------------------------------------------


def notifications_mark_read(*, user, up_to: int | None = None) -> Stream:
    """Mark the user's notifications read up to number `up_to` (all of them when None). The mark
    only moves forward and never past the newest notification, so one that arrives later is
    unread. The user's other tabs hear a "read" frame and update their badge."""
    if up_to is not None and up_to < 0:
        raise DomainError(_("Give a notification number of 0 or more."), field="up_to")
    key = streams.user_stream(user.pk)
    with transaction.atomic():
        stream = stream_get(key, lock=True)
        target = stream.last_seq if up_to is None else min(up_to, stream.last_seq)
        if target <= stream.read_seq:
            return stream
        stream.read_seq = target
        stream.save(update_fields=["read_seq"])
    frame = {"type": "read", "stream": key, "read_seq": stream.read_seq, "unread": stream.last_seq - stream.read_seq}
    transaction.on_commit(lambda: _push(key, frame))
    return stream


# --- presence ------------------------------------------------------------------------------------

# A connection that has not sent a heartbeat for this long is gone (the client pings every 25 s).
PRESENCE_STALE_SECONDS = 75


def _presence_data(user, online: bool) -> dict:
    return {
        "user": user.pk,
        "name": user.get_full_name() or user.get_username(),
        "role": getattr(user, "role", ""),
        "company": getattr(user, "company_id", None),
        "buyer": getattr(user, "buyer_organisation_id", None),
        "online": online,
    }


def _live_presences(stream: Stream):
    since = timezone.now() - timezone.timedelta(seconds=PRESENCE_STALE_SECONDS)
    return stream.presences.filter(last_seen__gte=since)


def presence_enter(key: str, user, channel_name: str) -> None:
    """A connection subscribed to `key`; the stream hears "presence" when the user comes online."""
    from .models import Presence

    with transaction.atomic():
        stream = stream_get(key, lock=True)
        was_online = _live_presences(stream).filter(user=user).exists()
        Presence.objects.update_or_create(
            channel_name=channel_name, stream=stream, defaults={"user": user, "last_seen": timezone.now()}
        )
        if not was_online:
            event_publish(key, "presence", _presence_data(user, True))


def presence_leave(key: str, user, channel_name: str) -> None:
    """A connection left `key`; the stream hears "presence" when the user's last one goes."""
    with transaction.atomic():
        stream = stream_get(key, lock=True)
        deleted, _ = stream.presences.filter(channel_name=channel_name).delete()
        if deleted and not _live_presences(stream).filter(user=user).exists():
            event_publish(key, "presence", _presence_data(user, False))


def presence_touch(channel_name: str) -> int:
    """A heartbeat: the connection is alive on every stream it follows. Returns how many
    presences it refreshed (fewer than the fair streams it follows: a sweep took it for gone)."""
    from .models import Presence

    return Presence.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())


def presence_sweep(key: str) -> int:
    """Drop connections on `key` whose heartbeats stopped (a closed laptop never says goodbye)
    and announce who went offline; returns how many connections were dropped."""
    with transaction.atomic():
        stream = stream_get(key, lock=True)
        since = timezone.now() - timezone.timedelta(seconds=PRESENCE_STALE_SECONDS)
        stale = list(stream.presences.filter(last_seen__lt=since).select_related("user"))
        if not stale:
            return 0
        stream.presences.filter(pk__in=[p.pk for p in stale]).delete()
        still = set(_live_presences(stream).values_list("user_id", flat=True))
        for user in {p.user_id: p.user for p in stale}.values():
            if user.pk not in still:
                event_publish(key, "presence", _presence_data(user, False))
        return len(stale)


def presence_online(key: str) -> list[dict]:
    """Who is on the stream now, one entry per user."""
    stream = Stream.objects.filter(key=key).first()
    if stream is None:
        return []
    users = {p.user_id: p.user for p in _live_presences(stream).select_related("user")}
    return [_presence_data(user, True) for user in users.values()]
