"""Event streams. Every event pushed over a websocket is first stored here with the next
sequence number of its stream, so a client that reconnects (or sees a gap) fetches exactly what
it missed from the REST API."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Stream(models.Model):
    """A named stream: "user.<id>" (a person's notifications) or "fair.<id>" (a fair's live
    board). `last_seq` is the number of the newest event; on a personal stream `read_seq` is the
    newest one its owner has read."""

    key = models.CharField(max_length=80, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    read_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_seq}"


class Event(models.Model):
    """One event on a stream. `dedupe_key` makes an event happen once however often the code
    that raises it runs (e.g. "starts-soon:meeting:12:user:7" from several tickers)."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=60)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="one_event_per_stream_seq")]

    def __str__(self) -> str:
        return f"{self.stream_id}#{self.seq} {self.kind}"


class Presence(models.Model):
    """A websocket connection subscribed to a stream, refreshed by its heartbeats. A fair's
    lobby is the participants present on its stream; a row whose heartbeat stopped is stale."""

    channel_name = models.CharField(max_length=200)
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel_name", "stream"], name="one_presence_per_connection_stream")
        ]
        indexes = [models.Index(fields=["stream", "last_seen"])]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.stream_id}"
