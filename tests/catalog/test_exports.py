"""Exports: the import's columns, and cells a spreadsheet cannot run as formulas."""

import io

import pytest
from django.core.management import call_command

from buyers.models import BuyerOrganisation
from catalog.exports import catalogue_export
from catalog.imports import catalogue_import, import_columns
from catalog.models import Certification, Company, HSCode, Product, Sector
from tests.factories import BuyerOrganisationFactory, CompanyFactory, ProductFactory
from tests.spreadsheets import read_csv, read_xlsx
from tradeon.errors import NotAllowed
from tradeon.tabular import spreadsheet_safe, write_csv, write_xlsx

FORMULA_NAME = '=HYPERLINK("http://x")'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_starts_like_a_formula_is_escaped(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Seoul Beauty", "a=b", "", -5, 3.5, None, True])
def test_other_values_are_left_alone(value):
    assert spreadsheet_safe(value) == value


def test_csv_writer_escapes_text_but_not_numbers():
    rows = read_csv(write_csv(["name", "moq"], [[FORMULA_NAME, -5], ["-cheap", 10]]))

    assert rows == [["name", "moq"], ["'" + FORMULA_NAME, "-5"], ["'-cheap", "10"]]


def test_xlsx_writer_stores_formula_like_text_as_text():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(write_xlsx(["name", "moq"], [[FORMULA_NAME, -5]]))).worksheets[0]

    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "'" + FORMULA_NAME
    assert sheet["B2"].value == -5


def test_xlsx_writer_drops_control_characters_openpyxl_would_refuse():
    rows = read_xlsx(write_xlsx(["name"], [["bell\x07 and\x00 null"]]))

    assert rows[1] == ["bell and null"]


@pytest.mark.django_db
def test_company_named_like_a_formula_comes_out_as_text_in_csv(staff_user):
    CompanyFactory(name_en=FORMULA_NAME)

    export = catalogue_export(kind="companies", fmt="csv", exported_by=staff_user)

    header, row = read_csv(export.content)
    assert row[header.index("name_en")] == "'" + FORMULA_NAME
    assert export.content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert export.content_type.startswith("text/csv")
    assert export.filename.startswith("tradeon-companies-") and export.filename.endswith(".csv")


@pytest.mark.django_db
def test_company_named_like_a_formula_comes_out_as_text_in_xlsx(staff_user):
    from openpyxl import load_workbook

    CompanyFactory(name_en=FORMULA_NAME)

    export = catalogue_export(kind="companies", fmt="xlsx", exported_by=staff_user)

    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cell = sheet.cell(row=2, column=import_columns("companies").index("name_en") + 1)
    assert (cell.data_type, cell.value) == ("s", "'" + FORMULA_NAME)


@pytest.mark.django_db
def test_export_has_the_import_columns(staff_user):
    company = CompanyFactory(seoul_award=True)
    company.certifications.set(Certification.objects.filter(code__in=["fda", "ce"]))
    product = ProductFactory(company=company, price_min="2.50")
    product.certifications.set(Certification.objects.filter(code__in=["vegan", "cpnp"]))

    rows = read_xlsx(catalogue_export(kind="products", fmt="xlsx", exported_by=staff_user).content)

    assert rows[0] == import_columns("products")
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["business_registration_number"] == company.business_registration_number
    assert exported["hs_code"] == "330499"
    assert exported["certifications"] == "cpnp;vegan"
    assert exported["price_min"] == 2.5


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_catalogue(fmt, staff_user):
    """A downloaded file is a valid import file: the round trip loses nothing, not even a name
    that had to be escaped."""
    company = CompanyFactory(
        name_en="+Plus Cosmetics", export_countries=["US", "JP"], seoul_award=True, website="https://plus.example"
    )
    company.certifications.set(Certification.objects.filter(code__in=["fda", "ce"]))
    product = ProductFactory(company=company, price_min="2.50", price_max="4.00", lead_time_days=14)
    product.certifications.set(Certification.objects.filter(code="vegan"))
    buyer = BuyerOrganisationFactory(name="=Buyer")
    buyer.sectors.set(Sector.objects.filter(code__in=["beauty", "food"]))
    buyer.hs_codes.set(HSCode.objects.filter(code__in=["33", "330499"]))

    def snapshot():
        companies = [
            (
                c.name_en,
                c.business_registration_number,
                c.sector_id,
                sorted(str(x) for x in c.export_countries),
                c.languages,
                c.website,
                c.seoul_award,
                c.status,
                sorted(c.certifications.values_list("code", flat=True)),
            )
            for c in Company.objects.all()
        ]
        products = [
            (
                p.company.business_registration_number,
                p.name_en,
                p.hs_code_id,
                p.price_min,
                p.price_max,
                p.lead_time_days,
                p.moq,
                p.status,
                list(p.certifications.values_list("code", flat=True)),
            )
            for p in Product.objects.all()
        ]
        buyers = [
            (
                b.name,
                b.country.code,
                b.buyer_type,
                b.languages,
                b.time_zone,
                b.contact_email,
                sorted(b.sectors.values_list("code", flat=True)),
                sorted(b.hs_codes.values_list("code", flat=True)),
            )
            for b in BuyerOrganisation.objects.all()
        ]
        return companies, products, buyers

    before = snapshot()
    files = {
        kind: catalogue_export(kind=kind, fmt=fmt, exported_by=staff_user).content
        for kind in ("companies", "products", "buyers")
    }
    Product.objects.all().delete()
    Company.objects.all().delete()
    BuyerOrganisation.objects.all().delete()

    for kind in ("companies", "products", "buyers"):
        catalogue_import(kind=kind, file=io.BytesIO(files[kind]), imported_by=staff_user)

    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["companies", "products", "buyers"])
def test_export_queries_do_not_grow_with_rows(kind, staff_user, django_assert_max_num_queries):
    for _ in range(3):
        ProductFactory()
        BuyerOrganisationFactory().sectors.set(Sector.objects.filter(code="beauty"))

    with django_assert_max_num_queries(3):
        catalogue_export(kind=kind, fmt="csv", exported_by=staff_user)


@pytest.mark.django_db
@pytest.mark.parametrize("user_fixture", ["sme_user", "buyer_user"])
def test_only_staff_may_export(user_fixture, request):
    with pytest.raises(NotAllowed):
        catalogue_export(kind="buyers", fmt="csv", exported_by=request.getfixturevalue(user_fixture))


@pytest.mark.django_db
def test_export_command_writes_the_format_of_the_extension(tmp_path):
    CompanyFactory(name_en=FORMULA_NAME)
    path = tmp_path / "companies.xlsx"
    out = io.StringIO()

    call_command("export_catalogue", "companies", str(path), stdout=out)

    rows = read_xlsx(path.read_bytes())
    assert rows[0] == import_columns("companies")
    assert "'" + FORMULA_NAME in rows[1]
    assert "Wrote companies" in out.getvalue()
