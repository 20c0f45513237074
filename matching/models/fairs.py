"""Consultation fairs (수출상담회): the fair and its phases, the agency's video rooms, invited
participants with their availability and caps, interpreters, meeting requests, the meetings
(상담) the scheduler places, solver runs, and the once-only record of emails sent.

All datetimes are stored in UTC (USE_TZ); session windows are wall-clock times in Seoul.
Double booking is refused by PostgreSQL exclusion constraints (migration 0004), and by the
services' own check first so that SQLite and clear messages work too.
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from buyers.models import BuyerOrganisation
from catalog.models import Company, Sector
from catalog.validators import validate_languages


class FairPhase(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    REQUESTS_OPEN = "requests_open", _("Requests open")
    SCHEDULING = "scheduling", _("Scheduling")
    PUBLISHED = "published", _("Published")
    LIVE = "live", _("Live")
    FOLLOW_UP = "follow_up", _("Follow-up")


class ConsultationFair(models.Model):
    """An online export consultation fair for some sectors and target countries: its days, daily
    session windows in Seoul time, meeting length and breaks, the video rooms it may use, its
    phase, and the rules for requests and meetings."""

    name = models.CharField(_("name"), max_length=200)
    sectors = models.ManyToManyField(Sector, related_name="fairs", verbose_name=_("sectors"))
    target_countries = CountryField(_("target countries"), multiple=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=20, choices=FairPhase.choices, default=FairPhase.REGISTRATION)
    meeting_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"), default=40, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    break_minutes = models.PositiveSmallIntegerField(
        _("break between meetings (minutes)"), default=10, validators=[MaxValueValidator(120)]
    )
    rooms = models.ManyToManyField("VideoRoom", blank=True, related_name="fairs", verbose_name=_("video rooms"))
    # What counts as sane hours for a participant, in their own time zone, Monday to Friday.
    local_hours_from = models.PositiveSmallIntegerField(
        _("earliest local hour"), default=8, validators=[MaxValueValidator(23)]
    )
    local_hours_to = models.PositiveSmallIntegerField(
        _("latest local hour"), default=20, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    request_expiry_hours = models.PositiveIntegerField(
        _("pending requests expire after (hours)"), default=72, validators=[MinValueValidator(1)]
    )
    max_pending_requests = models.PositiveSmallIntegerField(
        _("outgoing pending requests per participant"), default=10, validators=[MinValueValidator(1)]
    )
    default_meeting_cap = models.PositiveSmallIntegerField(
        _("meetings per participant (default cap)"), default=8, validators=[MinValueValidator(1)]
    )
    min_meetings_per_sme = models.PositiveSmallIntegerField(_("minimum meetings per SME"), default=0)
    no_show_after_minutes = models.PositiveSmallIntegerField(
        _("no-show after (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("On the day: a party not in the room this long after the start makes a no-show candidate."),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="fair_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(local_hours_to__gt=F("local_hours_from")), name="fair_local_hours_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SessionWindow(models.Model):
    """A daily consultation window of a fair, wall-clock time in Seoul (e.g. 09:00-12:00)."""

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="session_windows")
    opens_at = models.TimeField(_("opens at (Seoul time)"))
    closes_at = models.TimeField(_("closes at (Seoul time)"))

    class Meta:
        ordering = ["opens_at"]
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="session_window_ordered")]

    def __str__(self) -> str:
        return f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M} KST"


class VideoRoom(models.Model):
    """One of the agency's video consultation rooms (화상상담실), where SMEs sit for meetings."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ParticipantStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class FairParticipant(models.Model):
    """An SME or a buyer organisation invited to a fair; once accepted, it sets its availability
    and cap, and may request and receive meetings."""

    class Kind(models.TextChoices):
        SME = "sme", _("SME")
        BUYER = "buyer", _("Buyer")

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="fair_participations"
    )
    buyer = models.ForeignKey(
        BuyerOrganisation, null=True, blank=True, on_delete=models.CASCADE, related_name="fair_participations"
    )
    status = models.CharField(max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.INVITED)
    meeting_cap = models.PositiveSmallIntegerField(
        _("most meetings"), null=True, blank=True, help_text=_("Empty: the fair's default.")
    )
    uses_video_room = models.BooleanField(
        _("sits in an agency video room"),
        default=True,
        help_text=_("SMEs: meet from one of the agency's video rooms (otherwise online from their office)."),
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="sme", company__isnull=False, buyer__isnull=True))
                | (Q(kind="buyer", buyer__isnull=False, company__isnull=True)),
                name="participant_is_sme_or_buyer",
            ),
            models.UniqueConstraint(
                fields=["fair", "company"], condition=Q(company__isnull=False), name="one_participation_per_company"
            ),
            models.UniqueConstraint(
                fields=["fair", "buyer"], condition=Q(buyer__isnull=False), name="one_participation_per_buyer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.company_id or self.buyer_id} in fair {self.fair_id}"

    @property
    def party(self):
        return self.company if self.kind == self.Kind.SME else self.buyer


class AvailabilityWindow(models.Model):
    """When a participant can meet (UTC). A participant with no windows can meet whenever the fair
    runs (still inside sane hours in its own time zone)."""

    participant = models.ForeignKey(FairParticipant, on_delete=models.CASCADE, related_name="availability")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="availability_ordered")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M} UTC"


class Interpreter(models.Model):
    """An interpreter the agency can book into meetings whose SME and buyer share no language."""

    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    languages = models.JSONField(_("languages"), default=list, validators=[validate_languages])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="interpreter"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class InterpreterAvailability(models.Model):
    """When an interpreter can work (UTC). An interpreter with no windows for a fair's dates is
    available throughout it."""

    interpreter = models.ForeignKey(Interpreter, on_delete=models.CASCADE, related_name="availability")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="interpreter_availability_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.interpreter_id}: {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M} UTC"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MeetingRequest(models.Model):
    """One side asks the other for a meeting inside a fair; the other side accepts or declines.
    Staff may send one on behalf of either side (from a proposed pair)."""

    class Side(models.TextChoices):
        SME = "sme", _("SME")
        BUYER = "buyer", _("Buyer")

    OPEN = (RequestStatus.PENDING, RequestStatus.ACCEPTED)

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="meeting_requests")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="meeting_requests")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="meeting_requests")
    from_side = models.CharField(_("requested by"), max_length=5, choices=Side.choices)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False, help_text="sent by staff for the requesting side")
    score = models.FloatField(null=True, blank=True, help_text="the pair's match score when requested")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live request per pair and fair: a second one is refused by the database.
            models.UniqueConstraint(
                fields=["fair", "company", "buyer"],
                condition=Q(status__in=["pending", "accepted"]),
                name="one_open_request_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"request {self.pk}: {self.company_id} x {self.buyer_id} ({self.status})"


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class LiveState(models.TextChoices):
    """Where a published meeting stands on the day (the booking itself is `MeetingStatus`)."""

    SCHEDULED = "scheduled", _("Scheduled")
    WAITING = "waiting", _("Waiting for both")
    WAITING_BUYER = "waiting_buyer", _("Waiting for buyer")
    WAITING_SME = "waiting_sme", _("Waiting for SME")
    LIVE = "live", _("Live")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


# Meetings that hold their people, room and interpreter: a cancelled one frees them.
BOOKED_STATUSES = (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED)


class Meeting(models.Model):
    """A 1:1 consultation (상담) between an SME and a buyer at a time, in a video room if the SME
    sits in one, with an interpreter if they share no language. `uid` and `sequence` are the
    calendar event's identity and version: a reschedule keeps the uid and raises the sequence."""

    class Source(models.TextChoices):
        REQUEST = "request", _("Accepted request")
        PROPOSAL = "proposal", _("Proposed pair")
        STAFF = "staff", _("Added by staff")
        STANDBY = "standby", _("Standby refill")

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="meetings")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="meetings")
    buyer = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="meetings")
    request = models.ForeignKey(
        MeetingRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.ForeignKey(VideoRoom, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings")
    interpreter = models.ForeignKey(
        Interpreter, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    score = models.FloatField(default=0.0)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    cancel_reason = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="first published to its parties")
    # The day itself (matching.fairs.live): where the meeting stands, kept up to date from the
    # room's attendance and the clock, so the live board and reports read one stored value.
    live_state = models.CharField(max_length=16, choices=LiveState.choices, default=LiveState.SCHEDULED)
    no_show_side = models.CharField(
        max_length=5, blank=True, help_text="sme, buyer or both: who had not joined when the no-show time passed"
    )
    live_started_at = models.DateTimeField(null=True, blank=True, help_text="when both sides were first in the room")
    live_ended_at = models.DateTimeField(null=True, blank=True, help_text="when the last side left after going live")
    attended_seconds = models.PositiveIntegerField(default=0, help_text="time both sides were in the room together")
    replaced_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text="the standby meeting that took this no-show's slot",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_it_starts"),
        ]
        indexes = [
            models.Index(fields=["fair", "status", "starts_at"]),
            models.Index(fields=["company", "starts_at"]),
            models.Index(fields=["buyer", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"meeting {self.pk}: {self.company_id} x {self.buyer_id} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_booked(self) -> bool:
        return self.status in BOOKED_STATUSES


class ScheduleRun(models.Model):
    """One run of the scheduler for a fair (a Celery task): its progress for the staff page, and
    what it found: placed counts, the bound and gap, and why each unplaced pair was not placed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    fair = models.ForeignKey(ConsultationFair, on_delete=models.CASCADE, related_name="schedule_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=40, blank=True)
    candidates = models.PositiveIntegerField(default=0)
    placed_accepted = models.PositiveIntegerField(default=0)
    placed_proposed = models.PositiveIntegerField(default=0)
    total_score = models.FloatField(default=0.0)
    bound_accepted = models.PositiveIntegerField(null=True, blank=True)
    bound_score = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    optimal = models.BooleanField(default=False)
    sme_shortfall = models.PositiveIntegerField(default=0)
    unplaced = models.JSONField(default=list, blank=True, help_text="[{company, buyer, code, message}]")
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One solver at a time per fair.
            models.UniqueConstraint(
                fields=["fair"], condition=Q(status__in=["queued", "running"]), name="one_schedule_run_at_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"schedule run {self.pk} for fair {self.fair_id} ({self.status})"


class CalendarFeed(models.Model):
    """A user's private calendar subscription URL (webcal): the token is the credential, so it
    can be rotated."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"


class SentEmail(models.Model):
    """The once-only record of an email: its key (e.g. "reminder-24h:meeting:12:user:7") is
    inserted before sending, so a task that runs twice, or twice at once, sends it once."""

    key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.key
