"""The live board in a real browser over the real ASGI server (pages, API and the events
websocket in one process): the board's own tick turns a late buyer into a no-show candidate and
the row changes without a reload; the standby panel lists a free buyer; one click re-assigns
the slot and both meetings show; an announcement appears on the board."""

import pytest

from matching.fairs import live
from matching.models import Meeting
from tests import factories
from tests.browser.conftest import asgi_server, browser  # noqa: F401 - the fixtures this test uses
from tests.matching.fairs.test_live_state import make_day, minutes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_board_follows_the_day_and_reassigns_a_no_show_in_one_click(
    browser,  # noqa: F811
    asgi_server,  # noqa: F811
    monkeypatch,
):
    meeting, sme_user, _buyer = make_day()
    standby = factories.BuyerParticipantFactory(fair=meeting.fair, buyer__name="Standby Trading")
    staff = factories.StaffUserFactory(username="board-staff")
    staff.set_password("pw-board-123")
    staff.save()
    # The fair's day, in this process (the server runs in a thread of it): the SME came in at
    # 09:51 and it is now 09:56, past the fair's 5-minute no-show delay.
    now = {"at": minutes(meeting, 1)}
    monkeypatch.setattr(live, "_now", lambda: now["at"])
    live.attendance_join(meeting=meeting, user=sme_user, side="sme", channel_name="alpha")
    now["at"] = minutes(meeting, 6)

    context = browser.new_context(base_url=asgi_server, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "board-staff")
        page.fill("input[name=password]", "pw-board-123")
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"/fairs/{meeting.fair_id}/live/")

        row = page.locator(f'[data-meeting-id="{meeting.pk}"]')
        # Rendered before any tick: waiting for the buyer, not yet a candidate.
        assert row.get_attribute("data-live-state") == "waiting_buyer"
        # board.js ticks on opening; the change comes back as an event over the websocket.
        page.wait_for_selector(f'[data-meeting-id="{meeting.pk}"][data-no-show="buyer"]')
        page.wait_for_selector('[data-connection="live"]')
        button = row.locator(f'[data-reassign-to="{standby.buyer_id}"]')
        button.wait_for()
        assert not row.locator('[data-field="online"]').is_visible()  # nobody from Standby Trading is in the lobby
        assert page.locator('[data-count="no_show_candidates"]').inner_text() == "1"

        button.click()
        page.wait_for_selector(f'[data-meeting-id="{meeting.pk}"][data-live-state="cancelled"]')
        new = Meeting.objects.get(replaces=meeting)
        page.wait_for_selector(f'[data-meeting-id="{new.pk}"][data-live-state="scheduled"]')
        assert "Standby Trading" in page.locator(f'[data-meeting-id="{new.pk}"]').inner_text()
        assert not row.locator("[data-standby]").is_visible()

        page.fill("#live-announcement", "Room 3 runs ten minutes late.")
        page.locator("[data-announce-form] button[type=submit]").click()
        page.wait_for_selector(".live-announcement:has-text('Room 3 runs ten minutes late.')")
        assert errors == []
    finally:
        context.close()
