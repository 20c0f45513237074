"""Event numbers under concurrency, on PostgreSQL: many threads (each on its own database
connection) publishing on one stream at once get unique numbers without gaps, and one event
raised by many at once with the same dedupe key is stored once. SQLite serialises every writer,
so it proves nothing here; CI (CI=true) runs these on PostgreSQL."""

import pytest
from django.db import connection

from realtime import services
from realtime.models import Event, Stream
from tests import factories
from tests.concurrency import in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises all writers, so concurrent publishing is only meaningful on PostgreSQL (CI runs it)",
    ),
]
THREADS = 12
EACH = 10


def test_concurrent_publishers_get_unique_numbers_without_gaps():
    fair = factories.FairFactory()
    key = f"fair.{fair.pk}"  # the stream does not exist yet: creating it races too

    def publish(i: int) -> list[int]:
        return [services.event_publish(key, "meeting", {"thread": i, "n": n}).seq for n in range(EACH)]

    results = in_threads(publish, THREADS)
    assert not [r for r in results if isinstance(r, tuple)], results
    numbers = sorted(seq for seqs in results for seq in seqs)
    assert numbers == list(range(1, THREADS * EACH + 1))
    # Each thread saw its own numbers rise.
    assert all(seqs == sorted(seqs) for seqs in results)
    stored = list(Event.objects.filter(stream__key=key).order_by("seq").values_list("seq", "data"))
    assert [seq for seq, _ in stored] == numbers
    assert Stream.objects.get(key=key).last_seq == THREADS * EACH
    assert sorted((d["thread"], d["n"]) for _, d in stored) == [(i, n) for i in range(THREADS) for n in range(EACH)]


def test_one_event_raised_by_many_at_once_is_stored_once():
    user = factories.SMEUserFactory()

    def raise_it(i: int) -> int:
        return services.notify_users([user], "meeting.starting", "Starts in 5 minutes", dedupe_key="starting:1:0")

    results = in_threads(raise_it, THREADS)
    assert sorted(results) == [0] * (THREADS - 1) + [1], results
    assert list(Event.objects.filter(stream__key=f"user.{user.pk}").values_list("seq", flat=True)) == [1]
