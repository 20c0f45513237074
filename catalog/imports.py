"""Bulk import of companies, products and buyers from CSV or XLSX files, for agency staff.

All or nothing: every cell of the file is checked first, then every row is saved through the same
services as the web pages and the API (company_create, product_create, buyer_create) inside one
transaction. Any problem, found while checking or while saving, ends in a report of row, column
and message, and the transaction is rolled back, so nothing is saved.

The buyer import lives here too, next to the companies and products, so there is one importer
(one column spec format, one report, one command and one upload page) rather than one per app.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, BinaryIO, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django_countries import countries

from buyers.models import BuyerType, ImportVolumeBand
from buyers.services import buyer_create
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, NotAllowed
from tradeon.tabular import Table, UnreadableTable, read_table

from .models import Certification, Company, Currency, HSCode, PublicationStatus, RevenueBand, Sector
from .services import company_create, product_create
from .validators import (
    normalise_business_registration_number,
    validate_business_registration_number,
    validate_languages,
    validate_time_zone,
)

KINDS = ("companies", "products", "buyers")
SINGULAR = {"companies": "company", "products": "product", "buyers": "buyer"}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# A file with the wrong columns under the right headers can hold 500,000 bad cells; past this
# many the report is no longer read, only counted.
MAX_REPORTED_ERRORS = 1_000
LIST_SEPARATOR = ";"
HEADER_ROW = 1


class RowError(NamedTuple):
    """One problem: the row as the spreadsheet numbers it (header = 1; None for the whole file),
    the column name (None for the whole row) and what to fix."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportRejected(DomainError):
    """The file has problems; nothing was saved. `errors` holds the first MAX_REPORTED_ERRORS."""

    def __init__(self, errors: list[RowError], *, error_count: int | None = None):
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        noun = "problem" if self.error_count == 1 else "problems"
        super().__init__(f"The file has {self.error_count:,} {noun}; nothing was saved.")


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    rows: int
    dry_run: bool

    def __str__(self) -> str:
        noun = self.kind if self.rows != 1 else SINGULAR[self.kind]
        if self.dry_run:
            return f"{self.rows:,} {noun} checked and valid; nothing was saved (dry run)."
        return f"{self.rows:,} {noun} imported."


class CellInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Lookups the cells refer to, loaded once per file ------------------------------------------


class Lookups:
    """Reference data the cells name by code. Each table is loaded with one query, and only if a
    column of this kind needs it, so a 50,000-row file costs a handful of queries to check."""

    def __init__(self, brns: Iterable[str]):
        self._brns = set(brns)

    @cached_property
    def sectors(self) -> dict[str, Sector]:
        return {sector.code: sector for sector in Sector.objects.all()}

    @cached_property
    def certifications(self) -> dict[str, Certification]:
        return {certification.code: certification for certification in Certification.objects.all()}

    @cached_property
    def hs_codes(self) -> dict[str, HSCode]:
        return HSCode.objects.only("code", "level").in_bulk()

    @cached_property
    def companies(self) -> dict[str, Company]:
        """Companies whose business registration number is in the file, by the dashed form.
        Numbers saved through the API may lack the dashes, so both spellings are looked up."""
        return companies_by_brn(self._brns)


def companies_by_brn(brns: Iterable[str]) -> dict[str, Company]:
    """Companies whose business registration number is among `brns` (dashed), by the dashed form.
    Numbers saved through the API may lack the dashes, so both spellings are looked up."""
    brns = set(brns)
    spellings = brns | {brn.replace("-", "") for brn in brns}
    found = Company.objects.in_bulk(list(spellings), field_name="business_registration_number")
    return {normalise_business_registration_number(brn): company for brn, company in found.items()}


# --- Cell parsers: text in, the value the service takes out, or CellInvalid ---------------------


def _text(value: str, lookups: Lookups) -> str:
    return value


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()))


def _whole_number(value: str, lookups: Lookups) -> int:
    if not value.isdigit():
        raise CellInvalid(f"Must be a whole number without separators, such as 1500; got {value!r}.")
    return int(value)


def _amount(value: str, lookups: Lookups) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise CellInvalid(f"Must be an amount such as 12.50, without currency signs or separators; got {value!r}.")
    return amount


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _yes_no(value: str, lookups: Lookups) -> bool:
    lowered = value.lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise CellInvalid(f"Must be true or false (yes/no also work); got {value!r}.")


def _choice(choices) -> Callable[[str, Lookups], str]:
    values = {str(value).lower(): value for value in choices.values}

    def parse(value: str, lookups: Lookups) -> str:
        if value.lower() not in values:
            raise CellInvalid(f"Unknown value {value!r}; use one of: {', '.join(choices.values)}.")
        return values[value.lower()]

    return parse


def _country(value: str, lookups: Lookups) -> str:
    # alpha2() also accepts three-letter and numeric codes (KOR, 410) and gives "KR".
    code = countries.alpha2(value.upper())
    if not code:
        raise CellInvalid(f"Unknown country code {value!r}; use two-letter ISO codes such as KR, TH, US.")
    return code


def _countries(value: str, lookups: Lookups) -> list[str]:
    items = _split(value)
    codes = [countries.alpha2(item.upper()) for item in items]
    unknown = [item for item, code in zip(items, codes, strict=True) if not code]
    if unknown:
        raise CellInvalid(
            f"Unknown country code(s): {', '.join(unknown)}. Use two-letter ISO codes such as KR, TH, US, "
            f"separated by '{LIST_SEPARATOR}'."
        )
    return list(dict.fromkeys(codes))


def _coded(table: str, noun: str) -> Callable[[str, Lookups], list]:
    """A ';'-separated list of codes of one reference table (sectors, certifications)."""

    def parse(value: str, lookups: Lookups) -> list:
        known: dict = getattr(lookups, table)
        codes = [code.lower() for code in _split(value)]
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise CellInvalid(f"Unknown {noun} code(s): {', '.join(unknown)}. Known codes: {', '.join(sorted(known))}.")
        return [known[code] for code in codes]

    return parse


def _sector(value: str, lookups: Lookups) -> Sector:
    if LIST_SEPARATOR in value:
        raise CellInvalid("A company has one sector; give one code.")
    return _coded("sectors", "sector")(value, lookups)[0]


def _languages(value: str, lookups: Lookups) -> list[str]:
    languages = [item.lower() for item in _split(value)]
    validate_languages(languages)
    return languages


def _time_zone(value: str, lookups: Lookups) -> str:
    validate_time_zone(value)
    return value


def _hs_code(value: str, lookups: Lookups, *, lengths: tuple[int, ...]) -> HSCode:
    code = value.replace(".", "").replace(" ", "")
    if not (code.isdigit() and len(code) in lengths):
        wanted = "6 digits, such as 330499" if lengths == (6,) else "2, 4 or 6 digits, such as 33, 3304 or 330499"
        hint = ""
        if code.isdigit() and len(code) + 1 in lengths:
            # Excel turns 030111 into the number 30111 unless the column is formatted as text.
            hint = " If the leading 0 was dropped, format the column as text and type it again."
        raise CellInvalid(f"HS code must be {wanted}; got {value!r}.{hint}")
    hs_code = lookups.hs_codes.get(code)
    if hs_code is None:
        raise CellInvalid(f"HS code {code} is not in the HS nomenclature.")
    if lengths == (6,) and hs_code.level != 6:
        raise CellInvalid(f"HS code {code} is a chapter or heading; give a 6-digit subheading.")
    return hs_code


def _hs_subheading(value: str, lookups: Lookups) -> HSCode:
    return _hs_code(value, lookups, lengths=(6,))


def _hs_codes_of_interest(value: str, lookups: Lookups) -> list[HSCode]:
    problems, found = [], []
    for item in _split(value):
        try:
            found.append(_hs_code(item, lookups, lengths=(2, 4, 6)))
        except CellInvalid as error:
            problems.append(error.message)
    if problems:
        raise CellInvalid(" ".join(problems))
    return found


def _new_company_brn(value: str, lookups: Lookups) -> str:
    brn = normalise_business_registration_number(value)
    validate_business_registration_number(brn)
    existing = lookups.companies.get(brn)
    if existing is not None:
        raise CellInvalid(
            f"A company with business registration number {brn} already exists ({existing.name_en}); "
            "remove this row, or edit that company on its page."
        )
    return brn


def _company_by_brn(value: str, lookups: Lookups) -> Company:
    brn = normalise_business_registration_number(value)
    validate_business_registration_number(brn)
    company = lookups.companies.get(brn)
    if company is None:
        raise CellInvalid(f"No company has business registration number {brn}; import or create the company first.")
    return company


# --- Column specs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # the header, which is the model field name
    parse: Callable[[str, Lookups], Any] = _text
    required: bool = False  # the column must be present and no cell of it empty
    unique: bool = False  # no two rows of the file may share a value
    field: str | None = None  # the service's argument, when it is not `name`

    @property
    def argument(self) -> str:
        return self.field or self.name


BRN = "business_registration_number"
COLUMNS: dict[str, list[Column]] = {
    "companies": [
        Column("name_ko", required=True),
        Column("name_en", required=True),
        Column(BRN, _new_company_brn, required=True, unique=True),
        Column("sector", _sector, required=True),
        Column("description_ko"),
        Column("description_en"),
        Column("founded_year", _whole_number),
        Column("employees", _whole_number),
        Column("revenue_band", _choice(RevenueBand)),
        Column("export_countries", _countries),
        Column("target_countries", _countries),
        Column("certifications", _coded("certifications", "certification")),
        Column("languages", _languages),
        Column("website"),
        Column("seoul_award", _yes_no),
        Column("status", _choice(PublicationStatus)),
    ],
    # A product names its company by business registration number. The company must already be
    # in the database: import the companies file first (one file holds one kind).
    "products": [
        Column(BRN, _company_by_brn, required=True, field="company"),
        Column("name_ko", required=True),
        Column("name_en", required=True),
        Column("description_ko"),
        Column("description_en"),
        Column("hs_code", _hs_subheading, required=True),
        Column("keywords"),
        Column("moq", _whole_number),
        Column("moq_unit"),
        Column("price_min", _amount),
        Column("price_max", _amount),
        Column("currency", _choice(Currency)),
        Column("lead_time_days", _whole_number),
        Column("certifications", _coded("certifications", "certification")),
        Column("status", _choice(PublicationStatus)),
    ],
    # Imported buyers start "pending" like every new buyer: staff verify them one by one.
    "buyers": [
        Column("name", required=True),
        Column("country", _country, required=True),
        Column("city"),
        Column("buyer_type", _choice(BuyerType), required=True),
        Column("sectors", _coded("sectors", "sector")),
        Column("hs_codes", _hs_codes_of_interest),
        Column("import_volume_band", _choice(ImportVolumeBand)),
        Column("languages", _languages),
        Column("time_zone", _time_zone),
        Column("website"),
        Column("description"),
        Column("contact_name"),
        Column("contact_email"),
        Column("contact_phone"),
    ],
}


def _save_company(row: dict, imported_by) -> None:
    company_create(created_by=imported_by, **row)


def _save_product(row: dict, imported_by) -> None:
    product_create(created_by=imported_by, **row)


def _save_buyer(row: dict, imported_by) -> None:
    buyer_create(created_by=imported_by, **row)


SAVERS: dict[str, Callable[[dict, Any], None]] = {
    "companies": _save_company,
    "products": _save_product,
    "buyers": _save_buyer,
}


# --- The import ----------------------------------------------------------------------------------


class ImportReport:
    """The problems of one file: every one counted, the first MAX_REPORTED_ERRORS kept."""

    def __init__(self):
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    @property
    def full(self) -> bool:
        return self.count >= MAX_REPORTED_ERRORS

    def rejected(self) -> ImportRejected:
        return ImportRejected(sorted(self.errors, key=lambda e: e.row or 0), error_count=self.count)


def read_import_table(file: BinaryIO) -> Table:
    """The file's rows; a file that cannot be read at all is an ImportRejected of one problem."""
    try:
        return read_table(file, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS)
    except UnreadableTable as error:
        raise ImportRejected([RowError(None, None, error.message)]) from None


def check_header_names(header: list[str], known: Collection[str], kind: str) -> tuple[ImportReport, set[str]]:
    """The header's problems (a column without a name, twice, or not among `known`) and the
    names it has; the caller adds what its import requires, then raises if there is any."""
    report = ImportReport()
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            report.add(HEADER_ROW, f"#{position}", "This column has no name; write its name in row 1 or delete it.")
        elif name in seen:
            report.add(HEADER_ROW, name, "This column appears twice; keep one.")
        elif name not in known:
            report.add(HEADER_ROW, name, f"Unknown column for {kind}; the columns are: {', '.join(known)}.")
        seen.add(name)
    return report, seen


def _no_progress(iterable, **kwargs):
    return iterable


def catalogue_import(
    *,
    kind: str,
    file: BinaryIO,
    imported_by,
    dry_run: bool = False,
    progress: Callable[..., Iterable] = _no_progress,
) -> ImportSummary:
    """Import one file of companies, products or buyers: all rows, or none and an ImportRejected.

    `imported_by` is the staff user, or None for the command line (the server's own authority).
    `progress` wraps each pass over the rows, like tqdm: progress(rows, desc=..., total=...).
    With `dry_run` every row is checked and saved, then rolled back: the report is the same.
    """
    if kind not in COLUMNS:
        raise ValueError(f"Unknown import kind {kind!r}; expected one of {', '.join(KINDS)}.")
    if imported_by is not None and imported_by.role != Role.STAFF:
        raise NotAllowed("Only agency staff can import the catalogue.")
    table = read_import_table(file)

    columns = _check_header(kind, table.header)
    report = ImportReport()
    parsed = _parse_rows(kind, columns, table.rows, report, progress)
    if not report.full:
        # Save even after a bad cell: rules only the services check (a text too long, a bad e-mail
        # address) then show in the same report, and nothing is kept either way.
        _save_rows(kind, parsed, imported_by, report, progress, keep=not dry_run)
    if report.count:
        raise report.rejected()
    return ImportSummary(kind=kind, rows=len(parsed), dry_run=dry_run)


def _check_header(kind: str, header: list[str]) -> list[Column]:
    """The spec's column for each position of the header; a bad header stops the import at row 1."""
    spec = {column.name: column for column in COLUMNS[kind]}
    report, seen = check_header_names(header, spec, kind)
    for column in COLUMNS[kind]:
        if column.required and column.name not in seen:
            report.add(HEADER_ROW, column.name, "This required column is missing; add it to row 1.")
    if report.count:
        raise report.rejected()
    return [spec[name] for name in header]


def _parse_rows(kind, columns, rows, report: ImportReport, progress) -> list[tuple[int, dict]]:
    """Every row as (row number, service arguments); a row with any bad cell is reported and left out."""
    lookups = Lookups(brns=_brns(columns, rows))
    first_row_of: dict[str, dict] = {column.name: {} for column in columns if column.unique}
    parsed = []
    for number, cells in progress(rows, desc=f"Checking {kind}", total=len(rows), unit="row"):
        arguments, row_ok = {}, True
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            report.add(number, None, f"This row has values after the last named column ({len(columns)}); remove them.")
            row_ok = False
        for index, column in enumerate(columns):
            value = cells[index] if index < len(cells) else ""
            if not value:
                if column.required:
                    report.add(number, column.name, "This cell is required; it is empty.")
                    row_ok = False
                continue
            try:
                arguments[column.argument] = column.parse(value, lookups)
            except CellInvalid as error:
                report.add(number, column.name, error.message)
                row_ok = False
                continue
            except ValidationError as error:
                report.add(number, column.name, " ".join(error.messages))
                row_ok = False
                continue
            if column.unique:
                first = first_row_of[column.name].setdefault(arguments[column.argument], number)
                if first != number:
                    report.add(number, column.name, f"Row {first} has the same value; each one may appear once.")
                    row_ok = False
        if row_ok:
            parsed.append((number, arguments))
    return parsed


def _brns(columns, rows) -> set[str]:
    positions = [index for index, column in enumerate(columns) if column.name == BRN]
    return {
        normalise_business_registration_number(cells[index])
        for index in positions
        for _, cells in rows
        if index < len(cells) and cells[index]
    }


def _save_rows(kind, parsed, imported_by, report: ImportReport, progress, *, keep: bool) -> None:
    columns_by_argument = {column.argument: column.name for column in COLUMNS[kind]}
    save = SAVERS[kind]

    def column_of(field: str | None) -> str | None:
        return columns_by_argument.get(field) if field and field != NON_FIELD_ERRORS else None

    with transaction.atomic():
        for number, arguments in progress(parsed, desc=f"Saving {kind}", total=len(parsed), unit="row"):
            # A savepoint per row: a refused row is rolled back alone and the loop goes on, so
            # the report lists every refused row (PostgreSQL refuses all further statements in a
            # transaction after an error that was not rolled back to a savepoint).
            try:
                with transaction.atomic():
                    save(dict(arguments), imported_by)
            except ValidationError as error:
                for field, messages in _messages_by_field(error):
                    for message in messages:
                        report.add(number, column_of(field), message)
            except DomainError as error:
                report.add(number, column_of(error.field), error.message)
            except IntegrityError:
                report.add(
                    number,
                    None,
                    "This row conflicts with data saved meanwhile (for example the same "
                    "business registration number); check it and import again.",
                )
            if report.full:
                break
        if report.count or not keep:
            # Roll back rather than delete: on_commit hooks (tasks, notifications) never fire.
            transaction.set_rollback(True)


def _messages_by_field(error: ValidationError) -> list[tuple[str | None, list[str]]]:
    if hasattr(error, "error_dict"):
        return [(field, ValidationError(errors).messages) for field, errors in error.error_dict.items()]
    return [(None, error.messages)]


def import_columns(kind: str) -> list[str]:
    """The header of a file of this kind, in order: also the header of its export."""
    return [column.name for column in COLUMNS[kind]]
