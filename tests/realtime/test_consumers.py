"""The events websocket: only signed-in users from allowed origins; bad frames get an error
frame and never kill the consumer; events arrive numbered."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from realtime import services
from tests import factories
from tradeon.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _communicator(user, origin=b"http://127.0.0.1:8000"):
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", origin)])
    communicator.scope["user"] = user
    return communicator


async def test_anonymous_connection_is_refused():
    communicator = _communicator(AnonymousUser())
    connected, code = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_foreign_origin_is_refused():
    user = await database_sync_to_async(factories.SMEUserFactory)()
    communicator = _communicator(user, origin=b"http://evil.example")
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_signed_in_user_gets_own_numbered_events_and_survives_garbage():
    user = await database_sync_to_async(factories.BuyerUserFactory)()
    communicator = _communicator(user)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello" and hello["streams"] == {f"user.{user.pk}": 0}
    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from())["code"] == "bad_frame"
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await database_sync_to_async(services.notify_users)([user], "hello", "Hello")
    event = await communicator.receive_json_from()
    assert (event["type"], event["stream"], event["seq"], event["kind"]) == ("event", f"user.{user.pk}", 1, "hello")
    await communicator.disconnect()
