"""The matcher's signals. Each is a small class behind one interface: it is fitted on the tables,
gives a value in [0, 1] for any (buyer, product) pair, and says in a phrase (English and Korean)
why a pair scored on it. A new signal (an embedding model, a trade-statistics prior) is a new
class added to `default_signals()`.

Signals that can *propose* candidates (`CandidateSignal`: text and HS codes) also expose sparse
product and buyer matrices whose row products give their value; the engine multiplies those
to find candidate pairs without ever building the dense buyers x products matrix. The other
signals are cheap table look-ups evaluated only on those candidates.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import sparse

from .tables import (
    CERTIFICATION_BIT,
    SECTOR_CODES,
    SECTOR_INDEX,
    Tables,
    certification_codes,
)
from .vocabulary import SIGNAL_LABELS

# Certifications a market expects for a sector, beyond what a buyer asks for itself:
# e.g. FDA for US medical devices, Halal for Malaysian food and beauty, CPNP for EU cosmetics.
EU = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}
HALAL_MARKETS = {"MY", "ID", "AE", "SA", "QA", "KW", "BH", "OM", "BN", "PK", "EG", "TR"}
MARKET_CERTIFICATIONS: dict[tuple[str, str], tuple[str, ...]] = {}
for _country in EU:
    MARKET_CERTIFICATIONS[(_country, "beauty")] = ("cpnp",)
    MARKET_CERTIFICATIONS[(_country, "medical")] = ("ce",)
    MARKET_CERTIFICATIONS[(_country, "it-ict")] = ("ce", "rohs")
    MARKET_CERTIFICATIONS[(_country, "household")] = ("ce",)
for _country in HALAL_MARKETS:
    MARKET_CERTIFICATIONS[(_country, "food")] = ("halal",)
    MARKET_CERTIFICATIONS[(_country, "beauty")] = ("halal",)
MARKET_CERTIFICATIONS.update(
    {
        ("US", "medical"): ("fda",),
        ("US", "food"): ("fda",),
        ("US", "beauty"): ("fda",),
        ("US", "it-ict"): ("fcc",),
        ("TH", "beauty"): ("thai-fda",),
        ("TH", "food"): ("thai-fda",),
        ("TH", "medical"): ("thai-fda",),
    }
)
# Countries near each other count a little for market fit (an SME in Thailand can reach Vietnam).
REGIONS = {
    "asean": {"TH", "MY", "VN", "ID", "SG", "PH", "KH", "LA", "MM", "BN"},
    "eu": EU,
    "north-america": {"US", "CA", "MX"},
    "gulf": {"AE", "SA", "QA", "KW", "BH", "OM"},
    "greater-china": {"CN", "HK", "TW", "MO"},
}
COUNTRY_REGION = {country: region for region, members in REGIONS.items() for country in members}


def _particle(word: str, with_batchim: str, without_batchim: str) -> str:
    """The Korean particle that fits `word`: 을/를, 이/가, 과/와 depend on a final consonant."""
    last = word.strip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        return with_batchim if (ord(last) - 0xAC00) % 28 else without_batchim
    return with_batchim  # Latin letters and digits: the common reading ends in a consonant


def _country_name(code: str, language: str) -> str:
    from django.utils import translation
    from django_countries import countries

    with translation.override(language):
        return str(countries.name(code)) or code


class Signal:
    name: ClassVar[str]
    label_en: ClassVar[str]
    label_ko: ClassVar[str]
    proposes_candidates: ClassVar[bool] = False
    # A generic reason (same sector, verified buyer) is named only when no specific one fills
    # the explanation.
    generic: ClassVar[bool] = False

    def fit(self, tables: Tables) -> None:
        """Fit on the catalogue side, then encode the buyers."""
        self.tables = tables
        self.fit_catalogue(tables)
        self.fit_buyers(tables.buyers)

    def fit_catalogue(self, tables: Tables) -> None:
        """Learn what depends on products and companies (vocabularies, look-up tables)."""

    def fit_buyers(self, buyers) -> None:
        """Encode the buyers; called again when only buyers changed (one buyer's profile edit)."""
        self.tables.buyers = buyers

    def pair_values(self, buyers: np.ndarray, products: np.ndarray, proposed: np.ndarray | None = None) -> np.ndarray:
        """Values in [0, 1] for the pairs (buyers[i], products[i]) (row indices into the tables).
        `proposed` carries the candidate matrices' product for candidate signals."""
        raise NotImplementedError

    def reason(self, buyer: int, product: int, value: float) -> tuple[str, str] | None:
        """Why this pair scored on this signal, as (English, Korean), or None."""
        return None


class CandidateSignal(Signal):
    proposes_candidates = True

    def product_matrix(self) -> sparse.csr_matrix:
        raise NotImplementedError

    def buyer_matrix(self, buyers: np.ndarray | None = None) -> sparse.csr_matrix:
        raise NotImplementedError

    def rowwise(self, buyers: np.ndarray, products: np.ndarray) -> np.ndarray:
        """The candidate matrices' product for given pairs, for the few pairs that did not come
        out of the engine's matrix product (pins, explanations)."""
        left = self.buyer_matrix(buyers)
        right = self.product_matrix()[products]
        return np.asarray(left.multiply(right).sum(axis=1), dtype=np.float32).ravel()


class TextSignal(CandidateSignal):
    """TF-IDF over character n-grams inside word boundaries (2-3 characters, as `char_wb`;
    computed by matching.text, which vectorises the n-gram hashing).

    Why characters, not words: Korean glues particles and compounds onto nouns (수분크림을,
    시카크림), so word tokens rarely match across documents while the syllable n-grams (크림,
    수분) do; for English the same n-grams give free stemming (cream/creams). Each product's
    and buyer's vector keeps only its `keep` strongest n-grams and is re-normalised, which
    bounds memory and keeps the matrix product sparse at a million products.
    """

    name = "text"
    label_en, label_ko = SIGNAL_LABELS["text"]

    def __init__(self, *, keep_product: int = 48, keep_buyer: int = 96, max_df: float = 0.2):
        self.keep_product = keep_product
        self.keep_buyer = keep_buyer
        self.max_df = max_df

    def fit_catalogue(self, tables: Tables) -> None:
        from .text import CharNgramTfidf

        # Document frequencies come from the catalogue: what is common among products is
        # what does not tell them apart.
        self.vectorizer = CharNgramTfidf(max_df=self.max_df)
        self._products = _keep_strongest(self.vectorizer.fit_transform(list(tables.products.text)), self.keep_product)

    def fit_buyers(self, buyers) -> None:
        super().fit_buyers(buyers)
        self._buyers = _keep_strongest(self.vectorizer.transform(list(buyers.text)), self.keep_buyer)

    def product_matrix(self) -> sparse.csr_matrix:
        return self._products

    def buyer_matrix(self, buyers=None) -> sparse.csr_matrix:
        return self._buyers if buyers is None else self._buyers[buyers]

    def pair_values(self, buyers, products, proposed=None):
        values = self.rowwise(buyers, products) if proposed is None else proposed
        return np.clip(values, 0.0, 1.0).astype(np.float32)

    def reason(self, buyer, product, value):
        if value < 0.08:
            return None
        return (
            "its product descriptions closely match the buyer's profile and requests",
            "제품 설명이 바이어의 프로필·구매 요청과 잘 맞습니다",
        )


def _keep_strongest(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Keep each row's `keep` largest entries, then L2-normalise the rows again."""
    from sklearn.preprocessing import normalize

    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    if lengths.max(initial=0) > keep:
        indptr, data, indices = matrix.indptr, matrix.data, matrix.indices
        keep_mask = np.ones(len(data), dtype=bool)
        for row in np.flatnonzero(lengths > keep):
            start, end = indptr[row], indptr[row + 1]
            weakest = np.argpartition(data[start:end], end - start - keep)[: end - start - keep]
            keep_mask[start + weakest] = False
        row_of = np.repeat(np.arange(matrix.shape[0]), lengths)
        matrix = sparse.csr_matrix(
            (data[keep_mask], (row_of[keep_mask], indices[keep_mask])), shape=matrix.shape, dtype=np.float32
        )
    return normalize(matrix, norm="l2", copy=False).astype(np.float32)


class HSCodeSignal(CandidateSignal):
    """The HS nomenclature's hierarchy: a product's subheading against the buyer's codes of
    interest and those in its open sourcing requests. Same subheading 1.0, same heading 0.7,
    same chapter 0.4; so a buyer interested in heading 3304 fits a product in 330499 better than
    one elsewhere in chapter 33.

    Encoding: the buyer's vector marks every chapter, heading and subheading it covers; the
    product's vector puts 0.4, 0.3 and 0.3 on its own chapter, heading and subheading, so the dot
    product is exactly the value above. Candidate proposal uses only the heading and subheading
    columns (a chapter is too broad to be a reason to propose a pair); the chapter part is added
    back by look-up when candidates are scored.
    """

    name = "hs"
    label_en, label_ko = SIGNAL_LABELS["hs"]
    CHAPTER, HEADING, SUBHEADING = 0.4, 0.3, 0.3

    def fit_catalogue(self, tables: Tables) -> None:
        codes = tables.products.hs_code
        features: dict[str, int] = {}

        def feature(key: str) -> int:
            return features.setdefault(key, len(features))

        self._chapter = np.array([int(c[:2]) if c[:2].isdigit() else 0 for c in codes], dtype=np.int16)
        heading_cols = np.array([feature("4:" + c[:4]) for c in codes], dtype=np.int32)
        sub_cols = np.array([feature("6:" + c) for c in codes], dtype=np.int32)
        self._features = features
        n = len(codes)
        rows = np.concatenate([np.arange(n), np.arange(n)])
        cols = np.concatenate([heading_cols, sub_cols])
        data = np.full(2 * n, self.HEADING, dtype=np.float32)
        self._products = sparse.csr_matrix((data, (rows, cols)), shape=(n, max(len(features), 1)), dtype=np.float32)

    def fit_buyers(self, buyers) -> None:
        super().fit_buyers(buyers)
        self._buyers, self._buyer_chapters = self._encode_buyers(range(len(buyers)))

    def _interests(self, buyer: int) -> tuple[str, ...]:
        b = self.tables.buyers
        return tuple(b.hs_interest[buyer]) + tuple(b.hs_requested[buyer])

    def _encode_buyers(self, buyers) -> tuple[sparse.csr_matrix, np.ndarray]:
        buyers = list(buyers)
        rows, cols = [], []
        chapters = np.zeros((len(buyers), 100), dtype=bool)
        for i, buyer in enumerate(buyers):
            for code in self._interests(buyer):
                if len(code) >= 2 and code[:2].isdigit():
                    chapters[i, int(code[:2])] = True
                for key in (("4:" + code[:4]) if len(code) >= 4 else None, ("6:" + code) if len(code) == 6 else None):
                    if key and key in self._features:
                        rows.append(i)
                        cols.append(self._features[key])
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(buyers), self._products.shape[1]),
            dtype=np.float32,
        )
        matrix.data[:] = 1.0  # duplicates summed by the constructor: a covered feature counts once
        return matrix, chapters

    def product_matrix(self):
        return self._products

    def buyer_matrix(self, buyers=None):
        return self._buyers if buyers is None else self._buyers[buyers]

    def pair_values(self, buyers, products, proposed=None):
        partial = self.rowwise(buyers, products) if proposed is None else proposed
        chapter = self._buyer_chapters[buyers, self._chapter[products]]
        return np.clip(partial + self.CHAPTER * chapter, 0.0, 1.0).astype(np.float32)

    def reason(self, buyer, product, value):
        if value <= 0:
            return None
        code = str(self.tables.products.hs_code[product])
        interests = self._interests(buyer)
        requested = self.tables.buyers.hs_requested[buyer]
        level = 6 if value >= 0.99 else 4 if value >= 0.69 else 2
        shown = code[:level]
        description = _hs_description(shown)
        via_request = any(code.startswith(r[:level]) or r.startswith(shown) for r in requested)
        target_en = "the buyer's sourcing request" if via_request else "the buyer's HS codes of interest"
        target_ko = "바이어의 구매 요청 품목과" if via_request else "바이어의 관심 HS 코드와"
        del interests
        what = f"HS {shown}{(' ' + description) if description else ''}"
        return (f"{what} matches {target_en}", f"HS {shown} 품목이 {target_ko} 일치합니다")


_HS_DESCRIPTIONS: dict[str, str] = {}


def _hs_description(code: str) -> str:
    """A short description of an HS code for explanations (cached; empty outside Django)."""
    if code not in _HS_DESCRIPTIONS:
        try:
            from catalog.models import HSCode

            text = HSCode.objects.filter(code=code).values_list("description", flat=True).first() or ""
        except Exception:  # noqa: BLE001 - explanations must not fail for lack of a description
            text = ""
        text = text.split(";")[0].strip()
        _HS_DESCRIPTIONS[code] = (text[:48].rsplit(" ", 1)[0] + "...") if len(text) > 50 else text.lower()
    return _HS_DESCRIPTIONS[code]


class SectorSignal(Signal):
    """The product's company is in one of the buyer's sectors."""

    name = "sector"
    generic = True
    label_en, label_ko = SIGNAL_LABELS["sector"]

    def fit_catalogue(self, tables):
        self._product_sector = tables.product_sector().astype(np.uint8)

    def pair_values(self, buyers, products, proposed=None):
        masks = self.tables.buyers.sectors[buyers]
        return ((masks >> self._product_sector[products]) & 1).astype(np.float32)

    def reason(self, buyer, product, value):
        if value <= 0:
            return None
        from catalog.reference_data import SECTORS

        code = SECTOR_CODES[self._product_sector[product]]
        en, ko = next((en, ko) for c, en, ko, _ in SECTORS if c == code)
        return (f"works in the buyer's sector ({en})", f"바이어의 관심 분야({ko})에 속합니다")


class MarketSignal(Signal):
    """The buyer's country among the SME's target countries (1.0) or countries it already
    exports to (0.8: proven, though not a stated goal); a neighbouring market counts 0.3."""

    name = "market"
    label_en, label_ko = SIGNAL_LABELS["market"]

    def fit_catalogue(self, tables):
        self._companies = tables.companies
        self._country_index: dict[str, int] = {}
        self._table = np.zeros((len(tables.companies), 0), dtype=np.float16)

    def _column(self, country: str) -> int:
        """The companies' fit with one country, computed the first time a buyer needs it."""
        if country not in self._country_index:
            companies = self._companies
            column = np.zeros(len(companies), dtype=np.float16)
            region = COUNTRY_REGION.get(country)
            for company in range(len(companies)):
                targets, exports = companies.target_countries[company], companies.export_countries[company]
                if country in targets:
                    column[company] = 1.0
                elif country in exports:
                    column[company] = 0.8
                elif region and any(COUNTRY_REGION.get(c) == region for c in targets | exports):
                    column[company] = 0.3
            self._table = np.column_stack([self._table, column]) if self._table.size else column[:, None]
            self._country_index[country] = len(self._country_index)
        return self._country_index[country]

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        self._buyer_column = np.array([self._column(str(c)) for c in buyers.country], dtype=np.int32)

    def pair_values(self, buyers, products, proposed=None):
        companies = self.tables.products.company[products]
        return self._table[companies, self._buyer_column[buyers]].astype(np.float32)

    def reason(self, buyer, product, value):
        if value <= 0:
            return None
        company = self.tables.products.company[product]
        country = str(self.tables.buyers.country[buyer])
        name_en, name_ko = _country_name(country, "en"), _country_name(country, "ko")
        if country in self.tables.companies.export_countries[company]:
            return (f"already exports to {name_en}", f"이미 {name_ko}에 수출하고 있습니다")
        if value >= 1.0:
            return (f"targets {name_en}", f"{name_ko}{_particle(name_ko, '을', '를')} 목표 시장으로 삼고 있습니다")
        return (f"exports to {name_en}'s neighbours", f"{name_ko} 인근 시장에 수출합니다")


class CertificationSignal(Signal):
    """Share of the certifications the buyer requires (in its open sourcing requests) and its
    market expects for the product's sector (MARKET_CERTIFICATIONS) that the product or its
    company holds. A pair with nothing required scores 0 here: no evidence either way."""

    name = "certification"
    label_en, label_ko = SIGNAL_LABELS["certification"]

    def fit_catalogue(self, tables):
        self._product_sector = tables.product_sector().astype(np.int64)

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        b = buyers
        required = np.zeros((len(b), len(SECTOR_CODES)), dtype=np.uint32)
        market = np.zeros((len(b), len(SECTOR_CODES)), dtype=np.uint32)
        for i in range(len(b)):
            for sector, s in SECTOR_INDEX.items():
                bits = 0
                for code in MARKET_CERTIFICATIONS.get((str(b.country[i]), sector), ()):
                    bits |= CERTIFICATION_BIT[code]
                market[i, s] = bits
                required[i, s] = bits | int(b.required_certifications[i])
        self._required, self._market = required, market

    def pair_values(self, buyers, products, proposed=None):
        required = self._required[buyers, self._product_sector[products]]
        held = self.tables.products.certifications[products]
        wanted = np.bitwise_count(required).astype(np.float32)
        got = np.bitwise_count(required & held).astype(np.float32)
        return np.divide(got, wanted, out=np.zeros_like(got), where=wanted > 0)

    def reason(self, buyer, product, value):
        if value <= 0:
            return None
        sector = self._product_sector[product]
        held = int(self.tables.products.certifications[product])
        matched = int(self._required[buyer, sector]) & held
        by_market = matched & int(self._market[buyer, sector])
        codes = certification_codes(matched)
        names = ", ".join(_certification_name(c) for c in codes)
        if by_market:
            country = str(self.tables.buyers.country[buyer])
            return (
                f"{names}-certified, which importers in {_country_name(country, 'en')} require",
                f"{_country_name(country, 'ko')} 수입에 필요한 {names} 인증을 보유했습니다",
            )
        return (f"{names}-certified, as the buyer requires", f"바이어가 요구하는 {names} 인증을 보유했습니다")


def _certification_name(code: str) -> str:
    from catalog.reference_data import CERTIFICATIONS

    return next((name for c, name, _ in CERTIFICATIONS if c == code), code)


class ScaleSignal(Signal):
    """The product's minimum order quantity against the buyer's annual import volume."""

    name = "scale"
    label_en, label_ko = SIGNAL_LABELS["scale"]
    MOQ_BUCKETS = np.array([100, 1_000, 10_000])  # <=100, <=1,000, <=10,000, more
    # rows: buyer volume band (lt100k, 100kto1m, 1to10m, gt10m, unknown); columns: MOQ bucket
    FIT = np.array(
        [
            [1.0, 0.8, 0.4, 0.1],
            [0.9, 1.0, 0.7, 0.3],
            [0.7, 0.9, 1.0, 0.7],
            [0.5, 0.8, 1.0, 1.0],
            [0.5, 0.5, 0.5, 0.5],
        ],
        dtype=np.float32,
    )

    def fit_catalogue(self, tables):
        self._bucket = np.searchsorted(self.MOQ_BUCKETS, tables.products.moq, side="left").astype(np.int8)

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        band = buyers.volume_band.astype(np.int16)
        self._band = np.where(band < 0, 4, band)

    def pair_values(self, buyers, products, proposed=None):
        return self.FIT[self._band[buyers], self._bucket[products]]

    def reason(self, buyer, product, value):
        if value < 0.9 or self._band[buyer] == 4:
            return None
        moq = int(self.tables.products.moq[product])
        return (
            f"its MOQ of {moq:,} suits the buyer's import volume",
            f"최소 주문 수량 {moq:,}개가 바이어의 수입 규모에 맞습니다",
        )


class VerificationSignal(Signal):
    """Verified buyers first: staff have vetted them as genuine."""

    name = "verification"
    generic = True
    label_en, label_ko = SIGNAL_LABELS["verification"]

    def pair_values(self, buyers, products, proposed=None):
        return self.tables.buyers.verified[buyers].astype(np.float32)

    def reason(self, buyer, product, value):
        return ("the buyer is verified by SBA", "SBA가 검증한 바이어입니다") if value > 0 else None


def default_signals() -> list[Signal]:
    return [
        TextSignal(),
        HSCodeSignal(),
        SectorSignal(),
        MarketSignal(),
        CertificationSignal(),
        ScaleSignal(),
        VerificationSignal(),
    ]


# Documented starting weights (docs/matching.md); they sum to 1 so a score is in [0, 1].
# Learned weights replace them once enough outcomes exist (matching.learning).
DEFAULT_WEIGHTS: dict[str, float] = {
    "text": 0.30,
    "hs": 0.25,
    "sector": 0.10,
    "market": 0.15,
    "certification": 0.10,
    "scale": 0.05,
    "verification": 0.05,
}
