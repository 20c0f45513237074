"""A planted-truth generator for measuring the matcher: it builds the matcher's `Tables` directly
(no database) from hidden needs and capabilities, and returns which companies truly fit each buyer.

The generative story is written up in docs/matching.md ("Planted-truth evaluation"). In short:
every buyer has a hidden *need* (a sector, one or a few kinds of product, its own country as the
market, the certifications that market and the buyer itself require, an import volume) and every
company has hidden *capabilities* (the kinds of product it makes, the markets it can serve, the
certifications each product really holds, each product's MOQ). A company truly fits a buyer when
one of its products fits the need on all of kind, market, certification and scale at once. What
the matcher sees are noisy, partial views of both: profile text in English or Korean with
synonyms or no product words at all, HS codes at whatever level a buyer bothered to give (or none),
a second sector ticked "just in case", markets and certifications some SMEs never entered. So no
single observable column reproduces the truth, and a baseline that reads one of them is not
handed the answer.

Separate from `seed_demo` on purpose: demo data should look good on screen; this data must carry a
known answer. It reuses the demo vocabularies (`tradeon.demo_data`) so texts, HS codes, MOQs and
country mixes are the same as the demo's. Everything comes from one seeded `random.Random`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from catalog.reference_data import SECTORS
from tradeon.demo_data import (
    _NAME_STEMS,
    BUYER_COUNTRIES,
    DEMO_BUYER_COUNT,
    DEMO_COMPANIES_PER_SECTOR,
    DEMO_COMPANY_COUNT,
    DEMO_PRODUCT_COUNT,
    SECTOR_VOCABULARIES,
    ProductLine,
    _nice_moq,
)

from .signals import MARKET_CERTIFICATIONS, ScaleSignal
from .tables import (
    SECTOR_INDEX,
    BuyerTable,
    CompanyTable,
    ProductTable,
    Tables,
    certification_mask,
)

# The real service's shape: about 4.4 products per SME (2,226 for 502).
PRODUCTS_PER_COMPANY = DEMO_PRODUCT_COUNT / DEMO_COMPANY_COUNT

# --- the noise: how much of the hidden world a profile shows ------------------------------------
# Companies
KOREAN_ONLY_COMPANY = 0.10  # product texts only in Korean (an SME new to exporting)
# Each target country is one of the sector's usual ones (the demo's lists) or, this often, drawn
# where the platform's buyers of the sector are (SMEs go where the demand is).
TARGET_WHERE_DEMAND_IS = 0.5
MARKET_NOT_LISTED = 0.15  # each market the company serves that its profile omits
CERTIFIED_FOR_TARGETS = 0.65  # chance of holding a certification one of its markets requires
PRODUCT_HOLDS_CERTIFICATION = 0.85  # a company certification covers each of its products
CERTIFICATION_NOT_ENTERED = 0.10  # a certification the company holds but never entered
# Buyers
CATEGORY_BUYER = 0.40  # wants several kinds of product under one HS heading (all skin care)
MARKET_RULE_APPLIES = 0.85  # the market's usual certification (Halal in Malaysia) is really required
EXPLICIT_REQUIREMENT = 0.20  # requires a certification of its own (vegan, ISO 22716, HACCP)
SECOND_SECTOR = 0.30  # ticks a second sector it does not really buy in
NO_HS_CODES = 0.20
HS_LEVEL = {6: 0.45, 4: 0.35, 2: 0.20}  # the level of the HS code a buyer gives for its need
DISTRACTOR_HS = 0.35  # an HS code for something it does not really need
SOURCING_REQUEST = {True: 0.60, False: 0.30}  # has an open request, by "has its own requirement"
VOLUME_UNKNOWN = 0.15
VERIFIED = 0.80
KOREAN_TEXT = 0.12  # writes its profile in Korean
VAGUE_TEXT = 0.20  # names no product, only the sector
OTHER_LINE_MENTIONED = 0.30  # mentions a product it does not really need
# An MOQ fits a buyer's volume when the scale table rates it at least this (see ScaleSignal.FIT).
SCALE_FITS = 0.7

VOLUME_BAND_WEIGHTS = {0: 2, 1: 4, 2: 3, 3: 1}  # as the demo: most buyers import USD 100k-1M a year
_BUYER_TYPES = (
    ("Importer", "수입업체", "local distributors and wholesalers"),
    ("Distributor", "유통업체", "pharmacies, supermarkets and speciality stores"),
    ("Wholesaler", "도매업체", "independent shops across the country"),
    ("Retail chain", "소매 체인", "its own chain of stores"),
    ("Online marketplace", "온라인 마켓", "its online marketplace and live-commerce channels"),
)
_NEED_PHRASES = ("We are sourcing {}.", "Main interest: {}.", "Looking to import {} in volume.", "We need {}.")
_OTHER_PHRASES = ("We also carry {}.", "Open to {} as well.")
_SECTOR_KO = {code: ko for code, _, ko, _ in SECTORS}


@dataclass(frozen=True)
class BuyerNeed:
    """What a buyer really wants; the planted truth is defined on this, not on its profile."""

    sector: str
    lines: tuple[ProductLine, ...]
    country: str
    required: frozenset[str]  # certifications really required: the market's (mostly) and its own
    volume_band: int


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _keywords(line: ProductLine) -> tuple[list[str], list[str]]:
    """A line's keywords split into English ones (synonyms: "sun cream", "spf50") and Korean."""
    words = [w.strip() for w in line.keywords.split(",") if w.strip()]
    return [w for w in words if w.isascii()], [w for w in words if not w.isascii()]


def _market_requirements(country: str, sector: str) -> frozenset[str]:
    return frozenset(MARKET_CERTIFICATIONS.get((country, sector), ()))


def _moq_bucket(moq: np.ndarray) -> np.ndarray:
    return np.searchsorted(ScaleSignal.MOQ_BUCKETS, moq, side="left")


def planted_tables(
    *, n_companies: int = DEMO_COMPANY_COUNT, n_buyers: int = DEMO_BUYER_COUNT, seed: int = 0
) -> tuple[Tables, dict[int, frozenset[int]]]:
    """Tables of `n_companies` SMEs (with about 4.4 products each) and `n_buyers` buyers, and the
    planted truth: buyer row -> the company rows that truly fit it (possibly none)."""
    rng = random.Random(seed)
    country_weights = {c.code: c.count for c in BUYER_COUNTRIES}
    countries = {c.code: c for c in BUYER_COUNTRIES}
    # Where the buyers of each sector are: a country's buyer count times its share of the sector.
    demand = {
        sector: {
            c.code: c.count * c.sector_weights.get(sector, 0) / sum(c.sector_weights.values()) for c in BUYER_COUNTRIES
        }
        for sector in SECTOR_VOCABULARIES
    }

    # --- companies and their products -----------------------------------------------------------
    company_rows: dict[str, list] = {k: [] for k in ("name_en", "name_ko", "sector", "targets", "exports")}
    company_markets: list[frozenset[str]] = []
    product_rows: dict[str, list] = {
        k: [] for k in ("company", "hs", "moq", "held", "observed", "text", "name_en", "name_ko", "line")
    }
    weights = [1 + rng.expovariate(1.0) * 2 for _ in range(n_companies)]
    total_products = max(n_companies, round(n_companies * PRODUCTS_PER_COMPANY))
    extra = np.bincount(
        rng.choices(range(n_companies), weights=weights, k=total_products - n_companies), minlength=n_companies
    )
    for index in range(n_companies):
        # Sectors drawn one company at a time, so a row's position tells nothing (ties in a
        # baseline's scores break by position, i.e. at random).
        sector = _weighted(rng, DEMO_COMPANIES_PER_SECTOR)
        vocabulary = SECTOR_VOCABULARIES[sector]
        (stem_ko, stem_en), (suffix_ko, suffix_en) = rng.choice(_NAME_STEMS), rng.choice(vocabulary.company_suffixes)
        name_ko, name_en = f"{stem_ko}{suffix_ko} {index + 1}", f"{stem_en} {suffix_en} {index + 1}"
        lines = rng.sample(vocabulary.product_lines, k=rng.randint(2, 4))
        targets = {
            _weighted(rng, demand[sector])
            if rng.random() < TARGET_WHERE_DEMAND_IS
            else rng.choice(vocabulary.target_countries)
            for _ in range(rng.randint(1, 4))
        }
        exports = set(rng.sample(vocabulary.target_countries, k=rng.randint(1, 3))) if rng.random() < 0.75 else set()
        markets = frozenset(targets | exports)
        # Sets are walked in sorted order: their own order changes with the hash seed, and the
        # random draws must not.
        unlisted = {c for c in sorted(markets) if rng.random() < MARKET_NOT_LISTED}
        needed = {code for country in markets for code in _market_requirements(country, sector)}
        held = {
            code
            for code, share in vocabulary.certifications.items()
            if rng.random() < (max(share, CERTIFIED_FOR_TARGETS) if code in needed else share)
        }
        # Certifications a market needs that the sector's list lacks (Thai FDA for food).
        held |= {
            code
            for code in sorted(needed)
            if code not in vocabulary.certifications and rng.random() < CERTIFIED_FOR_TARGETS
        }
        not_entered = {code for code in sorted(held) if rng.random() < CERTIFICATION_NOT_ENTERED}
        korean_only = rng.random() < KOREAN_ONLY_COMPANY

        company_rows["name_en"].append(name_en)
        company_rows["name_ko"].append(name_ko)
        company_rows["sector"].append(SECTOR_INDEX[sector])
        company_rows["targets"].append(frozenset(targets - unlisted))
        company_rows["exports"].append(frozenset(exports - unlisted))
        company_markets.append(markets)

        for _ in range(1 + int(extra[index])):
            line = rng.choice(lines)
            variant_ko, variant_en = rng.choice(line.variants or vocabulary.variants)
            product_ko = f"{line.name_ko} ({variant_ko})" if variant_ko else line.name_ko
            product_en = f"{line.name_en} ({variant_en})" if variant_en else line.name_en
            product_held = {code for code in sorted(held) if rng.random() < PRODUCT_HOLDS_CERTIFICATION}
            # The text catalog.services.product_search_text writes for a product.
            parts = [product_ko]
            if not korean_only:
                parts.append(product_en)
            parts.append(line.description_ko + (f". {variant_ko} 제품입니다." if variant_ko else "."))
            if not korean_only:
                parts.append(line.description_en + (f". Variant: {variant_en}." if variant_en else "."))
            parts += [line.keywords, name_ko, name_en, line.hs_code]
            product_rows["company"].append(index)
            product_rows["hs"].append(line.hs_code)
            product_rows["moq"].append(_nice_moq(rng, *line.moq))
            product_rows["held"].append(certification_mask(product_held))
            product_rows["observed"].append(certification_mask(product_held - not_entered))
            product_rows["text"].append(" ".join(parts).lower())
            product_rows["name_en"].append(product_en)
            product_rows["name_ko"].append(product_ko)
            product_rows["line"].append(line)

    n_products = len(product_rows["company"])
    companies = CompanyTable(
        ids=np.arange(1, n_companies + 1, dtype=np.int64),
        names_en=company_rows["name_en"],
        names_ko=company_rows["name_ko"],
        sector=np.array(company_rows["sector"], dtype=np.int8),
        target_countries=company_rows["targets"],
        export_countries=company_rows["exports"],
    )
    products = ProductTable(
        ids=np.arange(1, n_products + 1, dtype=np.int64),
        company=np.array(product_rows["company"], dtype=np.int32),
        hs_code=np.array(product_rows["hs"], dtype="<U6"),
        moq=np.array(product_rows["moq"], dtype=np.int64),
        certifications=np.array(product_rows["observed"], dtype=np.uint32),
        text=product_rows["text"],
        names_en=product_rows["name_en"],
        names_ko=product_rows["name_ko"],
    )

    # --- buyers: a hidden need, and the profile they fill in ---------------------------------------
    needs: list[BuyerNeed] = []
    buyer_rows: dict[str, list] = {
        k: [] for k in ("name", "country", "sectors", "hs", "requested", "required", "band", "verified", "text")
    }
    for index in range(n_buyers):
        country = countries[_weighted(rng, country_weights)]
        sector = _weighted(rng, country.sector_weights)
        vocabulary = SECTOR_VOCABULARIES[sector]
        primary = rng.choice(vocabulary.product_lines)
        lines = [primary]
        if rng.random() < CATEGORY_BUYER:
            same_heading = [
                line
                for line in vocabulary.product_lines
                if line is not primary and line.hs_code[:4] == primary.hs_code[:4]
            ]
            lines += rng.sample(same_heading, k=min(len(same_heading), rng.randint(1, 2)))
        required = set(_market_requirements(country.code, sector)) if rng.random() < MARKET_RULE_APPLIES else set()
        own_requirement = rng.random() < EXPLICIT_REQUIREMENT
        own = {rng.choice(list(vocabulary.certifications))} if own_requirement else set()
        need = BuyerNeed(
            sector=sector,
            lines=tuple(lines),
            country=country.code,
            required=frozenset(required | own),
            volume_band=_weighted(rng, VOLUME_BAND_WEIGHTS),
        )
        needs.append(need)

        # What the profile shows.
        sectors = {sector}
        if rng.random() < SECOND_SECTOR:
            sectors.add(_weighted(rng, country.sector_weights))
        hs_interest: list[str] = []
        if rng.random() >= NO_HS_CODES:
            level = _weighted(rng, HS_LEVEL)
            hs_interest += sorted({line.hs_code[:level] for line in lines})
        shown_lines = [line for code in sorted(sectors) for line in SECTOR_VOCABULARIES[code].product_lines]
        if rng.random() < DISTRACTOR_HS:
            hs_interest.append(rng.choice(shown_lines).hs_code)
        has_request = rng.random() < SOURCING_REQUEST[own_requirement]
        requested_line = rng.choice(lines)
        city, _ = rng.choice(country.cities)
        type_en, type_ko, channel = rng.choice(_BUYER_TYPES)
        name = f"{rng.choice(country.stems)} {rng.choice(vocabulary.buyer_words)} Trading {index + 1}"
        text = _buyer_text(
            rng,
            need=need,
            sectors=sorted(sectors),
            others=[line for line in shown_lines if line not in lines],
            city=city,
            type_en=type_en,
            type_ko=type_ko,
            channel=channel,
        )
        if has_request:
            quantity = _nice_moq(rng, requested_line.moq[0] * 2, requested_line.moq[1] * 10)
            text += (
                f" {requested_line.name_en} for {city} ({quantity:,} {requested_line.moq_unit})."
                f" {name} is sourcing {requested_line.name_en.lower()} (HS {requested_line.hs_code}) for {channel}."
                f" First order about {quantity:,} {requested_line.moq_unit}; private label welcome."
            )
        buyer_rows["name"].append(name)
        buyer_rows["country"].append(country.code)
        buyer_rows["sectors"].append(sum(1 << SECTOR_INDEX[code] for code in sectors))
        buyer_rows["hs"].append(tuple(hs_interest))
        buyer_rows["requested"].append((requested_line.hs_code,) if has_request else ())
        buyer_rows["required"].append(certification_mask(own) if has_request else 0)
        buyer_rows["band"].append(need.volume_band if rng.random() >= VOLUME_UNKNOWN else -1)
        buyer_rows["verified"].append(rng.random() < VERIFIED)
        buyer_rows["text"].append(text.lower())

    buyers = BuyerTable(
        ids=np.arange(1, n_buyers + 1, dtype=np.int64),
        names=buyer_rows["name"],
        country=np.array(buyer_rows["country"], dtype="<U2"),
        sectors=np.array(buyer_rows["sectors"], dtype=np.uint8),
        hs_interest=buyer_rows["hs"],
        hs_requested=buyer_rows["requested"],
        required_certifications=np.array(buyer_rows["required"], dtype=np.uint32),
        volume_band=np.array(buyer_rows["band"], dtype=np.int8),
        verified=np.array(buyer_rows["verified"], dtype=bool),
        text=buyer_rows["text"],
    )
    tables = Tables(products=products, companies=companies, buyers=buyers)
    truth = _planted_truth(
        needs,
        product_line=product_rows["line"],
        product_company=products.company,
        product_held=np.array(product_rows["held"], dtype=np.uint32),
        product_moq=products.moq,
        company_markets=company_markets,
    )
    return tables, truth


def _buyer_text(rng: random.Random, *, need: BuyerNeed, sectors, others, city, type_en, type_ko, channel) -> str:
    """The profile text: who the buyer is, its sectors, and (mostly) what it wants, in its words."""
    korean = rng.random() < KOREAN_TEXT
    vague = rng.random() < VAGUE_TEXT
    mentioned = [] if vague else [need.lines[0]] + [line for line in need.lines[1:] if rng.random() < 0.6]
    if korean:
        parts = [
            f"{city}의 {type_ko}입니다.",
            f"한국 {', '.join(_SECTOR_KO[s] for s in sectors)} 제품을 찾고 있습니다.",
        ]
        words = []
        for line in mentioned:
            _, korean_words = _keywords(line)
            words.append(rng.choice([line.name_ko, *korean_words]) if korean_words else line.name_ko)
        if words:
            parts.append(f"{', '.join(words)} 수입을 희망합니다.")
        return " ".join(parts)
    sector_words = " and ".join(f"Korean {SECTOR_VOCABULARIES[s].buyer_words[0].lower()}" for s in sectors)
    parts = [f"{type_en} in {city} supplying {channel}.", f"Looking for {sector_words} products."]
    words = []
    for line in mentioned:
        english_words, _ = _keywords(line)
        form = _weighted(rng, {"name": 0.45, "synonym": 0.35, "head noun": 0.20})
        if form == "synonym" and english_words:
            words.append(rng.choice(english_words))
        elif form == "head noun":
            words.append(" ".join(line.name_en.lower().split()[-2:]))
        else:
            words.append(line.name_en.lower())
    if words:
        parts.append(rng.choice(_NEED_PHRASES).format(" and ".join(words)))
    if others and rng.random() < OTHER_LINE_MENTIONED:
        parts.append(rng.choice(_OTHER_PHRASES).format(rng.choice(others).name_en.lower()))
    return " ".join(parts)


def _planted_truth(
    needs: list[BuyerNeed],
    *,
    product_line: list[ProductLine],
    product_company: np.ndarray,
    product_held: np.ndarray,
    product_moq: np.ndarray,
    company_markets: list[frozenset[str]],
) -> dict[int, frozenset[int]]:
    """Buyer row -> company rows with a product that fits the need on kind, market, certification
    and scale together (the same product on the last three: a certified cream does not make the
    company's uncertified serum importable)."""
    line_index: dict[int, int] = {}
    line_of = np.array([line_index.setdefault(id(line), len(line_index)) for line in product_line], dtype=np.int32)
    bucket = _moq_bucket(product_moq)
    serves: dict[str, np.ndarray] = {}
    truth: dict[int, frozenset[int]] = {}
    for row, need in enumerate(needs):
        if need.country not in serves:
            serves[need.country] = np.array([need.country in m for m in company_markets], dtype=bool)
        wanted = [line_index[id(line)] for line in need.lines if id(line) in line_index]
        required = np.uint32(certification_mask(need.required))
        fits = (
            np.isin(line_of, wanted)
            & ((product_held & required) == required)
            & (ScaleSignal.FIT[need.volume_band, bucket] >= SCALE_FITS)
            & serves[need.country][product_company]
        )
        truth[row] = frozenset(int(c) for c in np.unique(product_company[fits]))
    return truth
