"""The fair day itself: who was in each meeting's video room and when, and the room's chat."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .fairs import Meeting


class RoomSide(models.TextChoices):
    SME = "sme", _("SME")
    BUYER = "buyer", _("Buyer")
    INTERPRETER = "interpreter", _("Interpreter")
    STAFF = "staff", _("Staff")


class MeetingAttendance(models.Model):
    """One connection to a meeting's room: a join, and a leave once it closes. A person may
    come and go several times; the meeting's state and attended time are derived from these."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=12, choices=RoomSide.choices)
    channel_name = models.CharField(max_length=200, blank=True, help_text="the websocket connection while present")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["meeting", "left_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("joined_at")), name="attendance_leaves_after_join"
            )
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.user_id} in meeting {self.meeting_id} from {self.joined_at:%H:%M:%S}"


class MeetingChatMessage(models.Model):
    """A line of text chat in a meeting's room, kept with the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    side = models.CharField(max_length=12, choices=RoomSide.choices)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["meeting", "created_at"])]

    def __str__(self) -> str:
        return f"chat {self.pk} in meeting {self.meeting_id}"
