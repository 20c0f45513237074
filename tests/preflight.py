"""Checks, before any test runs under CI=true, that the real services and the browser are there.

Under CI a missing service must fail the run, never turn into skipped tests.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> str | None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError as error:
        return f"{host}:{port} is not reachable ({error})"


def problems() -> list[str]:
    found = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        found.append(
            "DATABASE_URL must point at PostgreSQL under CI=true (e.g. postgres://postgres@127.0.0.1:5432/tradeon)."
        )
    elif error := _reachable(database_url, 5432):
        found.append(f"PostgreSQL at DATABASE_URL: {error}.")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith(("redis://", "rediss://")):
        found.append("REDIS_URL must point at Redis under CI=true (e.g. redis://127.0.0.1:6379/0).")
    elif error := _reachable(redis_url, 6379):
        found.append(f"Redis at REDIS_URL: {error}.")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        found.append(f"Chromium is missing at {CHROMIUM}: run `apt-get install -y chromium` (make test does).")
    return found
