"""The fair day in real browsers over the real ASGI server (pages, API and both websockets in
one process): an SME and a buyer, each in a browser context of their own with fake camera
devices, enter their meeting's video room and each decodes the other's video; the staff live
board in a third context shows that meeting go live without a reload; a buyer who never joins
another meeting becomes a no-show candidate, and staff re-assign that slot to a standby buyer
in one click, who is told at once.

The day runs on the live module's clock, set into the fair's 09:50 Seoul slot (the server runs in a thread of this process, so it reads the same clock)."""

import time

import pytest
from playwright.sync_api import expect

from matching.fairs import live
from matching.models import LiveState, Meeting
from realtime.models import Event
from tests import factories
from tests.matching.fairs.test_live_state import make_day, minutes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(context, user):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form:has(input[name=password])")).to_have_count(0)
    return page


def enter_room(page, meeting):
    page.goto(f"/fairs/meetings/{meeting.pk}/room/")
    expect(page.locator("#join-button")).to_be_enabled()
    page.locator("#join-button").click()
    expect(page.locator("#room")).to_have_attribute("data-state", "joined")


def frames_from_the_other_side(page) -> int:
    """Video frames this page has decoded from its peer, waiting up to 30 s for them to flow.
    (framesDecoded() is async, and wait_for_function would take its promise as truthy.)"""
    deadline = time.monotonic() + 30
    frames = 0
    while time.monotonic() < deadline:
        frames = sum(page.evaluate("window.TradeOnRoom.framesDecoded()").values())
        if frames > 0:
            break
        page.wait_for_timeout(500)
    return frames


def test_two_parties_meet_on_video_while_the_board_follows_and_a_no_show_is_refilled(
    media_browser, asgi_server, monkeypatch
):
    # Two meetings in the same slot: Alpha x Siam (both will come) and Beta x Kuala (the buyer
    # never comes); a free standby buyer; staff.
    meeting, sme_user, buyer_user = make_day()
    fair = meeting.fair
    beta = factories.FairParticipantFactory(fair=fair, company__name_en="Beta Beauty")
    kuala = factories.BuyerParticipantFactory(fair=fair, buyer__name="Kuala Imports")
    beta_user = factories.SMEUserFactory(company=beta.company)
    lonely = factories.PublishedMeetingFactory(
        fair=fair,
        company=beta.company,
        buyer=kuala.buyer,
        starts_at=meeting.starts_at,
        room=fair.rooms.order_by("name")[1],
    )
    standby = factories.BuyerParticipantFactory(fair=fair, buyer__name="Standby Trading")
    standby_user = factories.BuyerUserFactory(buyer_organisation=standby.buyer)
    staff = factories.StaffUserFactory()

    clock = {"at": minutes(meeting, 1)}
    monkeypatch.setattr(live, "_now", lambda: clock["at"])
    live.attendance_join(meeting=lonely, user=beta_user, side="sme", channel_name="beta-laptop")

    contexts = [
        media_browser.new_context(base_url=asgi_server, locale="en-US", viewport={"width": 1280, "height": 900})
        for _ in range(3)
    ]
    errors: list[str] = []
    try:
        for context in contexts:
            context.set_default_timeout(20_000)
        board = sign_in(contexts[0], staff)
        board.on("pageerror", lambda error: errors.append(f"board: {error}"))
        board.goto(f"/fairs/{fair.pk}/live/")
        expect(board.locator("[data-connection]")).to_have_attribute("data-connection", "live")
        row = board.locator(f'[data-meeting-id="{meeting.pk}"]')
        expect(row).to_have_attribute("data-live-state", "waiting")

        sme_page = sign_in(contexts[1], sme_user)
        buyer_page = sign_in(contexts[2], buyer_user)
        for page in (sme_page, buyer_page):
            page.on("pageerror", lambda error: errors.append(f"room: {error}"))
        enter_room(sme_page, meeting)
        # The board hears of the SME before the buyer is there.
        expect(row).to_have_attribute("data-live-state", "waiting_buyer")
        enter_room(buyer_page, meeting)

        # Each side decodes the other's (fake) camera: peer to peer, signalled over Channels.
        assert frames_from_the_other_side(sme_page) > 0
        assert frames_from_the_other_side(buyer_page) > 0
        # ...and the board shows the meeting live, without a reload.
        expect(row).to_have_attribute("data-live-state", "live")
        assert Meeting.objects.get(pk=meeting.pk).live_state == LiveState.LIVE

        # Kuala never joins. Six minutes in (no-show after 5) the board's next tick (every 20 s)
        # makes the meeting a no-show candidate, with the free standby buyer suggested.
        lonely_row = board.locator(f'[data-meeting-id="{lonely.pk}"]')
        expect(lonely_row).to_have_attribute("data-live-state", "waiting_buyer")
        clock["at"] = minutes(meeting, 6)
        expect(lonely_row).to_have_attribute("data-no-show", "buyer", timeout=40_000)
        lonely_row.locator(f'[data-reassign-to="{standby.buyer_id}"]').click()
        expect(lonely_row).to_have_attribute("data-live-state", "cancelled")
        refill = Meeting.objects.get(replaces=lonely)
        assert (refill.company_id, refill.buyer_id, refill.starts_at) == (
            beta.company_id,
            standby.buyer_id,
            lonely.starts_at,
        )
        expect(board.locator(f'[data-meeting-id="{refill.pk}"]')).to_be_visible()
        # Both new parties are told at once, on their own streams (stored as the re-assignment
        # commits; the board may show the new row a moment before the last one is written).
        told = Event.objects.filter(
            stream__key__in=[f"user.{beta_user.pk}", f"user.{standby_user.pk}"],
            kind="meeting.reassigned",
            data__meeting=refill.pk,
        )
        deadline = time.monotonic() + 10
        while told.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(told.values_list("stream__key", flat=True)) == sorted(
            [f"user.{beta_user.pk}", f"user.{standby_user.pk}"]
        )
        assert errors == []
    finally:
        for context in contexts:
            context.close()
