"""Import deals from a CSV or XLSX file (agency staff; `manage.py import_deals`): new deals, and
changes to existing ones, all or nothing, in the catalogue import's style and report format
(catalog.imports: row, column, message; nothing saved when any row is refused).

Columns (row 1; names as below, any order; only `buyer` and `business_registration_number` are
needed for a new deal):
- deal: the id of an existing deal to change; empty for a new deal. On a change, an empty cell
  leaves the value as it is; the stage rules apply as on the pages.
- business_registration_number: the SME (as in the catalogue import); buyer: the buyer
  organisation's id, or its exact name.
- title, stage, expected_value, currency, probability, expected_close_on, signed_on (dates as
  YYYY-MM-DD), lost_reason, notes; meetings and products: ids separated by ';'.

Every row goes through the deal services, so the history records each change "via import", by
the staff member who imported (or by nobody from the command line without --user). Without a
staff member, the import has an SME's rights on stages: closed deals cannot be reopened.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from buyers.models import BuyerOrganisation
from catalog.imports import (
    HEADER_ROW,
    LIST_SEPARATOR,
    CellInvalid,
    ImportReport,
    check_header_names,
    companies_by_brn,
    read_import_table,
)
from catalog.models import Product
from catalog.validators import normalise_business_registration_number
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, NotAllowed

from ..models import ChangeChannel, Currency, Deal, DealStage, Meeting
from . import deals


@dataclass(frozen=True)
class DealImportSummary:
    created: int
    changed: int
    dry_run: bool

    def __str__(self) -> str:
        text = f"{self.created:,} deal(s) created, {self.changed:,} changed"
        return text + ("; nothing was saved (dry run)." if self.dry_run else ".")


# --- cells ---------------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return value


def _choice(choices) -> Callable[[str], str]:
    values = {str(value).lower(): value for value in choices.values}

    def parse(value: str) -> str:
        if value.lower() not in values:
            raise CellInvalid(f"Unknown value {value!r}; use one of: {', '.join(choices.values)}.")
        return values[value.lower()]

    return parse


def _amount(value: str):
    try:
        return deals.clean_amount(value)
    except DomainError as error:
        raise CellInvalid(f"{error.message} Got {value!r}.") from None


def _percent(value: str) -> int:
    if not value.isdigit() or int(value) > 100:
        raise CellInvalid(f"Must be a whole percentage from 0 to 100; got {value!r}.")
    return int(value)


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise CellInvalid(f"Must be a date as YYYY-MM-DD; got {value!r}.") from None


def _id(value: str) -> int:
    if not value.isdigit():
        raise CellInvalid(f"Must be an id (a whole number); got {value!r}.")
    return int(value)


def _ids(value: str) -> list[int]:
    items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    bad = [item for item in items if not item.isdigit()]
    if bad:
        raise CellInvalid(f"Must be ids separated by '{LIST_SEPARATOR}'; not ids: {', '.join(bad)}.")
    return list(dict.fromkeys(int(item) for item in items))


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any] = _text


BRN = "business_registration_number"
COLUMNS = [
    Column("deal", _id),
    Column(BRN, normalise_business_registration_number),
    Column("buyer"),
    Column("title"),
    Column("stage", _choice(DealStage)),
    Column("expected_value", _amount),
    Column("currency", _choice(Currency)),
    Column("probability", _percent),
    Column("expected_close_on", _date),
    Column("signed_on", _date),
    Column("lost_reason"),
    Column("notes"),
    Column("meetings", _ids),
    Column("products", _ids),
]
_SPEC = {column.name: column for column in COLUMNS}


# --- the import ------------------------------------------------------------------------------------------


def deal_import(*, file: BinaryIO, imported_by, dry_run: bool = False) -> DealImportSummary:
    """Import one file of deals: every row, or none and an ImportRejected listing each problem."""
    if imported_by is not None and getattr(imported_by, "role", None) != Role.STAFF:
        raise NotAllowed("Only agency staff can import deals.")
    table = read_import_table(file)
    columns = _check_header(table.header)
    report = ImportReport()
    parsed = []
    for number, cells in table.rows:
        values, ok = {}, True
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            report.add(number, None, f"This row has values after the last named column ({len(columns)}); remove them.")
            ok = False
        for index, column in enumerate(columns):
            value = cells[index] if index < len(cells) else ""
            if not value:
                continue
            try:
                values[column.name] = column.parse(value)
            except (CellInvalid, ValidationError, DomainError) as error:
                message = getattr(error, "message", None) or " ".join(getattr(error, "messages", [str(error)]))
                report.add(number, column.name, message)
                ok = False
        if ok:
            parsed.append((number, values))
    lookups = _Lookups(parsed)
    created = changed = 0
    with transaction.atomic():
        for number, values in parsed:
            try:
                # A savepoint per row: a refused row is rolled back alone and the report goes on.
                with transaction.atomic():
                    _save_row(values, lookups, imported_by)
                if "deal" in values:
                    changed += 1
                else:
                    created += 1
            except DomainError as error:
                report.add(number, error.field if error.field in _SPEC else None, error.message)
            except IntegrityError:
                report.add(number, None, "This row conflicts with data saved meanwhile; check it and import again.")
            if report.full:
                break
        if report.count or dry_run:
            # Roll back rather than delete: nothing of the file stays, and no hook fires.
            transaction.set_rollback(True)
    if report.count:
        raise report.rejected()
    return DealImportSummary(created=created, changed=changed, dry_run=dry_run)


def _check_header(header: list[str]) -> list[Column]:
    report, seen = check_header_names(header, _SPEC, "deals")
    if "deal" not in seen:
        for required in (BRN, "buyer"):
            if required not in seen:
                report.add(HEADER_ROW, required, "This column is needed for new deals; add it to row 1.")
    if report.count:
        raise report.rejected()
    return [_SPEC[name] for name in header]


class _Lookups:
    """What the rows refer to, loaded with a few queries for the whole file."""

    def __init__(self, parsed):
        rows = [values for _, values in parsed]
        self.companies = companies_by_brn(v[BRN] for v in rows if BRN in v)
        buyer_ids = {int(v["buyer"]) for v in rows if v.get("buyer", "").isdigit()}
        names = {v["buyer"].lower() for v in rows if "buyer" in v and not v["buyer"].isdigit()}
        self.buyers_by_id = BuyerOrganisation.objects.in_bulk(list(buyer_ids))
        self.buyers_by_name: dict[str, list] = {}
        if names:
            for buyer in BuyerOrganisation.objects.filter(name__in=[v["buyer"] for v in rows if "buyer" in v]):
                self.buyers_by_name.setdefault(buyer.name.lower(), []).append(buyer)
        self.deals = Deal.objects.in_bulk([v["deal"] for v in rows if "deal" in v])
        self.meetings = Meeting.objects.in_bulk([pk for v in rows for pk in v.get("meetings", [])])
        self.products = Product.objects.in_bulk([pk for v in rows for pk in v.get("products", [])])

    def buyer(self, value: str):
        if value.isdigit():
            found = self.buyers_by_id.get(int(value))
            if found is None:
                raise DomainError(f"No buyer organisation has id {value}.", field="buyer")
            return found
        found = self.buyers_by_name.get(value.lower(), [])
        if not found:
            raise DomainError(f"No buyer organisation is named {value!r}; give its id or exact name.", field="buyer")
        if len(found) > 1:
            ids = ", ".join(str(buyer.pk) for buyer in found)
            raise DomainError(
                f"{len(found)} buyer organisations are named {value!r} (ids {ids}); give the id.", field="buyer"
            )
        return found[0]

    def listed(self, table: dict, ids: list[int], column: str, noun: str) -> list:
        missing = [str(pk) for pk in ids if pk not in table]
        if missing:
            raise DomainError(f"No {noun} with id(s) {', '.join(missing)}.", field=column)
        return [table[pk] for pk in ids]


def _save_row(values: dict, lookups: _Lookups, imported_by) -> None:
    changes = {name: value for name, value in values.items() if name not in ("deal", BRN, "buyer")}
    if "meetings" in changes:
        changes["meetings"] = lookups.listed(lookups.meetings, changes["meetings"], "meetings", "meeting")
    if "products" in changes:
        changes["products"] = lookups.listed(lookups.products, changes["products"], "products", "product")
    company = None
    if BRN in values:
        company = lookups.companies.get(values[BRN])
        if company is None:
            raise DomainError(f"No company has business registration number {values[BRN]}.", field=BRN)
    buyer = lookups.buyer(values["buyer"]) if "buyer" in values else None

    if "deal" in values:
        deal = lookups.deals.get(values["deal"])
        if deal is None:
            raise DomainError(f"No deal has id {values['deal']}.", field="deal")
        if company is not None and company.pk != deal.company_id:
            raise DomainError("This is not the deal's SME; a deal stays between its two parties.", field=BRN)
        if buyer is not None and buyer.pk != deal.buyer_id:
            raise DomainError("This is not the deal's buyer; a deal stays between its two parties.", field="buyer")
        # Lock the row: the version read is the one written (an import holds no older copy).
        version = Deal.objects.select_for_update().filter(pk=deal.pk).values_list("version", flat=True).get()
        deals._deal_update(deal, by=imported_by, expected_version=version, via=ChangeChannel.IMPORT, changes=changes)
        return
    if company is None:
        raise DomainError("Give the SME's business registration number for a new deal.", field=BRN)
    if buyer is None:
        raise DomainError("Give the buyer (id or exact name) for a new deal.", field="buyer")
    meetings = changes.pop("meetings", [])
    products = changes.pop("products", [])
    deals._deal_create(
        by=imported_by,
        company=company,
        buyer=buyer,
        via=ChangeChannel.IMPORT,
        meetings=meetings,
        products=products,
        changes=changes,
    )
