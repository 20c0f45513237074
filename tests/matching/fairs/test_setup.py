"""Fair setup: creating and changing fairs, phases, invitations (one by one, by filter, from a
file), participants' answers, availability and caps, interpreters; each refusal from the side of
the user refused."""

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from buyers.models import VerificationState
from catalog.imports import ImportRejected
from catalog.models import Sector
from matching.fairs import setup
from matching.models import ConsultationFair, FairParticipant, FairPhase, Interpreter, VideoRoom
from tests import factories
from tradeon.errors import DomainError, InvalidTransition, NotAllowed, NotVerified

pytestmark = pytest.mark.django_db


def fair_form_data(**overrides) -> dict:
    """A complete, valid fair form as the browser posts it."""
    starts = factories.next_weekday()
    data = {
        "name": "Beauty fair for Thai and Malaysian buyers",
        "sectors": [Sector.objects.get(code="beauty").pk],
        "target_countries": ["TH", "MY"],
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=2)).isoformat(),
        "session_windows_text": "09:00-12:00, 13:00-17:00",
        "meeting_minutes": 40,
        "break_minutes": 10,
        "rooms": [room.pk for room in setup.video_rooms_ensure()],
        "local_hours_from": 8,
        "local_hours_to": 20,
        "request_expiry_hours": 72,
        "max_pending_requests": 10,
        "default_meeting_cap": 8,
        "min_meetings_per_sme": 2,
    }
    data.update(overrides)
    return data


# --- services ------------------------------------------------------------------------------------


def test_fair_create_defaults_to_the_agency_day_and_all_nine_rooms(staff_user):
    fair = setup.fair_create(
        created_by=staff_user,
        name="Medical fair for US buyers",
        sectors=Sector.objects.filter(code="medical"),
        target_countries=["US"],
        starts_on=factories.next_weekday(),
        ends_on=factories.next_weekday() + timedelta(days=4),
    )
    assert fair.phase == FairPhase.REGISTRATION
    assert [(w.opens_at, w.closes_at) for w in fair.session_windows.all()] == [
        (time(9), time(12)),
        (time(13), time(17)),
    ]
    assert fair.rooms.count() == 9 == VideoRoom.objects.count()


@pytest.mark.parametrize("user_fixture", ["sme_user", "buyer_user"])
def test_only_staff_create_fairs(request, user_fixture):
    with pytest.raises(NotAllowed):
        setup.fair_create(created_by=request.getfixturevalue(user_fixture), name="Mine", sectors=[])
    assert not ConsultationFair.objects.exists()


def test_overlapping_or_reversed_session_windows_are_refused(staff_user):
    for windows in ([(time(9), time(12)), (time(11), time(14))], [(time(12), time(9))]):
        with pytest.raises(DomainError) as error:
            setup.fair_create(created_by=staff_user, name="F", sectors=[], session_windows=windows)
        assert error.value.field == "session_windows"
    assert not ConsultationFair.objects.exists()


def test_dates_reversed_are_refused_on_the_field(staff_user):
    with pytest.raises(Exception) as error:
        setup.fair_create(
            created_by=staff_user,
            name="F",
            sectors=[],
            starts_on=factories.next_weekday() + timedelta(days=3),
            ends_on=factories.next_weekday(),
        )
    assert "end" in str(error.value)


def test_phases_move_forward_one_step_and_back_only_from_scheduling(staff_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    with pytest.raises(InvalidTransition):
        setup.fair_phase_advance(fair=fair, to_phase=FairPhase.SCHEDULING, changed_by=staff_user)
    fair = setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=staff_user)
    fair = setup.fair_phase_advance(fair=fair, to_phase=FairPhase.SCHEDULING, changed_by=staff_user)
    fair = setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=staff_user)
    fair = setup.fair_phase_advance(fair=fair, to_phase=FairPhase.SCHEDULING, changed_by=staff_user)
    with pytest.raises(InvalidTransition, match="Publish"):
        setup.fair_phase_advance(fair=fair, to_phase=FairPhase.PUBLISHED, changed_by=staff_user)
    fair.refresh_from_db()
    assert fair.phase == FairPhase.SCHEDULING


def test_requests_cannot_open_without_dates(staff_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION, starts_on=None, ends_on=None)
    with pytest.raises(DomainError) as error:
        setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=staff_user)
    assert error.value.field == "starts_on"


def test_non_staff_cannot_change_the_phase(sme_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    with pytest.raises(NotAllowed):
        setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=sme_user)
    fair.refresh_from_db()
    assert fair.phase == FairPhase.REGISTRATION


def test_slot_settings_are_frozen_once_a_schedule_is_published(staff_user):
    fair = factories.FairFactory(phase=FairPhase.PUBLISHED)
    with pytest.raises(InvalidTransition):
        setup.fair_update(fair=fair, updated_by=staff_user, meeting_minutes=30)
    fair = setup.fair_update(fair=fair, updated_by=staff_user, name="Renamed is fine")
    assert fair.meeting_minutes == 40 and fair.name == "Renamed is fine"


def test_invite_individually_sends_one_invitation_each_and_is_idempotent(
    staff_user, django_capture_on_commit_callbacks
):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    sme = factories.SMEUserFactory()
    buyer = factories.BuyerUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invited = setup.participants_invite(
            fair=fair, invited_by=staff_user, companies=[sme.company], buyers=[buyer.buyer_organisation]
        )
    assert len(invited) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([sme.email, buyer.email])
    assert "Invitation" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        again = setup.participants_invite(fair=fair, invited_by=staff_user, companies=[sme.company])
    assert again == [] and len(mail.outbox) == 2


def test_unverified_buyers_cannot_be_invited_and_nothing_is_saved(staff_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    company = factories.CompanyFactory()
    pending = factories.BuyerOrganisationFactory(verification_state=VerificationState.PENDING, reviewed_at=None)
    with pytest.raises(NotVerified):
        setup.participants_invite(fair=fair, invited_by=staff_user, companies=[company], buyers=[pending])
    assert not FairParticipant.objects.exists()


@pytest.mark.parametrize("user_fixture", ["sme_user", "buyer_user"])
def test_only_staff_invite(request, user_fixture):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    with pytest.raises(NotAllowed):
        setup.participants_invite(
            fair=fair, invited_by=request.getfixturevalue(user_fixture), companies=[factories.CompanyFactory()]
        )
    assert not FairParticipant.objects.exists()


def test_invitation_candidates_follow_the_fairs_sectors_and_countries():
    fair = factories.FairFactory()  # beauty, TH and MY
    beauty = factories.CompanyFactory()
    factories.CompanyFactory(sector=Sector.objects.get(code="food"))
    thai = factories.BuyerOrganisationFactory(country="TH")
    factories.BuyerOrganisationFactory(country="US")
    factories.BuyerOrganisationFactory(country="MY", verification_state=VerificationState.PENDING, reviewed_at=None)
    companies, buyers = setup.invitation_candidates(fair)
    assert list(companies) == [beauty]
    assert list(buyers) == [thai]


def _table(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_invite_from_a_file_is_all_or_nothing_with_a_row_report(staff_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    company = factories.CompanyFactory()
    buyer = factories.BuyerOrganisationFactory(contact_email="buyer@th.example")
    digits = company.business_registration_number.replace("-", "")
    bad = f"business_registration_number,buyer_email\n{digits},\n,nobody@example.com\n"
    with pytest.raises(ImportRejected) as rejected:
        setup.participants_invite_from_table(fair=fair, invited_by=staff_user, file=_table(bad))
    assert [(e.row, e.column) for e in rejected.value.errors] == [(3, "buyer_email")]
    assert not FairParticipant.objects.exists()
    good = f"business_registration_number,buyer_email\n{digits},\n,BUYER@th.example\n"
    invited = setup.participants_invite_from_table(fair=fair, invited_by=staff_user, file=_table(good))
    assert {p.company_id or p.buyer_id for p in invited} == {company.pk, buyer.pk}


def test_participants_answer_for_themselves_only(sme_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    mine = factories.FairParticipantFactory(fair=fair, company=sme_user.company, status="invited")
    other = factories.FairParticipantFactory(fair=fair, status="invited")
    with pytest.raises(NotAllowed):
        setup.invitation_respond(participant=other, user=sme_user, accept=True)
    other.refresh_from_db()
    assert other.status == "invited"
    assert setup.invitation_respond(participant=mine, user=sme_user, accept=True).status == "accepted"


def test_invitations_cannot_be_answered_after_requests_close(sme_user):
    fair = factories.FairFactory(phase=FairPhase.SCHEDULING)
    mine = factories.FairParticipantFactory(fair=fair, company=sme_user.company, status="invited")
    with pytest.raises(InvalidTransition):
        setup.invitation_respond(participant=mine, user=sme_user, accept=True)


def test_availability_and_cap_are_saved_in_utc(buyer_user):
    fair = factories.FairFactory()
    participant = factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation)
    bangkok = datetime.combine(fair.starts_on, time(8), tzinfo=UTC) - timedelta(hours=7)  # 08:00 in Bangkok
    setup.participation_update(
        participant=participant,
        user=buyer_user,
        availability=[(bangkok, bangkok + timedelta(hours=4))],
        meeting_cap=5,
    )
    participant.refresh_from_db()
    window = participant.availability.get()
    assert window.starts_at == bangkok and window.starts_at.utcoffset() == timedelta(0)
    assert setup.participant_cap(participant) == 5


def test_bad_availability_names_the_window(buyer_user):
    fair = factories.FairFactory()
    participant = factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation)
    start = datetime.combine(fair.starts_on, time(3), tzinfo=UTC)
    far = start + timedelta(days=60)
    for windows, field in (
        ([(start, start + timedelta(hours=2)), (start + timedelta(hours=3), start)], "availability[1]"),
        ([(far, far + timedelta(hours=1))], "availability[0]"),
    ):
        with pytest.raises(DomainError) as error:
            setup.participation_update(participant=participant, user=buyer_user, availability=windows)
        assert error.value.field == field
    assert not participant.availability.exists()


def test_someone_else_cannot_set_my_availability(sme_user):
    fair = factories.FairFactory()
    other = factories.FairParticipantFactory(fair=fair)
    with pytest.raises(NotAllowed):
        setup.participation_update(participant=other, user=sme_user, meeting_cap=1)
    other.refresh_from_db()
    assert other.meeting_cap is None


def test_interpreters_need_a_language_and_staff(staff_user, sme_user):
    with pytest.raises(DomainError) as error:
        setup.interpreter_save(saved_by=staff_user, name="Kim", languages=[])
    assert error.value.field == "languages"
    with pytest.raises(NotAllowed):
        setup.interpreter_save(saved_by=sme_user, name="Kim", languages=["ko", "th"])
    interpreter = setup.interpreter_save(saved_by=staff_user, name="Kim", languages=["TH", "ko", "th"])
    assert interpreter.languages == ["ko", "th"]
    assert Interpreter.objects.count() == 1


# --- API -----------------------------------------------------------------------------------------


def test_api_staff_create_a_fair_with_windows_and_advance_it(staff_client):
    starts = factories.next_weekday()
    response = staff_client.post(
        "/api/v1/fairs/",
        {
            "name": "Household goods for Vietnam",
            "sectors": ["household"],
            "target_countries": ["VN"],
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=1)).isoformat(),
            "session_windows": [{"opens_at": "10:00", "closes_at": "12:00"}],
            "meeting_minutes": 30,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["session_windows"] == [{"opens_at": "10:00", "closes_at": "12:00"}]
    assert body["phase"] == "registration" and len(body["rooms"]) == 9
    moved = staff_client.post(f"/api/v1/fairs/{body['id']}/phase/", {"phase": "requests_open"}, format="json")
    assert moved.status_code == 200 and moved.json()["phase"] == "requests_open"
    refused = staff_client.post(f"/api/v1/fairs/{body['id']}/phase/", {"phase": "live"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "phase"


def test_api_participants_see_only_their_fairs(sme_client, sme_user, buyer_client):
    mine = factories.FairFactory()
    factories.FairParticipantFactory(fair=mine, company=sme_user.company, status="invited")
    factories.FairFactory()  # someone else's
    listed = sme_client.get("/api/v1/fairs/").json()["results"]
    assert [f["id"] for f in listed] == [mine.pk]
    assert buyer_client.get("/api/v1/fairs/").json()["results"] == []
    assert buyer_client.get(f"/api/v1/fairs/{mine.pk}/").status_code == 404


def test_api_invite_by_filter_answer_and_set_availability(staff_client, sme_user, sme_client):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    response = staff_client.post(
        "/api/v1/fair-participants/invite/", {"fair": fair.pk, "by_filter": True}, format="json"
    )
    assert response.status_code == 201
    mine = next(p for p in response.json() if p["company"] == sme_user.company_id)
    assert (
        sme_client.post(f"/api/v1/fair-participants/{mine['id']}/respond/", {"accept": True}, format="json").json()[
            "status"
        ]
        == "accepted"
    )
    start = datetime.combine(fair.starts_on, time(0), tzinfo=UTC)
    updated = sme_client.post(
        f"/api/v1/fair-participants/{mine['id']}/participation/",
        {
            "availability": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}],
            "meeting_cap": 4,
        },
        format="json",
    )
    assert updated.status_code == 200, updated.json()
    assert updated.json()["effective_cap"] == 4 and len(updated.json()["availability"]) == 1


def test_api_refusals_from_the_refused_side(sme_client, buyer_client, buyer_user):
    fair = factories.FairFactory(phase=FairPhase.REGISTRATION)
    theirs = factories.FairParticipantFactory(fair=fair, status="invited")
    factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation, status="invited")
    # A buyer in the same fair cannot answer for an SME, nor invite, nor create fairs or interpreters.
    assert buyer_client.post(
        f"/api/v1/fair-participants/{theirs.pk}/respond/", {"accept": True}, format="json"
    ).status_code in (403, 404)
    assert (
        buyer_client.post(
            "/api/v1/fair-participants/invite/", {"fair": fair.pk, "by_filter": True}, format="json"
        ).status_code
        == 403
    )
    assert sme_client.post("/api/v1/fairs/", {"name": "x", "sectors": ["beauty"]}, format="json").status_code == 403
    assert (
        sme_client.post("/api/v1/interpreters/", {"name": "x", "languages": ["ko"]}, format="json").status_code == 403
    )
    assert sme_client.get("/api/v1/interpreters/").status_code == 403
    assert sme_client.patch(f"/api/v1/fairs/{fair.pk}/", {"name": "mine"}, format="json").status_code in (403, 404)
    theirs.refresh_from_db()
    fair.refresh_from_db()
    assert theirs.status == "invited" and fair.name != "mine"
    assert FairParticipant.objects.count() == 2 and not Interpreter.objects.exists()


def test_api_participant_lists_hide_unanswered_and_other_fairs(sme_client, sme_user):
    fair = factories.FairFactory()
    factories.FairParticipantFactory(fair=fair, company=sme_user.company)
    accepted = factories.BuyerParticipantFactory(fair=fair)
    factories.BuyerParticipantFactory(fair=fair, status="invited")
    factories.BuyerParticipantFactory()  # another fair
    ids = {p["id"] for p in sme_client.get("/api/v1/fair-participants/").json()["results"]}
    assert accepted.pk in ids and len(ids) == 2


def test_api_interpreters_crud_with_availability(staff_client):
    start = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    created = staff_client.post(
        "/api/v1/interpreters/",
        {
            "name": "Lee",
            "languages": ["ko", "th"],
            "availability": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=8)).isoformat()}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    changed = staff_client.patch(
        f"/api/v1/interpreters/{created.json()['id']}/", {"languages": ["ko", "ms"]}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["languages"] == ["ko", "ms"]
    assert Interpreter.objects.get().availability.count() == 1


# --- pages ---------------------------------------------------------------------------------------


def test_staff_create_a_fair_from_the_page_then_invite(client, staff_user):
    client.force_login(staff_user)
    response = client.post("/fairs/new/", fair_form_data())
    assert response.status_code == 302, response.context["form"].errors
    fair = ConsultationFair.objects.get()
    assert fair.min_meetings_per_sme == 2 and fair.session_windows.count() == 2
    company = factories.CompanyFactory()
    response = client.post(f"/fairs/{fair.pk}/participants/", {"action": "invite", "companies": [company.pk]})
    assert response.status_code == 302
    assert fair.participants.get().company == company
    assert b"Participants" in client.get(f"/fairs/{fair.pk}/participants/").content
    assert client.get(f"/fairs/{fair.pk}/").status_code == 200


def test_fair_form_names_the_bad_windows(client, staff_user):
    client.force_login(staff_user)
    response = client.post("/fairs/new/", fair_form_data(session_windows_text="9 to 12"))
    assert response.status_code == 200
    assert b"is not a window" in response.content
    assert not ConsultationFair.objects.exists()


def test_participant_accepts_and_sets_availability_in_their_own_zone(client, buyer_user):
    fair = factories.FairFactory()
    participant = factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation, status="invited")
    client.force_login(buyer_user)
    assert client.get(f"/fairs/{fair.pk}/").status_code == 302  # to their own page
    page = client.get(f"/fairs/{fair.pk}/me/")
    assert b"Accept invitation" in page.content
    client.post(f"/fairs/{fair.pk}/me/", {"action": "accept"})
    participant.refresh_from_db()
    assert participant.status == "accepted"
    day = fair.starts_on.isoformat()
    response = client.post(f"/fairs/{fair.pk}/me/", {"availability": f"{day} 08:00-12:00", "meeting_cap": "3"})
    assert response.status_code == 302
    window = participant.availability.get()
    assert window.starts_at == datetime.combine(fair.starts_on, time(1), tzinfo=UTC)  # Bangkok is UTC+7
    response = client.post(f"/fairs/{fair.pk}/me/", {"availability": f"{day} 12:00-08:00"})
    assert b"ends before it starts" in response.content


@pytest.mark.parametrize(
    "url", ["/fairs/new/", "/fairs/interpreters/", "/fairs/{pk}/participants/", "/fairs/{pk}/edit/"]
)
def test_staff_pages_refuse_participants(client, sme_user, url):
    fair = factories.FairFactory()
    factories.FairParticipantFactory(fair=fair, company=sme_user.company)
    client.force_login(sme_user)
    assert client.get(url.format(pk=fair.pk)).status_code == 403
    assert client.post(url.format(pk=fair.pk), {"action": "invite_filter"}).status_code == 403
    assert fair.participants.count() == 1


def test_a_participant_page_of_a_fair_i_am_not_in_is_not_found(client, sme_user):
    fair = factories.FairFactory()
    client.force_login(sme_user)
    assert client.get(f"/fairs/{fair.pk}/me/").status_code == 404
    assert client.get(f"/fairs/{fair.pk}/").status_code == 404
