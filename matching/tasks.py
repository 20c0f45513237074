"""Celery tasks of the matching app: thin wrappers that take ids and call the services.

Every task is safe to run twice: a chunk replaces its own rows, finalising an already active
run is refused, a per-buyer or per-company recompute rewrites that party's rows.
"""

import logging

from celery import chord, shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import services
from .models import ConsultationFair

logger = logging.getLogger(__name__)


def _debounce_key(kind: str, pk: int) -> str:
    return f"matching:pending:{kind}:{pk}"


@shared_task
def recompute_pairings() -> int:
    """A full recompute: its chunks run in parallel on the workers, then one task finalises
    (ranks companies' buyers across chunks and activates the run atomically)."""
    run, chunks = services.matching_run_plan(chunk_size=settings.MATCHING_CHUNK_SIZE)
    header = [recompute_chunk.si(run.pk, chunk) for chunk in chunks]
    chord(header)(finalize_run.si(run.pk).on_error(fail_run.si(run.pk)))
    return run.pk


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def recompute_chunk(run_id: int, buyer_ids: list[int]) -> int:
    return services.pairings_compute_chunk(run_id=run_id, buyer_ids=buyer_ids)


@shared_task
def finalize_run(run_id: int) -> int:
    return services.matching_run_finalize(run_id=run_id).pairings_written


@shared_task
def fail_run(run_id: int, *args) -> None:
    services.matching_run_fail(run_id=run_id, error="a chunk of the recompute failed; see the worker log")


@shared_task
def recompute_fair_pairings(fair_id: int) -> int | None:
    fair = ConsultationFair.objects.filter(pk=fair_id).first()
    if fair is None:
        logger.info("fair %s is gone; nothing to recompute", fair_id)
        return None
    return services.pairings_recompute_fair(fair=fair).pk


@shared_task
def recompute_for_buyer(buyer_id: int) -> int:
    cache.delete(_debounce_key("buyer", buyer_id))
    return services.pairings_recompute_buyer(buyer_id=buyer_id)


@shared_task
def recompute_for_company(company_id: int) -> int:
    cache.delete(_debounce_key("company", company_id))
    return services.pairings_recompute_company(company_id=company_id)


@shared_task
def train_scoring_model() -> int | None:
    model = services.scoring_model_train()
    return model.version if model else None


_TASKS = {"buyer": recompute_for_buyer, "company": recompute_for_company}


def schedule_recompute(kind: str, pk: int) -> None:
    """Queue a recompute for one buyer or company once the current transaction commits,
    debounced: edits within MATCHING_DEBOUNCE_SECONDS share one recompute, which runs after
    the last of them and so sees the final state."""
    if not settings.MATCHING_RECOMPUTE_ON_CHANGE:
        return
    if cache.add(_debounce_key(kind, pk), 1, timeout=settings.MATCHING_DEBOUNCE_SECONDS + 30):
        task = _TASKS[kind]
        transaction.on_commit(lambda: task.apply_async((pk,), countdown=settings.MATCHING_DEBOUNCE_SECONDS))
