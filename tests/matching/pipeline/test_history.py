"""Deal history on every write path (services, QuerySet.update, bulk_update, a plain save, a
Celery task, the admin), and history that cannot be edited: Django refuses on every database;
PostgreSQL's trigger refuses even raw SQL."""

from decimal import Decimal

import pytest
from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from matching.models import Deal, DealChange
from matching.pipeline import deals
from matching.pipeline.history import DealConflict, HistoryImmutable, deal_actor
from tests import factories

pytestmark = pytest.mark.django_db


def changes_of(deal, **filters):
    return list(
        DealChange.objects.filter(deal=deal, **filters)
        .order_by("id")
        .values_list("field", "old_value", "new_value", "changed_by__username", "via")
    )


def test_creating_a_deal_records_its_starting_values(pair, make_deal):
    deal = make_deal(expected_close_on="2026-01-31", products=pair.products[:1])
    staff = pair.staff.username
    assert changes_of(deal) == [
        ("stage", "", "consulted", staff, "page"),
        ("expected_value", "", "50000.00", staff, "page"),
        ("currency", "", "USD", staff, "page"),
        ("probability", "", "10", staff, "page"),
        ("expected_close_on", "", "2026-01-31", staff, "page"),
        ("meetings", "", str(pair.meeting.pk), staff, "page"),
        ("products", "", str(pair.products[0].pk), staff, "page"),
    ]


def test_the_service_records_each_changed_field_with_who_and_how(pair, make_deal):
    deal = make_deal()
    first = DealChange.objects.filter(deal=deal).count()
    deals.deal_update(
        deal, by=pair.sme, expected_version=1, via="api", stage="negotiation", currency="EUR", title="Sheet masks"
    )
    sme = pair.sme.username
    assert changes_of(deal)[first:] == [
        ("stage", "consulted", "negotiation", sme, "api"),
        ("currency", "USD", "EUR", sme, "api"),
        ("probability", "10", "60", sme, "api"),
        ("title", "", "Sheet masks", sme, "api"),
    ]
    change = DealChange.objects.filter(deal=deal, field="stage").last()
    assert change.changed_at is not None
    assert Deal.objects.get(pk=deal.pk).stage_changed_at >= change.changed_at


def test_queryset_update_records_history_and_raises_versions(pair, make_deal):
    one, two = make_deal(), make_deal(expected_value=Decimal("10"))
    with deal_actor(pair.staff, "admin"):
        assert Deal.objects.filter(pk__in=[one.pk, two.pk]).update(stage="negotiation", probability=70) == 2
    for deal in (one, two):
        deal.refresh_from_db()
        assert (deal.stage, deal.probability, deal.version) == ("negotiation", 70, 2)
        assert changes_of(deal, changed_at__gte=deal.stage_changed_at) == [
            ("stage", "consulted", "negotiation", pair.staff.username, "admin"),
            ("probability", "10", "70", pair.staff.username, "admin"),
        ]


def test_queryset_update_without_an_actor_is_the_system(pair, make_deal):
    deal = make_deal()
    Deal.objects.filter(pk=deal.pk).update(expected_value=Decimal("1.50"))
    assert changes_of(deal, field="expected_value")[-1] == ("expected_value", "50000.00", "1.50", None, "system")


def test_queryset_update_with_a_stale_version_filter_writes_nothing(pair, make_deal):
    deal = make_deal()
    Deal.objects.filter(pk=deal.pk).update(title="first")
    assert Deal.objects.filter(pk=deal.pk, version=1).update(title="second") == 0
    deal.refresh_from_db()
    assert deal.title == "first" and len(changes_of(deal, field="title")) == 1


def test_bulk_update_records_history_once_per_change(pair, make_deal):
    rows = [make_deal(), make_deal()]
    for index, deal in enumerate(rows):
        deal.expected_value = Decimal(100 * (index + 1))
        deal.stage = "follow_up"
    with deal_actor(pair.staff, "import"):
        Deal.objects.bulk_update(rows, ["expected_value", "stage"])
    for index, deal in enumerate(rows):
        stored = Deal.objects.get(pk=deal.pk)
        assert (stored.stage, stored.version) == ("follow_up", 2)
        assert changes_of(deal, field__in=["stage", "expected_value"])[2:] == [
            ("stage", "consulted", "follow_up", pair.staff.username, "import"),
            ("expected_value", "50000.00", f"{100 * (index + 1)}.00", pair.staff.username, "import"),
        ]


def test_bulk_update_refuses_objects_read_before_another_write(pair, make_deal):
    deal = make_deal()
    stale = Deal.objects.get(pk=deal.pk)
    Deal.objects.filter(pk=deal.pk).update(title="meanwhile")
    stale.title = "overwrite"
    with pytest.raises(DealConflict):
        Deal.objects.bulk_update([stale], ["title"])
    assert Deal.objects.get(pk=deal.pk).title == "meanwhile"


def test_a_plain_save_records_history_and_checks_the_version(pair, make_deal):
    deal = make_deal()
    deal.expected_value = Decimal("12.00")
    with deal_actor(pair.sme, "page"):
        deal.save()
    assert deal.version == 2
    assert changes_of(deal, field="expected_value")[-1] == (
        "expected_value",
        "50000.00",
        "12.00",
        pair.sme.username,
        "page",
    )
    stale = Deal.objects.get(pk=deal.pk)
    deal.save()  # the same instance again: its version is current
    stale.notes = "lost update?"
    with pytest.raises(DealConflict):
        stale.save()
    assert Deal.objects.get(pk=deal.pk).notes == ""


@shared_task
def _close_deal_in_a_task(deal_id: int) -> None:
    Deal.objects.filter(pk=deal_id).update(stage="lost", lost_reason="No reply for six months")


def test_a_celery_task_is_recorded_as_the_task_channel(pair, make_deal):
    deal = make_deal()
    _close_deal_in_a_task.delay(deal.pk)
    assert changes_of(deal, field="stage")[-1] == ("stage", "consulted", "lost", None, "task")


def test_a_long_note_is_cut_to_fit_the_history(pair, make_deal):
    deal = make_deal()
    deals.deal_update(deal, by=pair.sme, expected_version=1, notes="x" * 5000)
    change = DealChange.objects.get(deal=deal, field="notes")
    assert len(change.new_value) == 200 and change.new_value.endswith("…")
    assert Deal.objects.get(pk=deal.pk).notes == "x" * 5000


# --- history cannot be edited -------------------------------------------------------------------------


def test_django_refuses_to_change_or_delete_history(pair, make_deal):
    deal = make_deal()
    change = DealChange.objects.filter(deal=deal).first()
    change.new_value = "forged"
    attempts = [
        change.save,
        change.delete,
        lambda: DealChange.objects.filter(deal=deal).update(new_value="forged"),
        lambda: DealChange.objects.filter(deal=deal).delete(),
        lambda: DealChange.objects.bulk_update([change], ["new_value"]),
    ]
    for attempt in attempts:
        with pytest.raises(HistoryImmutable), transaction.atomic():
            attempt()
    assert not DealChange.objects.filter(new_value="forged").exists()
    assert DealChange.objects.filter(deal=deal).count() == 5


def test_a_deal_with_history_cannot_be_deleted(pair, make_deal):
    from django.db.models import ProtectedError

    deal = make_deal()
    with pytest.raises(ProtectedError):
        deal.delete()


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the history trigger exists on PostgreSQL only (SQLite has the Django guards, tested above)",
)


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE matching_dealchange SET new_value = 'forged' WHERE deal_id = %s",
        "UPDATE matching_dealchange SET changed_by_id = NULL, via = 'api' WHERE deal_id = %s",
        "DELETE FROM matching_dealchange WHERE deal_id = %s",
    ],
)
def test_postgresql_refuses_raw_sql_that_edits_history(pair, make_deal, sql):
    deal = make_deal()
    before = changes_of(deal)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [deal.pk])
    assert changes_of(deal) == before


@on_postgresql
def test_postgresql_lets_a_deleted_user_leave_history_anonymous(pair, make_deal):
    author = factories.StaffUserFactory(username="leaving")
    deal = make_deal(by=author)
    author.delete()
    assert {row[3] for row in changes_of(deal)} == {None}
    assert len(changes_of(deal)) == 5


# --- the admin ---------------------------------------------------------------------------------------


def _admin_form(deal, **overrides) -> dict:
    """What the admin's change form posts: the deal's fields, the version it was opened at, and
    the read-only history inline as it renders (one form per row, nothing changed)."""
    saved = deal.pk is not None
    history = list(deal.changes.order_by("changed_at", "id")) if saved else []
    data = {
        "title": deal.title,
        "stage": deal.stage,
        "lost_reason": deal.lost_reason,
        "expected_value": str(deal.expected_value),
        "currency": deal.currency,
        "probability": str(deal.probability),
        "expected_close_on": "",
        "signed_on": "",
        "notes": deal.notes,
        "meetings": ",".join(str(m.pk) for m in deal.meetings.all()) if saved else "",
        "products": ",".join(str(p.pk) for p in deal.products.all()) if saved else "",
        "loaded_version": str(deal.version) if saved else "",
        "changes-TOTAL_FORMS": str(len(history)),
        "changes-INITIAL_FORMS": str(len(history)),
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "0",
    }
    for index, change in enumerate(history):
        data[f"changes-{index}-id"] = str(change.pk)
        data[f"changes-{index}-deal"] = str(deal.pk)
    data.update(overrides)
    return data


def test_the_admin_change_form_goes_through_the_service_and_records_admin(admin_client, make_deal):
    deal = make_deal()
    url = reverse("admin:matching_deal_change", args=[deal.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, _admin_form(deal, stage="negotiation", probability="", expected_value="65000"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.expected_value, deal.version) == (
        "negotiation",
        60,
        Decimal("65000.00"),
        2,
    )
    admin = changes_of(deal, via="admin")
    assert [row[:3] for row in admin] == [
        ("stage", "consulted", "negotiation"),
        ("expected_value", "50000.00", "65000.00"),
        ("probability", "10", "60"),
    ]
    assert {row[3] for row in admin} == {"admin"}


def test_the_admin_refuses_a_stale_form_and_a_refused_transition(admin_client, pair, make_deal):
    deal = make_deal()
    url = reverse("admin:matching_deal_change", args=[deal.pk])
    stale = _admin_form(deal, title="from the admin")
    deals.deal_update(deal, by=pair.sme, expected_version=1, title="from the SME")
    response = admin_client.post(url, stale)
    assert response.status_code == 200
    assert f"changed by {pair.sme.username}" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).title == "from the SME"

    deal.refresh_from_db()
    response = admin_client.post(url, _admin_form(deal, stage="lost"))
    assert response.status_code == 200 and "Say why the deal was lost." in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage == "consulted"


def test_the_admin_add_form_creates_through_the_service(admin_client, pair):
    data = _admin_form(Deal(currency="EUR", expected_value=Decimal("900")), probability="")
    data.update({"company": str(pair.company.pk), "buyer": str(pair.buyer.pk)})
    response = admin_client.post(reverse("admin:matching_deal_add"), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    deal = Deal.objects.get()
    assert (deal.stage, deal.probability, deal.currency) == ("consulted", 10, "EUR")
    assert {row[4] for row in changes_of(deal)} == {"admin"}


def test_history_is_read_only_in_the_admin(admin_client, make_deal):
    deal = make_deal()
    change = DealChange.objects.filter(deal=deal).first()
    assert admin_client.get(reverse("admin:matching_dealchange_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:matching_dealchange_add")).status_code == 403
    assert admin_client.get(reverse("admin:matching_dealchange_delete", args=[change.pk])).status_code == 403
    url = reverse("admin:matching_dealchange_change", args=[change.pk])
    assert admin_client.get(url).status_code == 200  # view only
    assert admin_client.post(url, {"new_value": "forged"}).status_code == 403
    assert DealChange.objects.get(pk=change.pk).new_value == change.new_value
    assert admin_client.get(reverse("admin:matching_deal_delete", args=[deal.pk])).status_code == 403


def test_bookkeeping_columns_alone_are_written_as_they_are(pair, make_deal):
    import datetime as dt

    deal = make_deal()
    before = DealChange.objects.count()
    back_then = dt.datetime(2021, 6, 15, 3, 0, tzinfo=dt.UTC)
    Deal.objects.filter(pk=deal.pk).update(created_at=back_then)
    deal.refresh_from_db()
    deal.updated_at = back_then
    Deal.objects.bulk_update([deal], ["updated_at"])
    deal.refresh_from_db()
    assert (deal.created_at, deal.updated_at, deal.version) == (back_then, back_then, 1)
    assert DealChange.objects.count() == before
