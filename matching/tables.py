"""Column tables of products, companies and buyers: the matcher's only input.

They are built from the database by `load_tables()`, or directly by the planted-truth generator
and the benchmarks, so the matcher itself never touches the ORM and runs the same on both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from catalog.reference_data import CERTIFICATIONS, SECTORS

SECTOR_CODES: tuple[str, ...] = tuple(code for code, *_ in SECTORS)
SECTOR_INDEX = {code: i for i, code in enumerate(SECTOR_CODES)}
CERTIFICATION_CODES: tuple[str, ...] = tuple(code for code, *_ in CERTIFICATIONS)
CERTIFICATION_BIT = {code: 1 << i for i, code in enumerate(CERTIFICATION_CODES)}
# Buyers' annual import volume bands, smallest first (buyers.models.ImportVolumeBand).
VOLUME_BANDS: tuple[str, ...] = ("lt100k", "100kto1m", "1to10m", "gt10m")


def certification_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= CERTIFICATION_BIT.get(code, 0)
    return mask


def certification_codes(mask: int) -> list[str]:
    return [code for code, bit in CERTIFICATION_BIT.items() if mask & bit]


@dataclass
class CompanyTable:
    ids: np.ndarray  # int64 database ids
    names_en: list[str]
    names_ko: list[str]
    sector: np.ndarray  # int8 index into SECTOR_CODES
    target_countries: list[frozenset[str]]
    export_countries: list[frozenset[str]]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class ProductTable:
    ids: np.ndarray  # int64
    company: np.ndarray  # int32 index into CompanyTable
    hs_code: np.ndarray  # '<U6' six-digit subheadings
    moq: np.ndarray  # int64
    certifications: np.ndarray  # uint32 bit mask: the product's and its company's
    text: list[str]  # names, descriptions and keywords, Korean and English
    names_en: list[str] = field(default_factory=list)
    names_ko: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class BuyerTable:
    ids: np.ndarray  # int64
    names: list[str]
    country: np.ndarray  # '<U2' ISO 3166 alpha-2
    sectors: np.ndarray  # uint8 bit mask over SECTOR_CODES
    hs_interest: list[tuple[str, ...]]  # HS codes of interest, any level (2, 4 or 6 digits)
    hs_requested: list[tuple[str, ...]]  # HS codes in the buyer's open sourcing requests
    required_certifications: np.ndarray  # uint32 bit mask from open sourcing requests
    volume_band: np.ndarray  # int8 index into VOLUME_BANDS, -1 unknown
    verified: np.ndarray  # bool
    text: list[str]  # description, sourcing requests, interests

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Tables:
    products: ProductTable
    companies: CompanyTable
    buyers: BuyerTable

    def product_sector(self) -> np.ndarray:
        return self.companies.sector[self.products.company]


def load_tables(*, buyer_ids=None, company_ids=None) -> Tables:
    """Build the tables from the database: published products of published companies, and
    buyers that are not rejected. `buyer_ids`/`company_ids` narrow the loaded buyers/companies."""
    from buyers.models import BuyerOrganisation, SourcingRequestStatus, VerificationState
    from catalog.models import Company, Product, PublicationStatus

    companies_qs = Company.objects.filter(status=PublicationStatus.PUBLISHED).select_related("sector").order_by("id")
    if company_ids is not None:
        companies_qs = companies_qs.filter(pk__in=list(company_ids))
    company_rows = list(
        companies_qs.values_list("id", "name_en", "name_ko", "sector__code", "target_countries", "export_countries")
    )
    company_index = {row[0]: i for i, row in enumerate(company_rows)}
    company_certs: dict[int, int] = {}
    for company_id, code in Company.certifications.through.objects.filter(company_id__in=company_index).values_list(
        "company_id", "certification__code"
    ):
        company_certs[company_id] = company_certs.get(company_id, 0) | CERTIFICATION_BIT.get(code, 0)

    def countries(value) -> frozenset[str]:
        return (
            frozenset(str(c) for c in value)
            if not isinstance(value, str)
            else frozenset(filter(None, value.split(",")))
        )

    companies = CompanyTable(
        ids=np.array([r[0] for r in company_rows], dtype=np.int64),
        names_en=[r[1] for r in company_rows],
        names_ko=[r[2] for r in company_rows],
        sector=np.array([SECTOR_INDEX.get(r[3], SECTOR_INDEX["other"]) for r in company_rows], dtype=np.int8),
        target_countries=[countries(r[4]) for r in company_rows],
        export_countries=[countries(r[5]) for r in company_rows],
    )

    product_rows = list(
        Product.objects.filter(status=PublicationStatus.PUBLISHED, company_id__in=company_index)
        .order_by("id")
        .values_list("id", "company_id", "hs_code_id", "moq", "search_text", "name_en", "name_ko")
    )
    product_certs: dict[int, int] = {}
    for product_id, code in Product.certifications.through.objects.filter(
        product__company_id__in=company_index
    ).values_list("product_id", "certification__code"):
        product_certs[product_id] = product_certs.get(product_id, 0) | CERTIFICATION_BIT.get(code, 0)
    products = ProductTable(
        ids=np.array([r[0] for r in product_rows], dtype=np.int64),
        company=np.array([company_index[r[1]] for r in product_rows], dtype=np.int32),
        hs_code=np.array([r[2] for r in product_rows], dtype="<U6"),
        moq=np.array([r[3] for r in product_rows], dtype=np.int64),
        certifications=np.array(
            [product_certs.get(r[0], 0) | company_certs.get(r[1], 0) for r in product_rows], dtype=np.uint32
        ),
        text=[r[4] for r in product_rows],
        names_en=[r[5] for r in product_rows],
        names_ko=[r[6] for r in product_rows],
    )

    buyers_qs = (
        BuyerOrganisation.objects.exclude(verification_state=VerificationState.REJECTED)
        .prefetch_related("sectors", "hs_codes")
        .order_by("id")
    )
    if buyer_ids is not None:
        buyers_qs = buyers_qs.filter(pk__in=list(buyer_ids))
    buyer_list = list(buyers_qs)
    requests: dict[int, list] = {}
    from buyers.models import SourcingRequest

    for request in (
        SourcingRequest.objects.filter(buyer__in=buyer_list, status=SourcingRequestStatus.OPEN)
        .prefetch_related("hs_codes", "required_certifications")
        .order_by("id")
    ):
        requests.setdefault(request.buyer_id, []).append(request)

    def buyer_text(buyer) -> str:
        parts = [buyer.description, " ".join(s.name_en for s in buyer.sectors.all())]
        parts += [h.description for h in buyer.hs_codes.all()]
        for request in requests.get(buyer.pk, []):
            parts += [request.title, request.description]
        return " ".join(p for p in parts if p).lower()

    buyers = BuyerTable(
        ids=np.array([b.pk for b in buyer_list], dtype=np.int64),
        names=[b.name for b in buyer_list],
        country=np.array([b.country.code or "" for b in buyer_list], dtype="<U2"),
        sectors=np.array(
            [sum(1 << SECTOR_INDEX[s.code] for s in b.sectors.all() if s.code in SECTOR_INDEX) for b in buyer_list],
            dtype=np.uint8,
        ),
        hs_interest=[tuple(h.code for h in b.hs_codes.all()) for b in buyer_list],
        hs_requested=[
            tuple(sorted({h.code for r in requests.get(b.pk, []) for h in r.hs_codes.all()})) for b in buyer_list
        ],
        required_certifications=np.array(
            [
                certification_mask(c.code for r in requests.get(b.pk, []) for c in r.required_certifications.all())
                for b in buyer_list
            ],
            dtype=np.uint32,
        ),
        volume_band=np.array(
            [
                VOLUME_BANDS.index(b.import_volume_band) if b.import_volume_band in VOLUME_BANDS else -1
                for b in buyer_list
            ],
            dtype=np.int8,
        ),
        verified=np.array([b.verification_state == VerificationState.VERIFIED for b in buyer_list], dtype=bool),
        text=[buyer_text(b) for b in buyer_list],
    )
    return Tables(products=products, companies=companies, buyers=buyers)
