"""Follow-up prompts to the SME 1, 3 and 6 months after a meeting whose deal is still open: each
sent once (email and notification), the one due sent by a late run and a missed one skipped,
none once the deal is closed, none for cancelled meetings or people of other companies."""

import datetime as dt

import pytest
from django.core import mail

from matching.models import SentEmail
from matching.pipeline import deals, followups, tasks
from realtime.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_deal(pair, make_deal):
    return make_deal()


def months_later(pair, months: int, **delta) -> dt.datetime:
    start = pair.meeting.starts_at.astimezone(followups.calendar.SEOUL)
    return followups.add_months(start, months) + dt.timedelta(**delta)


def prompts() -> list[str]:
    return sorted(
        key.split(":")[1]
        for key in SentEmail.objects.filter(key__startswith="follow-up:").values_list("key", flat=True)
    )


def test_prompts_at_one_three_and_six_months_each_once(pair, open_deal):
    assert followups.follow_ups_send(now=months_later(pair, 1, seconds=-1)) == 0
    assert followups.follow_ups_send(now=months_later(pair, 1)) == 1
    assert followups.follow_ups_send(now=months_later(pair, 1, hours=5)) == 0
    assert followups.follow_ups_send(now=months_later(pair, 2)) == 0
    assert followups.follow_ups_send(now=months_later(pair, 3, minutes=1)) == 1
    assert followups.follow_ups_send(now=months_later(pair, 6, days=1)) == 1
    assert followups.follow_ups_send(now=months_later(pair, 7)) == 0
    assert followups.follow_ups_send(now=months_later(pair, 13)) == 0
    assert prompts() == ["1m", "3m", "6m"]
    assert [message.to for message in mail.outbox] == [["kim@hanbit.example"]] * 3
    assert mail.outbox[0].subject == "Follow-up: Siam Beauty Retail, 1 month after your meeting"
    assert mail.outbox[1].subject == "Follow-up: Siam Beauty Retail, 3 months after your meeting"
    assert f"/pipeline/deals/{open_deal.pk}/" in mail.outbox[2].body


def test_a_late_run_sends_the_prompt_due_and_skips_the_missed_one(pair, open_deal):
    assert followups.follow_ups_send(now=months_later(pair, 4)) == 1
    assert prompts() == ["3m"]


def test_each_prompt_is_also_a_notification_once(pair, open_deal):
    followups.follow_ups_send(now=months_later(pair, 1))
    followups.follow_ups_send(now=months_later(pair, 1, hours=1))
    [event] = Event.objects.filter(kind="deal.follow_up")
    assert event.stream.key == f"user.{pair.sme.pk}"
    assert event.data["deal"] == open_deal.pk and event.data["months"] == 1
    assert event.data["url"] == f"/pipeline/deals/{open_deal.pk}/"
    assert "Siam Beauty Retail" in event.data["message"]


@pytest.mark.parametrize("stage", ["signed", "lost"])
def test_no_prompt_once_the_deal_is_closed(pair, open_deal, stage):
    followups.follow_ups_send(now=months_later(pair, 1))
    deals.deal_update(
        open_deal, by=pair.sme, expected_version=1, stage=stage, lost_reason="No" if stage == "lost" else ""
    )
    assert followups.follow_ups_send(now=months_later(pair, 3)) == 0
    assert prompts() == ["1m"]


def test_no_prompt_for_a_cancelled_meeting(pair, open_deal):
    pair.meeting.status = "cancelled"
    pair.meeting.save()
    assert followups.follow_ups_send(now=months_later(pair, 1)) == 0


def test_no_prompt_for_a_meeting_without_a_deal(pair):
    assert followups.follow_ups_send(now=months_later(pair, 1)) == 0


def test_only_the_smes_own_members_are_prompted(pair, open_deal):
    colleague = factories.SMEUserFactory(company=pair.company, email="lee@hanbit.example")
    factories.SMEUserFactory(company=pair.company, email="gone@hanbit.example", is_active=False)
    assert followups.follow_ups_send(now=months_later(pair, 1)) == 2
    assert {message.to[0] for message in mail.outbox} == {"kim@hanbit.example", colleague.email}


def test_the_daily_task_sends_the_prompts(pair, open_deal, monkeypatch):
    monkeypatch.setattr(followups.timezone, "now", lambda: months_later(pair, 1, hours=2))
    assert tasks.send_follow_ups.delay().get() == 1


def test_months_are_added_by_the_calendar():
    moment = dt.datetime(2027, 1, 31, 10, 0, tzinfo=dt.UTC)
    assert followups.add_months(moment, 1) == dt.datetime(2027, 2, 28, 10, 0, tzinfo=dt.UTC)
    assert followups.add_months(moment, 13) == dt.datetime(2028, 2, 29, 10, 0, tzinfo=dt.UTC)
    assert followups.add_months(moment, -2) == dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
