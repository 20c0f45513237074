"""REST API of the realtime app: the events of a stream after a number (how a websocket client
catches up after a reconnect or a gap) and the signed-in user's notifications (the events of
their own stream): list, unread count, mark read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from . import selectors, services, streams
from .models import Event

MAX_EVENTS_PAGE = 500
# Sequence numbers are bigint; a larger number in a query would be a database error, not a 400.
MAX_SEQ = 10**18


# --- events ----------------------------------------------------------------------------------------


class EventFrameSerializer(serializers.Serializer):
    """One event exactly as the websocket delivers it."""

    type = serializers.CharField(help_text='Always "event".')
    stream = serializers.CharField(help_text='"user.<id>" or "fair.<id>".')
    seq = serializers.IntegerField(help_text="The event's number on its stream: 1, 2, 3, ... without gaps.")
    kind = serializers.CharField(help_text='What happened: "meeting", "presence", "request.received", ...')
    data = serializers.JSONField(help_text="The event's content; its shape depends on `kind`.")
    at = serializers.DateTimeField(help_text="When it happened (ISO 8601, UTC).")


@extend_schema_serializer(many=False)  # one page object, though the action is a "list"
class EventPageSerializer(serializers.Serializer):
    stream = serializers.CharField()
    last_seq = serializers.IntegerField(help_text="The newest number on the stream when this page was read.")
    results = EventFrameSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null when the page is the last.")


class _EventQuery(serializers.Serializer):
    stream = serializers.CharField(max_length=80)
    after = serializers.IntegerField(min_value=0, max_value=MAX_SEQ, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_EVENTS_PAGE, default=MAX_EVENTS_PAGE)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("stream", str, required=True, description='"user.<your id>" or "fair.<id>"'),
            OpenApiParameter("after", int, description="The last number the client has (0: from the start)"),
            OpenApiParameter("limit", int, description=f"Events per page, at most {MAX_EVENTS_PAGE} (the default)"),
        ],
        responses=EventPageSerializer,
    )
)
class EventViewSet(viewsets.ViewSet):
    """The events of a stream numbered above `after`, oldest first, as the websocket sends them.
    A client that reconnects or sees a number skipped fetches from its last number and follows
    `next` until it is null. Your own stream is yours alone; a fair's is for staff and the fair's
    participants."""

    def list(self, request):
        query = _EventQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        key, after, limit = (query.validated_data[name] for name in ("stream", "after", "limit"))
        streams.require_readable(request.user, key)
        last_seq, events = services.events_after(key, after, limit=limit)
        following = None
        if events and events[-1].seq < last_seq:
            following = replace_query_param(request.build_absolute_uri(), "after", events[-1].seq)
        return Response(
            {
                "stream": key,
                "last_seq": last_seq,
                "results": [services.event_frame(event, key) for event in events],
                "next": following,
            }
        )


# --- notifications ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.OBJECT)
class _DataField(serializers.Field):
    """The event's data without the message and link, which have fields of their own."""

    def to_representation(self, value):
        return {k: v for k, v in (value or {}).items() if k not in ("message", "url")}


class NotificationSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Its number on your stream; mark read up to it.")
    kind = serializers.CharField(help_text='"request.received", "meeting.changed", "meeting.starting", ...')
    message = serializers.CharField(source="data.message", default="", help_text="In your preferred language.")
    url = serializers.CharField(source="data.url", default="", help_text="The page it is about.")
    data = _DataField(help_text="Ids of what it is about, e.g. {'fair': 3, 'meeting': 41}.")
    at = serializers.DateTimeField(source="created_at")
    unread = serializers.BooleanField()


class NotificationCountsSerializer(serializers.Serializer):
    stream = serializers.CharField(help_text="Your own stream, to follow over the websocket.")
    last_seq = serializers.IntegerField(help_text="The number of your newest notification.")
    read_seq = serializers.IntegerField(help_text="Notifications up to this number are read.")
    unread = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    up_to = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEQ,
        required=False,
        allow_null=True,
        help_text="Mark read up to this number; leave it out to mark all read.",
    )


class _NotificationQuery(serializers.Serializer):
    unread = serializers.BooleanField(default=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only unread notifications")],
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications (the events of your own stream), newest first. They are read up to a
    number: marking read moves that mark forward (never back), and a later notification is
    unread. Nobody can see or mark anyone else's."""

    serializer_class = NotificationSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        query = _NotificationQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.notification_list(user=self.request.user, unread_only=query.validated_data["unread"])

    @extend_schema(responses=NotificationCountsSerializer)
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response(selectors.notification_counts(user=request.user))

    @extend_schema(request=MarkReadSerializer, responses=NotificationCountsSerializer)
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.notifications_mark_read(user=request.user, up_to=serializer.validated_data.get("up_to"))
        return Response(selectors.notification_counts(user=request.user))


ROUTES = [
    ("events", EventViewSet, "event"),
    ("notifications", NotificationViewSet, "notification"),
]
