"""The matching engine: ranks SME-buyer pairings from the signals, in both directions, without
ever materialising the dense buyers x products score matrix.

How a full recompute runs (candidate mode):
1. Units: a company's products in one HS subheading (a product line and its variants). Each
   candidate signal's (text, HS) unit row holds, per feature, the largest value among the
   unit's products, so a buyer's product with it bounds every one of those products from above.
2. Buyers are taken one country at a time. For a country, each feature's postings are cut to
   the `posting_limit` units with the best feature value plus market fit with that country, so
   the work per buyer stays bounded whatever the catalogue's size (without the cut, a common
   n-gram such as "크림" would make every buyer's row cover half the catalogue) and what is cut
   is what that market would rank low anyway.
3. In chunks of buyers: each buyer's `proposal_features` strongest features times the cut
   postings propose units (one sparse product); a cheap sampled cut keeps about 1.5 x
   `shortlist` per buyer, the other signals' per-company bounds (sector, certifications held,
   MOQ fit) are added, and the `candidates` best units are kept.
4. All products of those units' companies are scored exactly on every signal (text and HS from
   the full vectors), so a returned pair's score is the company's true best with that buyer.
   Products roll up to companies (best product, and the best few to show); each buyer keeps
   its top k, and a running pool keeps each company's top k buyers.
Small jobs (today's real scale, one changed buyer) are scored exhaustively instead: a dense
block of every pair per chunk, company maxima by a reduction over products grouped by company.
Chunks can run on `n_jobs` threads (SciPy's sparse products and much of NumPy release the GIL).
Memory is bounded by the chunk size and the (buyers + companies) x k result, not by
buyers x products.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .signals import DEFAULT_WEIGHTS, CandidateSignal, Signal, default_signals
from .tables import Tables
from .text import _filter_entries, shortlist_per_row, strongest_per_row


@dataclass
class MatchResult:
    """Pairings as parallel arrays (row indices into the tables the matcher was fitted on)."""

    signal_names: list[str]
    weights: np.ndarray
    buyer: np.ndarray  # int32
    company: np.ndarray  # int32
    score: np.ndarray  # float32
    values: np.ndarray  # float32 (n, signals): each signal's value in [0, 1] for the pair's best product
    products: np.ndarray  # int32 (n, products_per_pairing), -1 padded, best first
    rank_for_buyer: np.ndarray  # int16, 1-based; 0 when the pair is not in the buyer's top k
    rank_for_company: np.ndarray  # int16, 1-based; 0 when not in the company's top k

    def __len__(self) -> int:
        return len(self.buyer)

    @property
    def contributions(self) -> np.ndarray:
        return self.values * self.weights


class Matcher:
    def __init__(
        self,
        signals: list[Signal] | None = None,
        weights: dict[str, float] | None = None,
        *,
        top_k: int = 20,
        candidates: int = 40,
        exhaustive_pairs: int = 20_000_000,
        chunk_pairs: int = 4_000_000,
        products_per_pairing: int = 3,
        proposal_features: int | None = 16,
        posting_limit: int | None = 500,
        shortlist: int | None = 300,
        n_jobs: int = 1,
    ):
        self.signals = signals if signals is not None else default_signals()
        weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.weights = np.array([float(weights.get(s.name, 0.0)) for s in self.signals], dtype=np.float32)
        self.top_k = top_k
        self.candidates = candidates
        self.exhaustive_pairs = exhaustive_pairs
        self.chunk_pairs = chunk_pairs
        self.products_per_pairing = products_per_pairing
        self.proposal_features = proposal_features
        self.posting_limit = posting_limit
        self.shortlist = shortlist
        self.n_jobs = max(1, int(n_jobs))

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def fit(self, tables: Tables) -> Matcher:
        self.tables = tables
        for signal in self.signals:
            if hasattr(signal, "n_jobs"):  # signals that can fit on threads (text hashing)
                signal.n_jobs = self.n_jobs
            signal.fit(tables)
        self._fit_catalogue()
        self._fit_buyers()
        return self

    def replace_buyers(self, buyers) -> Matcher:
        """Re-encode only the buyers (a profile edit): the catalogue side stays fitted."""
        self.tables.buyers = buyers
        for signal in self.signals:
            signal.fit_buyers(buyers)
        self._fit_buyers()
        return self

    def rank_profiles(self, buyers, *, product_mask: np.ndarray | None = None, exhaustive: bool = True) -> MatchResult:
        """Rank buyers given as a table of their own (a profile just edited, a new sign-up)
        against the fitted catalogue, without re-encoding the fitted buyers: the fast path for
        re-scoring one changed buyer. Buyer rows in the result index `buyers`. Only the buyers'
        own top k are returned: a company's ranking needs every buyer, so rank_for_company is 0."""
        view = copy.copy(self)
        view.tables = Tables(products=self.tables.products, companies=self.tables.companies, buyers=buyers)
        # Shallow copies share the fitted catalogue side; fit_buyers rebinds only buyer state.
        view.signals = [copy.copy(signal) for signal in self.signals]
        for signal in view.signals:
            signal.tables = view.tables
            signal.fit_buyers(buyers)
        view._candidate_signals = [(j, view.signals[j]) for j, _ in self._candidate_signals]
        view._fit_buyers()
        return view._rank(None, product_mask, exhaustive, company_side=False)

    def _fit_catalogue(self) -> None:
        products = self.tables.products
        self._candidate_signals = [
            (j, s) for j, s in enumerate(self.signals) if isinstance(s, CandidateSignal) and self.weights[j] > 0
        ]
        # Candidate units: a company's products in one HS subheading (a product line and its
        # variants, mostly). Units are numbered by (company, code), so products grouped by unit
        # are grouped by company too: unit u's products are _by_unit[_unit_start[u]:_unit_start[u + 1]].
        codes, code_of = np.unique(np.asarray(products.hs_code), return_inverse=True)
        unit_key = products.company.astype(np.int64) * max(len(codes), 1) + code_of.ravel()
        unit_keys, unit_of = np.unique(unit_key, return_inverse=True)
        self._unit_of = unit_of.ravel()
        self._unit_company = unit_keys // max(len(codes), 1)
        self._by_unit = np.argsort(self._unit_of, kind="stable").astype(np.int64)
        self._unit_start = np.zeros(len(unit_keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._unit_of, minlength=len(unit_keys)), out=self._unit_start[1:])
        self._by_company = self._by_unit
        self._company_start = np.zeros(len(self.tables.companies) + 1, dtype=np.int64)
        np.cumsum(np.bincount(products.company, minlength=len(self.tables.companies)), out=self._company_start[1:])
        # Features x products for exhaustive scoring, built on first use (a full recompute at
        # scale never needs them) into a dict that copies made by rank_profiles share.
        self._product_t: dict[int, sparse.csr_matrix] = {}
        # Proposals are made per unit: a unit's row holds, for each feature, the largest value
        # among its products, so its product with a buyer bounds each of its products' from
        # above (fewer entries to sort than products), and the other signals' per-company
        # bounds (market, sector, certifications held, MOQ) can join in before any product is
        # scored. When ranking, each feature's postings are cut to its `posting_limit` best
        # units for the buyers at hand (_segment_postings); equal values are cut in a fixed
        # pseudo-random order, not by id.
        n_units = len(unit_keys)
        spread = (np.arange(n_units, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)
        self._jitter = (1e-6 * spread / float(1 << 32)).astype(np.float32)
        parts = []
        for j, signal in self._candidate_signals:
            postings = _group_maxima(signal.product_matrix(), self._by_unit, self._unit_start).T.tocsr()
            postings.data *= self.weights[j]
            parts.append(postings)
        self._unit_postings = sparse.vstack(parts, format="csr", dtype=np.float32) if parts else None

    def _transposed(self) -> dict[int, sparse.csr_matrix]:
        """Each candidate signal's products matrix transposed (features x products)."""
        for j, signal in self._candidate_signals:
            if j not in self._product_t:
                self._product_t[j] = signal.product_matrix().T.tocsr().astype(np.float32)
        return self._product_t

    def _fit_buyers(self) -> None:
        """Each buyer's proposal row: its strongest features of every candidate signal."""
        parts = []
        for _, signal in self._candidate_signals:
            rows = sparse.csr_matrix(signal.buyer_matrix(), dtype=np.float32, copy=True)
            if self.proposal_features:
                keep = strongest_per_row(rows.indptr, rows.data, self.proposal_features)
                if not keep.all():
                    rows = _filter_entries(rows, keep)
            parts.append(rows)
        self._proposers = sparse.hstack(parts, format="csr", dtype=np.float32) if parts else None

    # --- scoring ----------------------------------------------------------------------------

    def exhaustive(self, n_buyers: int) -> bool:
        return n_buyers * len(self.tables.products) <= self.exhaustive_pairs

    def score_pairs(self, buyers: np.ndarray, products: np.ndarray) -> np.ndarray:
        """Each signal's value for explicit pairs (pins, explanations, candidates). Shape (n, signals)."""
        buyers = np.asarray(buyers, dtype=np.int64)
        products = np.asarray(products, dtype=np.int64)
        values = np.zeros((len(buyers), len(self.signals)), dtype=np.float32)
        for j, signal in enumerate(self.signals):
            values[:, j] = signal.pair_values(buyers, products)
        return values

    def rank(
        self,
        buyers: np.ndarray | None = None,
        *,
        product_mask: np.ndarray | None = None,
        exhaustive: bool | None = None,
    ) -> MatchResult:
        """Top-k companies for each buyer and top-k buyers for each company (among `buyers`),
        with each pair's signal values and best products."""
        return self._rank(buyers, product_mask, exhaustive, company_side=True)

    def _rank(self, buyers, product_mask, exhaustive, *, company_side: bool) -> MatchResult:
        tables = self.tables
        buyers = np.arange(len(tables.buyers)) if buyers is None else np.asarray(buyers, dtype=np.int64)
        exhaustive = self.exhaustive(len(buyers)) if exhaustive is None else exhaustive
        # With no weighted candidate signal (text and HS at weight 0, as learned weights can be)
        # nothing proposes candidates, so every pair is scored.
        exhaustive = exhaustive or not self._candidate_signals
        products = self._by_company
        if product_mask is not None:
            products = products[np.asarray(product_mask, dtype=bool)[products]]
        if not len(buyers) or not len(products):
            return self._merge([], None)
        buyer_parts, pool = [], _CompanyPool(self.top_k if company_side else 0, len(tables.companies))
        if exhaustive:
            size = max(1, min(len(buyers), self.chunk_pairs // len(products)))
            segments = [(buyers, self._exhaustive_chunk(products))]
        else:
            # About proposal_features x posting_limit / 2 units proposed per buyer.
            per_buyer = (self.proposal_features or 96) * (self.posting_limit or 2000) // 2
            size = max(1, min(len(buyers), self.chunk_pairs // max(per_buyer, 1)))
            segments = self._segments(buyers, product_mask)
        for rows, score_chunk in segments:
            chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
            for buyer_part, pool_part in self._map(score_chunk, chunks):
                buyer_parts.append(buyer_part)
                pool.add(pool_part)
        pool = pool.result()
        if exhaustive:
            buyer_parts, pool = self._best_products(buyer_parts, pool, products)
        return self._merge(buyer_parts, pool)

    def _segments(self, buyers: np.ndarray, product_mask: np.ndarray | None) -> Iterator:
        """Buyers in groups that share their postings: one group per country when a signal
        depends on the buyer's country alone (market fit), so each posting list is cut to the
        units that fit that market best; else one group."""
        per_country = [(j, s) for j, s in enumerate(self.signals) if s.per_country and self.weights[j] > 0]
        if per_country:
            country = np.asarray(self.tables.buyers.country)[buyers]
            order = np.argsort(country, kind="stable")
            buyers, country = buyers[order], country[order]
            starts = np.flatnonzero(np.r_[True, country[1:] != country[:-1]])
        else:
            starts = np.zeros(1, dtype=np.int64)
        bounds = np.append(starts, len(buyers))
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            rows = buyers[start:stop]
            prior = np.zeros(len(self._unit_company), dtype=np.float32)
            for j, signal in per_country:
                representative = np.full(len(self._unit_company), rows[0], dtype=np.int64)
                prior += self.weights[j] * signal.company_bound(representative, self._unit_company)
            # Only the features these buyers propose with need their postings cut (a few
            # thousand of the catalogue's tens of thousands).
            proposers = self._proposers[rows]
            used = np.unique(proposers.indices)
            proposers = sparse.csr_matrix(
                (proposers.data, np.searchsorted(used, proposers.indices).astype(np.int32), proposers.indptr),
                shape=(len(rows), len(used)),
            )
            postings = self._segment_postings(self._unit_postings[used], prior)
            position = np.full(len(self.tables.buyers), -1, dtype=np.int64)
            position[rows] = np.arange(len(rows))
            yield (
                rows,
                self._candidate_chunk(product_mask, proposers, position, postings, prior, [j for j, _ in per_country]),
            )

    def _segment_postings(self, postings: sparse.csr_matrix, prior: np.ndarray) -> sparse.csr_matrix:
        """Each feature's postings cut to its `posting_limit` best units by the feature's value
        plus the segment's prior (market fit with the segment's country)."""
        if not self.posting_limit:
            return postings
        key = postings.data + prior[postings.indices] + self._jitter[postings.indices]
        keep = strongest_per_row(postings.indptr, key, self.posting_limit)
        return _filter_entries(postings, keep) if not keep.all() else postings

    def _map(self, function: Callable, chunks: list) -> Iterator:
        """function(chunk) for each chunk, in order; on `n_jobs` threads, a few chunks ahead."""
        if self.n_jobs == 1 or len(chunks) == 1:
            yield from map(function, chunks)
            return
        with ThreadPoolExecutor(self.n_jobs) as executor:
            pending = [executor.submit(function, chunk) for chunk in chunks[: 2 * self.n_jobs]]
            for i in range(len(chunks)):
                result = pending[i].result()
                pending[i] = None  # let the chunk's arrays go once consumed
                if i + 2 * self.n_jobs < len(chunks):
                    pending.append(executor.submit(function, chunks[i + 2 * self.n_jobs]))
                yield result

    def _candidate_chunk(
        self,
        product_mask: np.ndarray | None,
        proposers: sparse.csr_matrix,
        position: np.ndarray,
        postings: sparse.csr_matrix,
        prior: np.ndarray,
        in_prior: list[int],
    ) -> Callable:
        """Scores a chunk of a segment's buyers: `proposers` are the segment's proposal rows
        (row position[b] for buyer b) over the columns of `postings`."""
        k, per = self.top_k, self.products_per_pairing
        company_of, by_unit, unit_start = self.tables.products.company, self._by_unit, self._unit_start
        company_start = self._company_start
        unit_company = self._unit_company
        bounded = [
            (j, s)
            for j, s in enumerate(self.signals)
            if self.weights[j] > 0 and not isinstance(s, CandidateSignal) and j not in in_prior
        ]
        allowed = None
        if product_mask is not None:
            product_mask = np.asarray(product_mask, dtype=bool)
            allowed = np.bincount(self._unit_of[product_mask], minlength=len(unit_start) - 1) > 0

        def score(rows: np.ndarray):
            # 1. Candidate units. First about 1.5 x `shortlist` per buyer by proposal plus the
            # segment's prior (market fit), a cut read off a sample of each row, then its
            # `candidates` best with the other signals' bounds too (sector, certifications
            # held, MOQ fit).
            proposals = proposers[position[rows]] @ postings
            indptr, units, proposal = proposals.indptr, proposals.indices, proposals.data
            del proposals
            proposal += prior[units]
            if allowed is not None:
                proposal = np.where(allowed[units], proposal, -np.inf)
            if self.shortlist and self.shortlist > self.candidates:
                keep = shortlist_per_row(indptr, proposal, self.shortlist)
                indptr = _kept_indptr(indptr, keep)
                units, proposal = units[keep], proposal[keep]
            local = np.repeat(np.arange(len(rows)), np.diff(indptr))
            selection = proposal
            buyers_of_entry, companies = rows[local], unit_company[units]
            for j, signal in bounded:
                bound = signal.company_bound(buyers_of_entry, companies)
                if bound is not None:
                    selection += self.weights[j] * bound
            keep = strongest_per_row(indptr, selection, self.candidates)
            if allowed is not None:
                keep &= np.isfinite(selection)
            local, units = local[keep], units[keep]
            del selection, keep, buyers_of_entry, companies
            # 2. Their companies' products, scored exactly on every signal: a company's score
            # with a buyer is its best product's, whichever unit proposed it.
            n_companies = len(company_start) - 1
            key = np.unique(local.astype(np.int64) * n_companies + unit_company[units])
            local, companies = key // n_companies, key % n_companies
            lengths = company_start[companies + 1] - company_start[companies]
            pair_local = np.repeat(local, lengths)
            offset = np.arange(len(pair_local)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            products = by_unit[np.repeat(company_start[companies], lengths) + offset]
            if product_mask is not None:
                masked = product_mask[products]
                pair_local, products = pair_local[masked], products[masked]
            values = self.score_pairs(rows[pair_local], products)
            scores = values @ self.weights
            # 3. Roll up to companies; the buyer's top k, and the chunk's candidates for each
            # company's top k.
            g_rows, g_company, g_score, g_values, g_products = _roll_up(
                pair_local, company_of[products], products, scores, values, per
            )
            g_buyer = rows[g_rows].astype(np.int32)
            rank = _rank_within(g_rows, g_score)
            top = rank <= k
            buyer_part = (g_buyer[top], g_company[top], g_score[top], g_values[top], g_products[top], rank[top])
            in_pool = _rank_within(g_company, g_score) <= k
            pool_part = (g_buyer[in_pool], g_company[in_pool], g_score[in_pool], g_values[in_pool], g_products[in_pool])
            return buyer_part, pool_part

        return score

    def _exhaustive_chunk(self, products: np.ndarray) -> Callable:
        """Every pair of a chunk of buyers with `products` (grouped by company): a dense block of
        scores, company maxima by reduction; values and best products are filled in later, for
        the pairs that make a top k only."""
        k = self.top_k
        company_of = self.tables.products.company
        starts = np.flatnonzero(np.r_[True, company_of[products[1:]] != company_of[products[:-1]]])
        group_company = company_of[products[starts]].astype(np.int32)
        n_groups = len(starts)
        if len(products) < len(company_of):  # a product mask: multiply by its columns only
            product_t = {j: matrix[:, products].tocsr() for j, matrix in self._transposed().items()}
        else:
            product_t = self._transposed()

        def score(rows: np.ndarray):
            total = np.zeros((len(rows), len(products)), dtype=np.float32)
            flat_buyers = np.repeat(rows, len(products))
            flat_products = np.tile(products, len(rows))
            for j, signal in enumerate(self.signals):
                if self.weights[j] == 0:
                    continue
                proposed = None
                if j in product_t:
                    block = (signal.buyer_matrix(rows) @ product_t[j]).toarray()
                    proposed = (block if len(products) < len(company_of) else block[:, products]).ravel()
                values = signal.pair_values(flat_buyers, flat_products, proposed)
                total += self.weights[j] * values.reshape(total.shape)
            del flat_buyers, flat_products
            best = np.maximum.reduceat(total, starts, axis=1)  # (rows, companies with products)
            del total
            # Each buyer's top k companies, ranked.
            kb = min(k, n_groups)
            top = _top_along_rows(best, kb)
            top_score = np.take_along_axis(best, top, axis=1)
            order = np.lexsort((top, -top_score), axis=1)  # best first; ties by company
            top, top_score = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_score, order, axis=1)
            buyer_part = (
                np.repeat(rows, kb).astype(np.int32),
                group_company[top.ravel()],
                top_score.ravel(),
                None,
                None,
                np.tile(np.arange(1, kb + 1), len(rows)),
            )
            # Each company's top k buyers within the chunk, for the running pool.
            kc = min(k, len(rows))
            pick = _top_along_rows(best.T, kc).T
            pool_part = (
                rows[pick.ravel()].astype(np.int32),
                np.tile(group_company, kc),
                np.take_along_axis(best, pick, axis=0).ravel(),
                None,
                None,
            )
            return buyer_part, pool_part

        return score

    def _best_products(self, buyer_parts, pool, products: np.ndarray):
        """Values and best products for the pairs an exhaustive ranking kept: each pair's
        company's products scored exactly, best first."""
        parts = [_concat(buyer_parts)]
        buyer = np.concatenate([parts[0][0], pool[0]])
        company = np.concatenate([parts[0][1], pool[1]])
        # Pairs listed twice (in a buyer's and in a company's top k) are scored once.
        key = buyer.astype(np.int64) * (len(self.tables.companies) + 1) + company
        unique_key, inverse = np.unique(key, return_inverse=True)
        u_buyer = (unique_key // (len(self.tables.companies) + 1)).astype(np.int64)
        u_company = (unique_key % (len(self.tables.companies) + 1)).astype(np.int64)
        company_of = self.tables.products.company
        starts = np.flatnonzero(np.r_[True, company_of[products[1:]] != company_of[products[:-1]]])
        lengths = np.diff(np.append(starts, len(products)))
        group_of = np.full(len(self.tables.companies), -1, dtype=np.int64)
        group_of[company_of[products[starts]]] = np.arange(len(starts))
        group = group_of[u_company]
        pair_lengths = lengths[group]
        pair_of_entry = np.repeat(np.arange(len(unique_key)), pair_lengths)
        offset = np.arange(len(pair_of_entry)) - np.repeat(np.cumsum(pair_lengths) - pair_lengths, pair_lengths)
        entry_products = products[starts[group][pair_of_entry] + offset]
        values = self.score_pairs(u_buyer[pair_of_entry], entry_products)
        scores = values @ self.weights
        _, _, best_score, best_values, best_products = _roll_up(
            pair_of_entry,
            np.zeros(len(pair_of_entry), dtype=np.int64),
            entry_products,
            scores,
            values,
            self.products_per_pairing,
        )
        n_buyer = len(parts[0][0])
        b_index, p_index = inverse[:n_buyer], inverse[n_buyer:]
        b = parts[0]
        buyer_parts = [(b[0], b[1], best_score[b_index], best_values[b_index], best_products[b_index], b[5])]
        pool = (pool[0], pool[1], best_score[p_index], best_values[p_index], best_products[p_index])
        return buyer_parts, pool

    def _merge(self, buyer_parts, pool) -> MatchResult:
        names, per = self.signal_names, self.products_per_pairing
        if not buyer_parts:
            empty = np.zeros(0, dtype=np.int32)
            return MatchResult(
                names,
                self.weights,
                empty,
                empty,
                np.zeros(0, np.float32),
                np.zeros((0, len(names)), np.float32),
                np.zeros((0, per), np.int32),
                np.zeros(0, np.int16),
                np.zeros(0, np.int16),
            )
        b = tuple(np.concatenate(parts) for parts in zip(*buyer_parts, strict=True))
        company_rank = _rank_within(pool[1], pool[2])
        buyer_ids = np.concatenate([b[0], pool[0]])
        company_ids = np.concatenate([b[1], pool[1]])
        scores = np.concatenate([b[2], pool[2]])
        values = np.concatenate([b[3], pool[3]])
        products = np.concatenate([b[4], pool[4]])
        rank_b = np.concatenate([b[5], np.zeros(len(pool[0]), np.int64)])
        rank_c = np.concatenate([np.zeros(len(b[0]), np.int64), company_rank])
        key = buyer_ids.astype(np.int64) * (len(self.tables.companies) + 1) + company_ids
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        group = np.cumsum(first) - 1
        merged_rank_b = np.zeros(first.sum(), dtype=np.int64)
        merged_rank_c = np.zeros(first.sum(), dtype=np.int64)
        np.maximum.at(merged_rank_b, group, rank_b[order])
        np.maximum.at(merged_rank_c, group, rank_c[order])
        pick = order[first]
        return MatchResult(
            signal_names=names,
            weights=self.weights,
            buyer=buyer_ids[pick].astype(np.int32),
            company=company_ids[pick].astype(np.int32),
            score=scores[pick].astype(np.float32),
            values=values[pick],
            products=products[pick],
            rank_for_buyer=merged_rank_b.astype(np.int16),
            rank_for_company=merged_rank_c.astype(np.int16),
        )

    # --- explanations -----------------------------------------------------------------------

    def explain(self, buyer: int, product: int, values: np.ndarray, *, limit: int = 4) -> tuple[str, str]:
        """A short explanation naming the signals that carried the score, strongest first."""
        contributions = values * self.weights
        total = float(contributions.sum()) or 1.0
        # Specific reasons (an HS code, a market, a certification) before generic ones (same
        # sector, verified buyer), each group strongest first.
        order = sorted(range(len(self.signals)), key=lambda j: (self.signals[j].generic, -contributions[j]))
        reasons_en, reasons_ko = [], []
        for j in order:
            if contributions[j] <= 0 or contributions[j] < 0.1 * total:
                continue
            reason = self.signals[j].reason(int(buyer), int(product), float(values[j]))
            if reason:
                reasons_en.append(reason[0])
                reasons_ko.append(reason[1])
            if len(reasons_en) == limit:
                break
        if not reasons_en:
            return ("weak fit: no strong shared signal", "약한 적합도: 뚜렷한 공통점이 없습니다")
        english = "; ".join(reasons_en)
        return (english[0].upper() + english[1:], "; ".join(reasons_ko))


# --- vectorised helpers ---------------------------------------------------------------------


def _top_along_rows(matrix: np.ndarray, m: int) -> np.ndarray:
    """Column indices of each row's m largest values (in no particular order); among equal
    values at the cut, the lowest columns, so rankings do not depend on how the selection
    happened to partition."""
    n_rows, n_cols = matrix.shape
    if m >= n_cols:
        return np.tile(np.arange(n_cols), (n_rows, 1))
    threshold = -np.partition(-matrix, m - 1, axis=1)[:, m - 1 : m]  # each row's m-th largest
    above = matrix > threshold
    # Of the values equal to the threshold, as many as are still needed, leftmost first.
    needed = m - above.sum(axis=1, keepdims=True)
    tied = matrix == threshold
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= needed))
    return np.nonzero(chosen)[1].reshape(n_rows, m)


def _kept_indptr(indptr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Row pointers of a CSR matrix after keeping only the entries where `keep` is true."""
    counts = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=counts[1:])
    return counts[indptr]


def _group_maxima(matrix: sparse.csr_matrix, order: np.ndarray, group_start: np.ndarray) -> sparse.csr_matrix:
    """Groups x features: for each feature, the largest value among the group's rows of
    `matrix` (group g is rows order[group_start[g]:group_start[g + 1]])."""
    rows = sparse.csr_matrix(matrix, dtype=np.float32)[order]
    grouped = sparse.csr_matrix(
        (rows.data, rows.indices, rows.indptr[group_start]), shape=(len(group_start) - 1, matrix.shape[1])
    )
    grouped.has_sorted_indices = False
    grouped.sort_indices()
    indices, indptr = grouped.indices, grouped.indptr
    first = np.ones(len(indices), dtype=bool)
    first[1:] = indices[1:] != indices[:-1]
    first[indptr[:-1][np.diff(indptr) > 0]] = True  # a new group starts a new run
    starts = np.flatnonzero(first)
    data = np.maximum.reduceat(grouped.data, starts) if len(starts) else grouped.data[:0]
    counts = np.zeros(len(first) + 1, dtype=np.int64)
    np.cumsum(first, out=counts[1:])
    return sparse.csr_matrix((data, indices[starts], counts[indptr]), shape=grouped.shape)


class _CompanyPool:
    """Each company's running top-k buyers. Chunks' candidates are collected and cut back to each
    company's top k whenever the uncut part outgrows the kept one, so the pool stays within
    about twice companies x k, with an amortised sort per entry."""

    def __init__(self, k: int, n_companies: int):
        self.k = k
        self.parts: list[tuple] = []
        self.kept = 0
        self.pending = 0
        self.floor = max(1_000_000, 2 * k * min(n_companies, 1_000_000))

    def add(self, part: tuple) -> None:
        if not self.k:  # the company side is not wanted
            part = tuple(None if a is None else a[:0] for a in part)
        self.parts.append(part)
        self.pending += len(part[0])
        if self.pending > max(self.kept, self.floor):
            self._cut()

    def _cut(self) -> None:
        merged = _concat(self.parts)
        keep = _rank_within(merged[1], merged[2]) <= self.k
        self.parts = [tuple(None if a is None else a[keep] for a in merged)]
        self.kept, self.pending = int(keep.sum()), 0

    def result(self) -> tuple:
        self._cut()
        return self.parts[0]


def _concat(parts: Iterable[tuple]) -> tuple:
    """Column-wise concatenation of tuples of arrays (a column that is None stays None)."""
    return tuple(None if column[0] is None else np.concatenate(column) for column in zip(*parts, strict=True))


def _order_by_group_then_score(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices sorting by group ascending, then score descending, ties by position. One radix-
    friendly sort of a combined integer key (scores ranked among themselves first, so the key
    is exact), instead of a lexsort: several times faster on the engine's millions of pairs."""
    group = np.asarray(group, dtype=np.int64)
    if not len(group):
        return np.zeros(0, dtype=np.int64)
    by_score = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    score_rank = np.empty(len(group), dtype=np.int64)
    score_rank[by_score] = np.arange(len(group))
    low, high = int(group.min()), int(group.max())
    bits = max(1, int(len(group) - 1).bit_length())
    if low >= 0 and high < 1 << (62 - bits):
        return np.argsort((group << bits) | score_rank, kind="stable")
    return np.lexsort((score_rank, group))


def _rank_within(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1-based rank of each item by descending score within its group (ties by position)."""
    order = _order_by_group_then_score(group, score)
    sorted_group = np.asarray(group)[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = sorted_group[1:] != sorted_group[:-1]
    first_index = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - first_index + 1
    return rank


def _roll_up(rows, companies, products, scores, values, per: int):
    """(buyer row, company) groups: the best product's score and values, and the best `per`
    products of the company for that buyer."""
    n_companies = int(companies.max()) + 1 if len(companies) else 1
    order = _order_by_group_then_score(rows.astype(np.int64) * n_companies + companies, scores)
    sorted_rows, sorted_companies = rows[order], companies[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = (sorted_rows[1:] != sorted_rows[:-1]) | (sorted_companies[1:] != sorted_companies[:-1])
    first_index = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    position = np.arange(len(order)) - first_index
    group = np.cumsum(start) - 1
    best_products = np.full((int(start.sum()), per), -1, dtype=np.int32)
    keep = position < per
    best_products[group[keep], position[keep]] = products[order[keep]]
    first = order[start]
    return rows[first], companies[first].astype(np.int32), scores[first], values[first], best_products
