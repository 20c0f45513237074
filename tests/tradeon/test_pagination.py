"""LongListPaginator pages like Django's Paginator; it only counts and finds deep pages differently."""

import pytest
from django.core.paginator import EmptyPage, Paginator

from catalog.models import Product
from tests.factories import CompanyFactory, ProductFactory
from tradeon import pagination
from tradeon.pagination import KeyedList, LongListPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    company = CompanyFactory()
    return ProductFactory.create_batch(7, company=company)


@pytest.mark.parametrize("ordering", [("-id",), ("moq", "name_en")])
@pytest.mark.parametrize(("per_page", "orphans"), [(3, 0), (3, 1), (7, 0), (10, 0)])
def test_pages_hold_the_same_rows_as_djangos_paginator(products, ordering, per_page, orphans):
    for i, product in enumerate(products):
        Product.objects.filter(pk=product.pk).update(moq=1 + i % 3)
    queryset = Product.objects.order_by(*ordering)
    ours, django = (
        LongListPaginator(queryset, per_page, orphans=orphans),
        Paginator(queryset, per_page, orphans=orphans),
    )
    assert ours.count == django.count and ours.num_pages == django.num_pages
    for number in django.page_range:
        assert list(ours.page(number)) == list(django.page(number))
    with pytest.raises(EmptyPage):
        ours.page(django.num_pages + 1)


def test_plain_lists_are_paged_too():
    page = LongListPaginator(list(range(7)), 3).page(3)
    assert list(page) == [6] and not page.has_next()


def test_rows_shape_only_the_page(products):
    queryset = Product.objects.order_by("id")
    paginator = LongListPaginator(queryset, 3, rows=lambda page: page.values_list("name_en", flat=True))
    assert list(paginator.page(2)) == [p.name_en for p in products[3:6]]
    assert paginator.count == 7


def test_a_remembered_count_does_not_cut_the_last_page(products, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CACHE_FROM", 1)
    queryset = Product.objects.order_by("-id")
    assert LongListPaginator(queryset, 3).count == 7
    ProductFactory(company=products[0].company)  # the count stays 7 for COUNT_CACHE_SECONDS
    paginator = LongListPaginator(queryset, 3)
    assert paginator.count == 7
    # Django's Paginator would end page 3 at row 7; the eighth product is still shown.
    assert [p.pk for p in paginator.page(3)] == [products[1].pk, products[0].pk]


# Keyed lists: the count's key and the pages' SQL remembered per key (tradeon.pagination.KeyedList).


def _product_rows(page):
    # Columns Django converts on SQLite (times, decimals, booleans) and a join.
    return page.values("id", "name_en", "moq", "price_min", "is_listed", "created_at", "company__name_en")


@pytest.fixture
def no_prepared_lists():
    pagination.forget_prepared_lists()
    yield
    pagination.forget_prepared_lists()


def _counting_build(queryset, calls: list):
    def build():
        calls.append(1)
        return queryset

    return build


@pytest.mark.parametrize("orphans", [0, 1])
def test_keyed_list_pages_hold_the_querysets_rows(products, no_prepared_lists, orphans):
    queryset = Product.objects.order_by("-id")
    plain = LongListPaginator(queryset, 3, orphans=orphans, rows=_product_rows)
    for number in plain.page_range:
        keyed = LongListPaginator(KeyedList("products", lambda: queryset), 3, orphans=orphans, rows=_product_rows)
        assert keyed.count == plain.count and keyed.num_pages == plain.num_pages
        assert list(keyed.page(number)) == list(plain.page(number))
    with pytest.raises(EmptyPage):
        LongListPaginator(KeyedList("products", lambda: queryset), 3, orphans=orphans, rows=_product_rows).page(
            plain.num_pages + 1
        )


def test_a_keyed_list_seen_before_is_not_built_again_and_its_rows_are_read_afresh(
    products, no_prepared_lists, monkeypatch
):
    monkeypatch.setattr(pagination, "COUNT_CACHE_FROM", 1)  # remember the count, as for a long list
    calls = []
    build = _counting_build(Product.objects.order_by("-id"), calls)
    assert [row["id"] for row in LongListPaginator(KeyedList("k", build), 3, rows=_product_rows).page(2)] == [
        p.pk for p in products[3:0:-1]
    ]
    assert len(calls) == 1
    newest = ProductFactory(company=products[0].company)
    again = LongListPaginator(KeyedList("k", build), 3, rows=_product_rows)
    assert [row["id"] for row in again.page(1)] == [newest.pk, products[6].pk, products[5].pk]
    assert len(calls) == 1


def test_each_key_has_its_own_sql(products, no_prepared_lists):
    cheap = Product.objects.filter(moq__lt=products[3].moq + 1).order_by("-id")
    every = Product.objects.order_by("-id")
    assert len(LongListPaginator(KeyedList("cheap", lambda: cheap), 50, rows=_product_rows).page(1)) == cheap.count()
    assert len(LongListPaginator(KeyedList("every", lambda: every), 50, rows=_product_rows).page(1)) == 7


def test_only_the_most_recent_keyed_lists_are_remembered(products, no_prepared_lists, monkeypatch):
    monkeypatch.setattr(pagination, "PREPARED_LISTS", 2)
    monkeypatch.setattr(pagination, "COUNT_CACHE_FROM", 1)
    calls = {key: [] for key in "abc"}
    for key in "abca":
        build = _counting_build(Product.objects.order_by("-id"), calls[key])
        LongListPaginator(KeyedList(key, build), 3, rows=_product_rows).page(1)
    # "a" was dropped when "c" came (two at most), so it was built twice.
    assert {key: len(c) for key, c in calls.items()} == {"a": 2, "b": 1, "c": 1}


def test_keyed_lists_of_other_rows_are_paged_from_the_queryset(products, no_prepared_lists):
    queryset = Product.objects.order_by("id")
    paginator = LongListPaginator(
        KeyedList("names", lambda: queryset), 3, rows=lambda page: page.values_list("name_en", flat=True)
    )
    assert list(paginator.page(2)) == [p.name_en for p in products[3:6]]
    assert list(LongListPaginator(KeyedList("instances", lambda: queryset), 3).page(3)) == products[6:]
