"""The staff import and export page: staff only, the report as a table, downloads as attachments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.imports import import_columns
from catalog.models import Company
from tests.factories import CompanyFactory, valid_business_registration_number
from tests.spreadsheets import csv_file, read_csv

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("catalog:import")
HEADER = ["name_ko", "name_en", "business_registration_number", "sector"]


def upload(rows, *, name="companies.csv", kind="companies", **extra):
    content = csv_file(HEADER, rows).getvalue()
    return {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv"), **extra}


def company(n, sector="beauty"):
    return [f"서울기업{n}", f"Imported Company {n}", valid_business_registration_number(60_000 + n), sector]


@pytest.fixture
def staff_web(sign_in, staff_user):
    return sign_in(staff_user)


@pytest.mark.parametrize("user_fixture", ["sme_user", "buyer_user"])
@pytest.mark.parametrize(
    "url", [IMPORT_URL, reverse("catalog:export", kwargs={"kind": "buyers", "fmt": "csv"})], ids=["import", "export"]
)
def test_sme_and_buyer_users_are_refused(sign_in, request, user_fixture, url):
    client = sign_in(request.getfixturevalue(user_fixture))

    assert client.get(url).status_code == 403
    assert client.post(IMPORT_URL, upload([company(1)])).status_code == 403
    assert not Company.objects.filter(name_en="Imported Company 1").exists()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_staff_sees_the_form_the_columns_and_the_export_links(staff_web):
    response = staff_web.get(IMPORT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page
    assert ", ".join(import_columns("products")) in page
    assert reverse("catalog:export", kwargs={"kind": "products", "fmt": "xlsx"}) in page


def test_staff_imports_a_valid_file(staff_web):
    response = staff_web.post(IMPORT_URL, upload([company(1), company(2)]))

    assert response.status_code == 200
    assert "2 companies imported." in response.content.decode()
    assert Company.objects.filter(name_en__in=["Imported Company 1", "Imported Company 2"]).count() == 2


def test_dry_run_from_the_page_saves_nothing(staff_web):
    response = staff_web.post(IMPORT_URL, upload([company(1)], dry_run="on"))

    assert response.status_code == 200
    assert "dry run" in response.content.decode()
    assert not Company.objects.filter(name_en="Imported Company 1").exists()


def test_bad_file_shows_the_report_table_and_saves_nothing(staff_web):
    response = staff_web.post(IMPORT_URL, upload([company(1), company(2, sector="cars")]))

    assert response.status_code == 400
    report = response.context["rejected"]
    assert [(e.row, e.column) for e in report.errors] == [(3, "sector")]
    page = response.content.decode()
    assert "<td>3</td>" in page and "<code>sector</code>" in page and "Unknown sector code(s): cars" in page
    assert not Company.objects.filter(name_en="Imported Company 1").exists()


def test_form_without_a_file_is_refused(staff_web):
    response = staff_web.post(IMPORT_URL, {"kind": "companies"})

    assert response.status_code == 400
    assert response.context["form"].errors["file"]


def test_staff_downloads_an_export_as_an_attachment(staff_web):
    CompanyFactory(name_en="=cmd|' /C calc'!A0")

    response = staff_web.get(reverse("catalog:export", kwargs={"kind": "companies", "fmt": "csv"}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="tradeon-companies-')
    header, row = read_csv(response.content)
    assert row[header.index("name_en")] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(("kind", "fmt"), [("users", "csv"), ("companies", "pdf")])
def test_unknown_export_is_404(staff_web, kind, fmt):
    assert staff_web.get(reverse("catalog:export", kwargs={"kind": kind, "fmt": fmt})).status_code == 404
