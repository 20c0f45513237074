"""REST API of a meeting's video room: its chat (read, and post a line as from the room) and its
attendance (each join and leave). Only those who may enter the room see them (its SME's and
buyer's members, its interpreter, staff): others get 403, an unknown meeting 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from tradeon.api.pagination import StandardPagination

from ...models import RoomSide
from .. import room as meeting_room

_meeting_pk = OpenApiParameter("meeting_pk", int, OpenApiParameter.PATH, description="The meeting's id")

_chat_message = inline_serializer(
    "RoomChatMessage",
    {
        "id": serializers.IntegerField(),
        "author": serializers.CharField(),
        "author_id": serializers.IntegerField(allow_null=True),
        "side": serializers.ChoiceField(choices=RoomSide.choices),
        "text": serializers.CharField(),
        "at": serializers.DateTimeField(),
    },
)


class ChatPostSerializer(serializers.Serializer):
    # The service strips and checks the length, so the page, the socket and the API say the same.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class _RoomViewSet(viewsets.ViewSet):
    pagination_class = StandardPagination

    def _meeting(self):
        meeting, _side = meeting_room.room_entry(self.request.user, self.kwargs["meeting_pk"])
        return meeting

    def _page(self, rows, shape):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return paginator.get_paginated_response([shape(row) for row in page])


class MeetingChatViewSet(_RoomViewSet):
    """The chat of a meeting's room, oldest first (GET), and a new line from the signed-in person
    (POST {"text"}: 1..2000 characters after stripping, only while the room is open; the people
    in the room see it at once)."""

    @extend_schema(parameters=[_meeting_pk], responses=_chat_message)
    def list(self, request, meeting_pk=None):
        return self._page(meeting_room.chat_list(meeting=self._meeting()), meeting_room.chat_message_data)

    @extend_schema(parameters=[_meeting_pk], request=ChatPostSerializer, responses={201: _chat_message})
    def create(self, request, meeting_pk=None):
        meeting = self._meeting()
        serializer = ChatPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = meeting_room.chat_post(meeting=meeting, user=request.user, text=serializer.validated_data["text"])
        return Response(meeting_room.chat_message_data(message), status=status.HTTP_201_CREATED)


def _attendance_data(attendance) -> dict:
    end = attendance.left_at
    return {
        "id": attendance.pk,
        "user": {"id": attendance.user_id, "name": meeting_room.person_name(attendance.user)},
        "side": attendance.side,
        "joined_at": attendance.joined_at.isoformat(),
        "left_at": end.isoformat() if end else None,
        "seconds": int((end - attendance.joined_at).total_seconds()) if end else None,
    }


class MeetingAttendanceViewSet(_RoomViewSet):
    """Who was in a meeting's room and when: each connection's join and leave (left_at null:
    still there), oldest first. `id` is the peer id the room's websocket used."""

    @extend_schema(
        parameters=[_meeting_pk],
        responses=inline_serializer(
            "RoomAttendance",
            {
                "id": serializers.IntegerField(),
                "user": inline_serializer(
                    "RoomAttendanceUser", {"id": serializers.IntegerField(), "name": serializers.CharField()}
                ),
                "side": serializers.ChoiceField(choices=RoomSide.choices),
                "joined_at": serializers.DateTimeField(),
                "left_at": serializers.DateTimeField(allow_null=True),
                "seconds": serializers.IntegerField(allow_null=True, help_text="how long, once left"),
            },
        ),
    )
    def list(self, request, meeting_pk=None):
        return self._page(meeting_room.attendance_list(self._meeting()), _attendance_data)


ROUTES: list = [
    (r"meetings/(?P<meeting_pk>[0-9]+)/chat", MeetingChatViewSet, "meeting-chat"),
    (r"meetings/(?P<meeting_pk>[0-9]+)/attendance", MeetingAttendanceViewSet, "meeting-attendance"),
]
