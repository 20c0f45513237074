"""Measuring the matcher on known good pairs: ranking metrics (precision@k, recall@k, nDCG@10,
MRR), the baselines it must beat (random, and one signal at a time), and the table that
`manage.py evaluate_matching` prints and writes to docs/benchmarks.md.

The known good pairs are split by buyer: the held-out buyers' pairs are only ever used to
measure; the learned-weights row trains (matching.learning) on the other buyers' pairs only.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .engine import Matcher
from .signals import (
    DEFAULT_WEIGHTS,
    CertificationSignal,
    HSCodeSignal,
    MarketSignal,
    ScaleSignal,
    SectorSignal,
    Signal,
    TextSignal,
)
from .tables import Tables

# How deep each buyer's ranking goes: MRR counts the first good company within this many.
RANKING_DEPTH = 100
BENCHMARKS_SECTION = "## Matching quality (manage.py evaluate_matching)"

# --- metrics -----------------------------------------------------------------------------------


def precision_at_k(ranked: Sequence[int], relevant: set[int] | frozenset[int], k: int) -> float:
    """Share of the first k ranked items that are relevant (a short list counts its gaps as misses)."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at_k(ranked: Sequence[int], relevant: set[int] | frozenset[int], k: int) -> float:
    """Share of the relevant items found among the first k."""
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int] | frozenset[int], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary gains: hits at rank r count 1/log2(r+1),
    divided by the best possible (all relevant items first)."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def reciprocal_rank(ranked: Sequence[int], relevant: set[int] | frozenset[int]) -> float:
    """1 / the rank of the first relevant item; 0 if none is ranked."""
    return next((1.0 / rank for rank, item in enumerate(ranked, start=1) if item in relevant), 0.0)


def ranking_metrics(
    rankings: dict[int, Sequence[int]], truth: dict[int, frozenset[int]], *, ks: Sequence[int] = (10, 20)
) -> dict[str, float]:
    """Each metric averaged over the buyers in `rankings` that have at least one good company."""
    buyers = [b for b in rankings if truth.get(b)]
    metrics: dict[str, list[float]] = {}
    for buyer in buyers:
        ranked, relevant = list(rankings[buyer]), truth[buyer]
        for k in ks:
            metrics.setdefault(f"precision@{k}", []).append(precision_at_k(ranked, relevant, k))
            metrics.setdefault(f"recall@{k}", []).append(recall_at_k(ranked, relevant, k))
        metrics.setdefault("ndcg@10", []).append(ndcg_at_k(ranked, relevant, 10))
        metrics.setdefault("mrr", []).append(reciprocal_rank(ranked, relevant))
    return {name: float(np.mean(values)) for name, values in metrics.items()}


# --- the random baseline ----------------------------------------------------------------------


class RandomSignal(Signal):
    """A seeded random score for each (buyer, company): the floor any matcher must clear. Hashed
    from the rows, so a pair scores the same whichever chunk or product it is met in."""

    name = "random"
    label_en = "Random"
    label_ko = "무작위"

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    def pair_values(self, buyers, products, proposed=None):
        companies = self.tables.products.company[products].astype(np.uint64)
        x = (np.asarray(buyers, dtype=np.uint64) << np.uint64(32)) ^ companies ^ np.uint64(self.seed * 0x9E3779B1)
        # splitmix64's finaliser: consecutive inputs give unrelated outputs.
        with np.errstate(over="ignore"):
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
        return ((x >> np.uint64(11)).astype(np.float64) / float(1 << 53)).astype(np.float32)


# --- the evaluation ----------------------------------------------------------------------------


@dataclass
class EvaluationRow:
    name: str
    description: str
    metrics: dict[str, float]


@dataclass
class EvaluationReport:
    rows: list[EvaluationRow]
    ks: tuple[int, ...]
    companies: int
    products: int
    buyers: int
    buyers_with_truth: int
    held_out_buyers: int
    held_out_pairs: int
    training_pairs: int = 0
    training_positives: int = 0
    learned_weights: dict[str, float] = field(default_factory=dict)
    # What a perfect ranking (the truth first) scores: precision@k cannot reach 1 when a buyer
    # has fewer than k good companies.
    ceiling: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    seconds: float = 0.0

    def row(self, name: str) -> EvaluationRow:
        return next(r for r in self.rows if r.name == name)


def ranked_companies(matcher: Matcher, buyers: np.ndarray) -> dict[int, list[int]]:
    """Each buyer's companies, best first (as deep as the matcher's top_k)."""
    result = matcher.rank(buyers)
    ranked = result.rank_for_buyer > 0
    order = np.lexsort((result.rank_for_buyer[ranked], result.buyer[ranked]))
    rankings: dict[int, list[int]] = {int(b): [] for b in buyers}
    for buyer, company in zip(result.buyer[ranked][order], result.company[ranked][order], strict=True):
        rankings[int(buyer)].append(int(company))
    return rankings


def baseline_matchers(*, seed: int = 0, depth: int = RANKING_DEPTH) -> list[tuple[str, str, Matcher]]:
    """The single-signal baselines, each a Matcher with that one signal at full weight."""
    single = [
        ("sector only", "the company is in one of the buyer's sectors", SectorSignal()),
        ("HS only", "HS hierarchy: subheading 1.0, heading 0.7, chapter 0.4", HSCodeSignal()),
        ("text only", "character n-gram TF-IDF of the profile and product texts", TextSignal()),
        ("market only", "buyer's country among the SME's targets (1.0) or exports (0.8)", MarketSignal()),
        (
            "certification only",
            "share of the market's and the buyer's required certifications held",
            CertificationSignal(),
        ),
        ("scale only", "MOQ against the buyer's import volume", ScaleSignal()),
    ]
    # Verification is left out: it is the same for all of a buyer's companies, so alone it ranks
    # them in row order, which is the random baseline again.
    random_order = Matcher([RandomSignal(seed=seed)], {"random": 1.0}, top_k=depth)
    baselines = [("random", "a seeded random order of companies", random_order)]
    baselines += [(name, text, Matcher([signal], {signal.name: 1.0}, top_k=depth)) for name, text, signal in single]
    return baselines


def matching_evaluate(
    tables: Tables,
    truth: dict[int, frozenset[int]],
    *,
    seed: int = 0,
    ks: Sequence[int] = (10, 20),
    held_out_share: float = 0.5,
    weights: dict[str, float] | None = None,
    learn: bool = True,
    depth: int = RANKING_DEPTH,
) -> EvaluationReport:
    """The matcher (with `weights`, the documented defaults unless given), the learned-weights
    matcher and the baselines, each measured on the same held-out buyers."""
    started = time.perf_counter()
    rng = random.Random(seed)
    with_truth = sorted(b for b, good in truth.items() if good)
    shuffled = with_truth[:]
    rng.shuffle(shuffled)
    n_held = max(1, round(len(shuffled) * held_out_share)) if shuffled else 0
    held_out = np.array(sorted(shuffled[:n_held]), dtype=np.int64)
    training = sorted(shuffled[n_held:])

    matcher = Matcher(weights=dict(DEFAULT_WEIGHTS if weights is None else weights), top_k=depth).fit(tables)
    description = "all signals, documented default weights" if weights is None else "all signals, the given weights"
    candidates: list[tuple[str, str, Matcher]] = [("matcher", description, matcher)]
    report = EvaluationReport(
        rows=[],
        ks=tuple(ks),
        companies=len(tables.companies),
        products=len(tables.products),
        buyers=len(tables.buyers),
        buyers_with_truth=len(with_truth),
        held_out_buyers=len(held_out),
        held_out_pairs=sum(len(truth[b]) for b in held_out),
        seed=seed,
        ceiling=ranking_metrics({int(b): sorted(truth[int(b)]) for b in held_out}, truth, ks=ks),
    )
    if learn and training:
        learned, pairs, labels = _learned_weights(matcher, truth, training, rng=rng)
        report.learned_weights = learned
        report.training_pairs, report.training_positives = len(pairs), int(labels.sum())
        description = "all signals, weights learned (matching.learning) on the training buyers' pairs"
        candidates.append(("matcher, learned weights", description, Matcher(weights=learned, top_k=depth).fit(tables)))
    candidates += [(name, text, m.fit(tables)) for name, text, m in baseline_matchers(seed=seed, depth=depth)]
    for name, description, m in candidates:
        rankings = ranked_companies(m, held_out)
        report.rows.append(EvaluationRow(name, description, ranking_metrics(rankings, truth, ks=ks)))
    report.seconds = time.perf_counter() - started
    return report


def _learned_weights(matcher: Matcher, truth, training: list[int], *, rng: random.Random):
    """Weights learned from simulated outcomes of the training buyers: their good pairs are the
    positives (meetings that led somewhere); the negatives are pairs the default matcher proposed
    that were not good (meetings that did not) and as many random pairs that were not good."""
    from .learning import learn_weights, pair_signal_values

    tables = matcher.tables
    proposed = ranked_companies(matcher, np.array(training, dtype=np.int64))
    n_companies = len(tables.companies)
    pairs: list[tuple[int, int]] = []
    labels: list[bool] = []
    for buyer in training:
        good = truth[buyer]
        pairs += [(c, buyer) for c in sorted(good)]
        labels += [True] * len(good)
        misses = [c for c in proposed[buyer][:20] if c not in good]
        others = [c for c in rng.sample(range(n_companies), k=min(n_companies, 3 * len(misses) + 3)) if c not in good]
        for company in misses + others[: len(misses)]:
            pairs.append((company, buyer))
            labels.append(False)
    id_pairs = [(int(tables.companies.ids[c]), int(tables.buyers.ids[b])) for c, b in pairs]
    values, usable = pair_signal_values(matcher, id_pairs)
    label_array = np.array(labels, dtype=bool)
    weights, _ = learn_weights(values[usable], label_array[usable], matcher.signal_names)
    return weights, pairs, label_array


def planted_evaluation(
    *, n_companies: int, n_buyers: int, seed: int = 0, ks: Sequence[int] = (10, 20), learn: bool = True
) -> EvaluationReport:
    """Generate planted-truth tables (matching.planted) and evaluate on them."""
    from .planted import planted_tables

    tables, truth = planted_tables(n_companies=n_companies, n_buyers=n_buyers, seed=seed)
    return matching_evaluate(tables, truth, seed=seed, ks=ks, learn=learn)


# --- the table ---------------------------------------------------------------------------------


def metric_columns(ks: Sequence[int]) -> list[str]:
    return [f"precision@{k}" for k in ks] + [f"recall@{k}" for k in ks] + ["ndcg@10", "mrr"]


def evaluation_table(report: EvaluationReport) -> str:
    """The rows as a Markdown table, each baseline metric the matcher fails to beat in bold."""
    columns = metric_columns(report.ks)
    header = ["ranking", *(c.replace("ndcg", "nDCG").replace("mrr", "MRR") for c in columns), "what it uses"]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * len(columns) + " --- |"]
    best = report.row("matcher").metrics
    for row in report.rows:
        cells = []
        for column in columns:
            value = row.metrics.get(column, 0.0)
            beaten = row.name == "matcher" or value < best.get(column, 0.0)
            cells.append(f"{value:.3f}" if beaten else f"**{value:.3f}**")
        lines.append(f"| {row.name} | " + " | ".join(cells) + f" | {row.description} |")
    return "\n".join(lines)


def matcher_beats_baselines(report: EvaluationReport) -> list[tuple[str, str]]:
    """(baseline, metric) where the default matcher does not beat a baseline; empty if it beats all."""
    best = report.row("matcher").metrics
    return [
        (row.name, column)
        for row in report.rows
        if row.name not in ("matcher", "matcher, learned weights")
        for column in metric_columns(report.ks)
        if best[column] <= row.metrics[column]
    ]


def benchmarks_section(report: EvaluationReport, *, command: str) -> str:
    """The docs/benchmarks.md section: how it was measured, the table, and what it says."""
    failures = matcher_beats_baselines(report)
    ceiling = ", ".join(f"{name} {value:.3f}" for name, value in report.ceiling.items() if "precision" in name)
    paragraphs = [
        BENCHMARKS_SECTION,
        f"`{command}` ({report.seconds:.1f} s) on planted-truth data (`matching/planted.py`; the generative story "
        'is in docs/matching.md, "Planted-truth evaluation"): '
        f"{report.companies:,} companies with {report.products:,} products and {report.buyers:,} buyers, "
        f"seed {report.seed}. {report.buyers_with_truth:,} buyers have at least one truly good company; "
        f"{report.held_out_buyers:,} of them ({report.held_out_pairs:,} good pairs) are held out and every row is "
        "measured on them only; the learned weights are trained on the others' pairs. Each buyer's ranking goes "
        f"{RANKING_DEPTH} companies deep (MRR counts the first good company within it); gains are binary. "
        f"The held-out buyers have {report.held_out_pairs / max(report.held_out_buyers, 1):.1f} good companies on "
        f"average, so even a perfect ranking scores only {ceiling}. "
        "A bold number is one the default matcher does not beat.",
        evaluation_table(report),
        "The matcher beats every baseline on every metric."
        if not failures
        else "The matcher does **not** beat: " + ", ".join(f"{name} on {metric}" for name, metric in failures) + ".",
    ]
    if report.learned_weights:
        shown = ", ".join(f"{name} {weight:.2f}" for name, weight in report.learned_weights.items())
        paragraphs.append(
            f"Learned weights ({report.training_pairs:,} training pairs, {report.training_positives:,} good): {shown}."
        )
    return "\n\n".join(paragraphs) + "\n"


def benchmarks_section_write(text: str, path: Path) -> None:
    """Replace the matching-quality section of docs/benchmarks.md, leaving the others intact."""
    from tradeon.benchmarks_doc import benchmarks_section_replace

    benchmarks_section_replace(path=path, heading=BENCHMARKS_SECTION, text=text)
