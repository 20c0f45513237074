"""Staff exports of companies, products and buyers as CSV or XLSX.

An export has exactly the columns of the import of the same kind (catalog.imports.COLUMNS), so a
downloaded file is also a template, and can be loaded into another installation as it is.
Cells are written through tradeon.tabular, which keeps a spreadsheet from running them as formulas.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone

from buyers.selectors import buyer_list
from tradeon.accounts.models import Role
from tradeon.errors import NotAllowed
from tradeon.tabular import CONTENT_TYPES, FORMATS, write_table

from .imports import KINDS, LIST_SEPARATOR, import_columns
from .selectors import company_list, product_list

# Rows are read in chunks, so a 50,000-row export does not hold every model instance at once.
CHUNK_SIZE = 2_000


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


class _CommandLine:
    """Who the management command reads as: the server's operator sees what agency staff see."""

    role = Role.STAFF
    company_id = None
    buyer_organisation_id = None


def _joined(values) -> str:
    return LIST_SEPARATOR.join(str(value) for value in values)


def _codes(comma_joined: str | None) -> str:
    # The selectors' certification_codes annotation is comma-joined, in no particular order.
    return _joined(sorted(comma_joined.split(","))) if comma_joined else ""


def _company_rows(user) -> Iterator[dict]:
    for company in company_list(user=user).order_by("name_en", "id").iterator(chunk_size=CHUNK_SIZE):
        yield {
            "name_ko": company.name_ko,
            "name_en": company.name_en,
            "business_registration_number": company.business_registration_number,
            "sector": company.sector.code,
            "description_ko": company.description_ko,
            "description_en": company.description_en,
            "founded_year": company.founded_year,
            "employees": company.employees,
            "revenue_band": company.revenue_band,
            "export_countries": _joined(country.code for country in company.export_countries),
            "target_countries": _joined(country.code for country in company.target_countries),
            "certifications": _codes(company.certification_codes),
            "languages": _joined(company.languages),
            "website": company.website,
            "seoul_award": company.seoul_award,
            "status": company.status,
        }


def _product_rows(user) -> Iterator[dict]:
    for product in product_list(user=user).order_by("id").iterator(chunk_size=CHUNK_SIZE):
        yield {
            "business_registration_number": product.company.business_registration_number,
            "name_ko": product.name_ko,
            "name_en": product.name_en,
            "description_ko": product.description_ko,
            "description_en": product.description_en,
            "hs_code": product.hs_code_id,
            "keywords": product.keywords,
            "moq": product.moq,
            "moq_unit": product.moq_unit,
            "price_min": product.price_min,
            "price_max": product.price_max,
            "currency": product.currency,
            "lead_time_days": product.lead_time_days,
            "certifications": _codes(product.certification_codes),
            "status": product.status,
        }


def _buyer_rows(user) -> Iterator[dict]:
    for buyer in buyer_list(user=user).order_by("name", "id").iterator(chunk_size=CHUNK_SIZE):
        yield {
            "name": buyer.name,
            "country": buyer.country.code,
            "city": buyer.city,
            "buyer_type": buyer.buyer_type,
            "sectors": _joined(sorted(sector.code for sector in buyer.sectors.all())),
            "hs_codes": _joined(sorted(hs_code.code for hs_code in buyer.hs_codes.all())),
            "import_volume_band": buyer.import_volume_band,
            "languages": _joined(buyer.languages),
            "time_zone": buyer.time_zone,
            "website": buyer.website,
            "description": buyer.description,
            "contact_name": buyer.contact_name,
            "contact_email": buyer.contact_email,
            "contact_phone": buyer.contact_phone,
        }


ROWS = {"companies": _company_rows, "products": _product_rows, "buyers": _buyer_rows}


def export_filename(kind: str, fmt: str) -> str:
    return f"tradeon-{kind}-{timezone.localdate():%Y%m%d}.{fmt}"


def catalogue_export(*, kind: str, fmt: str, exported_by) -> ExportFile:
    """Every company, product or buyer as one CSV or XLSX file.

    `exported_by` is the staff user, or None for the command line. Buyer rows carry contact
    details, so only staff may export.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown export kind {kind!r}; expected one of {', '.join(KINDS)}.")
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    if exported_by is not None and exported_by.role != Role.STAFF:
        raise NotAllowed("Only agency staff can export the catalogue.")
    reader = exported_by if exported_by is not None else _CommandLine()
    header = import_columns(kind)
    rows = ([row[column] for column in header] for row in ROWS[kind](reader))
    content = write_table(fmt, header, rows, sheet_title=kind)
    return ExportFile(content=content, content_type=CONTENT_TYPES[fmt], filename=export_filename(kind, fmt))
