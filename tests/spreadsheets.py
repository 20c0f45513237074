"""Build CSV and XLSX upload files for the import tests, independently of tradeon.tabular (the
code under test), so a bug there cannot hide in the test data."""

import csv
import io


def csv_file(header, rows, *, encoding="utf-8") -> io.BytesIO:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode(encoding))


def xlsx_file(header, rows) -> io.BytesIO:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def spreadsheet(fmt, header, rows) -> io.BytesIO:
    return csv_file(header, rows) if fmt == "csv" else xlsx_file(header, rows)


def read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
