"""Models of the matching app: pairings and the scoring model (`pairings`), and consultation
fairs with their participants, requests, meetings and schedules (`fairs`)."""

from .fairs import (
    BOOKED_STATUSES,
    AvailabilityWindow,
    CalendarFeed,
    ConsultationFair,
    FairParticipant,
    FairPhase,
    Interpreter,
    InterpreterAvailability,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    ParticipantStatus,
    RequestStatus,
    ScheduleRun,
    SentEmail,
    SessionWindow,
    VideoRoom,
)
from .pairings import MatchingRun, MatchOutcome, PairDecision, Pairing, ScoringModel

__all__ = [
    "BOOKED_STATUSES",
    "AvailabilityWindow",
    "CalendarFeed",
    "ConsultationFair",
    "FairParticipant",
    "FairPhase",
    "Interpreter",
    "InterpreterAvailability",
    "MatchOutcome",
    "MatchingRun",
    "Meeting",
    "MeetingRequest",
    "MeetingStatus",
    "PairDecision",
    "Pairing",
    "ParticipantStatus",
    "RequestStatus",
    "ScheduleRun",
    "ScoringModel",
    "SentEmail",
    "SessionWindow",
    "VideoRoom",
]
