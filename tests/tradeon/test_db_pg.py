"""Connection set-up (tradeon.db): on PostgreSQL, timestamps are parsed by psycopg's C loader and
come out exactly as Django's own (pure-Python) loader gives them."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a psycopg loader (CI runs it on PostgreSQL)"),
]

LITERALS = [
    "2026-11-22 06:40:29.954215+00",
    "2020-02-29 23:59:59.999999+09",
    "1999-12-31 15:00:00-05:30",
    "0044-03-15 12:00:00+00",
    "9999-12-31 23:59:59+00",
]


def _select(cursor) -> list:
    cursor.execute("SELECT " + ", ".join(f"'{text}'::timestamptz" for text in LITERALS))
    return list(cursor.fetchone())


def test_timestamps_are_loaded_in_c_as_django_loads_them():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader.__module__ == "tradeon.db" and loader.timezone == connection.timezone
    with connection.cursor() as cursor:
        ours = _select(cursor)
    with connection.connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor)  # Django's own loader, on this cursor alone
        djangos = _select(cursor)
    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)


def test_a_saved_time_reads_back_to_the_microsecond():
    product = factories.ProductFactory()
    type(product).objects.filter(pk=product.pk).update(
        created_at=datetime.datetime(
            2026, 11, 22, 15, 4, 5, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=9))
        )
    )
    created = type(product).objects.values_list("created_at", flat=True).get(pk=product.pk)
    assert created == datetime.datetime(2026, 11, 22, 6, 4, 5, 123456, tzinfo=datetime.UTC)
