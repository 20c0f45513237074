"""Page-number pagination for long lists (the catalogue at 10^5 products), for the web pages and
the API alike: a remembered count for large lists, and deep pages that build only their own rows."""

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Counting is exact below this many rows. From here on a count is remembered (per distinct query,
# in Django's cache) for COUNT_CACHE_SECONDS: an exact count of 88,000 listed products costs
# 5-15 ms on PostgreSQL with any index, more than the whole page is allowed, while a count under
# 1,000 costs well under a millisecond.
COUNT_CACHE_FROM = 1000
COUNT_CACHE_SECONDS = 60


class LongListPaginator(Paginator):
    """A Django Paginator for ordered querysets that may hold 10^5 rows.

    - `count` is exact below COUNT_CACHE_FROM; above, it may lag writes by up to
      COUNT_CACHE_SECONDS (a new product shows on its page at once; the total catches up).
    - A page first selects its rows' primary keys (LIMIT/OFFSET over the key alone, which an
      index-only scan can serve) and then builds just those rows. With a plain OFFSET, PostgreSQL
      builds every row it skips, joins and per-row subqueries included: 300+ ms for a deep page
      of products.
    """

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        key = _count_key(self.object_list)
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
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return self._get_page(rows[bottom:top], number, self)
        return self._get_page(rows.filter(pk__in=rows.values("pk")[bottom:top]), number, self)


def _count_key(queryset: QuerySet) -> str:
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    digest = hashlib.sha256(f"{queryset.db}\n{sql}\n{params!r}".encode()).hexdigest()
    return f"long-list-count:{digest}"
