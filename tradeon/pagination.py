"""Page-number pagination for long lists (the catalogue at 10^5 products), for the web pages and
the API alike: a remembered count for large lists, and deep pages that build only their own rows."""

import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Counting is exact below this many rows. From here on a count is remembered (per distinct query,
# in Django's cache) for COUNT_CACHE_SECONDS: an exact count of 88,000 listed products costs
# 5-15 ms on PostgreSQL with any index, more than the whole page is allowed, while a count under
# 1,000 costs well under a millisecond.
COUNT_CACHE_FROM = 1000
COUNT_CACHE_SECONDS = 60


# Lists whose size the database itself keeps exact (a counter row kept by triggers): counting
# them is reading one row. Apps register them (catalog.apps); a list matches when its count key,
# the SQL that selects its keys, is the registered list's, so any filter falls back to counting.
_kept_counts: list[tuple[Callable[[], QuerySet], str, str]] = []
_kept_count_sql: dict[str, dict[str, str]] = {}  # database alias -> {count key: SQL}


def count_kept_by_database(rows: Callable[[], QuerySet], *, sql: str, vendor: str) -> None:
    """Register a list (`rows()` builds its queryset) whose count `sql` reads on databases of
    `vendor`, where a migration keeps it."""
    _kept_counts.append((rows, sql, vendor))
    _kept_count_sql.clear()


def _kept_count(queryset: QuerySet, key: str) -> int | None:
    known = _kept_count_sql.get(queryset.db)
    if known is None:
        vendor = connections[queryset.db].vendor
        known = _kept_count_sql[queryset.db] = {
            _count_key(rows().using(queryset.db)): sql for rows, sql, kept_on in _kept_counts if kept_on == vendor
        }
    sql = known.get(key)
    if sql is None:
        return None
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class LongListPaginator(Paginator):
    """A Django Paginator for ordered querysets that may hold 10^5 rows.

    - `count` is exact below COUNT_CACHE_FROM; above, it may lag writes by up to
      COUNT_CACHE_SECONDS (a new product shows on its page at once; the total catches up). A
      list whose count the database keeps (`count_kept_by_database`) reads it, exact, instead.
    - A page first selects its rows' primary keys (LIMIT/OFFSET over the key alone, which an
      index-only scan can serve) and then builds just those rows, in the same query. With a plain
      OFFSET, PostgreSQL builds every row it skips, joins and per-row subqueries included: 300+ ms
      for a deep page of products.
    - `rows`, if given, turns the queryset of a page into what the page shows (say `.values()` with
      joins to the columns a row needs). It is applied to the page alone, so the count and the
      page's keys are computed without its joins, and Django clones and compiles less.
    """

    def __init__(self, object_list, per_page, *, rows: Callable[[QuerySet], Iterable] | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        key = _count_key(self.object_list)
        count = _kept_count(self.object_list, key)
        if count is None:
            count = cache.get(key)
        if count is None:
            count = self.object_list.count()
            if count >= COUNT_CACHE_FROM:
                cache.set(key, count, COUNT_CACHE_SECONDS)
        return count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            # The last page takes its orphans. Unlike Paginator, do not cut it at `count`: a
            # remembered count may be a few rows short, and LIMIT stops at the real end anyway.
            top += self.orphans
        matches = self.object_list
        if not isinstance(matches, QuerySet):
            return self._get_page(matches[bottom:top], number, self)
        page = matches.filter(pk__in=matches.values("pk")[bottom:top])
        return self._get_page(self.rows(page) if self.rows else page, number, self)


def _count_key(queryset: QuerySet) -> str:
    # The SQL that selects the keys: what decides the count (filters, joins), without the
    # select list, whose subqueries would make the key slower to compile, or the order, so the
    # web catalogue and the API share the count of the same search.
    keys = queryset.order_by().values("pk")
    sql, params = keys.query.get_compiler(keys.db).as_sql()
    digest = hashlib.sha256(f"{queryset.db}\n{sql}\n{params!r}".encode()).hexdigest()
    return f"long-list-count:{digest}"
