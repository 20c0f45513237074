"""/api/v1/notifications/: a user's own notifications, newest first with an unread flag, the
unread count, and marking read up to a number or all; nobody sees or marks anyone else's."""

import pytest
from rest_framework.test import APIClient

from realtime import selectors, services
from realtime.models import Stream
from tests import factories
from tradeon.errors import DomainError

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"
UNREAD = "/api/v1/notifications/unread/"
MARK = "/api/v1/notifications/mark-read/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def notify(user, count: int, kind: str = "request.received") -> None:
    for n in range(1, count + 1):
        services.notify_users(
            [user], kind, f"Notice {n}", url=f"/fairs/{n}/requests/", data={"fair": n, "request": 10 + n}
        )


@pytest.fixture
def user():
    return factories.SMEUserFactory()


@pytest.fixture
def other():
    return factories.BuyerUserFactory()


def test_the_list_is_newest_first_with_message_link_ids_and_unread_flag(user):
    notify(user, 3)
    services.notifications_mark_read(user=user, up_to=1)
    body = client_for(user).get(LIST).json()
    assert body["count"] == 3
    assert [(n["seq"], n["message"], n["unread"]) for n in body["results"]] == [
        (3, "Notice 3", True),
        (2, "Notice 2", True),
        (1, "Notice 1", False),
    ]
    newest = body["results"][0]
    assert (newest["kind"], newest["url"], newest["data"]) == (
        "request.received",
        "/fairs/3/requests/",
        {"fair": 3, "request": 13},
    )
    assert newest["at"]


def test_the_list_is_paginated_and_can_show_unread_only(user):
    notify(user, 5)
    services.notifications_mark_read(user=user, up_to=3)
    page = client_for(user).get(LIST, {"page_size": 2, "page": 2}).json()
    assert [n["seq"] for n in page["results"]] == [3, 2] and page["next"] and page["previous"]
    unread = client_for(user).get(LIST, {"unread": "true"}).json()
    assert [n["seq"] for n in unread["results"]] == [5, 4]


def test_the_list_costs_the_same_queries_for_one_or_many(user, django_assert_num_queries):
    notify(user, 1)
    client = client_for(user)
    with django_assert_num_queries(2):  # count, page
        client.get(LIST)
    notify(user, 4)
    with django_assert_num_queries(2):
        client.get(LIST)


def test_unread_count_and_marking_read_up_to_a_number_or_all(user):
    client = client_for(user)
    assert client.get(UNREAD).json() == {"stream": f"user.{user.pk}", "last_seq": 0, "read_seq": 0, "unread": 0}
    notify(user, 4)
    assert client.get(UNREAD).json()["unread"] == 4
    assert client.post(MARK, {"up_to": 2}, format="json").json() == {
        "stream": f"user.{user.pk}",
        "last_seq": 4,
        "read_seq": 2,
        "unread": 2,
    }
    # The mark never moves back.
    assert client.post(MARK, {"up_to": 1}, format="json").json()["read_seq"] == 2
    assert client.post(MARK, {}, format="json").json()["unread"] == 0
    notify(user, 1)
    assert client.get(UNREAD).json() == {"stream": f"user.{user.pk}", "last_seq": 5, "read_seq": 4, "unread": 1}


def test_marking_read_beyond_the_newest_leaves_later_notifications_unread(user):
    notify(user, 2)
    assert client_for(user).post(MARK, {"up_to": 50}, format="json").json()["read_seq"] == 2
    notify(user, 1)
    assert client_for(user).get(UNREAD).json()["unread"] == 1


@pytest.mark.parametrize("up_to", [-1, "abc", 1.5, 10**30])
def test_a_bad_number_is_a_400_on_up_to(user, up_to):
    notify(user, 2)
    response = client_for(user).post(MARK, {"up_to": up_to}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "up_to"
    assert Stream.objects.get(key=f"user.{user.pk}").read_seq == 0


def test_the_service_refuses_a_negative_number(user):
    with pytest.raises(DomainError) as refused:
        services.notifications_mark_read(user=user, up_to=-3)
    assert refused.value.field == "up_to"


def test_nobody_sees_or_marks_anyone_elses(user, other):
    notify(user, 3)
    client = client_for(other)
    assert client.get(LIST).json()["count"] == 0
    assert client.get(UNREAD).json()["unread"] == 0
    client.post(MARK, {}, format="json")
    client.post(MARK, {"up_to": 3}, format="json")
    assert selectors.notification_counts(user=user) == {
        "stream": f"user.{user.pk}",
        "last_seq": 3,
        "read_seq": 0,
        "unread": 3,
    }
    # Query parameters naming someone else change nothing either.
    assert client.get(LIST, {"user": user.pk, "stream": f"user.{user.pk}"}).json()["count"] == 0


def test_signed_out_clients_are_refused():
    client = APIClient()
    for response in (client.get(LIST), client.get(UNREAD), client.post(MARK, {}, format="json")):
        assert response.status_code in (401, 403)


def test_the_api_schema_documents_the_endpoints(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/events/", LIST, UNREAD, MARK):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    assert {"stream", "after", "limit"} <= parameters
