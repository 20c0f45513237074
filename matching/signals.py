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

from abc import ABC, abstractmethod
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


class Signal(ABC):
    name: ClassVar[str]
    label_en: ClassVar[str]
    label_ko: ClassVar[str]
    proposes_candidates: ClassVar[bool] = False
    # A generic reason (same sector, verified buyer) is named only when no specific one fills
    # the explanation.
    generic: ClassVar[bool] = False
    # The value depends on the buyer only through its country (market fit): the engine then
    # orders each posting list for the buyers of one country by it.
    per_country: ClassVar[bool] = False

    def fit(self, tables: Tables) -> None:
        """Fit on the catalogue side, then encode the buyers."""
        self.tables = tables
        self.fit_catalogue(tables)
        self.fit_buyers(tables.buyers)

    def fit_catalogue(self, tables: Tables) -> None:
        """Learn what depends on products and companies (vocabularies, look-up tables).
        Optional: a signal that reads everything from the tables at scoring time needs nothing."""
        return None

    def fit_buyers(self, buyers) -> None:
        """Encode the buyers; called again when only buyers changed (one buyer's profile edit)."""
        self.tables.buyers = buyers

    @abstractmethod
    def pair_values(self, buyers: np.ndarray, products: np.ndarray, proposed: np.ndarray | None = None) -> np.ndarray:
        """Values in [0, 1] for the pairs (buyers[i], products[i]) (row indices into the tables).
        `proposed` carries the candidate matrices' product for candidate signals."""

    def company_bound(self, buyers: np.ndarray, companies: np.ndarray) -> np.ndarray | None:
        """For choosing candidate companies before any product is scored: for the pairs
        (buyers[i], companies[i]), a value at least that of any of the company's products (the
        value itself where it depends on the product only through its company), or None when
        the signal cannot say cheaply."""
        return None

    def reason(self, buyer: int, product: int, value: float) -> tuple[str, str] | None:
        """Why this pair scored on this signal, as (English, Korean), or None."""
        return None


class CandidateSignal(Signal):
    proposes_candidates = True

    @abstractmethod
    def product_matrix(self) -> sparse.csr_matrix:
        """Sparse product rows whose dot product with a buyer row proposes the pair."""

    @abstractmethod
    def buyer_matrix(self, buyers: np.ndarray | None = None) -> sparse.csr_matrix:
        """Sparse buyer rows (all buyers, or those given), in the same columns."""

    def rowwise(self, buyers: np.ndarray, products: np.ndarray) -> np.ndarray:
        """The candidate matrices' product for given pairs: the engine's exact re-scoring of its
        candidates, and pins and explanations."""
        return _rowwise_dot(self.buyer_matrix(), self.product_matrix(), buyers, products)


def _rowwise_dot(left: sparse.csr_matrix, right: sparse.csr_matrix, rows, others) -> np.ndarray:
    """left[rows[i]] . right[others[i]] for many pairs. Pairs are taken buyer by buyer: a group
    of left rows is scattered into a small dense block (cleared after; sized to stay in cache),
    and each pair's right row gathers from it, so the cost is that of reading the right rows once.
    Right rows of one fixed length (the text and HS product matrices) are read as a 2-D array."""
    rows = np.asarray(rows, dtype=np.int64)
    others = np.asarray(others, dtype=np.int64)
    out = np.zeros(len(rows), dtype=np.float32)
    if not len(rows) or not left.nnz or not right.nnz:
        return out
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    unique_rows = sorted_rows[starts]
    bounds = np.append(starts, len(rows))
    width = right.shape[1]
    r_width = int(right.indptr[1] - right.indptr[0])
    fixed = right.shape[0] > 0 and r_width > 0 and right.nnz == r_width * right.shape[0]
    if fixed and np.array_equal(right.indptr, np.arange(right.shape[0] + 1) * r_width):
        r_indices, r_data = right.indices.reshape(-1, r_width), right.data.reshape(-1, r_width)
    else:
        fixed = False
    group = max(1, min(len(unique_rows), (1 << 18) // max(width, 1)))
    block = np.zeros(group * width, dtype=np.float32)
    for g in range(0, len(unique_rows), group):
        members = unique_rows[g : g + group]
        member_rows = left[members]
        at = np.repeat(np.arange(len(members), dtype=np.int64) * width, np.diff(member_rows.indptr))
        at += member_rows.indices
        block[at] = member_rows.data
        pairs = order[bounds[g] : bounds[g + len(members)]]
        offset = np.repeat(np.arange(len(members), dtype=np.int64) * width, np.diff(bounds[g : g + len(members) + 1]))
        chosen = others[pairs]
        if fixed:
            index = r_indices[chosen]
            index += offset.astype(np.int32)[:, None]  # the block holds < 2^18 cells
            gathered = block[index]
            gathered *= r_data[chosen]
            out[pairs] = gathered.sum(axis=1)
        else:
            sub = right[chosen]
            products = block[np.repeat(offset, np.diff(sub.indptr)) + sub.indices] * sub.data
            sums = np.zeros(len(products) + 1, dtype=np.float64)
            np.cumsum(products, out=sums[1:])
            out[pairs] = sums[sub.indptr[1:]] - sums[sub.indptr[:-1]]
        block[at] = 0.0
    return out


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

    def __init__(self, *, keep_product: int = 48, keep_buyer: int = 96, max_df: float = 0.2, n_jobs: int = 1):
        self.keep_product = keep_product
        self.keep_buyer = keep_buyer
        self.max_df = max_df
        self.n_jobs = n_jobs  # threads for hashing texts; the Matcher sets its own

    def fit_catalogue(self, tables: Tables) -> None:
        from .text import CharNgramTfidf

        # Document frequencies come from the catalogue: what is common among products is
        # what does not tell them apart.
        self.vectorizer = CharNgramTfidf(max_df=self.max_df, n_jobs=self.n_jobs)
        products = self.vectorizer.fit_transform(list(tables.products.text), keep=self.keep_product)
        # Columns renumbered to the kept n-grams only, so the engine's dense per-buyer blocks
        # are as wide as the catalogue's vocabulary, not the 2^20 hash space.
        self._column_of = np.full(self.vectorizer.n_features, -1, dtype=np.int32)
        kept = np.flatnonzero(self.vectorizer.keep_columns)
        self._column_of[kept] = np.arange(len(kept), dtype=np.int32)
        self._products = self._compact(products, width=self.keep_product)

    def fit_buyers(self, buyers) -> None:
        super().fit_buyers(buyers)
        self.vectorizer.n_jobs = self.n_jobs
        self._buyers = self._compact(self.vectorizer.transform(list(buyers.text), keep=self.keep_buyer))

    def _compact(self, matrix: sparse.csr_matrix, *, width: int | None = None) -> sparse.csr_matrix:
        """Columns renumbered to the kept n-grams (every stored entry is in one). With `width`,
        rows shorter than that are padded with zeros in a last, empty column, so every row
        has the same length and exact re-scoring can read the rows as one 2-D array."""
        n_columns = int(self.vectorizer.keep_columns.sum()) + 1  # + the padding column
        indices = self._column_of[matrix.indices]
        data, indptr = matrix.data, matrix.indptr
        lengths = np.diff(indptr)
        if width is not None and len(lengths) and lengths.min() < width:
            width = max(width, int(lengths.max()))
            padded_indices = np.full((len(lengths), width), n_columns - 1, dtype=np.int32)
            padded_data = np.zeros((len(lengths), width), dtype=np.float32)
            present = np.arange(width) < lengths[:, None]
            padded_indices[present], padded_data[present] = indices, data
            indices, data = padded_indices.ravel(), padded_data.ravel()
            indptr = np.arange(len(lengths) + 1, dtype=np.int64) * width
        return sparse.csr_matrix((data, indices, indptr), shape=(matrix.shape[0], n_columns))

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
    from .text import _filter_entries, normalize_rows, strongest_per_row

    matrix = sparse.csr_matrix(matrix, dtype=np.float32, copy=True)
    mask = strongest_per_row(matrix.indptr, matrix.data, keep)
    if not mask.all():
        matrix = _filter_entries(matrix, mask)
    return normalize_rows(matrix)


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
        # Worked out once per distinct code (a few thousand at most), then spread to products.
        codes, inverse = np.unique(np.asarray(tables.products.hs_code, dtype="<U6"), return_inverse=True)
        inverse = inverse.ravel()
        features: dict[str, int] = {}

        def feature(key: str) -> int:
            return features.setdefault(key, len(features))

        chapter = np.array([int(c[:2]) if c[:2].isdigit() else 0 for c in codes], dtype=np.int16)
        heading = np.array([feature("4:" + c[:4]) for c in codes], dtype=np.int32)
        sub = np.array([feature("6:" + c) for c in codes], dtype=np.int32)
        self._features = features
        self._chapter = chapter[inverse] if len(codes) else np.zeros(0, dtype=np.int16)
        n = len(inverse)
        cols = np.empty((n, 2), dtype=np.int32)
        if n:
            cols[:, 0], cols[:, 1] = heading[inverse], sub[inverse]
        cols.sort(axis=1)
        data = np.full(2 * n, self.HEADING, dtype=np.float32)
        indptr = np.arange(0, 2 * n + 1, 2, dtype=np.int64)
        self._products = sparse.csr_matrix(
            (data, cols.ravel(), indptr), shape=(n, max(len(features), 1)), dtype=np.float32
        )

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

    def company_bound(self, buyers, companies):
        masks = self.tables.buyers.sectors[buyers]
        return ((masks >> self.tables.companies.sector[companies].astype(np.uint8)) & 1).astype(np.float32)

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
    per_country = True
    label_en, label_ko = SIGNAL_LABELS["market"]

    def fit_catalogue(self, tables):
        companies = tables.companies
        n = len(companies)
        named = sorted(
            {c for s in companies.target_countries for c in s} | {c for s in companies.export_countries for c in s}
        )
        self._country_position = {c: i for i, c in enumerate(named)}

        def incidence(sets) -> np.ndarray:
            matrix = np.zeros((n, len(named)), dtype=bool)
            rows = np.repeat(np.arange(n), [len(s) for s in sets])
            matrix[rows, [self._country_position[c] for s in sets for c in s]] = True
            return matrix

        self._targets = incidence(companies.target_countries)
        self._exports = incidence(companies.export_countries)
        regions = sorted(REGIONS)
        self._region_position = {r: i for i, r in enumerate(regions)}
        self._in_region = np.zeros((n, len(regions)), dtype=bool)
        for country, i in self._country_position.items():
            region = COUNTRY_REGION.get(country)
            if region:
                self._in_region[:, self._region_position[region]] |= self._targets[:, i] | self._exports[:, i]
        self._n_companies = n
        # Country -> the companies' fit with it, computed the first time a buyer needs it. Keyed
        # by country, so a copy of this signal fitted on other buyers can share it.
        self._columns: dict[str, np.ndarray] = {}

    def _column(self, country: str) -> np.ndarray:
        column = self._columns.get(country)
        if column is None:
            column = np.zeros(self._n_companies, dtype=np.float16)
            region = COUNTRY_REGION.get(country)
            if region:
                column[self._in_region[:, self._region_position[region]]] = 0.3
            position = self._country_position.get(country)
            if position is not None:
                column[self._exports[:, position]] = 0.8
                column[self._targets[:, position]] = 1.0
            self._columns[country] = column
        return column

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        countries, inverse = np.unique(np.asarray(buyers.country, dtype="<U2"), return_inverse=True)
        # float32 copies of the float16 columns: the same values, cheaper to gather.
        self._table = np.zeros((self._n_companies, len(countries)), dtype=np.float32)
        for i, country in enumerate(countries):
            self._table[:, i] = self._column(str(country))
        self._buyer_column = inverse.ravel().astype(np.int32)

    def pair_values(self, buyers, products, proposed=None):
        companies = self.tables.products.company[products]
        return self._table.ravel()[companies * self._table.shape[1] + self._buyer_column[buyers]]

    def company_bound(self, buyers, companies):
        return self._table.ravel()[
            np.asarray(companies, dtype=np.int64) * self._table.shape[1] + self._buyer_column[buyers]
        ]

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
        # What any of a company's products holds bounds each product's share from above.
        # Companies fall into few classes of (sector, certifications held), so a buyer's bounds
        # are a row of a small table (built in fit_buyers).
        held = np.zeros(len(tables.companies), dtype=np.uint32)
        np.bitwise_or.at(held, tables.products.company, tables.products.certifications.astype(np.uint32))
        key = tables.companies.sector.astype(np.uint64) << np.uint64(32) | held.astype(np.uint64)
        classes, company_class = np.unique(key, return_inverse=True)
        self._company_class = company_class.ravel().astype(np.int64)
        self._class_sector = (classes >> np.uint64(32)).astype(np.int64)
        self._class_held = (classes & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        countries, inverse = np.unique(np.asarray(buyers.country, dtype="<U2"), return_inverse=True)
        by_country = np.zeros((len(countries), len(SECTOR_CODES)), dtype=np.uint32)
        for i, country in enumerate(countries):
            for sector, s in SECTOR_INDEX.items():
                for code in MARKET_CERTIFICATIONS.get((str(country), sector), ()):
                    by_country[i, s] |= CERTIFICATION_BIT[code]
        market = by_country[inverse.ravel()]
        required = market | np.asarray(buyers.required_certifications, dtype=np.uint32)[:, None]
        self._required, self._market = required, market
        # Buyers share few distinct rows of requirements: their bound table is rows x classes.
        rows, row_of = np.unique(required, axis=0, return_inverse=True) if len(required) else (required, np.zeros(0))
        self._required_row = row_of.ravel().astype(np.int64)
        self._bound_table = _share(rows[:, self._class_sector], self._class_held[None, :]).astype(np.float32)

    def pair_values(self, buyers, products, proposed=None):
        required = self._required[buyers, self._product_sector[products]]
        held = self.tables.products.certifications[products]
        return _share(required, held)

    def company_bound(self, buyers, companies):
        width = self._bound_table.shape[1]
        return self._bound_table.ravel()[self._required_row[buyers] * width + self._company_class[companies]]

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


def _share(required: np.ndarray, held: np.ndarray) -> np.ndarray:
    wanted = np.bitwise_count(required).astype(np.float32)
    got = np.bitwise_count(required & held).astype(np.float32)
    return np.divide(got, wanted, out=np.zeros_like(got), where=wanted > 0)


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
        # Each company's best fit for each buyer band over its products' MOQ buckets.
        present = np.zeros((len(tables.companies), self.FIT.shape[1]), dtype=bool)
        present[tables.products.company, self._bucket] = True
        self._company_fit = np.where(present[:, None, :], self.FIT[None, :, :], 0.0).max(axis=2).astype(np.float32)

    def fit_buyers(self, buyers):
        super().fit_buyers(buyers)
        band = buyers.volume_band.astype(np.int16)
        self._band = np.where(band < 0, 4, band)

    def pair_values(self, buyers, products, proposed=None):
        return self.FIT[self._band[buyers], self._bucket[products]]

    def company_bound(self, buyers, companies):
        width = self._company_fit.shape[1]
        return self._company_fit.ravel()[np.asarray(companies, dtype=np.int64) * width + self._band[buyers]]

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

    def company_bound(self, buyers, companies):
        # The same for every company: it cannot change which companies are a buyer's best.
        return None

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
