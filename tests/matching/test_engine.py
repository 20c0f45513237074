"""The engine on a small hand-made catalogue: rankings in both directions, best products, the two
scoring modes, masks, buyer edits and explanations."""

import re

import numpy as np
import pytest

from matching.engine import Matcher

COMPANIES = [
    {"sector": "beauty", "targets": ["MY"]},  # 0
    {"sector": "beauty", "targets": ["US"]},  # 1
    {"sector": "it-ict", "targets": ["US"]},  # 2
    {"sector": "food", "targets": ["MY"]},  # 3
    {"sector": "household", "targets": ["VN"]},  # 4
]
PRODUCTS = [
    {"company": 0, "hs": "330499", "text": "병풀 수분크림 centella moisturising cream", "certifications": ["halal"]},
    {"company": 0, "hs": "330410", "text": "벨벳 립 틴트 velvet lip tint", "moq": 1000},
    {"company": 0, "hs": "330499", "text": "톤업 선크림 tone-up sunscreen cream"},
    {"company": 1, "hs": "330499", "text": "히알루론산 수분 세럼 hyaluronic serum", "certifications": ["fda"]},
    {"company": 2, "hs": "851830", "text": "블루투스 이어폰 bluetooth earbuds", "certifications": ["fcc"]},
    {"company": 3, "hs": "200599", "text": "포기김치 kimchi", "certifications": ["halal"], "moq": 5000},
    {"company": 4, "hs": "961700", "text": "스테인리스 텀블러 stainless tumbler"},
]
BUYERS = [
    {
        "country": "MY",
        "sectors": ["beauty"],
        "hs": ["330499"],
        "text": "moisturising cream 수분 크림",
        "volume": "100kto1m",
    },
    {"country": "US", "sectors": ["it-ict"], "hs": ["851830"], "text": "bluetooth earbuds"},
    {"country": "VN", "sectors": ["household"], "hs": ["9617"], "text": "stainless tumbler"},
]


@pytest.fixture
def tables(make_tables):
    return make_tables(companies=COMPANIES, products=PRODUCTS, buyers=BUYERS)


def company_scores(matcher: Matcher, buyer: int) -> np.ndarray:
    """Brute force: each company's score for the buyer is that of its best product."""
    tables = matcher.tables
    products = np.arange(len(tables.products))
    scores = matcher.score_pairs(np.full(len(products), buyer), products) @ matcher.weights
    best = np.full(len(tables.companies), -np.inf)
    np.maximum.at(best, tables.products.company, scores)
    return best


def buyer_ranking(result, buyer: int) -> list[int]:
    rows = np.flatnonzero((result.buyer == buyer) & (result.rank_for_buyer > 0))
    return [int(result.company[i]) for i in rows[np.argsort(result.rank_for_buyer[rows])]]


def test_rank_gives_each_buyer_its_top_k_companies_best_first(tables):
    matcher = Matcher(top_k=3).fit(tables)
    result = matcher.rank()

    for buyer in range(len(tables.buyers)):
        ranking = buyer_ranking(result, buyer)
        expected = company_scores(matcher, buyer)
        assert len(ranking) == 3
        assert ranking == [int(c) for c in np.argsort(-expected, kind="stable")[:3]]
        rows = [np.flatnonzero((result.buyer == buyer) & (result.company == c))[0] for c in ranking]
        assert list(result.rank_for_buyer[rows]) == [1, 2, 3]
        assert np.all(np.diff(result.score[rows]) <= 0)
        assert np.allclose(result.score[rows], expected[ranking])


def test_the_right_company_comes_first_for_each_buyer(tables):
    result = Matcher(top_k=3).fit(tables).rank()

    assert [buyer_ranking(result, b)[0] for b in range(3)] == [0, 2, 4]


def test_rank_gives_each_company_its_buyers_best_first(tables):
    matcher = Matcher(top_k=2).fit(tables)
    result = matcher.rank()
    scores = np.array([company_scores(matcher, b) for b in range(len(tables.buyers))])  # buyers x companies

    for company in range(len(tables.companies)):
        rows = np.flatnonzero((result.company == company) & (result.rank_for_company > 0))
        rows = rows[np.argsort(result.rank_for_company[rows])]
        assert list(result.rank_for_company[rows]) == [1, 2]
        assert [int(b) for b in result.buyer[rows]] == [
            int(b) for b in np.argsort(-scores[:, company], kind="stable")[:2]
        ]


def test_pairings_list_the_companys_best_products_first(tables):
    matcher = Matcher(top_k=5, products_per_pairing=3).fit(tables)
    result = matcher.rank()

    for i in range(len(result)):
        products = [int(p) for p in result.products[i] if p >= 0]
        assert all(tables.products.company[p] == result.company[i] for p in products)
        own = int((tables.products.company == result.company[i]).sum())
        assert len(products) == min(3, own)
        scores = matcher.score_pairs(np.full(len(products), result.buyer[i]), products) @ matcher.weights
        assert np.all(np.diff(scores) <= 1e-6)
        assert scores[0] == pytest.approx(result.score[i])
    cream_buyer_with_company_0 = np.flatnonzero((result.buyer == 0) & (result.company == 0))[0]
    assert result.products[cream_buyer_with_company_0][0] == 0  # the cream, not the lip tint


def test_exhaustive_and_candidate_scoring_agree_on_an_easy_case(tables):
    matcher = Matcher(top_k=2, candidates=10).fit(tables)
    exhaustive = matcher.rank(exhaustive=True)
    candidates = matcher.rank(exhaustive=False)

    for buyer in range(len(tables.buyers)):
        assert buyer_ranking(candidates, buyer)[0] == buyer_ranking(exhaustive, buyer)[0]
    for i in np.flatnonzero(candidates.rank_for_buyer > 0):
        same = np.flatnonzero((exhaustive.buyer == candidates.buyer[i]) & (exhaustive.company == candidates.company[i]))
        assert exhaustive.score[same[0]] == pytest.approx(candidates.score[i])


def test_product_mask_restricts_the_ranking_to_the_masked_products(tables):
    beauty = tables.product_sector() == 2  # SECTOR_CODES.index("beauty")
    result = Matcher(top_k=3).fit(tables).rank(product_mask=beauty)

    assert set(result.company.tolist()) <= {0, 1}
    listed = result.products[result.products >= 0]
    assert beauty[listed].all()


def test_replace_buyers_rescores_a_buyer_who_changed_their_profile(tables, make_tables):
    matcher = Matcher(top_k=3).fit(tables)
    assert buyer_ranking(matcher.rank(), 2)[0] == 4  # the tumbler maker

    edited = [*BUYERS[:2], {"country": "US", "sectors": ["it-ict"], "hs": ["851830"], "text": "wireless earbuds"}]
    matcher.replace_buyers(make_tables(companies=COMPANIES, products=PRODUCTS, buyers=edited).buyers)

    assert buyer_ranking(matcher.rank(), 2)[0] == 2  # now the earbuds maker
    assert buyer_ranking(matcher.rank(), 0)[0] == 0  # the others are unchanged


# --- explanations --------------------------------------------------------------------------------


def explanation(tables, buyer: int, product: int) -> tuple[str, str, np.ndarray]:
    matcher = Matcher().fit(tables)
    values = matcher.score_pairs([buyer], [product])[0]
    english, korean = matcher.explain(buyer, product, values)
    return english, korean, dict(zip(matcher.signal_names, values * matcher.weights, strict=True))


@pytest.mark.django_db
def test_explanation_names_only_the_signals_that_carried_the_score(make_tables):
    # Only the HS code and the market carry this pair: the buyer gave no sector, no text and no
    # volume, is not verified, and the product lacks the FCC mark US electronics need.
    tables = make_tables(
        companies=[{"sector": "it-ict", "targets": ["US"]}],
        products=[{"hs": "851830", "text": "블루투스 이어폰 bluetooth earbuds"}],
        buyers=[{"country": "US", "hs": ["851830"], "verified": False}],
    )

    english, korean, contributions = explanation(tables, 0, 0)

    assert {n for n, c in contributions.items() if c > 0.05} == {"hs", "market"}
    assert "HS 851830" in english
    assert "United States" in english
    assert "sector" not in english.lower()
    assert "certified" not in english.lower()
    assert "verified" not in english.lower()
    assert "HS 851830" in korean
    assert "미국" in korean


@pytest.mark.django_db
def test_explanation_names_sector_and_certification_when_they_carry_the_score(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}],
        products=[{"hs": "330499", "certifications": ["halal"]}],
        buyers=[{"country": "MY", "sectors": ["beauty"], "verified": False}],
    )

    english, korean, _ = explanation(tables, 0, 0)

    assert "sector" in english
    assert "Halal" in english and "Malaysia" in english
    assert "HS" not in english
    assert "Halal" in korean and "말레이시아" in korean


@pytest.mark.django_db
def test_explanation_comes_in_korean_too(tables):
    english, korean, _ = explanation(tables, 0, 0)

    assert re.search("[가-힣]", korean)
    assert korean != english
    assert english[0].isupper()


def test_a_matcher_without_weighted_candidate_signals_still_ranks_at_scale(tables):
    # Learned weights may leave text and HS at 0; candidate mode (large jobs) must not crash.
    matcher = Matcher(weights={"sector": 0.5, "market": 0.5}, top_k=2).fit(tables)

    at_scale = matcher.rank(exhaustive=False)

    assert [buyer_ranking(at_scale, b) for b in range(3)] == [
        buyer_ranking(matcher.rank(exhaustive=True), b) for b in range(3)
    ]
    assert buyer_ranking(at_scale, 1)[0] == 2  # the US IT buyer: the US IT company
