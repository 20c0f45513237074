"""A consultation fair end to end, in a real browser, through the pages each person uses: staff
create the fair and invite an SME and a buyer in Los Angeles; both accept; the buyer requests a
meeting from the matcher's suggestion and the SME accepts it; staff run the scheduler and
publish; the buyer sees the meeting in Los Angeles time with Seoul time alongside, the SME in
Seoul time, and both download it as an .ics calendar file.

Only the people and their catalogue entries are made up front (factories); every step of the
workflow goes through the pages.

The one session window, 09:00-11:00 Seoul time, is the previous afternoon in Los Angeles
(16:00-18:00 PST, 17:00-19:00 PDT), inside a buyer's sane hours there (08:00-20:00, Monday to
Friday). Seoul's Monday morning is a Sunday in Los Angeles, so the meeting can only land on the
fair's Tuesday or Wednesday; the test reads where it landed from the database and expects the
pages to show exactly that.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from catalog.models import Sector
from matching.models import ConsultationFair, FairParticipant, Meeting, MeetingRequest
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEOUL = ZoneInfo("Asia/Seoul")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
FAIR_NAME = "Beauty fair for US buyers"


@pytest.fixture
def people(transactional_db):
    staff = factories.StaffUserFactory()
    sme = factories.SMEUserFactory(
        company__name_en="Hanbit Cosmetics",
        company__name_ko="한빛화장품",
        company__languages=["ko", "en"],
        company__target_countries=["US"],
    )
    factories.ProductFactory(company=sme.company, name_en="Centella calming cream", name_ko="병풀 진정 크림")
    buyer = factories.BuyerUserFactory(
        buyer_organisation__name="Pacific Beauty Imports",
        buyer_organisation__country="US",
        buyer_organisation__city="Los Angeles",
        buyer_organisation__time_zone="America/Los_Angeles",
        buyer_organisation__languages=["en"],
    )
    buyer.buyer_organisation.hs_codes.add("3304")
    # Someone the fair is not for: an SME of another sector and a Thai buyer stay uninvited.
    factories.CompanyFactory(name_en="Gangnam Foods", sector=Sector.objects.get(code="food"))
    factories.BuyerOrganisationFactory(name="Bangkok Trading", country="TH")
    return {"staff": staff, "sme": sme, "buyer": buyer}


@pytest.fixture
def new_tab(browser, live_server):
    """new_tab() -> a page in a browser context of its own (one signed-in person each)."""
    contexts = []

    def open_tab():
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form:has(input[name=password])")).to_have_count(0)


def open_fair_from_list(page):
    page.goto("/fairs/")
    page.get_by_role("link", name=FAIR_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FAIR_NAME)


def download_text(page, link) -> str:
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), encoding="utf-8") as handle:
        return handle.read()


def clock(starts: dt.datetime, ends: dt.datetime) -> str:
    """How the agenda writes a meeting's time of day: "16:00–16:40"."""
    return f"{starts:%H:%M}–{ends:%H:%M}"


def staff_creates_and_opens_the_fair(page, monday: dt.date) -> ConsultationFair:
    page.goto("/fairs/")
    page.get_by_role("link", name="New fair").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New fair")
    page.locator("#id_name").fill(FAIR_NAME)
    page.get_by_label("Beauty (cosmetics, hair)").check()
    page.locator("#id_target_countries").select_option(["US"])
    page.locator("#id_starts_on").fill(monday.isoformat())
    page.locator("#id_ends_on").fill((monday + dt.timedelta(days=2)).isoformat())
    page.locator("#id_session_windows_text").fill("09:00-11:00")
    page.locator("#id_meeting_minutes").fill("40")
    page.locator("#id_break_minutes").fill("10")
    # The form offers all nine video rooms; this fair uses two.
    rooms = page.get_by_role("group", name="Video rooms")
    for box in rooms.get_by_role("checkbox").all():
        box.uncheck()
    rooms.get_by_label("Video room 1", exact=True).check()
    rooms.get_by_label("Video room 2", exact=True).check()
    page.locator("#id_local_hours_from").fill("8")
    page.locator("#id_local_hours_to").fill("20")
    page.get_by_role("button", name="Create fair").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Participants")
    expect(page.get_by_role("status").filter(has_text="Fair created")).to_be_visible()
    fair = ConsultationFair.objects.get(name=FAIR_NAME)
    assert fair.phase == "registration"
    assert (fair.starts_on, fair.ends_on) == (monday, monday + dt.timedelta(days=2))
    assert [(w.opens_at, w.closes_at) for w in fair.session_windows.all()] == [(dt.time(9), dt.time(11))]
    assert sorted(fair.rooms.values_list("name", flat=True)) == ["Video room 1", "Video room 2"]
    assert list(fair.sectors.values_list("code", flat=True)) == ["beauty"]
    assert [str(c) for c in fair.target_countries] == ["US"]
    return fair


def staff_invites(page, fair):
    smes = page.get_by_label("SMEs", exact=True)
    buyers = page.get_by_label("Verified buyers")
    # Only the fair's sector and target country are offered.
    expect(smes.locator("option")).to_have_text(["Hanbit Cosmetics (한빛화장품)"])
    expect(buyers.locator("option")).to_have_text(["Pacific Beauty Imports (US)"])
    smes.select_option(label="Hanbit Cosmetics (한빛화장품)")
    buyers.select_option(label="Pacific Beauty Imports (US)")
    page.get_by_role("button", name="Invite selected").click()
    expect(page.get_by_role("status").filter(has_text="2 invited")).to_be_visible()
    table = page.locator("table.table")
    expect(table).to_contain_text("Hanbit Cosmetics")
    expect(table).to_contain_text("Pacific Beauty Imports")
    assert sorted(fair.participants.values_list("kind", "status")) == [("buyer", "invited"), ("sme", "invited")]


def staff_moves_phase(page, fair, phase_label: str, phase: str):
    page.goto(f"/fairs/{fair.pk}/")
    page.get_by_role("button", name=f"Move to “{phase_label}”").click()
    expect(page.get_by_role("status").filter(has_text=f"now in phase “{phase_label}”")).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_have_text(phase_label)
    fair.refresh_from_db()
    assert fair.phase == phase


def accept_invitation(page):
    open_fair_from_list(page)
    invitation = page.locator("#invitation")
    expect(invitation).to_contain_text("You are invited")
    invitation.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("status").filter(has_text="your answer is saved")).to_be_visible()
    expect(page.locator("#invitation")).to_have_count(0)


def test_fair_from_creation_to_both_agendas(new_tab, people):
    staff_user, sme_user, buyer_user = people["staff"], people["sme"], people["buyer"]
    company, organisation = sme_user.company, buyer_user.buyer_organisation
    monday = factories.next_weekday()

    # 1. Staff create the fair, invite, compute the proposed pairs and open requests.
    staff = new_tab()
    sign_in(staff, staff_user)
    fair = staff_creates_and_opens_the_fair(staff, monday)
    staff_invites(staff, fair)
    staff.get_by_role("navigation", name="Fair").get_by_role("link", name="Proposed pairs").click()
    staff.get_by_role("button", name="Recompute proposed pairs").click()
    expect(staff.locator(".grid")).to_contain_text("Pacific Beauty Imports")
    expect(staff.locator(".grid")).to_contain_text("Hanbit Cosmetics")
    staff_moves_phase(staff, fair, "Requests open", "requests_open")

    # 2. The buyer accepts the invitation. The SME has not answered yet, so nobody is there to
    # ask: requests (and suggestions) need both sides to have accepted.
    buyer = new_tab()
    sign_in(buyer, buyer_user)
    accept_invitation(buyer)
    expect(buyer.locator("#requests-suggestions")).to_contain_text("No suggestions at the moment.")

    # 3. The SME accepts too; the buyer then requests a meeting from the matcher's suggestion.
    sme = new_tab()
    sign_in(sme, sme_user)
    accept_invitation(sme)
    expect(sme.locator("#requests-incoming")).to_contain_text("Nobody has asked you for a meeting yet.")
    buyer.reload()
    suggestion = buyer.locator("#requests-suggestions .request-suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("Hanbit Cosmetics")
    suggestion.get_by_label("Message").fill("We stock Korean skincare in 40 stores in California.")
    suggestion.get_by_role("button", name="Request a meeting").click()
    sent = buyer.locator("#requests-suggestions .request-row")
    expect(sent).to_contain_text("Hanbit Cosmetics")
    expect(sent).to_contain_text("Pending")
    expect(sent).to_contain_text("You asked")
    request = MeetingRequest.objects.get(fair=fair)
    assert (request.company_id, request.buyer_id, request.from_side, request.status) == (
        company.pk,
        organisation.pk,
        "buyer",
        "pending",
    )

    # 4. The SME sees the request and accepts it.
    sme.reload()
    incoming = sme.locator(f"#requests-incoming #request-{request.pk}")
    expect(incoming).to_contain_text("Pacific Beauty Imports")
    expect(incoming).to_contain_text("We stock Korean skincare in 40 stores in California.")
    incoming.get_by_role("button", name="Accept").click()
    expect(sme.locator(f"#request-{request.pk}")).to_contain_text("Accepted")
    expect(sme.locator(f"#request-{request.pk}").get_by_role("button")).to_have_count(0)
    request.refresh_from_db()
    assert request.status == "accepted"

    # 5. Staff schedule and publish.
    staff_moves_phase(staff, fair, "Scheduling", "scheduling")
    facts = staff.locator("dl.facts").first
    expect(facts.locator("dt:has-text('Buyers accepted') + dd")).to_have_text("1")
    expect(facts.locator("dt:has-text('SMEs accepted') + dd")).to_have_text("1")
    expect(facts.locator("dt:has-text('Requests pending / accepted') + dd")).to_have_text("0 / 1")
    staff.get_by_role("navigation", name="Fair").get_by_role("link", name="Schedule").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Schedule")
    staff.get_by_role("button", name="Run the scheduler").click()
    run = staff.locator("#schedule-run")
    expect(run).to_contain_text("Done")
    expect(run).to_contain_text("1 of at most 1")
    meeting = Meeting.objects.get(fair=fair)
    assert (meeting.company_id, meeting.buyer_id, meeting.status, meeting.source) == (
        company.pk,
        organisation.pk,
        "draft",
        "request",
    )
    seoul_start, seoul_end = meeting.starts_at.astimezone(SEOUL), meeting.ends_at.astimezone(SEOUL)
    la_start, la_end = meeting.starts_at.astimezone(LOS_ANGELES), meeting.ends_at.astimezone(LOS_ANGELES)
    # The only slots inside both parties' business days and hours (see the module's docstring).
    assert seoul_start.date() in (monday + dt.timedelta(days=1), monday + dt.timedelta(days=2))
    assert dt.time(9) <= seoul_start.time() and seoul_end.time() <= dt.time(11)
    assert la_start.weekday() < 5
    assert la_start.hour >= 8 and la_end.hour < 20
    assert meeting.room.name in ("Video room 1", "Video room 2")
    assert meeting.interpreter is None  # both speak English

    # One table per day (slots x rooms); the meeting sits in its day's table, in its slot's
    # row and its room's column.
    expect(staff.locator(".schedule-grid")).to_have_count(3)
    day_table = staff.locator(".schedule-grid", has_text=f"#{meeting.pk}")
    expect(day_table).to_have_count(1)
    day_heading = staff.locator("h3", has_text=seoul_start.strftime("%A %Y-%m-%d"))
    expect(day_heading.locator("xpath=following-sibling::div[1]//table")).to_contain_text(f"#{meeting.pk}")
    slot_row = day_table.locator("tbody tr", has_text=f"#{meeting.pk}")
    expect(slot_row.locator("th")).to_have_text(clock(seoul_start, seoul_end))
    columns = day_table.locator("thead th").all_text_contents()
    cell = slot_row.locator("td").nth(columns.index(meeting.room.name) - 1)
    expect(cell).to_contain_text(f"#{meeting.pk} Hanbit Cosmetics × Pacific Beauty Imports")
    staff.get_by_role("button", name="Publish the schedule").click()
    expect(staff.get_by_role("status").filter(has_text="The schedule is published")).to_be_visible()
    expect(staff.locator(".page-head .badge-phase")).to_have_text("Published")
    meeting.refresh_from_db()
    fair.refresh_from_db()
    assert fair.phase == "published"
    assert meeting.status == "scheduled" and meeting.published_at is not None

    # 6. The buyer reads the meeting in Los Angeles time with Seoul time alongside.
    open_fair_from_list(buyer)
    buyer.get_by_role("link", name="Open your agenda").click()
    expect(buyer.get_by_role("heading", level=1)).to_contain_text(FAIR_NAME)
    expect(buyer.locator(".page-head")).to_contain_text("Times in America/Los_Angeles, with Seoul time alongside.")
    row = buyer.locator(f"#meeting-{meeting.pk}")
    la_offset = la_start.strftime("%z")
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text(clock(la_start, la_end))
    expect(cells.nth(0)).to_contain_text(f"UTC{la_offset[:3]}:{la_offset[3:]}")
    expect(cells.nth(1)).to_have_text(f"{seoul_start:%a %Y-%m-%d} {clock(seoul_start, seoul_end)} KST")
    expect(cells.nth(2)).to_contain_text("Hanbit Cosmetics")
    expect(cells.nth(3)).to_have_text("Seoul time")  # the SME's local time
    expect(cells.nth(4)).to_have_text(meeting.room.name)
    expect(buyer.get_by_role("heading", name=la_start.strftime("%a %Y-%m-%d"))).to_be_visible()
    whole = download_text(buyer, buyer.get_by_role("link", name="Download .ics"))
    one = download_text(buyer, row.get_by_role("link", name=".ics"))
    for ics in (whole, one):
        assert "BEGIN:VCALENDAR" in ics
        assert f"UID:{meeting.uid}@tradeon" in ics
        assert f"DTSTART:{meeting.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in ics

    # 7. The SME reads it in Seoul time, with the buyer's local time beside it.
    open_fair_from_list(sme)
    sme.get_by_role("link", name="Open your agenda").click()
    expect(sme.locator(".page-head")).to_contain_text("Times in Seoul time (KST, UTC+09:00).")
    row = sme.locator(f"#meeting-{meeting.pk}")
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text(clock(seoul_start, seoul_end))
    expect(cells.nth(0)).to_contain_text("UTC+09:00")
    expect(cells.nth(1)).to_contain_text("Pacific Beauty Imports")
    expect(cells.nth(2)).to_contain_text(f"{la_start:%a %Y-%m-%d} {clock(la_start, la_end)}")
    expect(cells.nth(2)).to_contain_text("America/Los_Angeles")
    expect(sme.get_by_role("heading", name=seoul_start.strftime("%a %Y-%m-%d"))).to_be_visible()
    ics = download_text(sme, sme.get_by_role("link", name="Download .ics"))
    assert f"UID:{meeting.uid}@tradeon" in ics

    participants = FairParticipant.objects.filter(fair=fair)
    assert sorted(participants.values_list("kind", "status")) == [("buyer", "accepted"), ("sme", "accepted")]
