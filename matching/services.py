"""Writes of the matching app: recomputing pairings (in full, in chunks, for one fair, for one
buyer or company), staff decisions on pairs, and learning weights from outcomes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tradeon.accounts.models import Role
from tradeon.errors import Conflict, NotAllowed

from .models import ConsultationFair, MatchingRun, MatchOutcome, PairDecision, Pairing, ScoringModel

logger = logging.getLogger(__name__)

TOP_K = 20
# Learning needs this many labelled pairs, with both outcomes represented, before it replaces
# the documented defaults.
MIN_OUTCOMES_TO_LEARN = 30
MIN_PER_CLASS = 5


# --- the scoring model ---------------------------------------------------------------------


def scoring_model_active() -> ScoringModel:
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is None:
        from .signals import DEFAULT_WEIGHTS

        model, _ = ScoringModel.objects.get_or_create(
            version=1, defaults={"source": ScoringModel.Source.DEFAULT, "weights": DEFAULT_WEIGHTS, "is_active": True}
        )
    return model


def matcher_for(model: ScoringModel, tables, *, top_k: int = TOP_K):
    from .engine import Matcher

    return Matcher(weights=model.weights, top_k=top_k).fit(tables)


# --- writing pairings ------------------------------------------------------------------------


def _pairing_rows(run: MatchingRun, matcher, result, *, pinned: set[tuple[int, int]] = frozenset()) -> list[Pairing]:
    tables = matcher.tables
    names = matcher.signal_names
    contributions = result.contributions
    rows = []
    for i in range(len(result)):
        buyer_row, company_row = int(result.buyer[i]), int(result.company[i])
        product_rows, seen_names = [], set()
        for p in result.products[i]:
            # Variants of one product line share a name; show each name once.
            if p >= 0 and (tables.products.names_en[p] if tables.products.names_en else p) not in seen_names:
                product_rows.append(int(p))
                seen_names.add(tables.products.names_en[p] if tables.products.names_en else p)
        explanation_en, explanation_ko = matcher.explain(buyer_row, product_rows[0], result.values[i])
        company_id, buyer_id = int(tables.companies.ids[company_row]), int(tables.buyers.ids[buyer_row])
        rows.append(
            Pairing(
                run=run,
                company_id=company_id,
                buyer_id=buyer_id,
                score=round(float(result.score[i]), 6),
                contributions={n: round(float(c), 6) for n, c in zip(names, contributions[i], strict=True)},
                products=[
                    {
                        "id": int(tables.products.ids[p]),
                        "name_en": tables.products.names_en[p] if tables.products.names_en else "",
                        "name_ko": tables.products.names_ko[p] if tables.products.names_ko else "",
                        "hs_code": str(tables.products.hs_code[p]),
                    }
                    for p in product_rows
                ],
                explanation_en=explanation_en,
                explanation_ko=explanation_ko,
                rank_for_buyer=int(result.rank_for_buyer[i]) or None,
                rank_for_company=int(result.rank_for_company[i]) or None,
                model_version=run.scoring_model.version,
                is_pinned=(company_id, buyer_id) in pinned,
            )
        )
    return rows


def matching_run_start(*, fair: ConsultationFair | None = None) -> MatchingRun:
    scope = MatchingRun.Scope.FAIR if fair else MatchingRun.Scope.FULL
    return MatchingRun.objects.create(scope=scope, fair=fair, scoring_model=scoring_model_active())


def _fair_selection(fair: ConsultationFair, tables):
    """Buyers from the fair's target countries and products of companies in its sectors."""
    from .tables import SECTOR_INDEX

    sectors = [SECTOR_INDEX[code] for code in fair.sectors.values_list("code", flat=True) if code in SECTOR_INDEX]
    countries = {str(c) for c in fair.target_countries}
    buyers = np.arange(len(tables.buyers))
    if countries:
        buyers = buyers[np.isin(tables.buyers.country, list(countries))]
    product_mask = None
    if sectors:
        product_mask = np.isin(tables.product_sector(), sectors)
    return buyers, product_mask


def pairings_compute_chunk(*, run_id: int, buyer_ids: Iterable[int]) -> int:
    """Score one chunk of buyers of a run and store its rows (not yet visible)."""
    from .tables import load_tables

    run = MatchingRun.objects.select_related("scoring_model", "fair").get(pk=run_id)
    if run.status != MatchingRun.Status.RUNNING:
        logger.info("run %s is %s; chunk skipped", run_id, run.status)
        return 0
    tables = load_tables()
    wanted = np.isin(tables.buyers.ids, list(buyer_ids))
    rows = []
    if len(tables.products) and wanted.any():  # an empty catalogue or chunk proposes nothing
        matcher = matcher_for(run.scoring_model, tables)
        rows = _pairing_rows(run, matcher, matcher.rank(np.flatnonzero(wanted)))
    with transaction.atomic():
        # Safe to run twice: a retried chunk replaces its own rows.
        Pairing.objects.filter(run=run, buyer_id__in=list(buyer_ids)).delete()
        Pairing.objects.bulk_create(rows, batch_size=2000)
        MatchingRun.objects.filter(pk=run.pk).update(chunks_done=F("chunks_done") + 1)
    return len(rows)


@transaction.atomic
def matching_run_finalize(*, run_id: int) -> MatchingRun:
    """Rank each company's buyers across all chunks, drop rows in neither top list, and make
    the run the active one, superseding (and deleting) the previous active run of its scope."""
    run = MatchingRun.objects.select_for_update().get(pk=run_id)
    if run.status != MatchingRun.Status.RUNNING:
        raise Conflict(f"Run {run.pk} is {run.status}, not running.")
    rows = list(Pairing.objects.filter(run=run).values_list("id", "company_id", "score"))
    if rows:
        ids = np.array([r[0] for r in rows])
        companies = np.array([r[1] for r in rows])
        scores = np.array([r[2] for r in rows])
        from .engine import _rank_within

        rank = _rank_within(companies, scores)
        keep = rank <= TOP_K
        ranked = [Pairing(id=int(i), rank_for_company=int(r)) for i, r in zip(ids[keep], rank[keep], strict=True)]
        Pairing.objects.filter(run=run).update(rank_for_company=None)
        Pairing.objects.bulk_update(ranked, ["rank_for_company"], batch_size=2000)
        Pairing.objects.filter(
            run=run, rank_for_company__isnull=True, rank_for_buyer__isnull=True, is_pinned=False
        ).delete()
    previous = MatchingRun.objects.select_for_update().filter(status=MatchingRun.Status.ACTIVE, fair=run.fair)
    for old in previous:
        old.status = MatchingRun.Status.SUPERSEDED
        old.save(update_fields=["status"])
        old.pairings.all().delete()
    run.status = MatchingRun.Status.ACTIVE
    run.finished_at = timezone.now()
    run.pairings_written = Pairing.objects.filter(run=run).count()
    run.save(update_fields=["status", "finished_at", "pairings_written"])
    return run


def pairings_recompute_fair(*, fair: ConsultationFair) -> MatchingRun:
    """A fair's proposals: best pairs within its sectors and target countries, without the
    pairs staff excluded, with the pairs staff pinned."""
    from .tables import load_tables

    run = matching_run_start(fair=fair)
    try:
        tables = load_tables()
        decisions = list(PairDecision.objects.filter(fair=fair).values_list("company_id", "buyer_id", "decision"))
        excluded = {(c, b) for c, b, d in decisions if d == PairDecision.Decision.EXCLUDE}
        pinned = {(c, b) for c, b, d in decisions if d == PairDecision.Decision.PIN}
        buyers, product_mask = _fair_selection(fair, tables)
        if not len(tables.products) or not len(buyers):
            return matching_run_finalize(run_id=run.pk)  # an empty proposal list, still the current one
        slack = max([sum(1 for c, b in excluded if b == buyer) for buyer in {b for _, b in excluded}] or [0])
        matcher = matcher_for(run.scoring_model, tables, top_k=TOP_K + slack)
        result = matcher.rank(buyers, product_mask=product_mask)
        result = _drop_excluded(result, tables, excluded)
        result = _with_pinned(result, matcher, pinned)
        rows = _pairing_rows(run, matcher, result, pinned=pinned)
        with transaction.atomic():
            Pairing.objects.bulk_create(rows, batch_size=2000)
            MatchingRun.objects.filter(pk=run.pk).update(chunks_total=1, chunks_done=1)
        return matching_run_finalize(run_id=run.pk)
    except Exception as error:
        matching_run_fail(run_id=run.pk, error=str(error))
        raise


def _drop_excluded(result, tables, excluded: set[tuple[int, int]]):
    from .engine import MatchResult, _rank_within

    if not excluded or not len(result):
        return result
    company_ids = tables.companies.ids[result.company]
    buyer_ids = tables.buyers.ids[result.buyer]
    keep = np.array([(int(c), int(b)) not in excluded for c, b in zip(company_ids, buyer_ids, strict=True)])
    fields = {name: getattr(result, name)[keep] for name in ("buyer", "company", "score", "values", "products")}
    by_buyer = _rank_within(fields["buyer"], fields["score"])
    by_company = _rank_within(fields["company"], fields["score"])
    in_buyer = result.rank_for_buyer[keep] > 0
    in_company = result.rank_for_company[keep] > 0
    return MatchResult(
        result.signal_names,
        result.weights,
        **fields,
        rank_for_buyer=np.where(in_buyer & (by_buyer <= TOP_K), by_buyer, 0).astype(np.int16),
        rank_for_company=np.where(in_company & (by_company <= TOP_K), by_company, 0).astype(np.int16),
    )


def _with_pinned(result, matcher, pinned: set[tuple[int, int]]):
    """Add pinned pairs that the ranking did not propose, scored like any other."""
    from .engine import MatchResult

    tables = matcher.tables
    present = {
        (int(tables.companies.ids[c]), int(tables.buyers.ids[b]))
        for c, b in zip(result.company, result.buyer, strict=True)
    }
    missing = [pair for pair in pinned if pair not in present]
    if not missing:
        return result
    company_row = {int(c): i for i, c in enumerate(tables.companies.ids)}
    buyer_row = {int(b): i for i, b in enumerate(tables.buyers.ids)}
    extra = {"buyer": [], "company": [], "score": [], "values": [], "products": []}
    for company_id, buyer_id in missing:
        if company_id not in company_row or buyer_id not in buyer_row:
            continue  # unpublished company or rejected buyer: nothing to show
        products = np.flatnonzero(tables.products.company == company_row[company_id])
        if not len(products):
            continue
        values = matcher.score_pairs(np.full(len(products), buyer_row[buyer_id]), products)
        scores = values @ matcher.weights
        order = np.argsort(-scores)[: matcher.products_per_pairing]
        best = np.full(matcher.products_per_pairing, -1, dtype=np.int32)
        best[: len(order)] = products[order]
        extra["buyer"].append(buyer_row[buyer_id])
        extra["company"].append(company_row[company_id])
        extra["score"].append(scores[order[0]])
        extra["values"].append(values[order[0]])
        extra["products"].append(best)
    if not extra["buyer"]:
        return result
    n = len(extra["buyer"])
    return MatchResult(
        result.signal_names,
        result.weights,
        buyer=np.concatenate([result.buyer, np.array(extra["buyer"], dtype=np.int32)]),
        company=np.concatenate([result.company, np.array(extra["company"], dtype=np.int32)]),
        score=np.concatenate([result.score, np.array(extra["score"], dtype=np.float32)]),
        values=np.concatenate([result.values, np.array(extra["values"], dtype=np.float32)]),
        products=np.concatenate([result.products, np.array(extra["products"], dtype=np.int32)]),
        rank_for_buyer=np.concatenate([result.rank_for_buyer, np.zeros(n, dtype=np.int16)]),
        rank_for_company=np.concatenate([result.rank_for_company, np.zeros(n, dtype=np.int16)]),
    )


def matching_run_plan(*, chunk_size: int = 500) -> tuple[MatchingRun, list[list[int]]]:
    """Start a full run and split its buyers into chunks that workers can score in parallel."""
    from buyers.models import BuyerOrganisation, VerificationState

    run = matching_run_start()
    buyer_ids = list(
        BuyerOrganisation.objects.exclude(verification_state=VerificationState.REJECTED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    chunks = [buyer_ids[i : i + chunk_size] for i in range(0, len(buyer_ids), chunk_size)] or [[]]
    MatchingRun.objects.filter(pk=run.pk).update(chunks_total=len(chunks))
    run.chunks_total = len(chunks)
    return run, chunks


def matching_run_fail(*, run_id: int, error: str) -> None:
    MatchingRun.objects.filter(pk=run_id, status=MatchingRun.Status.RUNNING).update(
        status=MatchingRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    # A failed run's rows were never visible; drop them.
    Pairing.objects.filter(run_id=run_id).delete()


def pairings_recompute_full_inline(*, chunk_size: int = 500) -> MatchingRun:
    """The full recompute in this process, chunk by chunk (the management command and tests;
    the Celery task runs the same chunks in parallel on workers)."""
    run, chunks = matching_run_plan(chunk_size=chunk_size)
    try:
        for chunk in chunks:
            pairings_compute_chunk(run_id=run.pk, buyer_ids=chunk)
        return matching_run_finalize(run_id=run.pk)
    except Exception as error:
        matching_run_fail(run_id=run.pk, error=str(error))
        raise


# --- one buyer or one company changed ---------------------------------------------------------


def _active_full_run() -> MatchingRun | None:
    return (
        MatchingRun.objects.select_related("scoring_model")
        .filter(status=MatchingRun.Status.ACTIVE, fair__isnull=True)
        .first()
    )


def _rerank(run: MatchingRun, *, field: str, owner_ids: Iterable[int]) -> None:
    """Renumber one side's ranks among the rows present in the run, keeping the top k."""
    from .engine import _rank_within

    rank_field = "rank_for_buyer" if field == "buyer_id" else "rank_for_company"
    owners = list(set(owner_ids))
    if owners:
        rows = list(
            Pairing.objects.filter(run=run, **{f"{field}__in": owners}).values_list("id", field, "score", rank_field)
        )
        if rows:
            ids = np.array([r[0] for r in rows])
            rank = _rank_within(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
            changed = [
                Pairing(id=int(pk), **{rank_field: (int(new) if new <= TOP_K else None)})
                for pk, new, (_, _, _, old) in zip(ids, rank, rows, strict=True)
                if (int(new) if new <= TOP_K else None) != old
            ]
            Pairing.objects.bulk_update(changed, [rank_field], batch_size=2000)
    Pairing.objects.filter(
        run=run, rank_for_buyer__isnull=True, rank_for_company__isnull=True, is_pinned=False
    ).delete()


@transaction.atomic
def pairings_recompute_buyer(*, buyer_id: int) -> int:
    """Re-score one buyer against the whole catalogue inside the active full run: its own top
    list is exact; companies' lists are re-ranked among the rows they already have."""
    from .tables import load_tables

    run = _active_full_run()
    if run is None:
        return 0
    run = MatchingRun.objects.select_for_update().select_related("scoring_model").get(pk=run.pk)
    tables = load_tables()
    Pairing.objects.filter(run=run, buyer_id=buyer_id).delete()
    rows_of_buyer = np.flatnonzero(tables.buyers.ids == buyer_id)
    if not len(rows_of_buyer) or not len(tables.products):  # rejected or deleted: it simply leaves the lists
        _rerank(run, field="buyer_id", owner_ids=[])
        return 0
    matcher = matcher_for(run.scoring_model, tables)
    result = matcher.rank(rows_of_buyer, exhaustive=True)
    rows = _pairing_rows(run, matcher, result)
    for row in rows:
        row.rank_for_company = None
    Pairing.objects.bulk_create(rows)
    _rerank(run, field="company_id", owner_ids=[r.company_id for r in rows])
    return len(rows)


@transaction.atomic
def pairings_recompute_company(*, company_id: int) -> int:
    """Re-score one company's products against every buyer inside the active full run."""
    from .tables import load_tables

    run = _active_full_run()
    if run is None:
        return 0
    run = MatchingRun.objects.select_for_update().select_related("scoring_model").get(pk=run.pk)
    tables = load_tables()
    touched_buyers = set(Pairing.objects.filter(run=run, company_id=company_id).values_list("buyer_id", flat=True))
    Pairing.objects.filter(run=run, company_id=company_id).delete()
    company_rows = np.flatnonzero(tables.companies.ids == company_id)
    if not len(company_rows) or not np.any(tables.products.company == company_rows[0]):
        _rerank(run, field="buyer_id", owner_ids=touched_buyers)
        return 0
    matcher = matcher_for(run.scoring_model, tables, top_k=len(tables.buyers) or 1)
    mask = tables.products.company == company_rows[0]
    result = matcher.rank(product_mask=mask, exhaustive=True)
    order = np.argsort(-result.score)[:TOP_K]
    from .engine import MatchResult

    picked = MatchResult(
        result.signal_names,
        result.weights,
        buyer=result.buyer[order],
        company=result.company[order],
        score=result.score[order],
        values=result.values[order],
        products=result.products[order],
        rank_for_buyer=np.zeros(len(order), dtype=np.int16),
        rank_for_company=np.arange(1, len(order) + 1, dtype=np.int16),
    )
    rows = _pairing_rows(run, matcher, picked)
    Pairing.objects.bulk_create(rows)
    _rerank(run, field="buyer_id", owner_ids=touched_buyers | {r.buyer_id for r in rows})
    return len(rows)


# --- staff decisions -----------------------------------------------------------------------------


def _require_staff(user) -> None:
    if user.role != Role.STAFF:
        raise NotAllowed("Only agency staff can pin or exclude pairs.")


@transaction.atomic
def pair_decide(
    *, fair: ConsultationFair, company_id: int, buyer_id: int, decision: str, decided_by, note: str = ""
) -> PairDecision:
    """Pin a pair into a fair's proposals or exclude it for good. The fair's active proposals
    change at once: an excluded pair disappears, a pinned one is marked (and added at the next
    recompute if it was not proposed)."""
    _require_staff(decided_by)
    record, _ = PairDecision.objects.update_or_create(
        fair=fair,
        company_id=company_id,
        buyer_id=buyer_id,
        defaults={"decision": decision, "decided_by": decided_by, "note": note},
    )
    active = Pairing.objects.filter(
        run__fair=fair, run__status=MatchingRun.Status.ACTIVE, company_id=company_id, buyer_id=buyer_id
    )
    if decision == PairDecision.Decision.EXCLUDE:
        active.delete()
    else:
        active.update(is_pinned=True)
    return record


@transaction.atomic
def pair_decision_clear(*, fair: ConsultationFair, company_id: int, buyer_id: int, cleared_by) -> None:
    _require_staff(cleared_by)
    PairDecision.objects.filter(fair=fair, company_id=company_id, buyer_id=buyer_id).delete()
    Pairing.objects.filter(run__fair=fair, company_id=company_id, buyer_id=buyer_id).update(is_pinned=False)


@transaction.atomic
# --- outcomes and learning ---------------------------------------------------------------------


def match_outcome_record(
    *, company_id: int, buyer_id: int, kind: str, fair=None, recorded_by=None, occurred_at=None
) -> MatchOutcome:
    return MatchOutcome.objects.create(
        company_id=company_id,
        buyer_id=buyer_id,
        kind=kind,
        fair=fair,
        recorded_by=recorded_by,
        occurred_at=occurred_at or timezone.now(),
    )


def training_pairs() -> tuple[list[tuple[int, int]], np.ndarray]:
    """One label per (company, buyer): positive if anything good came of the pair."""
    labels: dict[tuple[int, int], bool] = {}
    for company_id, buyer_id, kind in MatchOutcome.objects.values_list("company_id", "buyer_id", "kind"):
        key = (company_id, buyer_id)
        labels[key] = labels.get(key, False) or kind in MatchOutcome.POSITIVE
    pairs = sorted(labels)
    return pairs, np.array([labels[p] for p in pairs], dtype=bool)


@transaction.atomic
def scoring_model_train(*, min_outcomes: int = MIN_OUTCOMES_TO_LEARN) -> ScoringModel | None:
    """Learn signal weights from outcomes with a logistic regression over the signal values of
    each labelled pair; activate them as a new version. Returns None (and keeps the current
    weights) while there are too few outcomes."""
    from .learning import learn_weights
    from .tables import load_tables

    pairs, labels = training_pairs()
    if len(pairs) < min_outcomes or labels.sum() < MIN_PER_CLASS or (~labels).sum() < MIN_PER_CLASS:
        logger.info("not enough outcomes to learn from: %s pairs, %s positive", len(pairs), int(labels.sum()))
        return None
    current = scoring_model_active()
    tables = load_tables()
    matcher = matcher_for(current, tables)
    from .learning import pair_signal_values

    values, usable = pair_signal_values(matcher, pairs)
    weights, metrics = learn_weights(values[usable], labels[usable], matcher.signal_names)
    ScoringModel.objects.filter(is_active=True).update(is_active=False)
    return ScoringModel.objects.create(
        version=(ScoringModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1,
        source=ScoringModel.Source.LEARNED,
        weights=weights,
        outcomes_used=int(usable.sum()),
        metrics=metrics,
        is_active=True,
    )
