"""Importing deals from CSV and XLSX (`manage.py import_deals`): new deals and changes to existing
ones through the services, history "via import"; all or nothing, with every problem reported by
row and column."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.imports import ImportRejected
from matching.models import Deal, DealChange
from matching.pipeline import deals
from matching.pipeline.imports import deal_import
from tests import factories
from tests.spreadsheets import spreadsheet

pytestmark = pytest.mark.django_db

HEADER = ["business_registration_number", "buyer", "title", "stage", "expected_value", "currency", "meetings"]


def rows_for(pair) -> list[list]:
    return [
        [
            pair.company.business_registration_number,
            pair.buyer.name,
            "Cushion compacts",
            "negotiation",
            "125000",
            "USD",
            str(pair.meeting.pk),
        ],
        [pair.company.business_registration_number, str(pair.buyer.pk), "Lip tints", "signed", "8000.5", "EUR", ""],
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_import_creates_deals_with_history_via_import(pair, fmt):
    summary = deal_import(file=spreadsheet(fmt, HEADER, rows_for(pair)), imported_by=pair.staff)
    assert (summary.created, summary.changed) == (2, 0)
    cushion, tints = Deal.objects.get(title="Cushion compacts"), Deal.objects.get(title="Lip tints")
    assert (cushion.stage, cushion.probability, cushion.expected_value) == ("negotiation", 60, Decimal("125000.00"))
    assert list(cushion.meetings.all()) == [pair.meeting]
    assert (tints.stage, tints.signed_on, tints.currency) == ("signed", deals.today_in_seoul(), "EUR")
    history = DealChange.objects.filter(deal__in=[cushion, tints])
    assert {row.via for row in history} == {"import"} and {row.changed_by for row in history} == {pair.staff}


def test_an_import_changes_existing_deals_and_leaves_empty_cells_alone(pair, make_deal):
    deal = make_deal(title="Keep me")
    file = spreadsheet("csv", ["deal", "stage", "lost_reason", "title"], [[str(deal.pk), "lost", "Price", ""]])
    summary = deal_import(file=file, imported_by=pair.staff)
    assert (summary.created, summary.changed) == (0, 1)
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.title, deal.version) == ("lost", "Price", "Keep me", 2)
    assert DealChange.objects.filter(deal=deal, via="import", field="stage", new_value="lost").exists()


def test_any_bad_row_saves_nothing_and_every_problem_is_reported(pair, make_deal):
    existing = make_deal()
    rows = [
        *rows_for(pair),
        ["999-99-99999", pair.buyer.name, "x", "consulted", "1", "USD", ""],
        [pair.company.business_registration_number, "Nobody Trading", "x", "won", "-3", "XYZ", "abc"],
        [pair.company.business_registration_number, pair.buyer.name, "x", "lost", "", "", ""],
    ]
    with pytest.raises(ImportRejected) as rejected:
        deal_import(file=spreadsheet("csv", HEADER, rows), imported_by=pair.staff)
    report = [(error.row, error.column) for error in rejected.value.errors]
    assert (4, "business_registration_number") in report
    assert {(5, "stage"), (5, "expected_value"), (5, "currency"), (5, "meetings")} <= set(report)
    assert (6, "lost_reason") in report
    assert "nothing was saved" in rejected.value.message
    assert list(Deal.objects.all()) == [existing]


def test_the_header_is_checked_first(pair):
    with pytest.raises(ImportRejected) as rejected:
        deal_import(file=spreadsheet("csv", ["buyer", "colour"], [["x", "red"]]), imported_by=pair.staff)
    assert [(e.row, e.column) for e in rejected.value.errors] == [
        (1, "colour"),
        (1, "business_registration_number"),
    ]


def test_an_ambiguous_buyer_name_asks_for_the_id(pair):
    twin = factories.BuyerOrganisationFactory(name=pair.buyer.name)
    row = [pair.company.business_registration_number, pair.buyer.name, "", "", "", "", ""]
    with pytest.raises(ImportRejected) as rejected:
        deal_import(file=spreadsheet("csv", HEADER, [row]), imported_by=pair.staff)
    [error] = rejected.value.errors
    assert error.column == "buyer" and str(twin.pk) in error.message


def test_a_change_cannot_move_a_deal_to_other_parties(pair, make_deal):
    deal = make_deal()
    other = factories.BuyerOrganisationFactory()
    with pytest.raises(ImportRejected) as rejected:
        deal_import(file=spreadsheet("csv", ["deal", "buyer"], [[str(deal.pk), str(other.pk)]]), imported_by=pair.staff)
    assert rejected.value.errors[0].column == "buyer"


def test_only_staff_import(pair):
    from tradeon.errors import NotAllowed

    with pytest.raises(NotAllowed):
        deal_import(file=spreadsheet("csv", HEADER, rows_for(pair)), imported_by=pair.sme)
    assert not Deal.objects.exists()


def test_a_dry_run_checks_and_saves_nothing(pair):
    summary = deal_import(file=spreadsheet("csv", HEADER, rows_for(pair)), imported_by=pair.staff, dry_run=True)
    assert summary.created == 2 and "dry run" in str(summary)
    assert not Deal.objects.exists() and not DealChange.objects.exists()


def test_the_command_imports_and_names_the_staff_member(pair, tmp_path):
    path = tmp_path / "deals.xlsx"
    path.write_bytes(spreadsheet("xlsx", HEADER, rows_for(pair)).getvalue())
    out = StringIO()
    call_command("import_deals", str(path), "--user", pair.staff.username, stdout=out)
    assert "2 deal(s) created" in out.getvalue()
    assert {row.changed_by for row in DealChange.objects.all()} == {pair.staff}


def test_the_command_reports_problems_and_fails(pair, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes(spreadsheet("csv", HEADER, [["1", "", "", "later", "", "", ""]]).getvalue())
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_deals", str(path), stderr=err)
    assert "row 2, column stage" in err.getvalue()
    assert not Deal.objects.exists()
    with pytest.raises(CommandError, match="No user"):
        call_command("import_deals", str(path), "--user", "nobody")
