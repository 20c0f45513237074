"""Connection set-up that Django's PostgreSQL backend leaves to the project."""

from functools import cache

from django.db.backends.signals import connection_created


@cache
def _timestamptz_loader(timezone):
    """Django's timestamptz loader (`postgresql.psycopg_any.BaseTzLoader`: the time in the
    connection's time zone, then given `timezone`), parsing in psycopg's C extension.

    Django subclasses psycopg's pure-Python loader, and psycopg's C loader cannot be subclassed, so
    every timestamp was parsed in Python: ~14 us each, 100 per page of 50 products, ~10% of a
    catalogue page's server time (bench/api.py). This one holds the C loader and keeps Django's
    `timezone` attribute, which `DatabaseWrapper.create_cursor` compares with the connection's."""
    from psycopg import _cmodule
    from psycopg.adapt import Loader

    if _cmodule._psycopg is None:  # pure-Python psycopg: nothing faster to use
        return None
    parser = _cmodule._psycopg.TimestamptzLoader

    class TimestamptzLoader(Loader):
        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = parser(oid, context).load

        def load(self, data):
            return self._parse(data).replace(tzinfo=timezone)

    TimestamptzLoader.timezone = timezone
    return TimestamptzLoader


def _load_timestamps_in_c(sender, connection, **kwargs):
    if connection.vendor != "postgresql":
        return
    loader = _timestamptz_loader(connection.timezone)
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


def connect_signals() -> None:
    connection_created.connect(_load_timestamps_in_c, dispatch_uid="tradeon.db.timestamps")
