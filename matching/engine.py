"""The matching engine: ranks SME-buyer pairings from the signals, in both directions, without
ever materialising the dense buyers x products score matrix.

How a recompute runs, one chunk of buyers at a time:
1. Candidate signals (text, HS heading/subheading) multiply their sparse buyer rows by the
   sparse product matrix: a sparse chunk of "proposal" scores.
2. Each buyer keeps its `candidates` best-proposed products (all products when the whole job is
   small enough to score exhaustively, as at today's real scale).
3. Every signal gives its exact value on those candidate pairs (look-ups, vectorised); the
   weighted sum is the score.
4. Products roll up to companies (a company's score with a buyer is that of its best product;
   its best few products are kept to show "the products that fit"); each buyer keeps its top-k
   companies, and a running pool keeps each company's top-k buyers.
Memory is bounded by the chunk size and the (buyers + companies) x k result, not by
buyers x products.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .signals import DEFAULT_WEIGHTS, CandidateSignal, Signal, default_signals
from .tables import Tables


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
        candidates: int = 200,
        exhaustive_pairs: int = 20_000_000,
        chunk_pairs: int = 4_000_000,
        products_per_pairing: int = 3,
    ):
        self.signals = signals if signals is not None else default_signals()
        weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.weights = np.array([float(weights.get(s.name, 0.0)) for s in self.signals], dtype=np.float32)
        self.top_k = top_k
        self.candidates = candidates
        self.exhaustive_pairs = exhaustive_pairs
        self.chunk_pairs = chunk_pairs
        self.products_per_pairing = products_per_pairing

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def fit(self, tables: Tables) -> Matcher:
        self.tables = tables
        for signal in self.signals:
            signal.fit(tables)
        self._candidate_signals = [
            (i, s) for i, s in enumerate(self.signals) if isinstance(s, CandidateSignal) and self.weights[i] > 0
        ]
        # Transposed once (CSC of products = CSR of its transpose) for the chunk products.
        self._product_t = {s.name: s.product_matrix().T.tocsr() for _, s in self._candidate_signals}
        # Exhaustive scoring walks products grouped by company, so the roll-up needs no sort.
        self._by_company = np.argsort(tables.products.company, kind="stable").astype(np.int32)
        return self

    def replace_buyers(self, buyers) -> Matcher:
        """Re-encode only the buyers (a profile edit): the catalogue side stays fitted."""
        self.tables.buyers = buyers
        for signal in self.signals:
            signal.fit_buyers(buyers)
        return self

    # --- scoring ----------------------------------------------------------------------------

    def exhaustive(self, n_buyers: int) -> bool:
        return n_buyers * len(self.tables.products) <= self.exhaustive_pairs

    def score_pairs(self, buyers: np.ndarray, products: np.ndarray) -> np.ndarray:
        """Each signal's value for explicit pairs (pins, explanations). Shape (n, signals)."""
        buyers = np.asarray(buyers, dtype=np.int64)
        products = np.asarray(products, dtype=np.int64)
        values = np.zeros((len(buyers), len(self.signals)), dtype=np.float32)
        for j, signal in enumerate(self.signals):
            values[:, j] = signal.pair_values(buyers, products)
        return values

    def _chunks(self, buyers: np.ndarray, exhaustive: bool) -> Iterable[np.ndarray]:
        per_buyer = len(self.tables.products) if exhaustive else max(self.candidates * 50, 1)
        size = max(1, min(len(buyers), self.chunk_pairs // max(per_buyer, 1)))
        for start in range(0, len(buyers), size):
            yield buyers[start : start + size]

    def _score_chunk(self, rows: np.ndarray, exhaustive: bool, product_mask: np.ndarray | None):
        """Candidate products and every signal's value for one chunk of buyers."""
        n_products = len(self.tables.products)
        proposals: dict[str, sparse.csr_matrix] = {}
        total = None
        for j, signal in self._candidate_signals:
            block = (signal.buyer_matrix(rows) @ self._product_t[signal.name]).tocsr()
            block.sort_indices()
            proposals[signal.name] = block
            total = block * self.weights[j] if total is None else total + block * self.weights[j]
        if exhaustive:
            candidates = np.broadcast_to(self._by_company, (len(rows), n_products))
            if product_mask is not None:
                candidates = np.where(product_mask[None, :], candidates, -1)
        else:
            candidates = _top_per_row(total, self.candidates, product_mask)
        local_rows = np.repeat(np.arange(len(rows)), candidates.shape[1])
        flat_products = candidates.ravel()
        valid = flat_products >= 0
        local_rows, flat_products = local_rows[valid], flat_products[valid]
        flat_buyers = rows[local_rows]
        values = np.zeros((len(flat_products), len(self.signals)), dtype=np.float32)
        for j, signal in enumerate(self.signals):
            proposed = None
            if signal.name in proposals:
                proposed = _lookup(proposals[signal.name], local_rows, flat_products, dense=exhaustive)
            values[:, j] = signal.pair_values(flat_buyers, flat_products, proposed)
        return local_rows, flat_products, values

    def rank(
        self,
        buyers: np.ndarray | None = None,
        *,
        product_mask: np.ndarray | None = None,
        exhaustive: bool | None = None,
    ) -> MatchResult:
        """Top-k companies for each buyer and top-k buyers for each company (among `buyers`),
        with each pair's signal values and best products."""
        tables = self.tables
        buyers = np.arange(len(tables.buyers)) if buyers is None else np.asarray(buyers, dtype=np.int64)
        exhaustive = self.exhaustive(len(buyers)) if exhaustive is None else exhaustive
        # With no weighted candidate signal (text and HS at weight 0, as learned weights can be)
        # nothing proposes candidates, so every pair is scored.
        exhaustive = exhaustive or not self._candidate_signals
        k, per = self.top_k, self.products_per_pairing
        company_of = tables.products.company
        buyer_parts, pool = [], None
        for rows in self._chunks(buyers, exhaustive):
            local_rows, products, values = self._score_chunk(rows, exhaustive, product_mask)
            scores = values @ self.weights
            roll_up = _roll_up_grouped if exhaustive else _roll_up
            groups = roll_up(local_rows, company_of[products], products, scores, values, per)
            g_rows, g_company, g_score, g_values, g_products = groups
            g_buyer = rows[g_rows].astype(np.int32)
            rank = _rank_within(g_rows, g_score)
            top = rank <= k
            buyer_parts.append((g_buyer[top], g_company[top], g_score[top], g_values[top], g_products[top], rank[top]))
            # Each company's running top-k buyers, merged chunk by chunk.
            chunk = (g_buyer, g_company, g_score, g_values, g_products)
            pool = chunk if pool is None else tuple(np.concatenate([a, b]) for a, b in zip(pool, chunk, strict=True))
            company_rank = _rank_within(pool[1], pool[2])
            pool = tuple(a[company_rank <= k] for a in pool)
        return self._merge(buyer_parts, pool)

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


def _top_per_row(matrix: sparse.csr_matrix, m: int, product_mask: np.ndarray | None) -> np.ndarray:
    """Column indices of each row's m largest entries (-1 padded)."""
    out = np.full((matrix.shape[0], m), -1, dtype=np.int32)
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if product_mask is not None:
        data = np.where(product_mask[indices], data, -np.inf)
    for row in range(matrix.shape[0]):
        start, end = indptr[row], indptr[row + 1]
        if start == end:
            continue
        row_data = data[start:end]
        if end - start > m:
            best = np.argpartition(row_data, end - start - m)[end - start - m :]
        else:
            best = np.arange(end - start)
        best = best[np.isfinite(row_data[best])]
        out[row, : len(best)] = indices[start + best]
    return out


def _lookup(matrix: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray, *, dense: bool) -> np.ndarray:
    """matrix[rows[i], cols[i]] for many pairs, 0 where the entry is absent."""
    if dense:
        return np.asarray(matrix.toarray()[rows, cols], dtype=np.float32)
    n_cols = matrix.shape[1]
    entry_rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = entry_rows * n_cols + matrix.indices
    wanted = rows.astype(np.int64) * n_cols + cols
    position = np.searchsorted(keys, wanted)
    position = np.minimum(position, len(keys) - 1) if len(keys) else position
    found = (keys[position] == wanted) if len(keys) else np.zeros(len(wanted), dtype=bool)
    out = np.zeros(len(wanted), dtype=np.float32)
    out[found] = matrix.data[position[found]]
    return out


def _rank_within(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1-based rank of each item by descending score within its group (ties by position)."""
    order = np.lexsort((-score, group))
    sorted_group = group[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = sorted_group[1:] != sorted_group[:-1]
    first_index = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - first_index + 1
    return rank


def _roll_up(rows, companies, products, scores, values, per: int):
    """(buyer row, company) groups: the best product's score and values, and the best `per`
    products of the company for that buyer."""
    order = np.lexsort((-scores, companies, rows))
    rows, companies, products, scores, values = (
        rows[order],
        companies[order],
        products[order],
        scores[order],
        values[order],
    )
    start = np.ones(len(rows), dtype=bool)
    start[1:] = (rows[1:] != rows[:-1]) | (companies[1:] != companies[:-1])
    first_index = np.maximum.accumulate(np.where(start, np.arange(len(rows)), 0))
    position = np.arange(len(rows)) - first_index
    group = np.cumsum(start) - 1
    best_products = np.full((int(start.sum()), per), -1, dtype=np.int32)
    keep = position < per
    best_products[group[keep], position[keep]] = products[keep]
    return rows[start], companies[start].astype(np.int32), scores[start], values[start], best_products


def _roll_up_grouped(rows, companies, products, scores, values, per: int):
    """_roll_up for entries already grouped by (row, company), as exhaustive scoring emits
    them: a few linear passes instead of a sort."""
    n = len(rows)
    if n == 0:
        return _roll_up(rows, companies, products, scores, values, per)
    start = np.ones(n, dtype=bool)
    start[1:] = (rows[1:] != rows[:-1]) | (companies[1:] != companies[:-1])
    starts = np.flatnonzero(start)
    lengths = np.diff(np.append(starts, n))
    work = scores.astype(np.float32, copy=True)
    position = np.arange(n)
    best_products = np.full((len(starts), per), -1, dtype=np.int32)
    first = None
    for t in range(per):
        best = np.maximum.reduceat(work, starts)
        is_best = (work == np.repeat(best, lengths)) & np.isfinite(work)
        index = np.minimum.reduceat(np.where(is_best, position, n), starts)
        found = index < n
        best_products[found, t] = products[index[found]]
        if first is None:
            first = index
        work[index[found]] = -np.inf
    return rows[starts], companies[starts].astype(np.int32), scores[first], values[first], best_products
