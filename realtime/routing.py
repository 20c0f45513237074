from django.urls import path

from .consumers import EventsConsumer
from .rooms import RoomConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/meetings/<int:meeting_id>/room/", RoomConsumer.as_asgi()),
]
