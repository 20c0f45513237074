"""REST API of the fair day's live board (staff only; everyone else gets 403 and nothing changes).

GET   live-boards/{fair}/?day=YYYY-MM-DD    the board snapshot (meetings of the day with their
                                           live state, lobby, counts, next slot, stream seq)
PATCH live-boards/{fair}/settings/         {no_show_after_minutes: 1..60}
POST  live-boards/{fair}/announce/         {message: 1..500 characters}
POST  live-boards/{fair}/start-day/        a published fair goes live
POST  live-boards/{fair}/tick/             clock-driven states of this fair, now (idempotent)
GET   live-meetings/{meeting}/standby/?side=sme|buyer    standby suggestions for the slot
POST  live-meetings/{meeting}/reassign/    {to: company or buyer id, side: sme|buyer}
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buyers.models import BuyerOrganisation
from catalog.models import Company
from matching.models import ConsultationFair, Meeting
from tradeon.api.permissions import IsAgencyStaff
from tradeon.errors import DomainError

from .. import live

SIDES = [("sme", "SME"), ("buyer", "Buyer")]


class _DayQuery(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="A Seoul day, YYYY-MM-DD; default today")


class SettingsSerializer(serializers.Serializer):
    no_show_after_minutes = serializers.IntegerField(
        min_value=live.NO_SHOW_MINUTES_RANGE[0],
        max_value=live.NO_SHOW_MINUTES_RANGE[1],
        help_text="Minutes after the start at which an absent party makes a no-show candidate",
    )


class AnnouncementSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=live.ANNOUNCEMENT_MAX_LENGTH, trim_whitespace=True)


class _SideQuery(serializers.Serializer):
    side = serializers.ChoiceField(choices=SIDES, required=False, help_text="Default: the absent side")


class ReassignSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, help_text="The standby party: a company id (side sme) or buyer id")
    side = serializers.ChoiceField(choices=SIDES, required=False, help_text="Default: the meeting's absent side")


class StandbySuggestionSerializer(serializers.Serializer):
    side = serializers.CharField()
    id = serializers.IntegerField(help_text="company id (side sme) or buyer organisation id")
    participant = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="match score with the present party")
    online = serializers.BooleanField(help_text="in the fair's lobby now")
    room = serializers.CharField(allow_null=True)
    interpreter = serializers.CharField(allow_null=True)
    rank = serializers.IntegerField()


def _fair(pk) -> ConsultationFair:
    return get_object_or_404(ConsultationFair, pk=pk)


class LiveBoardViewSet(viewsets.ViewSet):
    """A fair's live board: its snapshot, the no-show delay, announcements, starting the day, and
    the tick an open board sends so clock-driven states stay fresh without Celery beat."""

    permission_classes = [IsAgencyStaff]
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, description="A Seoul day; default today")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def retrieve(self, request, pk=None):
        """The board snapshot; apply the fair stream's events numbered above its `seq`."""
        fair = _fair(pk)
        query = _DayQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(live.board_snapshot(fair, day=query.validated_data.get("day")))

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer})
    @action(detail=True, methods=["patch"], url_path="settings")
    def board_settings(self, request, pk=None):
        """Set the no-show delay; the boards hear "board.settings" and states are judged again."""
        fair = _fair(pk)
        serializer = SettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fair = live.fair_settings_update(fair, serializer.validated_data["no_show_after_minutes"], request.user)
        return Response({"no_show_after_minutes": fair.no_show_after_minutes})

    @extend_schema(request=AnnouncementSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def announce(self, request, pk=None):
        """Tell the fair's participants something (notification) and show it on the boards."""
        fair = _fair(pk)
        serializer = AnnouncementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = live.fair_announce(fair, serializer.validated_data["message"], request.user)
        return Response({"seq": event.seq, **event.data}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="start-day")
    def start_day(self, request, pk=None):
        """Move a published fair to "live"."""
        fair = live.fair_day_start(_fair(pk), request.user)
        return Response({"phase": fair.phase})

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        """Bring this fair's clock-driven states up to date now (what beat does every minute);
        changes arrive as events. Safe to call from several boards at once."""
        fair = _fair(pk)
        return Response({"changed": live.live_tick(fair=fair)})


class LiveMeetingViewSet(viewsets.ViewSet):
    """A meeting on the live board: standby suggestions for its slot, and re-assigning the slot."""

    permission_classes = [IsAgencyStaff]
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        parameters=[OpenApiParameter("side", str, enum=["sme", "buyer"], description="Default: the absent side")],
        responses={200: StandbySuggestionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def standby(self, request, pk=None):
        """Participants free in the slot who could replace the absent side, best match first."""
        meeting = get_object_or_404(Meeting, pk=pk)
        query = _SideQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(live.standby_suggestions(meeting, side=query.validated_data.get("side")))

    @extend_schema(request=ReassignSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Cancel the no-show and book the standby party in the same slot and room."""
        meeting = get_object_or_404(Meeting.objects.select_related("fair"), pk=pk)
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        side = serializer.validated_data.get("side") or meeting.no_show_side
        if side not in ("sme", "buyer"):  # both absent, or none stored yet: `to` could be either
            raise DomainError(_("Say which side to replace: the SME or the buyer."), field="side")
        model = Company if side == "sme" else BuyerOrganisation
        replacement = get_object_or_404(model, pk=serializer.validated_data["to"])
        new = live.slot_reassign(meeting=meeting, replacement=replacement, by=request.user, side=side)
        return Response({"meeting": live.board_row(new, set()), "replaced": meeting.pk}, status=status.HTTP_201_CREATED)


ROUTES: list = [  # (prefix, viewset, basename), registered by tradeon/api/urls.py
    ("live-boards", LiveBoardViewSet, "liveboard"),
    ("live-meetings", LiveMeetingViewSet, "livemeeting"),
]
