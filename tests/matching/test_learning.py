"""Learning weights from outcomes: a signal that decides the outcomes gains weight."""

import numpy as np
import pytest

from matching.engine import Matcher
from matching.learning import learn_weights, pair_signal_values
from matching.signals import DEFAULT_WEIGHTS

NAMES = list(DEFAULT_WEIGHTS)


def test_a_signal_that_alone_decides_outcomes_gets_the_most_weight():
    rng = np.random.default_rng(7)
    values = rng.random((600, len(NAMES))).astype(np.float32)
    market = rng.choice([0.0, 0.3, 0.8, 1.0], size=600)
    values[:, NAMES.index("market")] = market
    labels = market >= 0.8  # meetings went somewhere exactly when the SME serves the buyer's country

    weights, metrics = learn_weights(values, labels, NAMES)

    assert weights["market"] > DEFAULT_WEIGHTS["market"]
    assert all(weights["market"] > w for name, w in weights.items() if name != "market")
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert metrics["training_auc"] > 0.95
    assert metrics["positives"] == int(labels.sum())


def test_learning_from_the_matchers_own_pair_values_favours_the_deciding_signal():
    from matching.planted import planted_tables

    tables, _ = planted_tables(n_companies=80, n_buyers=60, seed=3)
    matcher = Matcher().fit(tables)
    rng = np.random.default_rng(3)
    pairs = [
        (int(tables.companies.ids[c]), int(tables.buyers.ids[b]))
        for c, b in zip(rng.integers(0, 80, 500), rng.integers(0, 60, 500), strict=True)
    ]
    values, usable = pair_signal_values(matcher, pairs)
    labels = values[:, matcher.signal_names.index("hs")] >= 0.7  # outcomes follow the HS heading only

    weights, _ = learn_weights(values[usable], labels[usable], matcher.signal_names)

    assert usable.all()
    assert weights["hs"] > DEFAULT_WEIGHTS["hs"]
    assert weights["hs"] == max(weights.values())
