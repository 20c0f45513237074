"""A meeting's video room: who enters it and as which side, when it is open, its chat (kept with
the meeting) and ICE servers; the room page and the room API, tested from the side refused."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from matching.fairs import room
from matching.models import MeetingAttendance, MeetingChatMessage
from tests import factories
from tradeon.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return factories.PublishedMeetingFactory(buyer__time_zone="Asia/Bangkok", buyer__country="TH")


@pytest.fixture
def people(meeting):
    """A member of each side of the meeting, its interpreter's account, staff, and outsiders."""
    interpreter_user = factories.StaffUserFactory(is_staff=False, first_name="Somchai", last_name="Interp")
    meeting.interpreter = factories.InterpreterFactory(user=interpreter_user)
    meeting.save(update_fields=["interpreter"])
    return {
        "sme": factories.SMEUserFactory(company=meeting.company, first_name="Minji", last_name="Kim"),
        "buyer": factories.BuyerUserFactory(buyer_organisation=meeting.buyer, first_name="Anong"),
        "interpreter": interpreter_user,
        "staff": factories.StaffUserFactory(),
        "other_sme": factories.SMEUserFactory(),
        "other_buyer": factories.BuyerUserFactory(),
    }


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- who enters, as which side ------------------------------------------------------------------


def test_each_party_enters_as_its_own_side(meeting, people):
    for side in ("sme", "buyer", "interpreter", "staff"):
        assert room.room_side_for(people[side], meeting) == side


def test_other_companies_buyers_and_anonymous_visitors_are_refused(meeting, people):
    from django.contrib.auth.models import AnonymousUser

    for user in (people["other_sme"], people["other_buyer"], AnonymousUser(), None):
        with pytest.raises(NotAllowed):
            room.room_side_for(user, meeting)


def test_an_interpreter_of_another_meeting_enters_only_as_staff(meeting, people):
    # Interpreter accounts are staff accounts: elsewhere they count as agency staff.
    other = factories.PublishedMeetingFactory(fair=meeting.fair)
    assert room.room_side_for(people["interpreter"], other) == "staff"


def test_the_room_opens_for_scheduled_published_meetings_only(meeting):
    assert room.room_is_open(meeting)
    draft = factories.PublishedMeetingFactory(status="draft", published_at=None)
    assert not room.room_is_open(draft)
    assert "not published" in room.room_closed_reason(draft)
    cancelled = factories.PublishedMeetingFactory(status="cancelled", cancel_reason="The buyer withdrew")
    assert not room.room_is_open(cancelled)
    assert "The buyer withdrew" in room.room_closed_reason(cancelled)
    with pytest.raises(room.RoomClosed):
        room.room_require_open(cancelled)


def test_a_draft_is_unknown_to_its_parties_but_staff_see_it(people):
    draft = factories.PublishedMeetingFactory(status="draft", published_at=None)
    sme = factories.SMEUserFactory(company=draft.company)
    with pytest.raises(room.RoomNotFound):
        room.room_entry(sme, draft.pk)
    assert room.room_entry(people["staff"], draft.pk)[1] == "staff"
    with pytest.raises(room.RoomNotFound):
        room.room_entry(people["staff"], 987654)


@override_settings(WEBRTC_ICE_SERVERS=[{"urls": "turn:turn.example:3478", "username": "u", "credential": "c"}])
def test_ice_servers_come_from_settings_as_a_copy():
    servers = room.ice_servers()
    assert servers == [{"urls": "turn:turn.example:3478", "username": "u", "credential": "c"}]
    servers[0]["urls"] = "changed"
    assert room.ice_servers()[0]["urls"] == "turn:turn.example:3478"


@override_settings(WEBRTC_ICE_SERVERS=[])
def test_no_ice_servers_are_needed_on_a_lan():
    assert room.ice_servers() == []


# --- chat ------------------------------------------------------------------------------------------


def test_chat_is_stripped_and_kept_with_the_meeting_and_the_authors_side(meeting, people):
    message = room.chat_post(meeting=meeting, user=people["buyer"], text="  Can you send samples?  \n")
    assert (message.text, message.side, message.author, message.meeting) == (
        "Can you send samples?",
        "buyer",
        people["buyer"],
        meeting,
    )
    data = room.chat_message_data(message)
    assert data["author"] == "Anong" and data["side"] == "buyer" and data["text"] == "Can you send samples?"


@pytest.mark.parametrize("text", ["", "   \n\t ", "x" * 2001, None, 42])
def test_empty_oversized_or_non_text_chat_is_refused_on_field_text(meeting, people, text):
    with pytest.raises(DomainError) as error:
        room.chat_post(meeting=meeting, user=people["sme"], text=text)
    assert error.value.field == "text"
    assert not MeetingChatMessage.objects.exists()


def test_a_message_of_exactly_2000_characters_is_kept(meeting, people):
    assert len(room.chat_post(meeting=meeting, user=people["sme"], text="가" * 2000).text) == 2000


def test_outsiders_cannot_chat_and_nothing_is_stored(meeting, people):
    for user in (people["other_sme"], people["other_buyer"]):
        with pytest.raises(NotAllowed):
            room.chat_post(meeting=meeting, user=user, text="hello")
    assert not MeetingChatMessage.objects.exists()


def test_a_cancelled_meetings_room_takes_no_chat(people):
    cancelled = factories.PublishedMeetingFactory(status="cancelled")
    with pytest.raises(room.RoomClosed):
        room.chat_post(meeting=cancelled, user=people["staff"], text="hello")
    assert not MeetingChatMessage.objects.exists()


def test_the_welcome_carries_the_latest_100_lines_oldest_first(meeting, people):
    MeetingChatMessage.objects.bulk_create(
        MeetingChatMessage(meeting=meeting, author=people["sme"], side="sme", text=f"line {i}") for i in range(105)
    )
    attendance = MeetingAttendance.objects.create(
        meeting=meeting, user=people["sme"], side="sme", channel_name="x", joined_at=timezone.now()
    )
    welcome = room.room_welcome(meeting, attendance)
    texts = [line["text"] for line in welcome["chat"]]
    assert len(texts) == 100 and texts[0] == "line 5" and texts[-1] == "line 104"
    assert welcome["peer"] == attendance.pk and welcome["side"] == "sme" and welcome["peers"] == []


# --- the page --------------------------------------------------------------------------------------


def test_the_room_page_shows_the_meeting_device_check_call_and_chat(client, meeting, people):
    client.force_login(people["buyer"])
    response = client.get(reverse("fairs:room", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for hook in (
        'id="room"',
        f'data-ws-path="/ws/meetings/{meeting.pk}/room/"',
        'id="local-preview"',
        'id="mic-meter"',
        'id="camera-select"',
        'id="mic-select"',
        'id="join-button"',
        'id="remote-videos"',
        'id="chat-form"',
        "js/room.js",
        "css/room.css",
    ):
        assert hook in html, hook
    # The buyer's own time (Bangkok) and Seoul time.
    assert "Asia/Bangkok" in html and "08:00–08:40" in html and "10:00–10:40" in html
    assert meeting.buyer.name in html


def test_each_permitted_side_opens_the_page(client, meeting, people):
    for side in ("sme", "interpreter", "staff"):
        client.force_login(people[side])
        assert client.get(reverse("fairs:room", args=[meeting.pk])).status_code == 200


def test_outsiders_get_403_not_500_and_unknown_meetings_404(client, meeting, people):
    url = reverse("fairs:room", args=[meeting.pk])
    for outsider in ("other_sme", "other_buyer"):
        client.force_login(people[outsider])
        assert client.get(url).status_code == 403
    assert client.get(reverse("fairs:room", args=[meeting.pk + 1000])).status_code == 404


def test_the_page_needs_sign_in(client, meeting):
    response = client.get(reverse("fairs:room", args=[meeting.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_draft_room_is_not_found_by_its_parties(client):
    draft = factories.PublishedMeetingFactory(status="draft", published_at=None)
    client.force_login(factories.SMEUserFactory(company=draft.company))
    assert client.get(reverse("fairs:room", args=[draft.pk])).status_code == 404


def test_a_cancelled_meetings_page_says_why_and_offers_no_call(client, people):
    cancelled = factories.PublishedMeetingFactory(status="cancelled", cancel_reason="Buyer travelling")
    MeetingChatMessage.objects.create(meeting=cancelled, author=people["staff"], side="staff", text="See you later")
    client.force_login(factories.SMEUserFactory(company=cancelled.company))
    html = client.get(reverse("fairs:room", args=[cancelled.pk])).content.decode()
    assert 'id="room-closed"' in html and "Buyer travelling" in html
    assert 'id="join-button"' not in html and "js/room.js" not in html
    assert "See you later" in html


def test_the_agenda_links_published_meetings_to_their_room(client, meeting, people):
    factories.FairParticipantFactory(fair=meeting.fair, company=meeting.company)
    client.force_login(people["sme"])
    response = client.get(reverse("fairs:agenda", args=[meeting.fair_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("fairs:room", args=[meeting.pk])}"' in html
    assert "Join video room" in html


def test_a_cancelled_meeting_has_no_room_link_on_the_agenda(client):
    cancelled = factories.PublishedMeetingFactory(status="cancelled")
    factories.FairParticipantFactory(fair=cancelled.fair, company=cancelled.company)
    client.force_login(factories.SMEUserFactory(company=cancelled.company))
    response = client.get(reverse("fairs:agenda", args=[cancelled.fair_id]))
    assert response.status_code == 200 and "Cancelled" in response.content.decode()
    html = response.content.decode()
    assert reverse("fairs:room", args=[cancelled.pk]) not in html


# --- the API ----------------------------------------------------------------------------------------


def _chat_url(meeting_id):
    return f"/api/v1/meetings/{meeting_id}/chat/"


def _attendance_url(meeting_id):
    return f"/api/v1/meetings/{meeting_id}/attendance/"


def test_parties_read_and_post_chat_through_the_api(meeting, people):
    response = _client(people["sme"]).post(_chat_url(meeting.pk), {"text": " We ship from Incheon. "}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "We ship from Incheon." and response.json()["side"] == "sme"
    listed = _client(people["buyer"]).get(_chat_url(meeting.pk)).json()
    assert listed["count"] == 1 and listed["results"][0]["author"] == "Minji Kim"


def test_bad_chat_through_the_api_names_the_field(meeting, people):
    client = _client(people["buyer"])
    for body in ({"text": "   "}, {"text": "x" * 2001}, {}):
        response = client.post(_chat_url(meeting.pk), body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "text"
    assert not MeetingChatMessage.objects.exists()


def test_outsiders_get_403_from_the_room_api_and_nothing_changes(meeting, people):
    MeetingChatMessage.objects.create(meeting=meeting, author=people["sme"], side="sme", text="private")
    for outsider in ("other_sme", "other_buyer"):
        client = _client(people[outsider])
        assert client.get(_chat_url(meeting.pk)).status_code == 403
        assert client.post(_chat_url(meeting.pk), {"text": "hi"}, format="json").status_code == 403
        assert client.get(_attendance_url(meeting.pk)).status_code == 403
    assert MeetingChatMessage.objects.count() == 1
    assert APIClient().get(_chat_url(meeting.pk)).status_code in (401, 403)


def test_unknown_or_draft_meetings_are_404_in_the_api(people):
    draft = factories.PublishedMeetingFactory(status="draft", published_at=None)
    client = _client(factories.BuyerUserFactory(buyer_organisation=draft.buyer))
    assert client.get(_chat_url(draft.pk)).status_code == 404
    assert client.get(_chat_url(draft.pk + 1000)).status_code == 404


def test_chat_to_a_cancelled_meeting_is_a_conflict(people):
    cancelled = factories.PublishedMeetingFactory(status="cancelled")
    response = _client(people["staff"]).post(_chat_url(cancelled.pk), {"text": "hi"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "room_closed"


def test_attendance_lists_each_join_and_leave(meeting, people):
    now = timezone.now()
    MeetingAttendance.objects.create(
        meeting=meeting,
        user=people["sme"],
        side="sme",
        joined_at=now - timezone.timedelta(minutes=5),
        left_at=now - timezone.timedelta(minutes=2),
    )
    MeetingAttendance.objects.create(meeting=meeting, user=people["buyer"], side="buyer", joined_at=now)
    rows = _client(people["interpreter"]).get(_attendance_url(meeting.pk)).json()["results"]
    assert [(r["side"], r["seconds"]) for r in rows] == [("sme", 180), ("buyer", None)]
    assert rows[0]["user"]["name"] == "Minji Kim" and rows[1]["left_at"] is None


def test_chat_list_queries_do_not_grow_with_messages(meeting, people, django_assert_num_queries):
    client = _client(people["staff"])
    MeetingChatMessage.objects.create(meeting=meeting, author=people["sme"], side="sme", text="one")
    with django_assert_num_queries(3) as one:
        client.get(_chat_url(meeting.pk))
    for text in ("two", "three"):
        MeetingChatMessage.objects.create(meeting=meeting, author=people["buyer"], side="buyer", text=text)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(_chat_url(meeting.pk)).json()["count"] == 3
