"""Running work in threads released together, for the tests that prove the database keeps
concurrent writers apart (PostgreSQL row locks, unique and exclusion constraints)."""

import threading

from django.db import connections


def in_threads(work, count: int, *, timeout: float = 120) -> list:
    """Run work(i) for i in range(count), each in its own thread on its own database
    connection, all released at once by a barrier. Returns the results in order; a thread that
    raised gives ("crash", repr(exception)), a result the test sees."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - a crash is a result the test must see
            results[i] = ("crash", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results
