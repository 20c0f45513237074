"""Headless Chromium (Debian's, never a downloaded build) driven by Playwright against the
live test server.

Without /usr/bin/chromium the browser tests are skipped on a developer's machine and fail
under CI=true, where a skipped browser test would hide a broken install."""

import os
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# For meeting rooms: fake camera and microphone, no permission prompt, and ICE over loopback
# (Chromium ignores loopback candidates otherwise, and both peers run on this machine).
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@contextmanager
def _chromium(monkeypatch, extra_args=()):
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is missing at {CHROMIUM}; install it with `apt-get install -y chromium`."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's own database calls
    # (factories, assertions) are still plain synchronous code, so Django may allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Inside Playwright's context Django sees a different set of connections than outside it.
    # Close them on both sides of the boundary, or one stays open and PostgreSQL refuses to
    # drop the test database at the end of the run.
    connections.close_all()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield chromium
        finally:
            chromium.close()
            connections.close_all()


@pytest.fixture
def browser(monkeypatch):
    with _chromium(monkeypatch) as chromium:
        yield chromium


@pytest.fixture
def media_browser(monkeypatch):
    """A Chromium whose pages have fake camera and microphone devices (see MEDIA_ARGS)."""
    with _chromium(monkeypatch, MEDIA_ARGS) as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI application (HTTP and websockets, tradeon.asgi) served by uvicorn in a
    thread of this process, on a free port: what `make demo` runs, with static files served
    from the finders like live_server does. Runs in-process so that the test database (and, in
    the embedded default, the in-memory channel layer) is the one the test writes to.

    Yields the base URL, e.g. "http://127.0.0.1:40123"."""
    import socket
    import threading
    import time

    import uvicorn
    from channels.layers import channel_layers
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from tradeon.asgi import application

    # A channel layer of its own for this server and its event loop: channels_redis' layer binds
    # its receive state to the loop that receives on it, and a receive left pending in an earlier
    # server's loop (a hub reader, realtime.fanout) would refuse this one's ("Two event loops").
    channel_layers.backends.clear()
    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": application.application_mapping["websocket"],
        }
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The ASGI test server did not start.")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        channel_layers.backends.clear()
        from django.db import connections

        connections.close_all()
