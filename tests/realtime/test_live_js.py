"""static/js/live.js and notifications.js in a real browser against the real ASGI app: a
notification arrives as a toast, in the bell and at the top of the list; a push that never
arrived is noticed at the next number and fetched; events raised while the tab was disconnected
are fetched when it reconnects; marking read elsewhere clears the bell. Other scripts follow a
fair's stream through TradeOnLive.subscribe: one gets every event in order, each once; one that
reloads a snapshot after a disconnection (onResync, like the live board) gets what follows it."""

import threading
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from realtime import services
from realtime.models import Presence, Stream
from tests import factories
from tests.browser.conftest import asgi_server, browser  # noqa: F401 - the fixtures this test uses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records the page's websockets, and while window.__offline is set sends new ones nowhere (a
# network that is down), so the test decides when the tab is away and when it comes back.
SOCKETS = """
(() => {
  const Original = window.WebSocket;
  window.__sockets = [];
  window.__offline = false;
  window.WebSocket = function (url, protocols) {
    const socket = new Original(window.__offline ? "ws://127.0.0.1:9/" : url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
})();
"""


def in_thread(work):
    """Run `work` off this thread: Playwright's event loop runs here, and publishing pushes
    through async_to_sync, which refuses to run inside a thread with a running loop. SQLite's
    shared test database may refuse a write while the server thread reads ("table is locked");
    the write is retried then (it rolled back whole)."""
    from django.db import OperationalError, connections

    result = {}

    def run():
        for attempt in range(20):
            try:
                result["value"] = work()
                return
            except OperationalError as error:
                if "locked" not in str(error) or attempt == 19:
                    result["error"] = error
                    return
                time.sleep(0.05)
            except Exception as error:  # noqa: BLE001 - raised again in the test's thread
                result["error"] = error
                return
            finally:
                connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def notify(user, message: str) -> None:
    in_thread(lambda: services.notify_users([user], "request.received", message, url="/fairs/"))


def test_the_live_client_keeps_the_bell_the_list_and_the_fairs_stream_in_step(
    browser,  # noqa: F811
    asgi_server,  # noqa: F811
    monkeypatch,
):
    user = factories.SMEUserFactory()
    participant = factories.FairParticipantFactory(company=user.company)
    login = Client()
    login.force_login(user)
    context = browser.new_context(base_url=asgi_server, locale="en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": login.cookies["sessionid"].value, "url": asgi_server}])
    context.add_init_script(SOCKETS)
    # The browser's favicon request would be a 404 page rendered by Django's ASGI handler in a
    # thread whose database connection is never closed, and that connection would keep the test
    # database from being dropped under PostgreSQL.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.goto("/notifications/")
    page.wait_for_function("window.TradeOnLive && TradeOnLive.status === 'connected'")
    count = page.locator("[data-bell-count]")
    items = page.locator(".notification-list li.notification")
    expect(count).to_be_hidden()

    # Two other scripts follow the fair's stream: one wants every event; the other (like the
    # live board) reloads a snapshot after a disconnection and wants only what follows it.
    key = f"fair.{participant.fair_id}"
    page.evaluate(
        """(key) => {
            window.__fair = [];
            window.__board = [];
            window.__snapshots = [];
            TradeOnLive.subscribe(key, {since: 0, onEvent: (frame) => window.__fair.push(frame.seq)});
            TradeOnLive.subscribe(key, {
                onEvent: (frame) => window.__board.push(frame.seq),
                onResync: () => fetch("/api/v1/events/?stream=" + key + "&limit=1")
                    .then((response) => response.json())
                    .then((body) => { window.__snapshots.push(body.last_seq); return body.last_seq; }),
            });
        }""",
        key,
    )
    page.wait_for_function("window.__fair.length === 1")  # its own arrival in the lobby

    # Live: a toast, the bell, the top of the list.
    notify(user, "Bangkok Beauty asked for a meeting")
    expect(page.locator(".toast")).to_contain_text("Bangkok Beauty asked for a meeting")
    expect(count).to_have_text("1")
    expect(page.locator("[data-bell]")).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(items).to_have_count(1)

    # A push that never arrived: the next number shows the gap, and the client fetches it.
    with monkeypatch.context() as patch:
        patch.setattr(services, "_push", lambda key, frame: None)
        notify(user, "A push that was lost")
    notify(user, "The one after the gap")
    expect(items).to_have_count(3)
    expect(count).to_have_text("3")

    # Away: the connection drops and nothing can connect; meanwhile more happens.
    page.evaluate("window.__offline = true; window.__sockets.forEach((socket) => socket.close())")
    page.wait_for_function("TradeOnLive.status === 'reconnecting'")
    notify(user, "Raised while away, first")
    notify(user, "Raised while away, second")
    for n in range(3):
        in_thread(lambda n=n: services.event_publish(key, "meeting", {"id": n}))
    page.evaluate("window.__offline = false")
    expect(items).to_have_count(5, timeout=15_000)  # the next try may be a few seconds off
    expect(count).to_have_text("5")
    assert items.locator("a").all_inner_texts() == [
        "Raised while away, second",
        "Raised while away, first",
        "The one after the gap",
        "A push that was lost",
        "Bangkok Beauty asked for a meeting",
    ]
    # The fair's subscriptions catch up on their own after the reconnect (the board reloads its
    # snapshot): wait for that before the next event, or the snapshot may already hold it.
    before = in_thread(lambda: Stream.objects.get(key=key).last_seq)
    page.wait_for_function(f"window.__fair.includes({before}) && window.__snapshots.length === 1")
    in_thread(lambda: services.event_publish(key, "meeting", {"id": "after"}))
    last = in_thread(lambda: Stream.objects.get(key=key).last_seq)
    page.wait_for_function(f"window.__fair.includes({last}) && window.__board.includes({last})")
    # Every event once and in order (the departure and return in the lobby included)...
    assert page.evaluate("window.__fair") == list(range(1, last + 1))
    # ... and the board reloaded its snapshot once and took only what came after it.
    snapshots, board = page.evaluate("[window.__snapshots, window.__board]")
    assert len(snapshots) == 1 and snapshots[0] < last
    assert board == list(range(snapshots[0] + 1, last + 1))

    # Marked read in another tab (here: the service): this tab's bell and list follow.
    in_thread(lambda: services.notifications_mark_read(user=user))
    expect(count).to_be_hidden()
    expect(page.locator(".notification.is-unread")).to_have_count(0)
    expect(page.locator("[data-mark-all-read] button")).to_be_disabled()
    context.close()
    # Leaving, the tab left the fair's lobby: wait for the server to finish with it, so no
    # connection of its is still open when the test database is dropped.
    deadline = time.monotonic() + 15
    while in_thread(lambda: Presence.objects.filter(user=user).exists()) and time.monotonic() < deadline:
        time.sleep(0.1)


def notifications_page(browser, server: str, user):  # noqa: F811
    """A signed-in tab on /notifications/ with its live connection up: (context, page)."""
    login = Client()
    login.force_login(user)
    context = browser.new_context(base_url=server, locale="en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": login.cookies["sessionid"].value, "url": server}])
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.goto("/notifications/")
    page.wait_for_function("window.TradeOnLive && TradeOnLive.status === 'connected'")
    return context, page


def test_a_tab_that_fell_behind_fetches_what_the_server_dropped(browser, asgi_server, monkeypatch):  # noqa: F811
    """The server drops pushes for a socket whose client stopped reading and says so with a
    "lagged" frame (realtime.fanout.Outbox); the client fetches them by number. An outbox of no
    frames at all drops every push, so everything here arrives through that path."""
    from realtime import fanout

    monkeypatch.setattr(fanout, "OUTBOX_FRAMES", 0)
    user = factories.SMEUserFactory()
    context, page = notifications_page(browser, asgi_server, user)
    page.evaluate(
        "() => { window.__lagged = []; TradeOnLive.on('lagged', (frame) => window.__lagged.push(frame.seq)); }"
    )

    notify(user, "Pushed to a tab that fell behind")
    first = in_thread(lambda: Stream.objects.get(key=f"user.{user.pk}").last_seq)
    expect(page.locator(".notification-list li.notification")).to_have_count(1)
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    notify(user, "And the next one")
    expect(page.locator(".notification-list li.notification")).to_have_count(2)
    assert page.evaluate("window.__lagged")[0] == first
    context.close()


def test_a_lost_push_with_nothing_after_it_is_fetched_at_the_next_heartbeat(browser, asgi_server, monkeypatch):  # noqa: F811
    """No later event shows the gap; the heartbeat's answer carries the stream's newest number."""
    from realtime import consumers

    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 1)
    user = factories.SMEUserFactory()
    context, page = notifications_page(browser, asgi_server, user)
    with monkeypatch.context() as patch:
        patch.setattr(services, "_push", lambda key, frame: None)
        notify(user, "A push that was lost, and nothing after it")
    expect(page.locator(".notification-list li.notification")).to_have_count(1)
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    context.close()
