"""REST API of fairs: the signed-in person's agenda (published meetings in UTC, in their zone, and
in Seoul time) and their private calendar subscription URL."""

from datetime import UTC

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from tradeon.api.pagination import StandardPagination
from tradeon.errors import DomainError

from .. import calendar


class _AgendaFilters(serializers.Serializer):
    fair = serializers.IntegerField(required=False, min_value=1)
    tz = serializers.CharField(required=False, max_length=64)
    upcoming = serializers.BooleanField(required=False, default=False)

    def validate_tz(self, value):
        try:
            return calendar.zone_named(value.strip())
        except DomainError as error:
            raise serializers.ValidationError(error.message) from None


def _entry_data(entry: calendar.AgendaEntry) -> dict:
    meeting = entry.meeting
    counterpart = entry.counterpart
    return {
        "id": meeting.pk,
        "fair": {"id": meeting.fair_id, "name": meeting.fair.name},
        "status": meeting.status,
        "starts_at": meeting.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ends_at": meeting.ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "local": entry.viewer.as_dict(),
        "seoul": entry.seoul.as_dict(),
        "buyer_local": entry.buyer_local.as_dict(),
        "company": {"id": meeting.company_id, "name_en": meeting.company.name_en, "name_ko": meeting.company.name_ko},
        "buyer": {"id": meeting.buyer_id, "name": meeting.buyer.name, "country": meeting.buyer.country.code},
        "counterpart": (
            {"name": entry.counterpart_name, **entry.counterpart_time.as_dict()} if counterpart is not None else None
        ),
        "room": meeting.room.name if meeting.room_id else None,
        "interpreter": meeting.interpreter.name if meeting.interpreter_id else None,
        "sequence": meeting.sequence,
        "calendar_uid": f"{meeting.uid}@tradeon",
        "cancel_reason": meeting.cancel_reason,
    }


_zoned = inline_serializer(
    "ZonedTime",
    {
        "time_zone": serializers.CharField(),
        "starts_at": serializers.DateTimeField(),
        "ends_at": serializers.DateTimeField(),
        "utc_offset": serializers.CharField(),
        "abbreviation": serializers.CharField(),
    },
)


class AgendaViewSet(viewsets.ViewSet):
    """The signed-in person's published meetings (staff: all), oldest first: start and end in UTC,
    in their time zone (a buyer's organisation's, Seoul for SMEs and staff, or ?tz=) with that
    date's UTC offset, and in Seoul time. Cancelled meetings that had been published are listed
    with status "cancelled"; drafts never."""

    pagination_class = StandardPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("fair", int, description="Only this fair's meetings"),
            OpenApiParameter("tz", str, description="Show local times in this IANA zone instead"),
            OpenApiParameter("upcoming", bool, description="Only scheduled meetings not yet over"),
        ],
        responses=inline_serializer(
            "AgendaEntry",
            {
                "id": serializers.IntegerField(),
                "status": serializers.CharField(),
                "starts_at": serializers.DateTimeField(),
                "ends_at": serializers.DateTimeField(),
                "local": _zoned,
                "seoul": _zoned,
                "room": serializers.CharField(allow_null=True),
                "interpreter": serializers.CharField(allow_null=True),
            },
        ),
    )
    def list(self, request):
        params = _AgendaFilters(data=request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data["upcoming"]:
            meetings = calendar.meeting_upcoming_for_user(request.user)
        else:
            meetings = calendar.meeting_list_for_user(request.user)
        if fair_id := params.validated_data.get("fair"):
            meetings = meetings.filter(fair_id=fair_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(meetings, request, view=self)
        entries = calendar.agenda_entries(page, user=request.user, zone=params.validated_data.get("tz"))
        return paginator.get_paginated_response([_entry_data(entry) for entry in entries])


_feed_schema = inline_serializer("CalendarFeed", {"url": serializers.URLField(), "webcal_url": serializers.CharField()})


class _OneObjectSchema(AutoSchema):
    # The feed's GET is a router "list" route that returns one object, not an array.
    def _is_list_view(self, serializer=None) -> bool:
        return False


class CalendarFeedViewSet(viewsets.ViewSet):
    """The signed-in person's private calendar subscription URL (GET); POST makes a new one and
    the old one stops working."""

    schema = _OneObjectSchema()

    @extend_schema(responses=_feed_schema)
    def list(self, request):
        return Response(calendar.calendar_feed_urls(calendar.calendar_feed_get(user=request.user)))

    @extend_schema(request=None, responses={201: _feed_schema})
    def create(self, request):
        feed = calendar.calendar_feed_rotate(user=request.user)
        return Response(calendar.calendar_feed_urls(feed), status=status.HTTP_201_CREATED)


ROUTES: list = [
    ("agenda", AgendaViewSet, "agenda"),
    ("calendar-feed", CalendarFeedViewSet, "calendar-feed"),
]
