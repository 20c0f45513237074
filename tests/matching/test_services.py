"""Recomputing pairings end to end through the database: runs, visibility, fairs, pins and
exclusions, incremental recomputes and learning."""

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Certification, Sector
from matching import selectors, services
from matching.fairs import setup as fair_setup
from matching.models import ConsultationFair, MatchingRun, MatchOutcome, PairDecision, Pairing, ScoringModel
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    """Two beauty SMEs (one Halal-certified, exporting to Malaysia), one IT SME; a Malaysian
    beauty buyer looking for skin care, and a US electronics buyer."""
    halal = Certification.objects.get(code="halal")
    beauty, it = Sector.objects.get(code="beauty"), Sector.objects.get(code="it-ict")
    cica = factories.CompanyFactory(
        name_en="Cica Lab", sector=beauty, export_countries=["MY"], target_countries=["MY", "TH"]
    )
    cica.certifications.add(halal)
    cream = factories.ProductFactory(
        company=cica, name_en="Centella calming cream", name_ko="병풀 진정 크림", hs_code_id="330499"
    )
    cream.certifications.add(halal)
    other_beauty = factories.CompanyFactory(name_en="Lip Studio", sector=beauty, target_countries=["US"])
    factories.ProductFactory(
        company=other_beauty, name_en="Velvet lip tint", name_ko="벨벳 립 틴트", hs_code_id="330410"
    )
    gadgets = factories.CompanyFactory(
        name_en="Sound Works", sector=it, target_countries=["US"], export_countries=["US"]
    )
    factories.ProductFactory(
        company=gadgets,
        name_en="Bluetooth earbuds",
        name_ko="블루투스 이어폰",
        hs_code_id="851830",
        description_en="Wireless earbuds",
        description_ko="무선 이어폰",
        keywords="earbuds, bluetooth",
    )
    kl = factories.BuyerOrganisationFactory(
        name="KL Beauty", country="MY", time_zone="Asia/Kuala_Lumpur", description="Skin care cream distributor"
    )
    kl.sectors.add(beauty)
    kl.hs_codes.add("3304")
    us = factories.BuyerOrganisationFactory(
        name="NY Gadgets", country="US", time_zone="America/New_York", description="Bluetooth audio importer"
    )
    us.sectors.add(it)
    us.hs_codes.add("851830")
    return {"cica": cica, "lips": other_beauty, "gadgets": gadgets, "kl": kl, "us": us}


def _ranked(pairings, field="company"):
    return [getattr(p, f"{field}_id") for p in pairings]


def test_full_recompute_ranks_both_ways_with_reasons(market):
    run = services.pairings_recompute_full_inline(chunk_size=1)
    assert run.status == MatchingRun.Status.ACTIVE and run.chunks_total == 2
    staff = factories.StaffUserFactory()
    for_kl = list(selectors.pairing_list(user=staff, buyer_id=market["kl"].pk))
    assert _ranked(for_kl)[0] == market["cica"].pk
    best = for_kl[0]
    assert best.rank_for_buyer == 1 and best.model_version == 1
    assert best.products[0]["name_en"] == "Centella calming cream"
    assert "HS 3304" in best.explanation_en and "Halal" in best.explanation_en and "Malaysia" in best.explanation_en
    assert "할랄" in best.explanation_ko or "Halal" in best.explanation_ko
    assert abs(sum(best.contributions.values()) - best.score) < 1e-4
    for_gadgets = list(selectors.pairing_list(user=staff, company_id=market["gadgets"].pk))
    assert _ranked(for_gadgets, "buyer")[0] == market["us"].pk


def test_a_second_run_replaces_the_first_atomically(market):
    first = services.pairings_recompute_full_inline()
    second = services.pairings_recompute_full_inline()
    first.refresh_from_db()
    assert first.status == MatchingRun.Status.SUPERSEDED and not first.pairings.exists()
    assert Pairing.objects.filter(run=second).exists()


def test_a_running_run_is_invisible_until_finalised(market):
    active = services.pairings_recompute_full_inline()
    run, chunks = services.matching_run_plan(chunk_size=1)
    services.pairings_compute_chunk(run_id=run.pk, buyer_ids=chunks[0])
    staff = factories.StaffUserFactory()
    visible_runs = set(selectors.pairing_list(user=staff).values_list("run_id", flat=True))
    assert visible_runs == {active.pk}
    assert Pairing.objects.filter(run=run).exists()  # written, but not shown


def test_failed_run_leaves_the_active_one_and_drops_its_rows(market):
    active = services.pairings_recompute_full_inline()
    run, chunks = services.matching_run_plan(chunk_size=1)
    services.pairings_compute_chunk(run_id=run.pk, buyer_ids=chunks[0])
    services.matching_run_fail(run_id=run.pk, error="worker died")
    run.refresh_from_db()
    assert run.status == MatchingRun.Status.FAILED and not run.pairings.exists()
    assert MatchingRun.objects.get(status=MatchingRun.Status.ACTIVE, fair__isnull=True) == active


def test_database_refuses_two_active_full_runs(market):
    services.pairings_recompute_full_inline()
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingRun.objects.create(scope="full", status="active", scoring_model=services.scoring_model_active())


def test_chunk_is_safe_to_run_twice(market):
    run, chunks = services.matching_run_plan(chunk_size=10)
    services.pairings_compute_chunk(run_id=run.pk, buyer_ids=chunks[0])
    count = Pairing.objects.filter(run=run).count()
    services.pairings_compute_chunk(run_id=run.pk, buyer_ids=chunks[0])
    assert Pairing.objects.filter(run=run).count() == count


def test_fair_proposals_respect_sector_countries_and_exclusions(market):
    staff = factories.StaffUserFactory()
    fair = fair_setup.fair_create(
        created_by=staff,
        name="Beauty fair for Malaysia",
        sectors=[Sector.objects.get(code="beauty")],
        target_countries=["MY"],
    )
    services.pairings_recompute_fair(fair=fair)
    proposals = list(selectors.pairing_list(user=staff, fair_id=fair.pk))
    assert {p.buyer_id for p in proposals} == {market["kl"].pk}
    assert market["gadgets"].pk not in {p.company_id for p in proposals}
    top = proposals[0]
    assert top.company_id == market["cica"].pk

    services.pair_decide(
        fair=fair,
        company_id=top.company_id,
        buyer_id=top.buyer_id,
        decision=PairDecision.Decision.EXCLUDE,
        decided_by=staff,
    )
    assert not selectors.pairing_list(user=staff, fair_id=fair.pk).filter(company_id=top.company_id).exists()
    services.pairings_recompute_fair(fair=fair)  # excluded pairs never come back for that fair
    assert (
        not selectors.pairing_list(user=staff, fair_id=fair.pk)
        .filter(company_id=top.company_id, buyer_id=top.buyer_id)
        .exists()
    )


def test_pinned_pair_is_kept_even_when_not_proposed(market):
    staff = factories.StaffUserFactory()
    fair = fair_setup.fair_create(
        created_by=staff, name="Beauty", sectors=[Sector.objects.get(code="beauty")], target_countries=["MY"]
    )
    # Sound Works is outside the fair's sector, so the matcher would never propose it.
    services.pair_decide(
        fair=fair,
        company_id=market["gadgets"].pk,
        buyer_id=market["kl"].pk,
        decision=PairDecision.Decision.PIN,
        decided_by=staff,
    )
    services.pairings_recompute_fair(fair=fair)
    pinned = selectors.pairing_list(user=staff, fair_id=fair.pk).get(company_id=market["gadgets"].pk)
    assert pinned.is_pinned and pinned.explanation_en


@pytest.mark.parametrize("factory", [factories.SMEUserFactory, factories.BuyerUserFactory])
def test_only_staff_pin_or_exclude(market, factory):
    from tradeon.errors import NotAllowed

    fair = ConsultationFair.objects.create(name="F")
    with pytest.raises(NotAllowed):
        services.pair_decide(
            fair=fair, company_id=market["cica"].pk, buyer_id=market["kl"].pk, decision="pin", decided_by=factory()
        )
    assert not PairDecision.objects.exists()


def test_sme_sees_only_its_own_companys_pairings(market):
    services.pairings_recompute_full_inline()
    member = factories.SMEUserFactory(company=market["cica"])
    visible = list(selectors.pairing_list(user=member))
    assert visible and {p.company_id for p in visible} == {market["cica"].pk}
    assert not selectors.pairing_list(user=member, company_id=market["gadgets"].pk).exists()


def test_buyer_sees_only_its_own_recommendations(market):
    services.pairings_recompute_full_inline()
    member = factories.BuyerUserFactory(buyer_organisation=market["kl"])
    visible = list(selectors.pairing_list(user=member))
    assert visible and {p.buyer_id for p in visible} == {market["kl"].pk}
    assert not selectors.pairing_list(user=member, buyer_id=market["us"].pk).exists()


def test_sme_does_not_see_unverified_buyers(market):
    services.pairings_recompute_full_inline()
    market["kl"].verification_state = "pending"
    market["kl"].save()
    member = factories.SMEUserFactory(company=market["cica"])
    assert market["kl"].pk not in set(selectors.pairing_list(user=member).values_list("buyer_id", flat=True))


def test_recompute_for_one_buyer_follows_its_new_interests(market):
    services.pairings_recompute_full_inline()
    kl = market["kl"]
    kl.hs_codes.set(["851830"])
    kl.sectors.set([Sector.objects.get(code="it-ict")])
    kl.description = "Bluetooth earbuds and audio"
    kl.save()
    services.pairings_recompute_buyer(buyer_id=kl.pk)
    staff = factories.StaffUserFactory()
    assert _ranked(selectors.pairing_list(user=staff, buyer_id=kl.pk))[0] == market["gadgets"].pk


def test_recompute_for_one_company_follows_its_new_products(market):
    services.pairings_recompute_full_inline()
    factories.ProductFactory(company=market["gadgets"], name_en="Cica cream", name_ko="시카 크림", hs_code_id="330499")
    services.pairings_recompute_company(company_id=market["gadgets"].pk)
    staff = factories.StaffUserFactory()
    mine = selectors.pairing_list(user=staff, company_id=market["gadgets"].pk)
    assert market["kl"].pk in set(mine.values_list("buyer_id", flat=True))


def test_learning_waits_for_enough_outcomes(market):
    assert services.scoring_model_train() is None
    assert services.scoring_model_active().version == 1


def test_learning_from_outcomes_activates_a_new_version(market):
    # 40 labelled pairs: good outcomes exactly where the company targets the buyer's country.
    beauty = Sector.objects.get(code="beauty")
    buyers = [factories.BuyerOrganisationFactory(country=c, time_zone="UTC") for c in ["MY", "TH", "US", "VN"] * 2]
    companies = []
    for i in range(5):
        company = factories.CompanyFactory(sector=beauty, target_countries=["MY", "TH"] if i % 2 else ["US", "VN"])
        factories.ProductFactory(company=company)
        companies.append(company)
    for buyer in buyers:
        for company in companies:
            good = buyer.country.code in company.target_countries
            kind = MatchOutcome.Kind.MEETING_HELD if good else MatchOutcome.Kind.REQUEST_DECLINED
            services.match_outcome_record(company_id=company.pk, buyer_id=buyer.pk, kind=kind)
    model = services.scoring_model_train(min_outcomes=30)
    assert model is not None and model.version == 2 and model.source == ScoringModel.Source.LEARNED
    assert services.scoring_model_active() == model
    assert model.weights["market"] == max(model.weights.values())
    assert model.weights["market"] > 0.15  # more than the documented default
    run = services.pairings_recompute_full_inline()
    assert set(run.pairings.values_list("model_version", flat=True)) == {2}


def test_recomputes_on_an_empty_catalogue_propose_nothing():
    buyer = factories.BuyerOrganisationFactory()
    run = services.pairings_recompute_full_inline()
    assert run.status == MatchingRun.Status.ACTIVE and not run.pairings.exists()
    assert services.pairings_recompute_buyer(buyer_id=buyer.pk) == 0
    fair = ConsultationFair.objects.create(name="Empty")
    assert services.pairings_recompute_fair(fair=fair).status == MatchingRun.Status.ACTIVE


def test_recompute_command(market, capsys):
    from django.core.management import CommandError, call_command

    fair = ConsultationFair.objects.create(name="Beauty")
    fair.sectors.add(Sector.objects.get(code="beauty"))
    call_command("recompute_matches", "--fairs")
    output = capsys.readouterr().out
    assert "pairings" in output and f"Fair {fair.pk}" in output
    assert MatchingRun.objects.filter(status="active").count() == 2
    with pytest.raises(CommandError, match="No consultation fair with id 999"):
        call_command("recompute_matches", "--fair", "999")
