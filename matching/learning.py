"""Learning signal weights from outcomes: a logistic regression over each labelled pair's signal
values. Its coefficients, clipped at zero (a signal may not count *against* a fit) and scaled to
sum to one, become the new weights; so a signal that decides outcomes gains weight."""

from __future__ import annotations

import numpy as np


def pair_signal_values(matcher, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Signal values of each (company_id, buyer_id) pair, taken at the company's best product
    for that buyer. Pairs whose company or buyer is no longer listed are marked unusable.
    Every (pair, product) combination is scored in one vectorised call."""
    tables = matcher.tables
    company_row = {int(c): i for i, c in enumerate(tables.companies.ids)}
    buyer_row = {int(b): i for i, b in enumerate(tables.buyers.ids)}
    order = np.argsort(tables.products.company, kind="stable")
    bounds = np.searchsorted(tables.products.company[order], np.arange(len(tables.companies) + 1))
    values = np.zeros((len(pairs), len(matcher.signals)), dtype=np.float32)
    usable = np.zeros(len(pairs), dtype=bool)
    pair_index, buyers, products = [], [], []
    for i, (company_id, buyer_id) in enumerate(pairs):
        c, b = company_row.get(company_id), buyer_row.get(buyer_id)
        if c is None or b is None or bounds[c] == bounds[c + 1]:
            continue
        company_products = order[bounds[c] : bounds[c + 1]]
        pair_index.append(np.full(len(company_products), i))
        buyers.append(np.full(len(company_products), b))
        products.append(company_products)
    if not pair_index:
        return values, usable
    pair_index = np.concatenate(pair_index)
    all_values = matcher.score_pairs(np.concatenate(buyers), np.concatenate(products))
    scores = all_values @ matcher.weights
    # The best product per pair: sort by (pair, -score) and take each pair's first row.
    ranked = np.lexsort((-scores, pair_index))
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = pair_index[ranked][1:] != pair_index[ranked][:-1]
    best = ranked[first]
    values[pair_index[best]] = all_values[best]
    usable[pair_index[best]] = True
    return values, usable


def learn_weights(values: np.ndarray, labels: np.ndarray, names: list[str]) -> tuple[dict[str, float], dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(values, labels)
    coefficients = np.clip(model.coef_[0], 0.0, None)
    if coefficients.sum() <= 0:
        coefficients = np.ones(len(names))
    weights = coefficients / coefficients.sum()
    auc = float(roc_auc_score(labels, model.decision_function(values))) if 0 < labels.sum() < len(labels) else None
    metrics = {
        "training_auc": auc,
        "coefficients": {n: round(float(c), 4) for n, c in zip(names, model.coef_[0], strict=True)},
        "positives": int(labels.sum()),
        "negatives": int((~labels).sum()),
    }
    return {n: round(float(w), 4) for n, w in zip(names, weights, strict=True)}, metrics
