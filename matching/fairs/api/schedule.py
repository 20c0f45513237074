"""REST API of the schedule: meetings (by role; staff add, move, swap and cancel), scheduler runs
(staff start one and follow its progress and result) and publishing the draft.

    GET  meetings/?fair=&status=          staff: all; SMEs and buyers: their own published ones
    POST meetings/                        staff: book {fair, company, buyer, starts_at, room, interpreter, force}
    POST meetings/{id}/move/              staff: {starts_at?, room?, interpreter?, force}
    POST meetings/{id}/swap/              staff: {other, force}
    POST meetings/{id}/cancel/            staff: {reason}
    GET  schedule-runs/?fair=             staff: runs, newest first
    POST schedule-runs/                   staff: {fair} queues a run (202); 409 while one is in progress
    GET  schedule-runs/{id}/              staff: progress, stage and result
    POST schedule-runs/publish/           staff: {fair} publishes the draft schedule
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from buyers.models import BuyerOrganisation
from catalog.models import Company
from matching.models import ConsultationFair, Interpreter, Meeting, MeetingStatus, ScheduleRun, VideoRoom
from tradeon.api.pagination import StandardPagination
from tradeon.api.permissions import IsAgencyStaff

from .. import booking, scheduling

# --- meetings ------------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    room = serializers.SerializerMethodField()
    interpreter = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "fair",
            "company",
            "buyer",
            "starts_at",
            "ends_at",
            "room",
            "interpreter",
            "status",
            "source",
            "score",
            "uid",
            "sequence",
            "published_at",
            "cancel_reason",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> dict:
        return {"id": obj.company_id, "name_en": obj.company.name_en, "name_ko": obj.company.name_ko}

    def get_buyer(self, obj) -> dict:
        return {
            "id": obj.buyer_id,
            "name": obj.buyer.name,
            "country": str(obj.buyer.country),
            "time_zone": obj.buyer.time_zone,
        }

    def get_room(self, obj) -> dict | None:
        return {"id": obj.room_id, "name": obj.room.name} if obj.room_id else None

    def get_interpreter(self, obj) -> dict | None:
        return {"id": obj.interpreter_id, "name": obj.interpreter.name} if obj.interpreter_id else None


class MeetingAddSerializer(serializers.Serializer):
    fair = serializers.PrimaryKeyRelatedField(queryset=ConsultationFair.objects.all())
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    buyer = serializers.PrimaryKeyRelatedField(queryset=BuyerOrganisation.objects.all())
    starts_at = serializers.DateTimeField(
        help_text="A slot's start, ISO 8601 with offset (e.g. 2026-12-07T13:00:00+09:00)"
    )
    room = serializers.PrimaryKeyRelatedField(queryset=VideoRoom.objects.all(), required=False, allow_null=True)
    interpreter = serializers.PrimaryKeyRelatedField(
        queryset=Interpreter.objects.all(), required=False, allow_null=True
    )
    force = serializers.BooleanField(
        default=False, help_text="Book outside the parties' availability or business hours (never over a clash)"
    )


class MeetingMoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False, help_text="Another slot's start; left out: the same slot")
    room = serializers.PrimaryKeyRelatedField(
        queryset=VideoRoom.objects.all(), required=False, allow_null=True, help_text="Left out: the same; null: none"
    )
    interpreter = serializers.PrimaryKeyRelatedField(
        queryset=Interpreter.objects.all(),
        required=False,
        allow_null=True,
        help_text="Left out: the same; null: none",
    )
    force = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if not {"starts_at", "room", "interpreter"} & set(attrs):
            raise serializers.ValidationError({"starts_at": "Give a new start, room or interpreter."})
        return attrs


class MeetingSwapSerializer(serializers.Serializer):
    other = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all(), help_text="The meeting to swap with")
    force = serializers.BooleanField(default=False)


class MeetingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Told to the parties of a published meeting")


class _MeetingFilters(serializers.Serializer):
    fair = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=MeetingStatus.choices, required=False)


def _write_permissions(view) -> list:
    return [IsAgencyStaff()] if view.action not in ("list", "retrieve") else [IsAuthenticated()]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("fair", int, description="Meetings of this fair"),
            OpenApiParameter("status", str, enum=MeetingStatus.values, description="draft, scheduled or cancelled"),
        ]
    ),
    create=extend_schema(request=MeetingAddSerializer, responses={201: MeetingSerializer}),
)
class MeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meetings of consultation fairs. Staff see every meeting (drafts too) and book, move, swap and
    cancel them; every clash is refused with a 409 naming who or what is double-booked. SMEs and
    buyers see their own published meetings only."""

    serializer_class = MeetingSerializer
    pagination_class = StandardPagination
    filter_backends = []
    queryset = Meeting.objects.none()

    def get_permissions(self):
        return _write_permissions(self)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        params = _MeetingFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return scheduling.meeting_list(
            user=self.request.user,
            fair_id=params.validated_data.get("fair"),
            status=params.validated_data.get("status"),
        ).order_by("starts_at", "id")

    def create(self, request, *args, **kwargs):
        serializer = MeetingAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting = booking.meeting_add(
            fair=data["fair"],
            added_by=request.user,
            company=data["company"],
            buyer=data["buyer"],
            starts_at=data["starts_at"],
            room=data.get("room"),
            interpreter=data.get("interpreter"),
            force=data["force"],
        )
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MeetingMoveSerializer, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the meeting to another slot, room or interpreter."""
        meeting = self.get_object()
        serializer = MeetingMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting = booking.meeting_move(
            meeting=meeting,
            moved_by=request.user,
            starts_at=data.get("starts_at"),
            room=data.get("room", booking.KEEP),
            interpreter=data.get("interpreter", booking.KEEP),
            force=data["force"],
        )
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(request=MeetingSwapSerializer, responses={200: MeetingSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def swap(self, request, pk=None):
        """Exchange the times and rooms of this meeting and `other` (same fair)."""
        meeting = self.get_object()
        serializer = MeetingSwapSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = booking.meeting_swap(
            meeting=meeting,
            other=serializer.validated_data["other"],
            swapped_by=request.user,
            force=serializer.validated_data["force"],
        )
        return Response(MeetingSerializer(pair, many=True).data)

    @extend_schema(request=MeetingCancelSerializer, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the meeting, with the reason its parties are told."""
        meeting = self.get_object()
        serializer = MeetingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = booking.meeting_cancel(
            meeting=meeting, cancelled_by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(MeetingSerializer(meeting).data)


# --- scheduler runs and publishing ------------------------------------------------------------------


class ScheduleRunSerializer(serializers.ModelSerializer):
    stage_label = serializers.SerializerMethodField()

    class Meta:
        model = ScheduleRun
        fields = [
            "id",
            "fair",
            "status",
            "progress",
            "stage",
            "stage_label",
            "method",
            "candidates",
            "placed_accepted",
            "placed_proposed",
            "total_score",
            "bound_accepted",
            "bound_score",
            "gap",
            "optimal",
            "sme_shortfall",
            "unplaced",
            "seconds",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_stage_label(self, obj) -> str:
        return scheduling.stage_label(obj.stage)


class FairChoiceSerializer(serializers.Serializer):
    fair = serializers.PrimaryKeyRelatedField(queryset=ConsultationFair.objects.all())


class PublishedSerializer(serializers.Serializer):
    fair = serializers.IntegerField()
    phase = serializers.CharField()
    published_at = serializers.DateTimeField()
    meetings = serializers.IntegerField(help_text="scheduled meetings")


class _RunFilters(serializers.Serializer):
    fair = serializers.IntegerField(required=False, min_value=1)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("fair", int, description="Runs of this fair")]),
    create=extend_schema(request=FairChoiceSerializer, responses={202: ScheduleRunSerializer}),
)
class ScheduleRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scheduler runs (staff): start one for a fair in the scheduling phase, follow its progress,
    read its result (placed, bound, gap, why each unplaced pair was not placed); publish the draft."""

    serializer_class = ScheduleRunSerializer
    permission_classes = [IsAgencyStaff]
    pagination_class = StandardPagination
    filter_backends = []
    queryset = ScheduleRun.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ScheduleRun.objects.none()
        params = _RunFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return scheduling.schedule_run_list(fair_id=params.validated_data.get("fair"))

    def create(self, request, *args, **kwargs):
        serializer = FairChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = scheduling.schedule_run_start(fair=serializer.validated_data["fair"], started_by=request.user)
        run.refresh_from_db()  # an eager task (tests, the demo) has already finished it
        return Response(ScheduleRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=FairChoiceSerializer, responses={200: PublishedSerializer})
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """Publish the fair's draft schedule: its meetings are scheduled, the fair moves to
        "published", and every participant gets their agenda by email."""
        serializer = FairChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fair = get_object_or_404(ConsultationFair, pk=serializer.validated_data["fair"].pk)
        fair = scheduling.schedule_publish(fair=fair, published_by=request.user)
        meetings = fair.meetings.filter(status=MeetingStatus.SCHEDULED).count()
        return Response(
            PublishedSerializer(
                {"fair": fair.pk, "phase": fair.phase, "published_at": fair.published_at, "meetings": meetings}
            ).data
        )


ROUTES: list = [  # (prefix, viewset, basename), registered by tradeon/api/urls.py
    ("meetings", MeetingViewSet, "meeting"),
    ("schedule-runs", ScheduleRunViewSet, "schedulerun"),
]
