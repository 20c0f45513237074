"""Ranking metrics on hand-made rankings, the planted-truth generator, and a small evaluation in
which the matcher beats every baseline."""

import math

import numpy as np
import pytest
from django.core.management import call_command

from matching.evaluation import (
    BENCHMARKS_SECTION,
    RandomSignal,
    benchmarks_section_write,
    matcher_beats_baselines,
    ndcg_at_k,
    planted_evaluation,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    reciprocal_rank,
)
from matching.planted import planted_tables

RANKED = [5, 3, 9, 1, 7]
RELEVANT = frozenset({3, 7, 8})


def test_precision_at_k_is_the_share_of_hits_in_the_first_k():
    assert precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 5)
    assert precision_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 2)
    assert precision_at_k(RANKED, RELEVANT, 1) == 0.0
    assert precision_at_k([3], RELEVANT, 10) == pytest.approx(1 / 10)  # a short list's gaps are misses


def test_recall_at_k_is_the_share_of_good_items_found():
    assert recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, frozenset(), 5) == 0.0


def test_ndcg_discounts_hits_by_rank_against_the_ideal_order():
    dcg = 1 / math.log2(3) + 1 / math.log2(6)  # hits at ranks 2 and 5
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)  # three good items first

    assert ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([3, 7, 8, 1], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at_k([1, 2], RELEVANT, 10) == 0.0
    # Cut at k: only the hit at rank 2 counts, against an ideal of two hits.
    assert ndcg_at_k(RANKED, RELEVANT, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_reciprocal_rank_is_one_over_the_first_hits_rank():
    assert reciprocal_rank(RANKED, RELEVANT) == pytest.approx(1 / 2)
    assert reciprocal_rank([7, 5], RELEVANT) == 1.0
    assert reciprocal_rank([1, 2, 4], RELEVANT) == 0.0


def test_ranking_metrics_average_over_buyers_with_a_good_company():
    rankings = {0: RANKED, 1: [8, 2], 2: [1, 2]}
    truth = {0: RELEVANT, 1: frozenset({8}), 2: frozenset()}  # buyer 2 has nothing to find

    metrics = ranking_metrics(rankings, truth, ks=(2,))

    assert metrics["precision@2"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics["recall@2"] == pytest.approx((1 / 3 + 1) / 2)
    assert metrics["mrr"] == pytest.approx((1 / 2 + 1) / 2)
    assert metrics["ndcg@10"] == pytest.approx((ndcg_at_k(RANKED, RELEVANT, 10) + 1.0) / 2)


def test_random_signal_is_seeded_and_the_same_for_all_products_of_a_company():
    tables, _ = planted_tables(n_companies=30, n_buyers=10, seed=1)
    products = np.arange(len(tables.products))
    buyers = np.zeros(len(products), dtype=np.int64)

    def scores(seed):
        signal = RandomSignal(seed=seed)
        signal.fit(tables)
        return signal.pair_values(buyers, products)

    first, again, other = scores(1), scores(1), scores(2)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert ((first >= 0) & (first < 1)).all()
    company = tables.products.company
    for c in np.unique(company):
        assert len(set(first[company == c].tolist())) == 1


# --- the planted truth ---------------------------------------------------------------------------


def test_planted_tables_are_the_same_for_a_seed():
    tables, truth = planted_tables(n_companies=60, n_buyers=40, seed=5)
    again, truth_again = planted_tables(n_companies=60, n_buyers=40, seed=5)

    assert truth == truth_again
    assert tables.products.text == again.products.text
    assert tables.buyers.text == again.buyers.text
    assert np.array_equal(tables.products.certifications, again.products.certifications)


def test_planted_profiles_are_noisy_partial_views_of_the_need():
    tables, truth = planted_tables(n_companies=300, n_buyers=300, seed=0)
    buyers = tables.buyers

    assert len(tables.companies) == 300
    assert 3 * 300 < len(tables.products) < 6 * 300  # about 4.4 products per SME, as the real service
    assert sum(1 for good in truth.values() if good) > 150
    assert any(not codes for codes in buyers.hs_interest)  # some give no HS code
    assert any(codes and all(len(c) == 2 for c in codes) for codes in buyers.hs_interest)  # a chapter only
    assert any(any("가" <= ch <= "힣" for ch in text[:20]) for text in buyers.text)  # some write in Korean
    assert (buyers.volume_band == -1).any()
    # Not one observable decides the truth: some good companies do not share the buyer's HS
    # heading as given, and some do not list the buyer's country.
    product_company = tables.products.company
    off_hs = off_market = 0
    for buyer, good in truth.items():
        country = str(buyers.country[buyer])
        headings = {c[:4] for c in buyers.hs_interest[buyer] + buyers.hs_requested[buyer] if len(c) >= 4}
        for company in good:
            codes = {str(h)[:4] for h in tables.products.hs_code[product_company == company]}
            off_hs += bool(headings) and not codes & headings
            listed = tables.companies.target_countries[company] | tables.companies.export_countries[company]
            off_market += country not in listed
    assert off_hs > 0
    assert off_market > 0


# --- the evaluation ------------------------------------------------------------------------------


def test_matcher_beats_every_baseline_on_a_small_planted_run():
    report = planted_evaluation(n_companies=250, n_buyers=200, seed=1, learn=False)

    assert report.held_out_buyers >= 50
    assert {row.name for row in report.rows} >= {"matcher", "random", "sector only", "HS only", "text only"}
    assert matcher_beats_baselines(report) == []
    assert report.row("random").metrics["precision@10"] < report.row("text only").metrics["precision@10"]


def test_learned_weights_are_trained_on_the_other_buyers_only():
    report = planted_evaluation(n_companies=120, n_buyers=100, seed=2)

    assert report.training_positives > 0
    assert sum(report.learned_weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert "matcher, learned weights" in {row.name for row in report.rows}


def test_writing_the_section_leaves_the_other_benchmark_sections_alone(tmp_path):
    path = tmp_path / "benchmarks.md"
    speed = "## Matching speed (bench/matching.py)\n\nfast enough\n"
    path.write_text(f"# Benchmarks\n\n{BENCHMARKS_SECTION}\n\nold table\n\n{speed}")

    benchmarks_section_write(f"{BENCHMARKS_SECTION}\n\nnew table\n", path)
    benchmarks_section_write(f"{BENCHMARKS_SECTION}\n\nnewer table\n", path)

    text = path.read_text()
    assert "old table" not in text and "new table" not in text
    assert text.count(BENCHMARKS_SECTION) == 1
    assert "newer table" in text
    assert speed in text


def test_evaluate_matching_command_prints_the_table(capsys):
    call_command("evaluate_matching", companies=120, buyers=80, seed=3, k=5, no_learning=True)

    out = capsys.readouterr().out
    assert "| matcher |" in out
    assert "precision@5" in out and "precision@20" in out and "nDCG@10" in out and "MRR" in out
