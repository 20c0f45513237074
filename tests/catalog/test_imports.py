"""Bulk import: all rows or none, and a report that names row, column and what to fix."""

import io

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections

from buyers.models import BuyerOrganisation, VerificationState
from catalog import imports
from catalog.imports import ImportRejected, catalogue_import, import_columns
from catalog.models import Company, Product
from tests.factories import CompanyFactory, valid_business_registration_number
from tests.spreadsheets import csv_file, spreadsheet, xlsx_file
from tradeon.errors import NotAllowed

pytestmark = pytest.mark.django_db

COMPANY_HEADER = import_columns("companies")
PRODUCT_HEADER = import_columns("products")
BUYER_HEADER = import_columns("buyers")


def brn(n: int) -> str:
    # Far from the serials CompanyFactory uses, so the two never collide.
    return valid_business_registration_number(50_000 + n)


def company_row(n: int, **overrides) -> list:
    values = {
        "name_ko": f"서울뷰티{n}",
        "name_en": f"Seoul Beauty {n}",
        "business_registration_number": brn(n),
        "sector": "beauty",
        "description_ko": "화장품",
        "description_en": "Cosmetics",
        "founded_year": "2015",
        "employees": "40",
        "revenue_band": "1to5b",
        "export_countries": "US;JP",
        "target_countries": "TH; MY",
        "certifications": "fda;ce",
        "languages": "ko;en",
        "website": "https://seoulbeauty.example",
        "seoul_award": "yes",
        "status": "published",
    }
    values.update(overrides)
    return [values[column] for column in COMPANY_HEADER]


def product_row(company_brn: str, n: int, **overrides) -> list:
    values = {
        "business_registration_number": company_brn,
        "name_ko": f"수분 크림 {n}",
        "name_en": f"Moisture cream {n}",
        "description_ko": "",
        "description_en": "Hydrating face cream",
        "hs_code": "330499",
        "keywords": "cream, skincare",
        "moq": "500",
        "moq_unit": "pcs",
        "price_min": "2.50",
        "price_max": "4.00",
        "currency": "USD",
        "lead_time_days": "30",
        "certifications": "cpnp",
        "status": "published",
    }
    values.update(overrides)
    return [values[column] for column in PRODUCT_HEADER]


def buyer_row(n: int, **overrides) -> list:
    values = {
        "name": f"Bangkok Beauty Trading {n}",
        "country": "TH",
        "city": "Bangkok",
        "buyer_type": "distributor",
        "sectors": "beauty;food",
        "hs_codes": "3304;330499",
        "import_volume_band": "1to10m",
        "languages": "th;en",
        "time_zone": "Asia/Bangkok",
        "website": "https://bbt.example",
        "description": "Distributor for 7-Eleven Thailand",
        "contact_name": "Somchai P.",
        "contact_email": f"buyer{n}@example.com",
        "contact_phone": "+66 2 123 4567",
    }
    values.update(overrides)
    return [values[column] for column in BUYER_HEADER]


def run_import(kind, file, **kwargs):
    return catalogue_import(kind=kind, file=file, imported_by=kwargs.pop("imported_by", None), **kwargs)


def rejection(kind, file, **kwargs) -> ImportRejected:
    with pytest.raises(ImportRejected) as excinfo:
        run_import(kind, file, **kwargs)
    return excinfo.value


def where(rejected: ImportRejected) -> list[tuple]:
    return [(error.row, error.column) for error in rejected.errors]


# --- Valid files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_valid_company_file_saves_every_row(fmt, staff_user):
    summary = run_import(
        "companies", spreadsheet(fmt, COMPANY_HEADER, [company_row(n) for n in range(3)]), imported_by=staff_user
    )

    assert summary.rows == 3
    assert Company.objects.count() == 3
    company = Company.objects.get(business_registration_number=brn(1))
    assert company.name_ko == "서울뷰티1"
    assert company.sector.code == "beauty"
    assert company.founded_year == 2015
    assert sorted(c.code for c in company.export_countries) == ["JP", "US"]
    assert sorted(c.code for c in company.target_countries) == ["MY", "TH"]
    assert sorted(company.certifications.values_list("code", flat=True)) == ["ce", "fda"]
    assert company.languages == ["ko", "en"]
    assert company.seoul_award is True
    assert company.status == "published"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_valid_product_file_saves_every_row(fmt):
    company = CompanyFactory()
    rows = [product_row(company.business_registration_number, n) for n in range(3)]

    run_import("products", spreadsheet(fmt, PRODUCT_HEADER, rows))

    assert Product.objects.filter(company=company).count() == 3
    product = Product.objects.get(name_en="Moisture cream 2")
    assert product.hs_code_id == "330499"
    assert (product.moq, str(product.price_min), str(product.price_max), product.lead_time_days) == (
        500,
        "2.50",
        "4.00",
        30,
    )
    assert list(product.certifications.values_list("code", flat=True)) == ["cpnp"]
    assert "moisture cream 2" in product.search_text  # kept by the service, like any other write


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_valid_buyer_file_saves_every_row_as_pending(fmt):
    run_import("buyers", spreadsheet(fmt, BUYER_HEADER, [buyer_row(n) for n in range(3)]))

    assert BuyerOrganisation.objects.count() == 3
    buyer = BuyerOrganisation.objects.get(name="Bangkok Beauty Trading 0")
    assert buyer.country.code == "TH"
    assert sorted(buyer.sectors.values_list("code", flat=True)) == ["beauty", "food"]
    assert sorted(buyer.hs_codes.values_list("code", flat=True)) == ["3304", "330499"]
    assert buyer.verification_state == VerificationState.PENDING


def test_xlsx_numbers_are_read_as_the_text_typed():
    # Excel stores 330499 and 500 as numbers; they must not become "330499.0".
    company = CompanyFactory()
    row = product_row(
        company.business_registration_number, 1, hs_code=330499, moq=500, price_min=2.5, lead_time_days=30.0
    )

    run_import("products", xlsx_file(PRODUCT_HEADER, [row]))

    product = Product.objects.get()
    assert (product.hs_code_id, product.moq, str(product.price_min), product.lead_time_days) == (
        "330499",
        500,
        "2.50",
        30,
    )


def test_cells_are_trimmed_and_columns_may_come_in_any_order_and_be_left_out():
    header = ["  Name_EN ", "business_registration_number", "sector", "name_ko"]
    run_import("companies", csv_file(header, [["  Seoul Beauty  ", f" {brn(1)} ", " beauty", "서울뷰티 "]]))

    company = Company.objects.get()
    assert (company.name_en, company.name_ko, company.business_registration_number) == (
        "Seoul Beauty",
        "서울뷰티",
        brn(1),
    )
    assert company.status == "draft"  # the model's default for a column left out


def test_brn_without_dashes_is_stored_in_the_written_form():
    run_import(
        "companies", csv_file(COMPANY_HEADER, [company_row(1, business_registration_number=brn(1).replace("-", ""))])
    )

    assert Company.objects.get().business_registration_number == brn(1)


def test_korean_excel_csv_in_cp949_is_read():
    run_import("companies", csv_file(COMPANY_HEADER, [company_row(1)], encoding="cp949"))

    assert Company.objects.get().name_ko == "서울뷰티1"


def test_blank_rows_are_skipped_but_row_numbers_stay_as_in_the_spreadsheet():
    rows = [company_row(1), [""] * len(COMPANY_HEADER), company_row(2, sector="cars")]

    rejected = rejection("companies", csv_file(COMPANY_HEADER, rows))

    assert where(rejected) == [(4, "sector")]


def test_dry_run_checks_everything_and_saves_nothing():
    summary = run_import("companies", csv_file(COMPANY_HEADER, [company_row(1), company_row(2)]), dry_run=True)

    assert (summary.rows, summary.dry_run) == (2, True)
    assert not Company.objects.exists()


# --- All or nothing ------------------------------------------------------------------------------


def test_one_bad_cell_in_a_1000_row_file_saves_nothing_and_reports_exactly_that_cell():
    company = CompanyFactory()
    rows = [product_row(company.business_registration_number, n) for n in range(1000)]
    rows[637 - 2][PRODUCT_HEADER.index("hs_code")] = "99999x"  # spreadsheet row 637: header is row 1

    rejected = rejection("products", csv_file(PRODUCT_HEADER, rows))

    assert len(rejected.errors) == 1
    assert rejected.errors[0] == (637, "hs_code", "HS code must be 6 digits, such as 330499; got '99999x'.")
    assert str(rejected.errors[0]) == "row 637, column hs_code: HS code must be 6 digits, such as 330499; got '99999x'."
    assert not Product.objects.exists()


def test_a_problem_only_the_service_finds_is_reported_and_rolls_back_the_valid_rows():
    # The import holds no copy of the model rules: a name longer than the field allows is found
    # by the service's full_clean, while saving, and still nothing is kept.
    rows = [company_row(1), company_row(2, name_en="x" * 201), company_row(3, website="not a url")]

    rejected = rejection("companies", csv_file(COMPANY_HEADER, rows))

    assert where(rejected) == [(3, "name_en"), (4, "website")]
    assert "200 characters" in rejected.errors[0].message
    assert not Company.objects.exists()


def test_cell_and_service_problems_come_in_one_report():
    rows = [company_row(1, sector="cars"), company_row(2, website="not a url")]

    rejected = rejection("companies", csv_file(COMPANY_HEADER, rows))

    assert where(rejected) == [(2, "sector"), (3, "website")]
    assert not Company.objects.exists()


def test_every_bad_cell_of_a_row_is_reported():
    row = company_row(1, founded_year="1,999", revenue_band="huge", export_countries="US;XX", languages="ko;kr")

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [row]))

    assert where(rejected) == [(2, "founded_year"), (2, "revenue_band"), (2, "export_countries"), (2, "languages")]
    messages = [error.message for error in rejected.errors]
    assert "whole number" in messages[0]
    assert "lt1b, 1to5b" in messages[1]
    assert "XX" in messages[2]
    assert "kr" in messages[3]


# --- Business registration numbers ---------------------------------------------------------------


def test_duplicate_brn_in_the_file_is_reported_on_the_later_row():
    rows = [company_row(1), company_row(2), company_row(3, business_registration_number=brn(1))]

    rejected = rejection("companies", csv_file(COMPANY_HEADER, rows))

    assert where(rejected) == [(4, "business_registration_number")]
    assert "Row 2 has the same value" in rejected.errors[0].message
    assert not Company.objects.exists()


def test_brn_already_in_the_database_is_reported():
    existing = CompanyFactory(business_registration_number=brn(7).replace("-", ""))

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(7)]))

    assert where(rejected) == [(2, "business_registration_number")]
    assert existing.name_en in rejected.errors[0].message


def test_brn_with_a_wrong_check_digit_is_reported():
    wrong = brn(1)[:-1] + str((int(brn(1)[-1]) + 1) % 10)

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(1, business_registration_number=wrong)]))

    assert where(rejected) == [(2, "business_registration_number")]
    assert "check digit" in rejected.errors[0].message


def test_product_of_an_unknown_company_is_reported():
    rejected = rejection("products", csv_file(PRODUCT_HEADER, [product_row(brn(99), 1)]))

    assert where(rejected) == [(2, "business_registration_number")]
    assert "import or create the company first" in rejected.errors[0].message


# --- HS codes ------------------------------------------------------------------------------------


def test_hs_code_not_in_the_nomenclature_is_reported_plainly():
    company = CompanyFactory()

    rejected = rejection(
        "products", csv_file(PRODUCT_HEADER, [product_row(company.business_registration_number, 1, hs_code="999998")])
    )

    assert rejected.errors == [(2, "hs_code", "HS code 999998 is not in the HS nomenclature.")]


def test_hs_heading_is_refused_for_a_product():
    company = CompanyFactory()

    rejected = rejection(
        "products", csv_file(PRODUCT_HEADER, [product_row(company.business_registration_number, 1, hs_code="3304")])
    )

    assert where(rejected) == [(2, "hs_code")]


def test_hs_code_that_lost_its_leading_zero_in_excel_gets_a_hint():
    company = CompanyFactory()

    rejected = rejection(
        "products", xlsx_file(PRODUCT_HEADER, [product_row(company.business_registration_number, 1, hs_code=30111)])
    )

    assert "format the column as text" in rejected.errors[0].message


# --- The header ----------------------------------------------------------------------------------


def test_missing_required_column_is_reported_on_row_1_and_no_row_is_read():
    header = [column for column in COMPANY_HEADER if column != "sector"]
    rows = [[value for column, value in zip(COMPANY_HEADER, company_row(1), strict=True) if column != "sector"]]

    rejected = rejection("companies", csv_file(header, rows))

    assert rejected.errors == [(1, "sector", "This required column is missing; add it to row 1.")]
    assert not Company.objects.exists()


def test_unknown_and_repeated_columns_are_reported_on_row_1():
    header = [*COMPANY_HEADER, "fax", "name_en"]

    rejected = rejection("companies", csv_file(header, [company_row(1) + ["", ""]]))

    assert where(rejected) == [(1, "fax"), (1, "name_en")]
    assert "name_ko, name_en" in rejected.errors[0].message  # lists the columns that do exist


def test_empty_required_cell_is_reported():
    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(1, name_en="  ")]))

    assert rejected.errors == [(2, "name_en", "This cell is required; it is empty.")]


def test_values_beyond_the_last_named_column_are_reported():
    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(1) + ["stray"]]))

    assert where(rejected) == [(2, None)]


# --- The file as a whole -------------------------------------------------------------------------


def test_too_many_rows_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(n) for n in range(3)]))

    assert rejected.errors == [(None, None, "The file has more than 2 rows; split it into smaller files.")]


def test_too_large_file_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(1)]))

    assert "larger than" in rejected.errors[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0rest-of-an-xls", ".xls"),
        (b"PK\x03\x04not-really-a-workbook", "not a readable XLSX"),
        (b"name_ko;name_en;sector\n", "separated by commas"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content, message):
    rejected = rejection("companies", io.BytesIO(content))

    assert message in rejected.errors[0].message


def test_only_staff_may_import(sme_user):
    with pytest.raises(NotAllowed):
        run_import("companies", csv_file(COMPANY_HEADER, [company_row(1)]), imported_by=sme_user)


def test_report_is_capped_but_counts_every_problem(monkeypatch):
    monkeypatch.setattr(imports, "MAX_REPORTED_ERRORS", 5)

    rejected = rejection("companies", csv_file(COMPANY_HEADER, [company_row(n, sector="cars") for n in range(8)]))

    assert len(rejected.errors) == 5
    assert rejected.error_count == 8
    assert "8 problems" in rejected.message


# --- The command ---------------------------------------------------------------------------------


def test_command_imports_a_valid_file(tmp_path):
    path = tmp_path / "companies.xlsx"
    path.write_bytes(xlsx_file(COMPANY_HEADER, [company_row(1), company_row(2)]).getvalue())
    out = io.StringIO()

    call_command("import_catalogue", "companies", str(path), stdout=out, verbosity=0)

    assert "2 companies imported." in out.getvalue()
    assert Company.objects.count() == 2


def test_command_dry_run_saves_nothing(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_bytes(csv_file(COMPANY_HEADER, [company_row(1)]).getvalue())
    out = io.StringIO()

    call_command("import_catalogue", "companies", str(path), "--dry-run", stdout=out, verbosity=0)

    assert "dry run" in out.getvalue()
    assert not Company.objects.exists()


def test_command_prints_the_report_and_exits_non_zero(tmp_path, capsys, monkeypatch):
    # run_from_argv closes every database connection when it ends; on PostgreSQL that would end
    # the transaction this test runs in.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    company = CompanyFactory()
    rows = [product_row(company.business_registration_number, n) for n in range(20)]
    rows[17 - 2][PRODUCT_HEADER.index("hs_code")] = "999998"
    path = tmp_path / "products.csv"
    path.write_bytes(csv_file(PRODUCT_HEADER, rows).getvalue())

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_catalogue", "products", str(path)]).execute()

    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert "row 17, column hs_code: HS code 999998 is not in the HS nomenclature." in stderr
    assert "The file has 1 problem; nothing was saved." in stderr
    assert not Product.objects.exists()


def test_command_names_a_missing_file():
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_catalogue", "companies", "/nonexistent/companies.csv", verbosity=0)
