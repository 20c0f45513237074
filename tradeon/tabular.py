"""Spreadsheet files in and out: read CSV/XLSX into rows of trimmed text, and write CSV/XLSX whose
cells a spreadsheet cannot run as formulas. Every import and export goes through here."""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from tradeon.errors import DomainError

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these is run as a formula (or DDE command) by Excel, LibreOffice and
# Google Sheets when the file is opened: "CSV injection". A leading apostrophe makes it text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Korean Excel saves "CSV" in CP949 unless told otherwise; UTF-8 (with or without BOM) comes first.
CSV_ENCODINGS = ("utf-8-sig", "cp949")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls


class UnreadableTable(DomainError):
    """The file as a whole cannot be read: wrong format, too large, too many rows, no header."""


@dataclass
class Table:
    """The header (row 1) and the data rows, each with its row number as the spreadsheet shows it.

    Blank rows are skipped but keep their numbers counted, so "row 17" is row 17 on screen.
    Cells are text, trimmed; rows may be shorter or longer than the header.
    """

    header: list[str]
    rows: list[tuple[int, list[str]]]


def spreadsheet_safe(value):
    """Text that starts like a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _unescape(text: str) -> str:
    # Undo spreadsheet_safe, so an exported file can be imported again unchanged.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float: 330499 must not come back as "330499.0".
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _unescape(str(value).strip())


# --- Reading ---------------------------------------------------------------------------------


def read_table(file: BinaryIO, *, max_bytes: int, max_rows: int) -> Table:
    """Read the first sheet of an XLSX workbook or a comma-separated CSV file.

    The format is decided by the file's content, not its name, so a renamed file still reads.
    Raises UnreadableTable with a message a person can act on.
    """
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableTable(f"The file is larger than {max_bytes / 1_048_576:.0f} MB; split it into smaller files.")
    if not data.strip():
        raise UnreadableTable("The file is empty.")
    if data.startswith(_OLE2_MAGIC):
        raise UnreadableTable("Excel 97-2003 (.xls) files cannot be read; save the sheet as .xlsx or CSV.")
    raw_rows = _xlsx_rows(data) if data.startswith(_ZIP_MAGIC) else _csv_rows(data)
    return _table(raw_rows, max_rows=max_rows)


def _csv_rows(data: bytes) -> Iterable[list]:
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableTable("The CSV file is not UTF-8 (or Korean CP949) text; save it as 'CSV UTF-8'.")
    if "\x00" in text:
        raise UnreadableTable("The file is not a CSV text file; upload a .csv or .xlsx file.")
    return _csv_reader_rows(csv.reader(io.StringIO(text, newline="")))


def _csv_reader_rows(reader) -> Iterable[list]:
    try:
        yield from reader
    except csv.Error as exc:
        raise UnreadableTable(f"Row {reader.line_num} of the CSV file cannot be read: {exc}.") from None


def _xlsx_rows(data: bytes) -> Iterable[tuple]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableTable("The file is not a readable XLSX workbook; save it again from Excel as .xlsx.") from None
    try:
        if not workbook.worksheets:
            raise UnreadableTable("The workbook has no sheets.")
        # Only the first sheet is read; a second sheet of notes or lookups does not disturb the import.
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _table(raw_rows: Iterable[Sequence], *, max_rows: int) -> Table:
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    for number, raw in enumerate(raw_rows, start=1):
        cells = [_cell_text(value) for value in raw]
        if number == 1:
            header = _header(cells)
            continue
        if not any(cells):
            continue
        if len(rows) == max_rows:
            raise UnreadableTable(f"The file has more than {max_rows:,} rows; split it into smaller files.")
        rows.append((number, cells))
    if header is None:
        raise UnreadableTable("The file is empty.")
    return Table(header=header, rows=rows)


def _header(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()  # spreadsheets often carry empty trailing columns
    if not cells:
        raise UnreadableTable("Row 1 must be the header, with one column name per cell; it is empty.")
    if len(cells) == 1 and (";" in cells[0] or "\t" in cells[0]):
        raise UnreadableTable("Columns must be separated by commas; this file seems to use ';' or tabs.")
    return [cell.lower() for cell in cells]


# --- Writing ---------------------------------------------------------------------------------


def write_table(fmt: str, header: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "Sheet1") -> bytes:
    if fmt == "csv":
        return write_csv(header, rows)
    if fmt == "xlsx":
        return write_xlsx(header, rows, sheet_title=sheet_title)
    raise ValueError(f"Unknown table format {fmt!r}; expected one of {', '.join(FORMATS)}.")


def write_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Korean text correctly when it opens the file."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)  # numbers are never escaped: -5 stays a number
    return spreadsheet_safe(str(value))


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "Sheet1") -> bytes:
    return write_xlsx_sheets([(sheet_title, header, rows)])


# Excel refuses these in a sheet's name, and names longer than 31 characters.
_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
SHEET_TITLE_MAX = 31


def xlsx_cell(value):
    """A value as an XLSX cell: text made formula-safe and stripped of the control characters
    XLSX cannot hold; aware datetimes made naive (XLSX has no time zones)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # openpyxl refuses aware datetimes
    if isinstance(value, str):
        # openpyxl stores any string starting with "=" as a formula, and refuses control characters.
        return spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def sheet_title(title: str, taken: set[str] | None = None) -> str:
    """A sheet name Excel accepts, unique among `taken` (which it joins)."""
    base = (str(title).translate(_SHEET_TITLE_FORBIDDEN).strip().strip("'") or "Sheet")[:SHEET_TITLE_MAX]
    taken = taken if taken is not None else set()
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def write_xlsx_sheets(sheets: Iterable[tuple[str, Sequence[str] | None, Iterable[Sequence]]]) -> bytes:
    """A workbook of several sheets, each (title, header or None, rows); every cell formula-safe."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=sheet_title(title, taken))
        if header is not None:
            sheet.append([xlsx_cell(value) for value in header])
        for row in rows:
            sheet.append([xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
