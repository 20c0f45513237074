"""Catalogue search for one- and two-character Korean words, which the trigram index cannot serve
(on PostgreSQL the short-word index of migration 0005 narrows the scan; results must not change)."""

import pytest

from catalog.selectors import product_list, product_search
from tests.factories import ProductFactory, StaffUserFactory


@pytest.mark.django_db
def test_short_korean_words_match_as_substrings_including_compounds():
    cream = ProductFactory(name_ko="병풀 진정 크림", name_en="Centella calming cream", description_ko="", keywords="")
    sunscreen = ProductFactory(name_ko="톤업 선크림", name_en="Tone-up sunscreen", description_ko="", keywords="")
    honey = ProductFactory(name_ko="아카시아 꿀", name_en="Acacia honey", description_ko="", keywords="")
    ProductFactory(name_ko="수분 세럼", name_en="Hydrating serum", description_ko="", keywords="")
    products = product_list(user=StaffUserFactory())

    def found(text):
        return set(product_search(products, text=text))

    assert found("크림") == {cream, sunscreen}
    assert found("꿀") == {honey}
    assert found("선크림") == {sunscreen}
    assert found("크림 톤업") == {sunscreen}
    assert found("크림 honey") == set()
