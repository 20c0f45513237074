"""Small hand-made tables for the matcher: a few products, companies and buyers, each row given
only in the columns a test cares about."""

import numpy as np
import pytest

from matching.tables import (
    SECTOR_INDEX,
    VOLUME_BANDS,
    BuyerTable,
    CompanyTable,
    ProductTable,
    Tables,
    certification_mask,
)


def company_table(companies: list[dict]) -> CompanyTable:
    return CompanyTable(
        ids=np.arange(1, len(companies) + 1, dtype=np.int64),
        names_en=[c.get("name_en", f"Company {i + 1}") for i, c in enumerate(companies)],
        names_ko=[c.get("name_ko", f"회사 {i + 1}") for i, c in enumerate(companies)],
        sector=np.array([SECTOR_INDEX[c.get("sector", "beauty")] for c in companies], dtype=np.int8),
        target_countries=[frozenset(c.get("targets", ())) for c in companies],
        export_countries=[frozenset(c.get("exports", ())) for c in companies],
    )


def product_table(products: list[dict]) -> ProductTable:
    return ProductTable(
        ids=np.arange(1, len(products) + 1, dtype=np.int64),
        company=np.array([p.get("company", 0) for p in products], dtype=np.int32),
        hs_code=np.array([p.get("hs", "330499") for p in products], dtype="<U6"),
        moq=np.array([p.get("moq", 500) for p in products], dtype=np.int64),
        certifications=np.array([certification_mask(p.get("certifications", ())) for p in products], dtype=np.uint32),
        text=[p.get("text", "").lower() for p in products],
        names_en=[p.get("name_en", p.get("text", "")) for p in products],
        names_ko=[p.get("name_ko", p.get("text", "")) for p in products],
    )


def buyer_table(buyers: list[dict]) -> BuyerTable:
    return BuyerTable(
        ids=np.arange(1, len(buyers) + 1, dtype=np.int64),
        names=[b.get("name", f"Buyer {i + 1}") for i, b in enumerate(buyers)],
        country=np.array([b.get("country", "JP") for b in buyers], dtype="<U2"),
        sectors=np.array([sum(1 << SECTOR_INDEX[s] for s in b.get("sectors", ())) for b in buyers], dtype=np.uint8),
        hs_interest=[tuple(b.get("hs", ())) for b in buyers],
        hs_requested=[tuple(b.get("requested", ())) for b in buyers],
        required_certifications=np.array([certification_mask(b.get("required", ())) for b in buyers], dtype=np.uint32),
        volume_band=np.array(
            [VOLUME_BANDS.index(b["volume"]) if b.get("volume") else -1 for b in buyers], dtype=np.int8
        ),
        verified=np.array([b.get("verified", True) for b in buyers], dtype=bool),
        text=[b.get("text", "").lower() for b in buyers],
    )


@pytest.fixture
def make_tables():
    """make_tables(companies=[...], products=[...], buyers=[...]) -> Tables; each row a dict of
    the columns that matter (sector, targets, hs, certifications, country, text, ...)."""

    def build(*, companies: list[dict], products: list[dict], buyers: list[dict]) -> Tables:
        return Tables(products=product_table(products), companies=company_table(companies), buyers=buyer_table(buyers))

    return build
