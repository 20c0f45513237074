"""The arithmetic of bench/realtime.py (percentiles, losses from sequence numbers, delivery times),
without a server: a benchmark that miscounts losses would report a broken layer as sound."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "realtime.py"


@pytest.fixture(scope="module")
def bench():
    # Loaded from its file under its own name: "realtime" is the app's package.
    spec = importlib.util.spec_from_file_location("bench_realtime", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_percentile_is_nearest_rank(bench):
    values = list(range(1, 101))  # 1..100
    assert bench.percentile(values, 50) == 50
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 100) == 100
    assert bench.percentile(reversed(values), 99) == 99  # order does not matter
    assert bench.percentile([7.5], 99) == 7.5
    assert bench.percentile([3, 1, 2], 0) == 1
    assert bench.percentile([], 99) is None


def test_p99_of_a_small_sample_is_its_maximum(bench):
    # With fewer than 100 values no value may be discarded as the top 1%.
    assert bench.percentile([10, 20, 30, 1000], 99) == 1000


def test_seq_gaps_counts_numbers_after_subscribing_only(bench):
    assert bench.seq_gaps([5, 6, 7, 8], after=4, last=8) == []
    assert bench.seq_gaps([5, 7], after=4, last=8) == [6, 8]
    # Frames at or below the subscribed number came both ways and are not expected.
    assert bench.seq_gaps([3, 4, 5], after=4, last=5) == []
    assert bench.seq_gaps([], after=4, last=4) == []
    # Out of order is not a gap.
    assert bench.seq_gaps([8, 6, 7, 5], after=4, last=8) == []


def test_seq_duplicates(bench):
    assert bench.seq_duplicates([4, 4, 5, 6], after=4) == 0  # 4 arrived both ways: expected
    assert bench.seq_duplicates([5, 6, 5, 6, 6], after=4) == 3
    assert bench.seq_duplicates([], after=0) == 0


def test_deliveries_lost_counts_per_client(bench):
    sent = [0, 1, 2, 3]
    assert bench.deliveries_lost(sent, [[0, 1, 2, 3], [3, 2, 1, 0]]) == 0
    assert bench.deliveries_lost(sent, [[0, 1, 2, 3], [0, 2]]) == 2
    assert bench.deliveries_lost(sent, [[], []]) == 8
    # A repeated delivery does not make up for a missing one.
    assert bench.deliveries_lost(sent, [[0, 0, 1, 1]]) == 2
    assert bench.deliveries_lost(sent, []) == 0


def test_delivery_times_leave_partly_delivered_messages_out_of_all_clients(bench):
    sent = {0: 100.0, 1: 101.0}
    receipts = [{0: 100.010, 1: 101.002}, {0: 100.030}]
    each, everyone = bench.delivery_times(sent, receipts)
    assert [round(ms, 3) for ms in each] == [10.0, 30.0, 2.0]
    # Message 1 never reached the second client: it has no "all clients" time (it is lost).
    assert [round(ms, 3) for ms in everyone] == [30.0]


def test_board_update_carries_the_board_row_and_the_send_time(bench):
    data = bench.board_update(3, 1234.5)
    assert data["bench"] == {"n": 3, "sent": 1234.5}
    assert {"id", "starts_at", "ends_at", "live_state", "present", "company", "buyer", "room"} <= data.keys()
