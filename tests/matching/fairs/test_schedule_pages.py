"""The staff schedule pages: the run and its htmx progress, the result with the reasons for
unplaced pairs, the grid (slots x rooms, Seoul time) and the per-participant view, the edit forms
with their errors shown in place, publishing, and the XLSX export (opened with openpyxl)."""

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from matching.fairs import booking
from matching.models import Meeting, MeetingRequest, ScheduleRun, VideoRoom
from tests import factories

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def at(fair, day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(fair.starts_on + timedelta(days=day), time(hours, minutes), SEOUL).astimezone(UTC)


def room(number: int) -> VideoRoom:
    return VideoRoom.objects.get(name=f"Video room {number}")


@pytest.fixture
def staff(client):
    user = factories.StaffUserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def fair():
    return factories.FairFactory(phase="scheduling")


@pytest.fixture
def booked(fair, staff):
    """Two meetings: Alpha Cosmetics × Siam Retail in room 2 at 13:00 on day 1, and an online SME
    with an interpreted New York buyer at 09:00 on day 2 (forced: it is Sunday evening there)."""
    alpha = factories.FairParticipantFactory(fair=fair, company__name_en="Alpha Cosmetics")
    siam = factories.BuyerParticipantFactory(fair=fair, buyer__name="Siam Retail")
    online = factories.FairParticipantFactory(
        fair=fair, company__name_en="Online Beauty", company__languages=["ko"], uses_video_room=False
    )
    ny = factories.BuyerParticipantFactory(
        fair=fair, buyer__name="NY Imports", buyer__time_zone="America/New_York", buyer__languages=["th"]
    )
    interpreter = factories.InterpreterFactory(name="Ms Thai", languages=["ko", "th"])
    first = booking.meeting_add(
        fair=fair, added_by=staff, company=alpha.company, buyer=siam.buyer, starts_at=at(fair, 0, "13:00"), room=room(2)
    )
    second = booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=online.company,
        buyer=ny.buyer,
        starts_at=at(fair, 1, "09:00"),
        interpreter=interpreter,
        force=True,
    )
    return first, second


def page(client, fair, **params):
    return client.get(reverse("fairs:schedule", args=[fair.pk]), params)


# --- who may open it -------------------------------------------------------------------------------


def test_only_staff_open_the_schedule_pages(client, fair, booked):
    urls = [reverse("fairs:schedule", args=[fair.pk]), reverse("fairs:schedule_xlsx", args=[fair.pk])]
    client.logout()  # the fixtures booked as staff
    for url in urls:
        assert client.get(url).status_code == 302  # to sign-in
    for user in (factories.SMEUserFactory(), factories.BuyerUserFactory()):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403


def test_smes_and_buyers_cannot_run_edit_or_publish(client, fair, booked):
    first, second = booked
    before = list(Meeting.objects.order_by("pk").values())
    client.force_login(factories.SMEUserFactory())
    posts = {
        "schedule_run": {},
        "schedule_publish": {},
        "schedule_add": {},
        "schedule_move": {"move-meeting": first.pk, "move-slot": at(fair, 2, "13:00").isoformat()},
        "schedule_swap": {"swap-meeting": first.pk, "swap-other": second.pk},
        "schedule_cancel": {"cancel-meeting": first.pk, "cancel-reason": "no"},
    }
    for name, data in posts.items():
        assert client.post(reverse(f"fairs:{name}", args=[fair.pk]), data).status_code == 403
    assert list(Meeting.objects.order_by("pk").values()) == before
    assert not ScheduleRun.objects.exists()
    fair.refresh_from_db()
    assert fair.phase == "scheduling"


# --- the grid and the participants ---------------------------------------------------------------


def test_the_grid_has_slots_per_day_in_seoul_time_and_a_column_per_room_plus_online(client, staff, fair, booked):
    response = page(client, fair)
    assert response.status_code == 200
    grid = response.context["grid"]
    assert grid.columns == ["Video room 1", "Video room 2", "Video room 3", "Online"]
    assert [len(day.rows) for day in grid.days] == [8, 8, 8]
    first_day = grid.days[0]
    row = next(r for r in first_day.rows if r.seoul_start.strftime("%H:%M") == "13:00")
    assert [[m.company.name_en for m in cell] for cell in row.cells] == [[], ["Alpha Cosmetics"], [], []]
    second_row = grid.days[1].rows[0]
    assert second_row.seoul_start.strftime("%H:%M") == "09:00"
    assert [m.buyer.name for m in second_row.cells[3]] == ["NY Imports"]
    html = response.content.decode()
    assert "Alpha Cosmetics" in html and "Ms Thai" in html and "13:00–13:40" in html


def test_the_per_participant_view_lists_each_ones_meetings_with_local_times(client, staff, fair, booked):
    response = page(client, fair, view="participants")
    assert response.status_code == 200
    agendas = {a.name: a for a in response.context["agendas"]}
    assert [m.buyer.name for m in agendas["Alpha Cosmetics"].meetings] == ["Siam Retail"]
    assert [m.company.name_en for m in agendas["NY Imports"].meetings] == ["Online Beauty"]
    html = response.content.decode()
    # 09:00 KST on the fair's Tuesday is 19:00 on Monday in New York (EST in December).
    local = at(fair, 1, "09:00").astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%a %H:%M} local" in html


# --- the run -------------------------------------------------------------------------------------------


def test_the_run_button_runs_the_scheduler_and_the_page_shows_the_result(
    client, staff, fair, django_capture_on_commit_callbacks
):
    sme = factories.FairParticipantFactory(fair=fair, company__name_en="Gamma Skin")
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__name="KL Beauty", buyer__time_zone="Asia/Kuala_Lumpur")
    lonely = factories.BuyerParticipantFactory(fair=fair, buyer__name="Nowhere Trading", buyer__languages=["ms"])
    for b in (buyer, lonely):
        MeetingRequest.objects.create(
            fair=fair,
            company=sme.company,
            buyer=b.buyer,
            from_side="buyer",
            status="accepted",
            expires_at=at(fair, 0, "09:00"),
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("fairs:schedule_run", args=[fair.pk]))
    assert response.status_code == 302
    run = ScheduleRun.objects.get()
    assert run.status == "done", run.error
    html = page(client, fair).content.decode()
    assert "Accepted requests placed" in html
    assert "Nowhere Trading" in html and "no_interpreter" in html  # nobody speaks ko and ms
    assert "Gamma Skin" in html and "KL Beauty" in html


def test_the_progress_polls_while_running_and_reloads_the_page_when_done(client, staff, fair):
    run = ScheduleRun.objects.create(fair=fair, status="running", progress=30, stage="solving")
    url = reverse("fairs:schedule_run_status", args=[fair.pk, run.pk])
    fragment = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "30%" in fragment and "Solving" in fragment
    assert 'hx-trigger="every 2s"' in page(client, fair).content.decode()
    ScheduleRun.objects.filter(pk=run.pk).update(status="done", progress=100, stage="done")
    finished = client.get(url, {"poll": 1}, HTTP_HX_REQUEST="true")
    assert finished.status_code == 204 and finished["HX-Refresh"] == "true"
    assert "every 2s" not in client.get(url).content.decode()


def test_a_second_run_while_one_runs_is_refused_with_a_message(client, staff, fair):
    ScheduleRun.objects.create(fair=fair, status="running")
    response = client.post(reverse("fairs:schedule_run", args=[fair.pk]), follow=True)
    assert "in progress" in response.content.decode()
    assert ScheduleRun.objects.count() == 1


# --- editing -------------------------------------------------------------------------------------------


def test_moving_onto_a_taken_room_shows_the_error_on_the_form_and_changes_nothing(client, staff, fair, booked):
    first, second = booked
    other = booking.meeting_add(
        fair=fair,
        added_by=staff,
        company=factories.FairParticipantFactory(fair=fair).company,
        buyer=factories.BuyerParticipantFactory(fair=fair).buyer,
        starts_at=at(fair, 0, "14:40"),
        room=room(2),
    )
    response = client.post(
        reverse("fairs:schedule_move", args=[fair.pk]),
        {
            "move-meeting": first.pk,
            "move-slot": at(fair, 0, "14:40").isoformat(),
            "move-room": "keep",
            "move-interpreter": "keep",
        },
    )
    assert response.status_code == 400
    form = response.context["forms"]["move"]
    assert "Video room 2 is already taken 14:40-15:20 KST" in " ".join(form.errors["room"])
    assert "Video room 2 is already taken" in response.content.decode()
    first.refresh_from_db()
    assert first.starts_at == at(fair, 0, "13:00") and other.room == room(2)


def test_staff_move_swap_add_and_cancel_through_the_forms(client, staff, fair, booked):
    first, second = booked
    url = lambda name: reverse(f"fairs:{name}", args=[fair.pk])  # noqa: E731
    response = client.post(
        url("schedule_move"),
        {
            "move-meeting": first.pk,
            "move-slot": at(fair, 2, "13:00").isoformat(),
            "move-room": str(room(3).pk),
            "move-interpreter": "keep",
        },
    )
    assert response.status_code == 302, response.context["forms"]["move"].errors
    first.refresh_from_db()
    assert (first.starts_at, first.room) == (at(fair, 2, "13:00"), room(3))

    response = client.post(
        url("schedule_swap"), {"swap-meeting": first.pk, "swap-other": second.pk, "swap-force": "on"}
    )
    assert response.status_code == 302, response.context["forms"]["swap"].errors
    first.refresh_from_db()
    assert first.starts_at == at(fair, 1, "09:00")

    sme = factories.FairParticipantFactory(fair=fair, company__name_en="Delta Labs")
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__time_zone="Asia/Seoul")
    response = client.post(
        url("schedule_add"),
        {
            "add-company": sme.company_id,
            "add-buyer": buyer.buyer_id,
            "add-slot": at(fair, 0, "14:40").isoformat(),
            "add-room": str(room(1).pk),
            "add-interpreter": "none",
        },
    )
    assert response.status_code == 302, response.context["forms"]["add"].errors
    added = Meeting.objects.get(company=sme.company)
    assert added.room == room(1)

    response = client.post(url("schedule_cancel"), {"cancel-meeting": added.pk, "cancel-reason": "Delta withdrew"})
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.status == "cancelled"
    assert "Delta withdrew" in page(client, fair).content.decode()


def test_an_add_without_a_needed_room_shows_the_rule(client, staff, fair):
    sme = factories.FairParticipantFactory(fair=fair, company__name_en="Epsilon")
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__time_zone="Asia/Seoul")
    response = client.post(
        reverse("fairs:schedule_add", args=[fair.pk]),
        {
            "add-company": sme.company_id,
            "add-buyer": buyer.buyer_id,
            "add-slot": at(fair, 0, "14:40").isoformat(),
            "add-room": "none",
            "add-interpreter": "none",
        },
    )
    assert response.status_code == 400
    assert "Epsilon sits in one of the agency&#x27;s video rooms" in response.content.decode()
    assert not Meeting.objects.exists()


def test_publishing_from_the_page(client, staff, fair, booked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("fairs:schedule_publish", args=[fair.pk]), follow=True)
    assert "The schedule is published" in response.content.decode()
    fair.refresh_from_db()
    assert fair.phase == "published"
    assert set(Meeting.objects.values_list("status", flat=True)) == {"scheduled"}


def test_publishing_an_empty_schedule_shows_why_not(client, staff, fair):
    response = client.post(reverse("fairs:schedule_publish", args=[fair.pk]), follow=True)
    assert "no meetings" in response.content.decode()
    fair.refresh_from_db()
    assert fair.phase == "scheduling"


# --- XLSX --------------------------------------------------------------------------------------------


def test_the_xlsx_has_the_grid_and_the_meetings_with_seoul_and_buyer_times(client, staff, fair, booked):
    from openpyxl import load_workbook

    response = client.get(reverse("fairs:schedule_xlsx", args=[fair.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Grid", "Meetings"]
    grid = [list(row) for row in workbook["Grid"].iter_rows(values_only=True)]
    assert grid[0] == ["Date", "Time (KST)", "Video room 1", "Video room 2", "Video room 3", "Online"]
    assert len(grid) == 1 + 24
    one_pm = next(row for row in grid[1:] if row[1] == "13:00-13:40" and row[0].date() == fair.starts_on)
    assert one_pm[3] == "Alpha Cosmetics × Siam Retail"
    nine = next(
        row for row in grid[1:] if row[1] == "09:00-09:40" and row[0].date() == fair.starts_on + timedelta(days=1)
    )
    assert nine[5] == "Online Beauty × NY Imports (interpreter: Ms Thai)"

    rows = [list(row) for row in workbook["Meetings"].iter_rows(values_only=True)]
    header = rows[0]
    assert len(rows) == 3
    ny = dict(zip(header, rows[2], strict=True))
    assert ny["Buyer time zone"] == "America/New_York"
    assert ny["Starts (KST)"] == datetime.combine(fair.starts_on + timedelta(days=1), time(9))
    expected_local = at(fair, 1, "09:00").astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    assert ny["Starts (buyer's time)"] == expected_local
    assert (ny["Room"], ny["Interpreter"]) == ("online", "Ms Thai")


def test_the_xlsx_cannot_carry_a_formula(client, staff, fair):
    sme = factories.FairParticipantFactory(fair=fair, company__name_en='=HYPERLINK("http://evil","x")')
    buyer = factories.BuyerParticipantFactory(fair=fair, buyer__name="+cmd|calc", buyer__time_zone="Asia/Seoul")
    booking.meeting_add(
        fair=fair, added_by=staff, company=sme.company, buyer=buyer.buyer, starts_at=at(fair, 0, "13:00"), room=room(1)
    )
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get(reverse("fairs:schedule_xlsx", args=[fair.pk])).content))
    cells = [c for row in workbook["Meetings"].iter_rows() for c in row] + [
        c for row in workbook["Grid"].iter_rows() for c in row
    ]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://evil","x")' in values and "'+cmd|calc" in values
