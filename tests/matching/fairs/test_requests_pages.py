"""The meeting-requests pages: SMEs and buyers answer, withdraw and request from suggestions
(with htmx and without); staff filter a fair's requests and request on behalf of a side; each
role is kept off what is not its own."""

import pytest
from django.urls import reverse

from matching.models import ConsultationFair, MeetingRequest
from tests import factories
from tests.matching.fairs.test_requests import add_buyer, add_sme, buyer_asks, make_pairing, world  # noqa: F401

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_sme_page_shows_the_request_with_answer_buttons(client, world):  # noqa: F811
    request = buyer_asks(world, message="We import K-beauty for 7-Eleven Thailand.")
    client.force_login(world.sme)
    page = client.get(reverse("fairs:requests", args=[world.fair.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.organisation.name in html and "7-Eleven Thailand" in html
    assert reverse("fairs:request_accept", args=[request.pk]) in html
    assert reverse("fairs:request_decline", args=[request.pk]) in html
    assert reverse("fairs:request_withdraw", args=[request.pk]) not in html


def test_sme_accepts_with_htmx_and_gets_the_row_back(client, world):  # noqa: F811
    request = buyer_asks(world)
    client.force_login(world.sme)
    response = client.post(reverse("fairs:request_accept", args=[request.pk]), {"note": "Gladly"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="request-{request.pk}"' in html and "Accepted" in html and "Gladly" in html
    assert "<html" not in html
    request.refresh_from_db()
    assert request.status == "accepted"


def test_buyer_declines_without_javascript_and_is_redirected(client, world):  # noqa: F811
    from matching.fairs import requests as meeting_requests

    request = meeting_requests.meeting_request_create(fair=world.fair, user=world.sme, buyer=world.organisation)
    client.force_login(world.buyer)
    response = client.post(reverse("fairs:request_decline", args=[request.pk]), {"note": "Not now"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("fairs:requests", args=[world.fair.pk])
    assert "Meeting request declined." in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.response_note) == ("declined", "Not now")


def test_refusal_is_shown_in_the_row(client, world):  # noqa: F811
    request = buyer_asks(world)
    ConsultationFair.objects.filter(pk=world.fair.pk).update(phase="scheduling")
    client.force_login(world.sme)
    response = client.post(reverse("fairs:request_accept", args=[request.pk]), **HTMX)
    assert response.status_code == 200
    assert "Requests open" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_buyer_withdraws_its_request(client, world):  # noqa: F811
    request = buyer_asks(world)
    client.force_login(world.buyer)
    page = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert reverse("fairs:request_withdraw", args=[request.pk]) in page
    assert reverse("fairs:request_accept", args=[request.pk]) not in page
    response = client.post(reverse("fairs:request_withdraw", args=[request.pk]), **HTMX)
    assert "Withdrawn" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_others_cannot_act_on_a_request_that_is_not_theirs(client, world):  # noqa: F811
    request = buyer_asks(world)
    for user in (add_sme(world.fair), add_buyer(world.fair)):
        client.force_login(user)
        for name in ("fairs:request_accept", "fairs:request_decline", "fairs:request_withdraw"):
            assert client.post(reverse(name, args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_requester_cannot_accept_its_own_request_from_the_page(client, world):  # noqa: F811
    request = buyer_asks(world)
    client.force_login(world.buyer)
    response = client.post(reverse("fairs:request_accept", args=[request.pk]), **HTMX)
    assert "Only the company this request was sent to can answer it." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_suggestions_have_a_request_form_and_requesting_swaps_in_the_request(client, world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation, score=0.84)
    client.force_login(world.buyer)
    page = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert f'id="suggestion-{pairing.pk}"' in page and world.company.name_en in page and "84" in page
    assert "Request a meeting" in page
    response = client.post(
        reverse("fairs:request_create", args=[world.fair.pk]), {"pairing": pairing.pk, "message": "Hi"}, **HTMX
    )
    assert response.status_code == 200
    created = MeetingRequest.objects.get()
    assert f'id="request-{created.pk}"' in response.content.decode()
    assert (created.from_side, created.message, created.score) == ("buyer", "Hi", 0.84)
    # Once requested, it is no longer suggested.
    page = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert f'id="suggestion-{pairing.pk}"' not in page


def test_refused_request_from_a_suggestion_shows_the_reason_in_its_card(client, world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation)
    ConsultationFair.objects.filter(pk=world.fair.pk).update(max_pending_requests=1)
    buyer_asks(world).delete()  # nothing pending: then fill the cap with another SME
    other = add_sme(world.fair)
    from matching.fairs import requests as meeting_requests

    meeting_requests.meeting_request_create(fair=world.fair, user=world.buyer, company=other.company)
    client.force_login(world.buyer)
    response = client.post(reverse("fairs:request_create", args=[world.fair.pk]), {"pairing": pairing.pk}, **HTMX)
    assert response["HX-Retarget"] == f"#suggestion-{pairing.pk}-error"
    assert "the most allowed is 1" in response.content.decode()
    assert MeetingRequest.objects.count() == 1


def test_request_without_javascript_redirects_with_a_message(client, world):  # noqa: F811
    client.force_login(world.sme)
    response = client.post(
        reverse("fairs:request_create", args=[world.fair.pk]),
        {"buyer": world.organisation.pk, "message": "Hello"},
        follow=True,
    )
    assert "Meeting request sent." in response.content.decode()
    assert MeetingRequest.objects.get().from_side == "sme"
    response = client.post(reverse("fairs:request_create", args=[world.fair.pk]), {"message": "x"}, follow=True)
    assert "Choose whom to meet." in response.content.decode()


def test_panel_is_a_fragment_for_the_participant_page(client, world):  # noqa: F811
    buyer_asks(world)
    client.force_login(world.sme)
    response = client.get(reverse("fairs:requests_panel", args=[world.fair.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="requests-incoming"' in html and 'id="requests-suggestions"' in html


def test_unverified_buyer_sees_the_verify_notice_and_no_request_form(client, world):  # noqa: F811
    unverified = add_buyer(world.fair, verified=False)
    make_pairing(world.fair, world.company, unverified.buyer_organisation)
    client.force_login(unverified)
    html = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert "verify first" in html
    assert "Request a meeting" not in html


def test_invited_participant_is_asked_to_accept_first(client, world):  # noqa: F811
    invited = add_sme(world.fair, status="invited")
    client.force_login(invited)
    html = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert "Accept the fair's invitation first" in html


def test_pages_refuse_outsiders_and_anonymous_visitors(client, world):  # noqa: F811
    url = reverse("fairs:requests", args=[world.fair.pk])
    client.force_login(factories.SMEUserFactory())  # not invited to this fair
    assert client.get(url).status_code == 404
    assert client.get(reverse("fairs:requests_panel", args=[world.fair.pk])).status_code == 404
    client.force_login(world.staff)
    assert client.get(reverse("fairs:requests_panel", args=[world.fair.pk])).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    assert client.post(reverse("fairs:request_create", args=[world.fair.pk]), {"buyer": 1}).status_code == 302
    assert not MeetingRequest.objects.exists()


def test_staff_page_lists_and_filters_the_fairs_requests(client, world):  # noqa: F811
    from_buyer = buyer_asks(world)
    other_buyer = add_buyer(world.fair)
    from matching.fairs import requests as meeting_requests

    from_sme = meeting_requests.meeting_request_create(
        fair=world.fair, user=world.sme, buyer=other_buyer.buyer_organisation
    )
    client.force_login(world.staff)
    url = reverse("fairs:requests", args=[world.fair.pk])
    html = client.get(url).content.decode()
    assert f'id="request-{from_buyer.pk}"' in html and f'id="request-{from_sme.pk}"' in html
    html = client.get(url, {"side": "sme"}).content.decode()
    assert f'id="request-{from_buyer.pk}"' not in html and f'id="request-{from_sme.pk}"' in html
    html = client.get(url, {"status": "accepted"}).content.decode()
    assert f'id="request-{from_sme.pk}"' not in html


def test_staff_request_a_proposal_on_behalf_of_the_buyer(client, world):  # noqa: F811
    pairing = make_pairing(world.fair, world.company, world.organisation, score=0.55)
    client.force_login(world.staff)
    html = client.get(reverse("fairs:requests", args=[world.fair.pk])).content.decode()
    assert "Request on behalf of the SME" in html and "Request on behalf of the buyer" in html
    response = client.post(
        reverse("fairs:request_create", args=[world.fair.pk]), {"pairing": pairing.pk, "from_side": "buyer"}, **HTMX
    )
    assert response.status_code == 200
    created = MeetingRequest.objects.get()
    assert created.on_behalf and created.from_side == "buyer" and created.created_by == world.staff
    assert created.score == 0.55


def test_a_buyer_requests_any_accepted_sme_directly_not_only_suggested_ones(client):
    fair = factories.FairFactory()
    buyer_user = factories.BuyerUserFactory()
    factories.BuyerParticipantFactory(fair=fair, buyer=buyer_user.buyer_organisation)
    wanted = factories.FairParticipantFactory(fair=fair)
    factories.FairParticipantFactory(fair=fair, status="invited")  # not accepted: not offered
    client.force_login(buyer_user)
    panel = client.get(f"/fairs/{fair.pk}/requests/panel/").content.decode()
    assert f'<option value="{wanted.company_id}">' in panel
    assert panel.count("<option value=") == 1
    response = client.post(
        reverse("fairs:request_create", args=[fair.pk]),
        {"company": wanted.company_id, "message": "Hello", "next": f"/fairs/{fair.pk}/me/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/fairs/{fair.pk}/me/"
    request = MeetingRequest.objects.get()
    assert (request.company_id, request.from_side, request.message) == (wanted.company_id, "buyer", "Hello")
    # Once asked, the SME is no longer offered.
    assert "<option value=" not in client.get(f"/fairs/{fair.pk}/requests/panel/").content.decode()
