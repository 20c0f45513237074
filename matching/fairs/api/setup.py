"""REST API of fair setup: fairs (details, session windows, rooms, phases), participants
(invitations, answers, availability, caps), interpreters and video rooms; plus the fair's
matcher actions (recompute proposals, pin or exclude pairs)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buyers.models import BuyerOrganisation
from catalog.models import Company, Sector
from matching import services as matching_services
from matching import tasks as matching_tasks
from matching.models import ConsultationFair, FairParticipant, FairPhase, PairDecision, VideoRoom
from tradeon.accounts.models import Role
from tradeon.api.fields import CountryListField
from tradeon.api.pagination import StandardPagination
from tradeon.api.permissions import IsAgencyStaff, ReadOnlyOrRole
from tradeon.errors import DomainError, NotAllowed

from .. import selectors, setup


class SessionWindowSerializer(serializers.Serializer):
    opens_at = serializers.TimeField(help_text="Seoul time, HH:MM")
    closes_at = serializers.TimeField(help_text="Seoul time, HH:MM")


class FairSerializer(serializers.ModelSerializer):
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Sector.objects.all())
    target_countries = CountryListField(required=False)
    session_windows = SessionWindowSerializer(many=True, required=False)
    rooms = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=VideoRoom.objects.all())

    class Meta:
        model = ConsultationFair
        fields = [
            "id",
            "name",
            "sectors",
            "target_countries",
            "starts_on",
            "ends_on",
            "phase",
            "session_windows",
            "meeting_minutes",
            "break_minutes",
            "rooms",
            "local_hours_from",
            "local_hours_to",
            "request_expiry_hours",
            "max_pending_requests",
            "default_meeting_cap",
            "min_meetings_per_sme",
            "published_at",
            "created_at",
        ]
        read_only_fields = ["phase", "published_at", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["session_windows"] = [
            {"opens_at": f"{w.opens_at:%H:%M}", "closes_at": f"{w.closes_at:%H:%M}"}
            for w in instance.session_windows.all()
        ]
        return data


def _fair_arguments(data: dict) -> dict:
    data = dict(data)
    if "session_windows" in data:
        data["session_windows"] = [(w["opens_at"], w["closes_at"]) for w in data["session_windows"]]
    return data


class PhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=FairPhase.choices)


class DecisionSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    buyer = serializers.PrimaryKeyRelatedField(queryset=BuyerOrganisation.objects.all())
    decision = serializers.ChoiceField(choices=PairDecision.Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class FairViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Consultation fairs. Staff see and manage every fair; SMEs and buyers see the fairs they are
    invited to."""

    queryset = ConsultationFair.objects.none()
    serializer_class = FairSerializer
    permission_classes = [ReadOnlyOrRole]
    write_roles = (Role.STAFF,)
    pagination_class = StandardPagination
    filter_backends = []

    def get_queryset(self):
        return selectors.fair_list(user=self.request.user).prefetch_related("session_windows", "rooms")

    def create(self, request, *args, **kwargs):
        serializer = FairSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fair = setup.fair_create(created_by=request.user, **_fair_arguments(serializer.validated_data))
        return Response(FairSerializer(fair).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        fair = self.get_object()
        serializer = FairSerializer(fair, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fair = setup.fair_update(fair=fair, updated_by=request.user, **_fair_arguments(serializer.validated_data))
        return Response(FairSerializer(fair).data)

    @extend_schema(request=PhaseSerializer, responses={200: FairSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def phase(self, request, pk=None):
        """Move the fair to its next phase (registration → requests open → scheduling; published →
        live → follow-up), or back from scheduling to requests open. Publishing is done by
        publishing the schedule."""
        fair = self.get_object()
        serializer = PhaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fair = setup.fair_phase_advance(fair=fair, to_phase=serializer.validated_data["phase"], changed_by=request.user)
        return Response(FairSerializer(fair).data)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def recompute(self, request, pk=None):
        """Recompute the fair's proposed pairs (the matcher, restricted to its sectors and countries)."""
        fair = self.get_object()
        result = matching_tasks.recompute_fair_pairings.delay(fair.pk)
        return Response(
            {"detail": "Recompute of the fair's proposals queued.", "task_id": result.id},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=DecisionSerializer, responses={200: None})
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def decisions(self, request, pk=None):
        """Pin a pair (approve it for scheduling) or exclude it for this fair, proposed or not."""
        fair = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        matching_services.pair_decide(
            fair=fair,
            company_id=data["company"].pk,
            buyer_id=data["buyer"].pk,
            decision=data["decision"],
            decided_by=request.user,
            note=data.get("note", ""),
        )
        return Response({"detail": "Pair pinned." if data["decision"] == "pin" else "Pair excluded."})


class AvailabilityWindowSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with offset, e.g. 2026-12-07T09:00:00-08:00")
    ends_at = serializers.DateTimeField()


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    availability = AvailabilityWindowSerializer(many=True, read_only=True)
    effective_cap = serializers.SerializerMethodField()

    class Meta:
        model = FairParticipant
        fields = [
            "id",
            "fair",
            "kind",
            "company",
            "buyer",
            "name",
            "status",
            "meeting_cap",
            "effective_cap",
            "uses_video_room",
            "availability",
            "invited_at",
            "responded_at",
        ]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return str(obj.company) if obj.kind == FairParticipant.Kind.SME else obj.buyer.name

    def get_effective_cap(self, obj) -> int:
        return obj.meeting_cap or obj.fair.default_meeting_cap


class InviteSerializer(serializers.Serializer):
    fair = serializers.PrimaryKeyRelatedField(queryset=ConsultationFair.objects.all())
    companies = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=Company.objects.all())
    buyers = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=BuyerOrganisation.objects.all())
    by_filter = serializers.BooleanField(
        default=False,
        help_text="Invite every published company in the fair's sectors and every verified buyer from its target countries.",
    )


class RespondSerializer(serializers.Serializer):
    accept = serializers.BooleanField()


class ParticipationSerializer(serializers.Serializer):
    availability = AvailabilityWindowSerializer(many=True, required=False)
    meeting_cap = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    uses_video_room = serializers.BooleanField(required=False)


@extend_schema(parameters=[OpenApiParameter("fair", int, description="Only this fair's participants")])
class ParticipantViewSet(viewsets.ReadOnlyModelViewSet):
    """Fair participants. Staff see all and invite; an SME or buyer sees the accepted participants
    of fairs it belongs to and its own participation, answers its invitation, and sets its
    availability and cap."""

    queryset = FairParticipant.objects.none()
    serializer_class = ParticipantSerializer
    pagination_class = StandardPagination
    filter_backends = []

    def get_queryset(self):
        fair_id = self.request.query_params.get("fair")
        if fair_id is not None and not fair_id.isdigit():
            raise DomainError(_("fair must be a fair id."), field="fair")
        return selectors.participant_list(user=self.request.user, fair_id=int(fair_id) if fair_id else None).order_by(
            "id"
        )

    @extend_schema(request=InviteSerializer, responses={201: ParticipantSerializer(many=True)})
    @action(detail=False, methods=["post"], permission_classes=[IsAgencyStaff])
    def invite(self, request):
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        companies, buyers = list(data.get("companies", [])), list(data.get("buyers", []))
        if data["by_filter"]:
            filtered_companies, filtered_buyers = setup.invitation_candidates(data["fair"])
            companies += list(filtered_companies)
            buyers += list(filtered_buyers)
        if not companies and not buyers:
            raise DomainError(_("Name companies or buyers to invite, or invite by filter."), field="companies")
        invited = setup.participants_invite(
            fair=data["fair"], invited_by=request.user, companies=companies, buyers=buyers
        )
        return Response(ParticipantSerializer(invited, many=True).data, status=status.HTTP_201_CREATED)

    def _own(self):
        participant = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        user = self.request.user
        if (
            user.role != Role.STAFF
            and participant.company_id != user.company_id
            and participant.buyer_id != (user.buyer_organisation_id)
        ):
            raise NotAllowed(_("You can only answer for your own company or organisation."))
        return participant

    @extend_schema(request=RespondSerializer, responses={200: ParticipantSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """Accept or decline the invitation."""
        serializer = RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        participant = setup.invitation_respond(
            participant=self._own(), user=request.user, accept=serializer.validated_data["accept"]
        )
        return Response(ParticipantSerializer(participant).data)

    @extend_schema(request=ParticipationSerializer, responses={200: ParticipantSerializer})
    @action(detail=True, methods=["post"])
    def participation(self, request, pk=None):
        """Set availability windows (replacing them; [] means whenever the fair runs), the cap on
        meetings (null: the fair's default) and, for SMEs, whether they sit in a video room."""
        serializer = ParticipationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        availability = data.get("availability")
        participant = setup.participation_update(
            participant=self._own(),
            user=request.user,
            availability=None if availability is None else [(w["starts_at"], w["ends_at"]) for w in availability],
            meeting_cap=data.get("meeting_cap"),
            clear_cap="meeting_cap" in data and data["meeting_cap"] is None,
            uses_video_room=data.get("uses_video_room"),
        )
        participant.refresh_from_db()
        return Response(ParticipantSerializer(participant).data)


class InterpreterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    email = serializers.EmailField(required=False, allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField(max_length=3), allow_empty=False)
    is_active = serializers.BooleanField(default=True)
    availability = AvailabilityWindowSerializer(many=True, required=False)


class InterpreterViewSet(viewsets.ModelViewSet):
    """Interpreters the agency books into meetings whose parties share no language (staff only)."""

    serializer_class = InterpreterSerializer
    permission_classes = [IsAgencyStaff]
    pagination_class = StandardPagination
    filter_backends = []
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.interpreter_list()

    def _save(self, data: dict, interpreter=None):
        data = dict(data)
        availability = data.pop("availability", None)
        return setup.interpreter_save(
            saved_by=self.request.user,
            interpreter=interpreter,
            availability=None if availability is None else [(w["starts_at"], w["ends_at"]) for w in availability],
            **data,
        )

    def create(self, request, *args, **kwargs):
        serializer = InterpreterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interpreter = self._save(serializer.validated_data)
        return Response(InterpreterSerializer(interpreter).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        interpreter = self.get_object()
        serializer = InterpreterSerializer(interpreter, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        current = {f: getattr(interpreter, f) for f in ("name", "email", "languages", "is_active")}
        interpreter = self._save({**current, **serializer.validated_data}, interpreter=interpreter)
        return Response(InterpreterSerializer(interpreter).data)


class VideoRoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = VideoRoom
        fields = ["id", "name", "is_active"]


class VideoRoomViewSet(viewsets.ReadOnlyModelViewSet):
    """The agency's video consultation rooms (staff)."""

    serializer_class = VideoRoomSerializer
    permission_classes = [IsAgencyStaff]
    queryset = VideoRoom.objects.all()
    filter_backends = []

    def list(self, request, *args, **kwargs):
        setup.video_rooms_ensure()
        return super().list(request, *args, **kwargs)


ROUTES = [
    ("fairs", FairViewSet, "fair"),
    ("fair-participants", ParticipantViewSet, "fairparticipant"),
    ("interpreters", InterpreterViewSet, "interpreter"),
    ("video-rooms", VideoRoomViewSet, "videoroom"),
]
