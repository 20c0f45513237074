"""LongListPaginator pages like Django's Paginator; it only counts and finds deep pages differently."""

import pytest
from django.core.paginator import EmptyPage, Paginator

from catalog.models import Product
from tests.factories import CompanyFactory, ProductFactory
from tradeon import pagination
from tradeon.pagination import LongListPaginator

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
