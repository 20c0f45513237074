"""Each signal on small hand-made tables: the value it gives a (buyer, product) pair."""

import numpy as np
import pytest

from matching.signals import (
    CertificationSignal,
    HSCodeSignal,
    MarketSignal,
    ScaleSignal,
    SectorSignal,
    TextSignal,
    VerificationSignal,
)


def values(signal, tables, *, buyer: int = 0, products=None) -> list[float]:
    """The signal's value for one buyer against the given products (all by default)."""
    signal.fit(tables)
    products = np.arange(len(tables.products)) if products is None else np.asarray(products)
    result = signal.pair_values(np.full(len(products), buyer), products)
    return [round(float(v), 3) for v in result]  # market fit is stored as float16


# --- HS codes ------------------------------------------------------------------------------------

HS_PRODUCTS = [
    {"company": 0, "hs": "330499"},  # skin care
    {"company": 1, "hs": "330410"},  # lip make-up: same heading 3304
    {"company": 2, "hs": "330510"},  # shampoo: same chapter 33
    {"company": 3, "hs": "851830"},  # earbuds: elsewhere
]
FOUR_BEAUTY_COMPANIES = [{"sector": "beauty"}] * 3 + [{"sector": "it-ict"}]


def test_hs_same_subheading_beats_heading_beats_chapter_beats_elsewhere(make_tables):
    tables = make_tables(companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{"hs": ["330499"]}])

    assert values(HSCodeSignal(), tables) == [1.0, 0.7, 0.4, 0.0]


def test_hs_heading_interest_fits_its_subheadings_better_than_the_rest_of_the_chapter(make_tables):
    tables = make_tables(companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{"hs": ["3304"]}])

    skin_care, lip, shampoo, earbuds = values(HSCodeSignal(), tables)

    assert skin_care == lip == 0.7
    assert skin_care > shampoo == 0.4
    assert earbuds == 0.0


def test_hs_chapter_interest_gives_the_whole_chapter_a_little(make_tables):
    tables = make_tables(companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{"hs": ["33"]}])

    assert values(HSCodeSignal(), tables) == [0.4, 0.4, 0.4, 0.0]


def test_hs_codes_of_a_sourcing_request_count_like_codes_of_interest(make_tables):
    tables = make_tables(
        companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{"hs": [], "requested": ["330510"]}]
    )

    assert values(HSCodeSignal(), tables) == [0.4, 0.4, 1.0, 0.0]


def test_hs_code_given_at_two_levels_counts_once(make_tables):
    tables = make_tables(companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{"hs": ["3304", "330499"]}])

    assert values(HSCodeSignal(), tables)[0] == 1.0


def test_buyer_without_hs_codes_scores_zero_on_hs(make_tables):
    tables = make_tables(companies=FOUR_BEAUTY_COMPANIES, products=HS_PRODUCTS, buyers=[{}])

    assert values(HSCodeSignal(), tables) == [0.0, 0.0, 0.0, 0.0]


# --- market fit ----------------------------------------------------------------------------------


def test_market_fit_target_beats_export_beats_neighbour_beats_elsewhere(make_tables):
    tables = make_tables(
        companies=[
            {"targets": ["MY", "US"]},
            {"targets": ["JP"], "exports": ["MY"]},
            {"targets": ["TH"]},  # Thailand: Malaysia's ASEAN neighbour
            {"targets": ["US"], "exports": ["DE"]},
        ],
        products=[{"company": c} for c in range(4)],
        buyers=[{"country": "MY"}],
    )

    assert values(MarketSignal(), tables) == [1.0, 0.8, 0.3, 0.0]


def test_market_fit_follows_each_buyers_country(make_tables):
    tables = make_tables(
        companies=[{"targets": ["VN"]}, {"targets": ["US"]}],
        products=[{"company": 0}, {"company": 1}],
        buyers=[{"country": "VN"}, {"country": "CA"}],
    )

    assert values(MarketSignal(), tables, buyer=0) == [1.0, 0.0]
    assert values(MarketSignal(), tables, buyer=1) == [0.0, 0.3]  # Canada: North America, as the US


# --- certifications ------------------------------------------------------------------------------


def test_halal_is_required_for_a_malaysian_beauty_buyer(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}, {"sector": "beauty"}],
        products=[{"company": 0, "certifications": ["halal"]}, {"company": 1, "certifications": ["cpnp", "vegan"]}],
        buyers=[{"country": "MY", "sectors": ["beauty"]}],
    )

    assert values(CertificationSignal(), tables) == [1.0, 0.0]


def test_fda_is_required_for_a_us_medical_buyer(make_tables):
    tables = make_tables(
        companies=[{"sector": "medical"}, {"sector": "medical"}],
        products=[
            {"company": 0, "hs": "902519", "certifications": ["fda", "iso-13485"]},
            {"company": 1, "hs": "902519", "certifications": ["ce", "iso-13485"]},
        ],
        buyers=[{"country": "US", "sectors": ["medical"]}],
    )

    assert values(CertificationSignal(), tables) == [1.0, 0.0]


def test_cpnp_is_required_for_an_eu_cosmetics_buyer(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}, {"sector": "beauty"}],
        products=[{"company": 0, "certifications": ["cpnp"]}, {"company": 1, "certifications": ["halal", "fda"]}],
        buyers=[{"country": "FR", "sectors": ["beauty"]}],
    )

    assert values(CertificationSignal(), tables) == [1.0, 0.0]


def test_market_requirement_depends_on_the_products_sector(make_tables):
    # Malaysia expects Halal for food and beauty, not for household goods.
    tables = make_tables(
        companies=[{"sector": "food"}, {"sector": "household"}],
        products=[
            {"company": 0, "hs": "200599", "certifications": ["halal"]},
            {"company": 1, "certifications": ["halal"]},
        ],
        buyers=[{"country": "MY"}],
    )

    assert values(CertificationSignal(), tables) == [1.0, 0.0]


def test_certifications_a_sourcing_request_requires_count_by_share_held(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}] * 3,
        products=[
            {"company": 0, "certifications": ["iso-22716", "vegan"]},
            {"company": 1, "certifications": ["iso-22716"]},
            {"company": 2, "certifications": ["halal"]},
        ],
        buyers=[{"country": "JP", "required": ["iso-22716", "vegan"]}],  # Japan: no market rule here
    )

    assert values(CertificationSignal(), tables) == [1.0, 0.5, 0.0]


def test_nothing_required_scores_zero_even_for_certified_products(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}],
        products=[{"company": 0, "certifications": ["halal", "cpnp", "fda"]}],
        buyers=[{"country": "JP", "sectors": ["beauty"]}],
    )

    assert values(CertificationSignal(), tables) == [0.0]


# --- sector, scale, verification -----------------------------------------------------------------


def test_sector_fits_any_of_the_buyers_sectors(make_tables):
    tables = make_tables(
        companies=[{"sector": "beauty"}, {"sector": "food"}, {"sector": "it-ict"}],
        products=[{"company": c} for c in range(3)],
        buyers=[{"sectors": ["beauty", "food"]}, {}],
    )

    assert values(SectorSignal(), tables, buyer=0) == [1.0, 1.0, 0.0]
    assert values(SectorSignal(), tables, buyer=1) == [0.0, 0.0, 0.0]


def test_scale_fits_small_moqs_to_small_buyers_and_large_to_large(make_tables):
    tables = make_tables(
        companies=[{}],
        products=[{"moq": 100}, {"moq": 50_000}],
        buyers=[{"volume": "lt100k"}, {"volume": "gt10m"}, {}],
    )

    small, large, unknown = (values(ScaleSignal(), tables, buyer=b) for b in range(3))

    assert small == [1.0, 0.1]
    assert large == [0.5, 1.0]
    assert unknown == [0.5, 0.5]  # no volume given: neutral


def test_verified_buyers_score_one_on_verification(make_tables):
    tables = make_tables(companies=[{}], products=[{}], buyers=[{"verified": True}, {"verified": False}])

    assert values(VerificationSignal(), tables, buyer=0) == [1.0]
    assert values(VerificationSignal(), tables, buyer=1) == [0.0]


# --- text ----------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(make_tables):
    """Two products a test names, among the demo vocabularies' product lines (document
    frequencies need a catalogue: an n-gram seen once, or in most products, carries nothing)."""
    from tradeon.demo_data import SECTOR_VOCABULARIES

    lines = [line for vocabulary in SECTOR_VOCABULARIES.values() for line in vocabulary.product_lines]
    texts = ["병풀 수분크림", "블루투스 이어폰"] + [f"{line.name_ko} {line.name_en} {line.keywords}" for line in lines]

    def build(buyer_text: str):
        return make_tables(
            companies=[{}], products=[{"company": 0, "text": text} for text in texts], buyers=[{"text": buyer_text}]
        )

    return build


def test_korean_buyer_text_fits_the_korean_product_it_names(catalogue):
    result = values(TextSignal(), catalogue("수분 크림을 찾습니다"))
    cream, earbuds = result[0], result[1]

    assert cream > earbuds
    assert cream == max(result)


def test_english_buyer_text_fits_the_product_it_names_and_its_synonyms(catalogue):
    tables = catalogue("Looking for sunscreen")
    result = values(TextSignal(), tables)
    best = int(np.argmax(result))

    assert "sunscreen" in tables.products.text[best]
    assert result[best] > 0.3


def test_text_values_stay_within_zero_and_one(catalogue):
    result = values(TextSignal(), catalogue("tone-up sunscreen spf50+ 톤업 선크림 kimchi 김치 블루투스 이어폰"))

    assert all(0.0 <= v <= 1.0 for v in result)
