"""The ASGI server the realtime browser tests use (and `make demo` runs): pages, static files and
the events websocket of a signed-in user, in one process."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_asgi_server_serves_pages_and_websockets(browser, asgi_server):
    user = factories.SMEUserFactory(username="smoke")
    user.set_password("pw-smoke-123")
    user.save()
    context = browser.new_context(base_url=asgi_server)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "smoke")
    page.fill("input[name=password]", "pw-smoke-123")
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()
    hello = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws/events/');
            ws.onmessage = (e) => { resolve(JSON.parse(e.data)); ws.close(); };
            ws.onerror = () => reject('ws error');
        })"""
    )
    assert hello["type"] == "hello" and hello["user"] == user.pk
    context.close()
