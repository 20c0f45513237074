"""The notifications page and the bell: the signed-in user's own notifications, unread ones
highlighted, "mark all as read" up to what the page showed, and the unread count on every page."""

import re

import pytest
from django.test import Client

from realtime import services
from realtime.models import Stream
from realtime.views import PAGE_SIZE
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notify(user, message: str, url: str = "/fairs/") -> None:
    services.notify_users([user], "request.received", message, url=url)


def read_seq(user) -> int:
    return Stream.objects.get(key=f"user.{user.pk}").read_seq


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().post("/notifications/read/").status_code == 302


def test_the_page_lists_own_notifications_newest_first_with_unread_highlighted(sme_user, buyer_user):
    notify(sme_user, "Bangkok Beauty asked for a meeting")
    notify(sme_user, "Kuala Lumpur Retail asked for a meeting")
    services.notifications_mark_read(user=sme_user, up_to=1)
    notify(buyer_user, "Not for the SME")
    html = signed_in(sme_user).get("/notifications/").content.decode()
    assert html.index("Kuala Lumpur Retail") < html.index("Bangkok Beauty")
    assert len(re.findall(r'class="notification is-unread"', html)) == 1
    assert 'href="/fairs/"' in html
    assert "Not for the SME" not in html


def test_mark_all_as_read_covers_what_the_page_showed_only(sme_user):
    notify(sme_user, "First")
    page = signed_in(sme_user).get("/notifications/").content.decode()
    assert 'name="up_to" value="1"' in page
    notify(sme_user, "Arrived after the page was drawn")
    response = signed_in(sme_user).post("/notifications/read/", {"up_to": "1", "next": "/notifications/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    assert read_seq(sme_user) == 1
    html = signed_in(sme_user).get("/notifications/?unread=1").content.decode()
    assert "Arrived after the page was drawn" in html and "First" not in html


@pytest.mark.parametrize("up_to", ["", "abc", "-4"])
def test_without_a_usable_number_everything_is_marked_read(sme_user, up_to):
    notify(sme_user, "One")
    notify(sme_user, "Two")
    signed_in(sme_user).post("/notifications/read/", {"up_to": up_to})
    assert read_seq(sme_user) == 2


def test_mark_read_only_redirects_within_the_site_and_needs_post(sme_user):
    client = signed_in(sme_user)
    response = client.post("/notifications/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"
    assert client.get("/notifications/read/").status_code == 405


def test_marking_read_never_touches_someone_elses(sme_user, buyer_user):
    notify(sme_user, "Private")
    signed_in(buyer_user).post("/notifications/read/", {"up_to": "1"})
    assert read_seq(sme_user) == 0


def test_only_links_within_the_site_are_rendered(sme_user):
    notify(sme_user, "A suspicious one", url="javascript:alert(1)")
    notify(sme_user, "Another", url="//evil.example/")
    html = signed_in(sme_user).get("/notifications/").content.decode()
    assert "javascript:" not in html and "evil.example" not in html
    assert "A suspicious one" in html


def test_the_page_is_paginated(sme_user):
    for n in range(PAGE_SIZE + 2):
        notify(sme_user, f"Notice {n}")
    first = signed_in(sme_user).get("/notifications/").content.decode()
    second = signed_in(sme_user).get("/notifications/?page=2").content.decode()
    assert f"Notice {PAGE_SIZE + 1}<" in first and "Notice 0<" in second
    assert "data-live-prepend" in first and "data-live-prepend" not in second


def test_the_bell_shows_the_unread_count_on_every_page(sme_user):
    html = signed_in(sme_user).get("/fairs/").content.decode()
    assert "data-bell " in html and "data-bell-count hidden" in html
    assert 'aria-label="Notifications, 0 unread"' in html
    for n in range(3):
        notify(sme_user, f"Notice {n}")
    services.notifications_mark_read(user=sme_user, up_to=1)
    html = signed_in(sme_user).get("/fairs/").content.decode()
    assert re.search(r"data-bell-count>2</span>", html)
    assert 'aria-label="Notifications, 2 unread"' in html
    # What live.js needs to continue from this page without missing one.
    assert f'data-stream="user.{sme_user.pk}" data-seq="3" data-read-seq="1"' in html
    assert 'aria-live="polite"' in html


def test_the_bell_is_not_shown_to_signed_out_visitors():
    assert "data-bell" not in Client().get("/").content.decode()


def test_a_large_count_is_shown_as_99_plus():
    user = factories.BuyerUserFactory()
    Stream.objects.create(key=f"user.{user.pk}", last_seq=150, read_seq=10)
    html = signed_in(user).get("/fairs/").content.decode()
    assert "data-bell-count>99+</span>" in html
    assert 'aria-label="Notifications, 140 unread"' in html
