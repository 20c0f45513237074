"""Realtime benchmark: websocket clients on the events stream of a fair, served by the real ASGI
server (`uvicorn tradeon.asgi:application --workers 2`, production settings, PostgreSQL, the Redis
channel layer), receiving board updates ("meeting" events) published with
`realtime.services.event_publish` from this process.

For each channel layer (channels_redis' core layer and its pub/sub layer, `CHANNEL_LAYER`) one
server is started; for each size (100, 500, 1,000, 2,000 clients) the clients connect (the
session cookie and an allowed Origin, as a browser sends them), subscribe to `fair.<id>`, and
receive a paced series of events (50 at 10/s) and then a burst (50 back to back). Each event
carries the time it was published; a client notes when its frame arrives. Reported: connect time
(to the "subscribed" frame), per-delivery latency, the time until every client had an event, and
losses, counted as missing deliveries and as gaps in each client's sequence numbers. Drops that
channels_redis logs (a group message refused at a full channel) are counted as well.

Run from the repository root: `.venv/bin/python bench/realtime.py` (or `make bench`); `--quick`
measures 100 and 500 clients, `--sizes 100,200` any sizes. The database (`tradeon_bench_rt`,
or DATABASE_URL) is created afresh and dropped at the end; Redis db 4 (or REDIS_URL) is flushed
before each server starts. Results go to docs/benchmarks.md under "## Realtime (bench/realtime.py)".
Exits with status 1 when a delivery was lost or a client failed to connect at 1,000 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import math
import os
import platform
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTION = "## Realtime (bench/realtime.py)"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tradeon_bench_rt"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
SIZES = (100, 500, 1000, 2000)
QUICK_SIZES = (100, 500)
LAYERS = ("core", "pubsub")
TARGET_CLIENTS, TARGET_P99_MS = 1000, 100.0
WORKERS = 2
HEARTBEAT_SECONDS = 25  # what static/js/live.js sends, from the hello frame


# --- pure helpers (tests/realtime/test_bench_realtime.py) -----------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank percentile `q` (0-100) of `values`: the smallest value with at least q% of
    the values at or below it. None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def seq_gaps(received: Iterable[int], after: int, last: int) -> list[int]:
    """The sequence numbers in (after, last] that a client never received."""
    have = set(received)
    return [seq for seq in range(after + 1, last + 1) if seq not in have]


def seq_duplicates(received: Iterable[int], after: int) -> int:
    """How many frames numbered above `after` repeated a number already received (frames at or
    below `after` arrive both ways around a subscribe and are expected)."""
    seen: set[int] = set()
    repeats = 0
    for seq in received:
        if seq <= after:
            continue
        if seq in seen:
            repeats += 1
        seen.add(seq)
    return repeats


def deliveries_lost(sent: Iterable[int], receipts: Iterable[Iterable[int]]) -> int:
    """Deliveries missing: for each client (its received message numbers), the sent messages it
    does not have."""
    wanted = set(sent)
    return sum(len(wanted - set(got)) for got in receipts)


def delivery_times(sent: dict[int, float], receipts: list[dict[int, float]]) -> tuple[list[float], list[float]]:
    """Milliseconds from publishing to arrival: every delivery, and per message the time until the
    last client had it (messages some client never got are left out: they count as lost)."""
    each, everyone = [], []
    for n, at in sent.items():
        arrivals = [got[n] for got in receipts if n in got]
        each.extend((t - at) * 1000 for t in arrivals)
        if arrivals and len(arrivals) == len(receipts):
            everyone.append((max(arrivals) - at) * 1000)
    return each, everyone


# --- the database and the server ------------------------------------------------------------------


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database (closing anyone's connections to it) and create it empty."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def server_environment(*, database_url: str, redis_url: str, layer: str, capacity: int, max_connections: int) -> dict:
    """What the server runs with: production settings (DEBUG off), its required variables, and
    the channel layer under test. The benchmark process uses the same (it writes the sessions
    the server reads and publishes through the same layer)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CHANNEL_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tradeon.settings.production",
        DJANGO_SECRET_KEY=BENCH_SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain http on loopback; websockets are not redirected anyway
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER=layer,
        CHANNEL_CAPACITY=str(capacity),
        REDIS_MAX_CONNECTIONS=str(max_connections),
        LOG_LEVEL="WARNING",
    )
    return env


BENCH_SECRET_KEY = "bench-" + secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


class Server:
    """`uvicorn tradeon.asgi:application --workers 2 --ws-per-message-deflate false` in a process group of its own; stop()
    ends that group and nothing else."""

    def __init__(self, *, env: dict, port: int, log_path: Path, app: str, extra: list[str]):
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen | None = None
        self.command = [
            str(Path(sys.executable).parent / "uvicorn"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--lifespan",
            "off",
            # As recommended for production (README): board frames are small and compressing each
            # one for each socket cost a fifth of a delivery's CPU.
            "--ws-per-message-deflate",
            "false",
            *extra,
        ]

    def start(self, timeout: float = 90.0) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        print(f"  server pid {self.process.pid}: {' '.join(self.command[1:])}", flush=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.log_path.read_text(errors="replace").count("Started server process") >= WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not start within {timeout:.0f} s:\n{self.log_tail()}")

    def workers(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.workers())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def problems(self) -> list[str]:
        """Error lines the server logged (tracebacks, errors, warnings)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if any(w in line for w in ("Traceback", "ERROR", "WARNING"))]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own group: the supervisor and its workers
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


# --- Django in this process -------------------------------------------------------------------------


def setup_django(env: dict) -> None:
    for key in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_SECURE_SSL_REDIRECT"):
        os.environ[key] = env[key]
    for key in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER", "CHANNEL_CAPACITY", "REDIS_MAX_CONNECTIONS", "LOG_LEVEL"):
        os.environ[key] = env[key]
    import django

    django.setup()


def use_layer(env: dict):
    """Point this process's channel layer at the server's: the settings module evaluated with the
    server's environment decides, as in the server."""
    import runpy

    from django.test import override_settings

    saved = {key: os.environ.get(key) for key in ("CHANNEL_LAYER", "CHANNEL_CAPACITY", "REDIS_MAX_CONNECTIONS")}
    os.environ.update({key: env[key] for key in saved})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "found in sys.modules": it is, and stays untouched
            layers = runpy.run_module("tradeon.settings.base")["CHANNEL_LAYERS"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    override = override_settings(CHANNEL_LAYERS=layers)
    override.enable()  # channels drops its cached layer on setting_changed
    return override, layers["default"]


def bench_world(clients: int) -> tuple[str, list[str]]:
    """A staff user, a fair in its live phase, and one signed-in session per client (as browser
    tabs each with a session). Every client is the same user: presence announces that user once,
    not once per client."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from matching.models import ConsultationFair, FairPhase
    from realtime.streams import fair_stream
    from tradeon.accounts.models import Role, User

    user = User.objects.create_user(
        username="bench-staff", email="bench-staff@example.com", password=None, role=Role.STAFF, is_staff=True
    )
    today = date.today()
    fair = ConsultationFair.objects.create(
        name="Benchmark fair: beauty buyers from Thailand and Malaysia",
        starts_on=today,
        ends_on=today + timedelta(days=2),
        target_countries=["TH", "MY"],
        phase=FairPhase.LIVE,
    )
    keys = []
    for _ in range(clients):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return fair_stream(fair.pk), keys


def board_update(n: int, sent: float) -> dict:
    """A "meeting" event as the live board gets it (matching.fairs.live.board_row), plus the
    benchmark's own number and publishing time."""
    starts = datetime(2026, 6, 9, 1, 0, tzinfo=UTC) + timedelta(minutes=50 * (n % 9))
    return {
        "id": 1000 + n,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=40)).isoformat(),
        "status": "scheduled",
        "live_state": ("waiting", "waiting_buyer", "live", "completed")[n % 4],
        "no_show_side": "",
        "present": ["sme"] if n % 4 == 1 else ["buyer", "sme"] if n % 4 == 2 else [],
        "company": {"id": 40 + n % 30, "name": "Hanbit Cosmetics Co., Ltd."},
        "buyer": {"id": 300 + n % 60, "name": "Siam Beauty Distribution Co., Ltd.", "country": "TH"},
        "room": f"Room {1 + n % 9}",
        "interpreter": "Thai interpreter 2",
        "source": "scheduled",
        "attended_seconds": 60 * (n % 40),
        "replaced_by": None,
        "bench": {"n": n, "sent": sent},
    }


def publish_series(key: str, *, first: int, count: int, rate: float, stop) -> dict[int, tuple[int, float]]:
    """Publish `count` board updates (`rate` per second; 0 = back to back); {n: (seq, sent)}."""
    from realtime.services import event_publish

    out = {}
    interval = 1.0 / rate if rate else 0.0
    due = time.perf_counter()
    for n in range(first, first + count):
        if stop.is_set():
            break
        if interval:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += interval
        sent = time.time()
        event = event_publish(key, "meeting", board_update(n, sent))
        out[n] = (event.seq, sent)
    return out


def presences_on(key: str) -> int:
    from realtime.models import Presence

    return Presence.objects.filter(stream__key=key).count()


def close_db() -> None:
    from django.db import connections

    connections.close_all()


class LayerLog(logging.Handler):
    """Counts what channels_redis and the publisher log in this process: group messages refused
    at full channels ("N of M channels over capacity", core layer) and failed pushes."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.over_capacity = 0
        self.push_failures = 0

    def emit(self, record):
        message = record.getMessage()
        if "over capacity" in message:
            self.over_capacity += int(record.args[0]) if record.args else 1
        elif "could not push" in message:
            self.push_failures += 1


# --- the clients ------------------------------------------------------------------------------------


@dataclass
class Client:
    index: int
    hello_ms: float | None = None
    subscribed_ms: float | None = None
    after: int = 0  # the stream's number in the "subscribed" frame
    seqs: list[int] = field(default_factory=list)  # event numbers received on the fair stream
    received: dict[int, float] = field(default_factory=dict)  # message n -> arrival (epoch seconds)
    error: str = ""
    error_frames: int = 0
    closed_early: bool = False


class Run:
    """One size: the clients' records and the counters the waiting code looks at."""

    def __init__(self, n: int, key: str):
        self.key = key
        self.clients = [Client(i) for i in range(n)]
        self.sockets: dict[int, object] = {}
        self.settled = 0
        self.all_settled = asyncio.Event()
        self.delivered = 0
        self.expected = math.inf
        self.all_delivered = asyncio.Event()
        self.closing = False

    def settle(self) -> None:
        self.settled += 1
        if self.settled == len(self.clients):
            self.all_settled.set()

    def frame(self, client: Client, frame: dict, now: float) -> None:
        kind = frame.get("type")
        if kind == "event" and frame.get("stream") == self.key:
            client.seqs.append(frame["seq"])
            bench = frame["data"].get("bench") if frame.get("kind") == "meeting" else None
            if bench and bench["n"] not in client.received:
                client.received[bench["n"]] = now
                self.delivered += 1
                if self.delivered >= self.expected:
                    self.all_delivered.set()
        elif kind == "error":
            client.error_frames += 1


class BenchSocket(asyncio.Protocol):
    """One client on the `websockets` library's sans-I/O protocol. Frames are handled in
    `data_received`, timed as they come off the socket, with no task or queue per message: the
    client process stands in for browsers on other machines and should cost as little CPU as it
    can on the two CPUs it shares with the server (the asyncio client cost ~45 us per frame)."""

    def __init__(self, run: Run, client: Client, *, url: str, origin: str, cookie: str, started: float):
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
        from websockets.uri import parse_uri

        self.run, self.client, self.cookie, self.started = run, client, cookie, started
        # permessage-deflate offered as browsers offer it (the server declines it).
        self.ws = ClientProtocol(parse_uri(url), origin=origin, extensions=enable_client_permessage_deflate(None))
        self.transport = None
        self.stage = "handshake"  # -> "hello" -> "subscribing" -> "live"
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()  # subscribed (None) or failed (an exception)
        self.closed = loop.create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        request = self.ws.connect()
        request.headers["Cookie"] = f"sessionid={self.cookie}"
        self.ws.send_request(request)
        self.flush()

    def flush(self) -> None:
        data = self.ws.data_to_send()
        if data and not self.transport.is_closing():
            self.transport.write(b"".join(data))

    def send_text(self, text: str) -> None:
        self.ws.send_text(text.encode())
        self.flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        now = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self.fail(self.ws.handshake_exc)
                    return
                self.stage = "hello"
            elif event.opcode is Opcode.TEXT:
                self.text(event.data.decode(), now)
        self.flush()

    def text(self, raw: str, now: float) -> None:
        frame = json.loads(raw)
        if self.stage == "live":
            self.run.frame(self.client, frame, now)
        elif self.stage == "hello":
            if frame.get("type") != "hello":
                self.fail(RuntimeError(f"expected hello, got {frame}"))
                return
            self.client.hello_ms = (time.perf_counter() - self.started) * 1000
            self.stage = "subscribing"
            self.send_text(json.dumps({"type": "subscribe", "stream": self.run.key}))
        elif frame.get("type") == "subscribed":
            self.client.after = frame["seq"]
            self.client.subscribed_ms = (time.perf_counter() - self.started) * 1000
            self.stage = "live"
            if not self.ready.done():
                self.ready.set_result(None)
        elif frame.get("type") == "error":
            self.fail(RuntimeError(f"subscribe refused: {frame}"))
        else:
            self.run.frame(self.client, frame, now)

    def fail(self, error: BaseException) -> None:
        if not self.ready.done():
            self.ready.set_exception(error)
        self.transport.close()

    def eof_received(self):
        self.ws.receive_eof()
        self.flush()
        return False

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before subscribing: {exc}"))
        if not self.closed.done():
            self.closed.set_result(exc)

    async def close(self, timeout: float = 10.0) -> None:
        """The closing handshake, then the TCP connection."""
        with contextlib.suppress(Exception):
            self.ws.send_close(1000)
            self.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        self.transport.close()


async def client_main(run: Run, client: Client, *, port: int, origin: str, cookie: str, limiter, timeout: float):
    loop = asyncio.get_running_loop()
    async with limiter:
        started = time.perf_counter()
        socket_ = None
        try:
            _, socket_ = await asyncio.wait_for(
                loop.create_connection(
                    lambda: BenchSocket(
                        run,
                        client,
                        url=f"ws://127.0.0.1:{port}/ws/events/",
                        origin=origin,
                        cookie=cookie,
                        started=started,
                    ),
                    "127.0.0.1",
                    port,
                ),
                timeout,
            )
            await asyncio.wait_for(asyncio.shield(socket_.ready), timeout)
        except Exception as error:  # noqa: BLE001 - every failure is a result to report
            client.error = f"{type(error).__name__}: {error}"[:200]
            if socket_ is not None:
                socket_.transport.close()
            run.settle()
            return
    run.sockets[client.index] = socket_
    run.settle()
    exc = await socket_.closed
    if not run.closing:
        client.closed_early = True
        client.error = f"closed after subscribing: {exc}"[:200]


async def heartbeats(run: Run) -> None:
    """{"type": "ping"} every 25 s from every client, spread evenly over the interval."""
    tick = 0
    while True:
        await asyncio.sleep(1)
        tick += 1
        for index, ws in list(run.sockets.items()):
            if index % HEARTBEAT_SECONDS == tick % HEARTBEAT_SECONDS:
                with contextlib.suppress(Exception):  # a closed client is reported by its reader
                    ws.send_text('{"type": "ping"}')


# --- measuring one size ------------------------------------------------------------------------------


@dataclass
class SizeResult:
    layer: str
    clients: int
    connected: int
    failures: dict[str, int]
    hello_ms: list[float]
    subscribed_ms: list[float]
    connect_all_s: float
    paced_each: list[float]
    paced_all: list[float]
    burst_each: list[float]
    burst_all: list[float]
    burst_drain_ms: float | None
    messages: int
    lost: int
    gaps: int
    duplicates: int
    closed_early: int
    error_frames: int
    over_capacity: int
    push_failures: int
    cpu: dict[str, float]
    phase_s: float
    publish_ms: list[float]
    deliveries: int

    @property
    def server_us_per_delivery(self) -> float | None:
        return self.cpu["server"] * self.phase_s / self.deliveries * 1e6 if self.deliveries else None

    @property
    def target_met(self) -> bool | None:
        if self.clients != TARGET_CLIENTS:
            return None
        p99 = percentile(self.paced_each, 99)
        return self.connected == self.clients and self.lost == 0 and p99 is not None and p99 < TARGET_P99_MS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def measure_size(layer: str, n: int, *, ctx) -> SizeResult:
    loop = asyncio.get_running_loop()
    run = Run(n, ctx.key)
    limiter = asyncio.Semaphore(ctx.connect_concurrency)
    origin = f"http://127.0.0.1:{ctx.port}"
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(
            client_main(
                run,
                client,
                port=ctx.port,
                origin=origin,
                cookie=ctx.sessions[client.index],
                limiter=limiter,
                timeout=120,
            )
        )
        for client in run.clients
    ]
    await run.all_settled.wait()
    connect_all_s = time.perf_counter() - started
    ok = [c for c in run.clients if not c.error]
    failures: dict[str, int] = {}
    for c in run.clients:
        if c.error:
            reason = c.error.split(":")[0]
            failures[reason] = failures.get(reason, 0) + 1
    print(
        f"    {len(ok)}/{n} subscribed in {connect_all_s:.1f} s"
        + (f"; failures {failures} (first: {next(c.error for c in run.clients if c.error)})" if failures else ""),
        flush=True,
    )
    beating = asyncio.create_task(heartbeats(run))
    await asyncio.sleep(ctx.settle)
    # This process stands in for the clients' browsers, on other machines in real life: its own
    # full collections (the records of 2,000 clients, up to 250 ms each) would show up as the
    # server's latency. Its collector rests while the messages go out.
    gc.collect()
    gc.disable()

    log_before = (ctx.layer_log.over_capacity, ctx.layer_log.push_failures)
    cpu_before = (ctx.server.cpu(), _self_cpu(), redis_cpu(ctx.redis), *machine_busy())
    phase_started = time.perf_counter()
    paced = await loop.run_in_executor(
        ctx.db, lambda: publish_series(ctx.key, first=0, count=ctx.messages, rate=ctx.rate, stop=ctx.stop)
    )
    burst = await loop.run_in_executor(
        ctx.db, lambda: publish_series(ctx.key, first=ctx.messages, count=ctx.burst, rate=0, stop=ctx.stop)
    )
    total = len(paced) + len(burst)
    run.expected = len(ok) * total
    if run.delivered >= run.expected:
        run.all_delivered.set()
    # Wait for the last deliveries while they still come: a delivery that has not arrived after
    # `stall` seconds without any other arriving is lost, not late.
    last, quiet, deadline = run.delivered, 0.0, time.monotonic() + ctx.drain_timeout
    while not run.all_delivered.is_set() and quiet < ctx.stall and time.monotonic() < deadline:
        try:
            await asyncio.wait_for(run.all_delivered.wait(), 1.0)
        except TimeoutError:
            quiet = quiet + 1.0 if run.delivered == last else 0.0
            last = run.delivered
    if not run.all_delivered.is_set():
        print(f"    delivered {run.delivered}/{run.expected}; nothing more for {quiet:.0f} s", flush=True)
        sent_all = [*paced, *burst]
        missing = {n: sum(n not in c.received for c in ok) for n in sent_all}
        missed = {n: k for n, k in missing.items() if k}
        print(
            f"    {len(missed)} of {len(sent_all)} messages missed by some client (by {min(missed.values())}-"
            f"{max(missed.values())} clients each; messages {min(missed)}-{max(missed)}); "
            f"{sum(c.closed_early for c in ok)} clients closed early",
            flush=True,
        )
    phase_s = time.perf_counter() - phase_started
    busy, jiffies = machine_busy()
    cpu = {
        "server": ctx.server.cpu() - cpu_before[0],
        "bench": _self_cpu() - cpu_before[1],
        "redis": redis_cpu(ctx.redis) - cpu_before[2],
    }
    cpu["machine"] = (busy - cpu_before[3]) / (jiffies - cpu_before[4]) * (os.cpu_count() or 1) * phase_s
    cpu = {k: v / phase_s for k, v in cpu.items()}  # cores busy on average

    gc.enable()
    beating.cancel()
    run.closing = True
    closing = [ws.close() for ws in run.sockets.values()]
    for start in range(0, len(closing), 200):
        await asyncio.gather(*closing[start : start + 200], return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)

    sent_paced = {k: v[1] for k, v in paced.items()}
    sent_burst = {k: v[1] for k, v in burst.items()}
    receipts = [c.received for c in ok]
    paced_each, paced_all = delivery_times(sent_paced, receipts)
    burst_each, burst_all = delivery_times(sent_burst, receipts)
    burst_arrivals = [t for got in receipts for k, t in got.items() if k in sent_burst]
    burst_drain = (max(burst_arrivals) - min(sent_burst.values())) * 1000 if burst_arrivals and sent_burst else None
    last_seq = max(seq for seq, _ in (*paced.values(), *burst.values()))
    gaps = sum(len(seq_gaps(c.seqs, c.after, last_seq)) for c in ok)
    publish_ms = []
    series = sorted((*paced.items(), *burst.items()))
    for (_, (_, a)), (_, (_, b)) in zip(series, series[1:], strict=False):
        publish_ms.append((b - a) * 1000)
    return SizeResult(
        layer=layer,
        clients=n,
        connected=len(ok),
        failures=failures,
        hello_ms=[c.hello_ms for c in ok],
        subscribed_ms=[c.subscribed_ms for c in ok],
        connect_all_s=connect_all_s,
        paced_each=paced_each,
        paced_all=paced_all,
        burst_each=burst_each,
        burst_all=burst_all,
        burst_drain_ms=burst_drain,
        messages=total,
        lost=deliveries_lost([*paced, *burst], receipts),
        gaps=gaps,
        duplicates=sum(seq_duplicates(c.seqs, c.after) for c in ok),
        closed_early=sum(c.closed_early for c in ok),
        error_frames=sum(c.error_frames for c in run.clients),
        over_capacity=ctx.layer_log.over_capacity - log_before[0],
        push_failures=ctx.layer_log.push_failures - log_before[1],
        cpu=cpu,
        phase_s=phase_s,
        publish_ms=publish_ms[len(paced) :],
        deliveries=run.delivered,
    )


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summary_line(r: SizeResult) -> str:
    return (
        f"    {r.layer} {r.clients}: connect {_ms(_med(r.subscribed_ms))}/{_ms(percentile(r.subscribed_ms, 99))} ms, "
        f"paced {_ms(_med(r.paced_each))}/{_ms(percentile(r.paced_each, 99))} ms "
        f"(all {_ms(_med(r.paced_all))}/{_ms(percentile(r.paced_all, 99))}), "
        f"burst {_ms(_med(r.burst_each))}/{_ms(percentile(r.burst_each, 99))} ms (drained {_ms(r.burst_drain_ms)}), "
        f"lost {r.lost}, gaps {r.gaps}, over capacity {r.over_capacity}, "
        f"cpu server {r.cpu['server']:.2f} bench {r.cpu['bench']:.2f} redis {r.cpu['redis']:.2f} "
        f"machine {r.cpu['machine']:.2f}, server {_ms(r.server_us_per_delivery)} us/delivery"
    )


# --- the report ----------------------------------------------------------------------------------------


def render(results: list[SizeResult], info: dict, args, layer_configs: dict) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {info['date']} on {info['nproc']} CPU(s), {info['cpu']}; Python {info['python']}, uvicorn "
        f"{info['uvicorn']}, websockets {info['websockets']}, Channels {info['channels']}, channels_redis "
        f"{info['channels_redis']}, redis-py {info['redis_py']}, Redis {info['redis']}, PostgreSQL {info['postgres']}, "
        f'all on this machine. Load average (1-minute): {info["load"]} (the "CPU machine" column below says how '
        "busy the machine was while the messages went out; anything above the server, bench and Redis columns was "
        "other work).",
        "",
        f"**Server:** `uvicorn tradeon.asgi:application --workers {WORKERS} --lifespan off --ws-per-message-deflate "
        "false` (uvicorn's defaults otherwise: uvloop, httptools, the websockets-sansio protocol, pings every 20 s) "
        "with "
        "`DJANGO_SETTINGS_MODULE=tradeon.settings.production` (DEBUG off), PostgreSQL, "
        f"`REDIS_URL` (db {urlsplit(args.redis_url).path.lstrip('/') or 0}, flushed before each server starts), "
        f"`CHANNEL_CAPACITY={args.capacity}`, `REDIS_MAX_CONNECTIONS={args.max_connections}`; one server per "
        "channel layer, the sizes run in turn against it. The layers as configured: "
        + "; ".join(f"`{name}`: `{config}`" for name, config in layer_configs.items())
        + ".",
        "",
        "**Clients:** one process (asyncio on uvloop, the `websockets` library's sans-I/O protocol driven from "
        "`data_received`, so a frame is timed as it comes off the socket and costs the client no task; "
        f"permessage-deflate offered as browsers offer it), at most {args.connect_concurrency} handshakes at a time; each client sends the session cookie of "
        "its own session (all of one staff user) and an allowed Origin, waits for `hello`, subscribes to the "
        f"fair's stream and pings every {HEARTBEAT_SECONDS} s as `static/js/live.js` does; the process's garbage "
        "collector is paused while the messages go out (its full collections would count as the server's latency). "
        f"File descriptors: soft limit {info['nofile']}. Connect = from opening the TCP connection to the "
        '"subscribed" frame (session and user lookup, joining the groups, presence, the stream\'s number).',
        "",
        f"**Messages:** {args.messages} board updates at {args.rate:g}/s (paced), then {args.burst} back to back "
        '(burst), each a `realtime.services.event_publish("fair.<id>", "meeting", ...)` from a thread of the '
        "benchmark process (stored in PostgreSQL under the stream's row lock, pushed after commit through the "
        "layer to both workers, then to every client). Latency = a frame's arrival at a client minus the time taken "
        'just before `event_publish` (one clock: the same process). "All clients" = per message, until the last '
        "client had it. The benchmark waits for deliveries while they keep arriving (until "
        f"{args.stall:g} s pass without one); lost = deliveries that never arrived (clients x messages - received), "
        "sequence gaps = numbers missing in each client's sequence on the stream (other events on it included), "
        "over capacity = group messages channels_redis refused at a full channel (the core layer logs these at "
        "INFO in the publishing process; messages dropped from a consumer's full in-process buffer are not logged "
        "and show only as gaps).",
        "",
        "| layer | clients | connected | connect median / p99 ms | all connected s | paced: latency median / p99 ms "
        "| paced: all clients median / p99 ms | burst: latency median / p99 ms | burst: all clients p99 ms "
        "| burst drained ms | lost | target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        met = r.target_met
        lines.append(
            f"| {r.layer} | {r.clients:,} | {r.connected:,} "
            f"| {_ms(_med(r.subscribed_ms))} / {_ms(percentile(r.subscribed_ms, 99))} | {r.connect_all_s:.1f} "
            f"| {_ms(_med(r.paced_each))} / {_ms(percentile(r.paced_each, 99))} "
            f"| {_ms(_med(r.paced_all))} / {_ms(percentile(r.paced_all, 99))} "
            f"| {_ms(_med(r.burst_each))} / {_ms(percentile(r.burst_each, 99))} | {_ms(percentile(r.burst_all, 99))} "
            f"| {_ms(r.burst_drain_ms)} | {r.lost:,} "
            f"| {f'p99 < {TARGET_P99_MS:.0f} ms, none lost' if met is not None else '-'} "
            f"| {'-' if met is None else 'yes' if met else '**no**'} |"
        )
    lines += [
        "",
        "Losses and where the CPU went during the messages (cores busy on average, from the first publish until "
        'every client had every message; "machine" is all processes, other sessions\' included; Redis is shared '
        "with them too):",
        "",
        "| layer | clients | messages | lost | sequence gaps | duplicates | over capacity | push failures "
        "| closed early | failures to connect | publish ms (burst, median) | CPU server | CPU bench | CPU Redis "
        "| CPU machine | phase s | server CPU us per delivery |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for r in results:
        failures = ", ".join(f"{k} {v}" for k, v in r.failures.items()) or "0"
        lines.append(
            f"| {r.layer} | {r.clients:,} | {r.messages} | {r.lost:,} | {r.gaps:,} | {r.duplicates:,} "
            f"| {r.over_capacity:,} | {r.push_failures} | {r.closed_early} | {failures} "
            f"| {_ms(_med(r.publish_ms))} | {r.cpu['server']:.2f} | {r.cpu['bench']:.2f} | {r.cpu['redis']:.2f} "
            f"| {r.cpu['machine']:.2f} | {r.phase_s:.1f} | {_ms(r.server_us_per_delivery)} |"
        )
    lines.append("")
    if info.get("server_problems"):
        lines += ["Server log lines with errors or warnings:", ""]
        lines += [f"- {layer}: {count} (first: `{first}`)" for layer, (count, first) in info["server_problems"].items()]
        lines.append("")
    lines.append(f"The run took {info['elapsed']}.")
    lines.append("")
    return "\n".join(lines)


def machine_info() -> dict:
    import channels
    import redis as redis_py
    import uvicorn
    import websockets
    from django.db import connection

    from tradeon.benchmarks_doc import cpu_model

    cpu = cpu_model()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    from importlib.metadata import version

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "uvicorn": uvicorn.__version__,
        "websockets": websockets.__version__,
        "channels": channels.__version__,
        "channels_redis": version("channels_redis"),
        "redis_py": redis_py.__version__,
        "postgres": postgres,
    }


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < needed:
        sys.exit(f"Need {needed} file descriptors for the clients, the limit is {soft} (ulimit -n).")
    return soft


@dataclass
class Context:
    key: str
    port: int
    sessions: list[str]
    server: Server
    redis: object
    db: ThreadPoolExecutor
    layer_log: LayerLog
    stop: object
    connect_concurrency: int
    messages: int
    rate: float
    burst: int
    settle: float
    drain_timeout: float
    stall: float


def new_loop():
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.new_event_loop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 500 clients only")
    parser.add_argument("--sizes", help="comma-separated client counts (default 100,500,1000,2000)")
    parser.add_argument("--layers", default=",".join(LAYERS), help="core, pubsub or both (default)")
    # A fair day's board changes a few times a minute per room; 2 updates a second to every client
    # is well above that, and a burst of 20 is a slot starting in every room at once.
    parser.add_argument("--messages", type=int, default=40, help="paced board updates per size")
    parser.add_argument("--rate", type=float, default=2.0, help="paced updates per second")
    parser.add_argument("--burst", type=int, default=20, help="updates sent back to back after the paced ones")
    parser.add_argument("--capacity", type=int, default=1000, help="CHANNEL_CAPACITY for the server")
    parser.add_argument("--max-connections", type=int, default=1000, help="REDIS_MAX_CONNECTIONS for the server")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight at once")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds between connecting and publishing")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="most seconds to wait for deliveries")
    parser.add_argument("--stall", type=float, default=15.0, help="seconds without a delivery that end the wait")
    parser.add_argument("--app", default="tradeon.asgi:application", help="the ASGI application uvicorn serves")
    parser.add_argument(
        "--uvicorn-arg", action="append", default=[], help="an extra uvicorn option, e.g. --uvicorn-arg=--ws=wsproto"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--no-write", action="store_true", help="print the table; do not touch docs/benchmarks.md")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else QUICK_SIZES if args.quick else SIZES
    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    if any(name not in LAYERS for name in layers):
        parser.error(f"--layers takes {', '.join(LAYERS)}")
    args.database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    args.redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench/realtime.py measures PostgreSQL; DATABASE_URL is {args.database_url.split('://')[0]}://...")
    nofile = raise_fd_limit(max(sizes) + 200)

    def terminated(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    print(f"Creating database {urlsplit(args.database_url).path.lstrip('/')} ...", flush=True)
    recreate_database(args.database_url)
    env = server_environment(
        database_url=args.database_url,
        redis_url=args.redis_url,
        layer=layers[0],
        capacity=args.capacity,
        max_connections=args.max_connections,
    )
    setup_django(env)
    import redis as redis_py
    from django.core.management import call_command

    layer_log = LayerLog()
    for name in ("channels_redis.core", "channels_redis.pubsub", "realtime.services"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(layer_log)

    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publisher")  # Django's connection lives here
    stop = threading.Event()
    results: list[SizeResult] = []
    layer_configs: dict[str, str] = {}
    server_problems: dict[str, tuple[int, str]] = {}
    server = None
    logs = Path(tempfile.mkdtemp(prefix="tradeon-bench-rt-"))
    try:
        print("Migrating ...", flush=True)
        db.submit(call_command, "migrate", verbosity=0).result()
        key, sessions = db.submit(bench_world, max(sizes)).result()
        info = db.submit(machine_info).result()
        redis = redis_py.Redis.from_url(args.redis_url)
        info["redis"] = redis.info("server")["redis_version"]
        for layer in layers:
            print(f"Layer {layer}:", flush=True)
            redis.flushdb()
            layer_env = {**env, "CHANNEL_LAYER": layer}
            override, config = db.submit(use_layer, layer_env).result()
            layer_configs[layer] = f"{config['BACKEND']}" + (
                f", capacity {config['CONFIG']['capacity']}" if "capacity" in config["CONFIG"] else ""
            )
            server = Server(
                env=layer_env,
                port=free_port(),
                log_path=logs / f"uvicorn-{layer}.log",
                app=args.app,
                extra=args.uvicorn_arg,
            )
            server.start()
            ctx = Context(
                key=key,
                port=server.port,
                sessions=sessions,
                server=server,
                redis=redis,
                db=db,
                layer_log=layer_log,
                stop=stop,
                connect_concurrency=args.connect_concurrency,
                messages=args.messages,
                rate=args.rate,
                burst=args.burst,
                settle=args.settle,
                drain_timeout=args.drain_timeout,
                stall=args.stall,
            )
            for n in sizes:
                print(f"  {n} clients ...", flush=True)
                with asyncio.Runner(loop_factory=new_loop) as runner:
                    result = runner.run(measure_size(layer, n, ctx=ctx))
                results.append(result)
                print(summary_line(result), flush=True)
                # The server says goodbye to each client (presence) before the next size connects.
                deadline = time.monotonic() + 120
                while db.submit(presences_on, key).result() and time.monotonic() < deadline:
                    time.sleep(0.5)
            problems = server.problems()
            if problems:
                server_problems[layer] = (len(problems), problems[0][:200])
            server.stop()
            server = None
            db.submit(override.disable).result()
    except KeyboardInterrupt:
        print("Interrupted.", flush=True)
        stop.set()
        raise
    finally:
        if server is not None:
            print(f"Server log: {server.log_path}\n{server.log_tail(15)}", flush=True)
            server.stop()
        with contextlib.suppress(Exception):  # the database is dropped with FORCE anyway
            db.submit(close_db).result(timeout=30)
        db.shutdown(wait=False, cancel_futures=True)
        if not args.keep_db:
            recreate_database(args.database_url, drop_only=True)
    elapsed = time.monotonic() - began
    info["load"] = f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    info["nofile"] = nofile
    info["elapsed"] = (
        f"{elapsed / 60:.1f} minutes (sizes {', '.join(str(n) for n in sizes)}; layers {', '.join(layers)})"
    )
    info["server_problems"] = server_problems
    text = render(results, info, args, layer_configs)
    print()
    print(text)
    if not args.no_write:
        from tradeon.benchmarks_doc import benchmarks_section_replace

        benchmarks_section_replace(path=ROOT / "docs" / "benchmarks.md", heading=SECTION, text=text)
        print("Wrote docs/benchmarks.md")
    lost = sum(r.lost for r in results)
    unconnected = sum(r.clients - r.connected for r in results if r.clients == TARGET_CLIENTS)
    if lost or unconnected:
        print(f"Failed: {lost} deliveries lost, {unconnected} clients failed to connect at {TARGET_CLIENTS:,}.")
        sys.exit(1)


if __name__ == "__main__":
    main()
