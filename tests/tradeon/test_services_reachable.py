"""The configured data stores really work: under CI=true these run against PostgreSQL and Redis."""

import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from tests.preflight import in_ci


@pytest.mark.django_db
def test_database_is_the_configured_one():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected
    if in_ci():
        assert connection.vendor == "postgresql"


def test_channel_layer_round_trip():
    layer = get_channel_layer()
    if in_ci():
        assert type(layer).__name__ == "RedisChannelLayer"

    async def round_trip():
        channel = await layer.new_channel()
        await layer.group_add("tradeon-test", channel)
        await layer.group_send("tradeon-test", {"type": "hello", "text": "안녕"})
        message = await layer.receive(channel)
        await layer.group_discard("tradeon-test", channel)
        return message

    assert async_to_sync(round_trip)()["text"] == "안녕"


def test_celery_broker_is_reachable():
    from tradeon.celery import app

    if not os.environ.get("REDIS_URL"):
        assert app.conf.task_always_eager
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.connected


def test_shared_cache_backend_round_trip():
    """Production shares one cache (debounce keys) between processes: Redis when configured."""
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    from tradeon.settings import base

    config = base.CACHES["default"] if hasattr(base, "CACHES") else None
    if not os.environ.get("REDIS_URL"):
        assert config is None  # Django's default: a per-process memory cache
        backend = LocMemCache("tradeon-test", {})
    else:
        assert config["BACKEND"].endswith("RedisCache")
        backend = RedisCache(config["LOCATION"], {})
    backend.set("tradeon:test:key", "값", timeout=10)
    assert backend.get("tradeon:test:key") == "값"
    backend.delete("tradeon:test:key")
