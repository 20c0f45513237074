"""Celery tasks: the full recompute runs as a chord of chunk tasks (for real on a worker against
Redis when REDIS_URL is set, as under CI; inline otherwise), and profile edits queue one
debounced recompute after commit."""

import os
import time

import pytest
from django.test import override_settings

from matching import services, tasks
from matching.models import MatchingRun, Pairing
from tests import factories


def _small_market():
    for _ in range(3):
        company = factories.CompanyFactory(target_countries=["TH"])
        factories.ProductFactory(company=company)
    for _ in range(4):
        buyer = factories.BuyerOrganisationFactory()
        buyer.hs_codes.add("3304")


@pytest.mark.django_db(transaction=True)
@override_settings(MATCHING_CHUNK_SIZE=2)
def test_full_recompute_task_runs_chunks_and_activates_the_run():
    from tradeon.celery import app

    _small_market()
    if os.environ.get("REDIS_URL"):
        from celery.contrib.testing.worker import start_worker

        app.conf.task_always_eager = False
        try:
            with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
                tasks.recompute_pairings.delay()
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not MatchingRun.objects.filter(status="active").exists():
                    time.sleep(0.2)
        finally:
            app.conf.task_always_eager = True
    else:
        tasks.recompute_pairings.delay()
    run = MatchingRun.objects.get(status=MatchingRun.Status.ACTIVE)
    assert run.chunks_total == 2 and run.chunks_done == 2
    assert Pairing.objects.filter(run=run, rank_for_buyer=1).count() == 4
    assert Pairing.objects.filter(run=run, rank_for_company=1).count() == 3


@pytest.mark.django_db
@override_settings(MATCHING_RECOMPUTE_ON_CHANGE=True, MATCHING_DEBOUNCE_SECONDS=30)
def test_profile_edits_queue_one_debounced_recompute_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.recompute_for_buyer, "apply_async", lambda args, countdown: calls.append((args, countdown))
    )
    with django_capture_on_commit_callbacks(execute=True):
        buyer = factories.BuyerOrganisationFactory()
        for city in ("Bangkok", "Chiang Mai", "Phuket"):
            buyer.city = city
            buyer.save()
        factories.SourcingRequestFactory(buyer=buyer)
    assert calls == [((buyer.pk,), 30)]


@pytest.mark.django_db
@override_settings(MATCHING_RECOMPUTE_ON_CHANGE=True, MATCHING_DEBOUNCE_SECONDS=30)
def test_product_edit_queues_its_company(django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.recompute_for_company, "apply_async", lambda args, countdown: calls.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        product = factories.ProductFactory()
    assert calls == [(product.company_id,)]


@pytest.mark.django_db
def test_nothing_is_queued_when_the_switch_is_off(django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.recompute_for_buyer, "apply_async", lambda *a, **k: calls.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        factories.BuyerOrganisationFactory()
    assert calls == []


@pytest.mark.django_db
def test_tasks_for_vanished_objects_return_quietly():
    assert tasks.recompute_fair_pairings(987654) is None
    assert tasks.recompute_for_buyer(987654) == 0  # no active run yet
    services.pairings_recompute_full_inline()
    assert tasks.recompute_for_company(987654) == 0


def test_nightly_schedule_trains_then_recomputes(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["matching-train"]["task"] == "matching.tasks.train_scoring_model"
    assert schedule["matching-recompute"]["task"] == "matching.tasks.recompute_pairings"
