"""Page-number pagination for long lists (the catalogue at 10^5 products), for the web pages and
the API alike: a remembered count for large lists, deep pages that build only their own rows, and
lists named by a key whose SQL is written once per process."""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable
from django.utils.functional import cached_property

# Counting is exact below this many rows. From here on a count is remembered (per distinct query,
# in Django's cache) for COUNT_CACHE_SECONDS: an exact count of 88,000 listed products costs
# 5-15 ms on PostgreSQL with any index, more than the whole page is allowed, while a count under
# 1,000 costs well under a millisecond.
COUNT_CACHE_FROM = 1000
COUNT_CACHE_SECONDS = 60

# Pages from this offset on start their scan at a kept position (count_kept_by_database's
# `position_sql`). Earlier pages step over fewer rows than that costs: their statement has no
# parameters, so PostgreSQL plans it once per connection (DB_PREPARED_STATEMENTS), while one that
# starts below a bound is planned on every run (~1 ms; plan_cache_mode=force_custom_plan).
KEPT_POSITION_FROM = 2000


# Lists whose size the database itself keeps exact (a counter row kept by triggers): counting
# them is reading one row. Apps register them (catalog.apps); a list matches when its count key,
# the SQL that selects its keys, is the registered list's, so any filter falls back to counting.
@dataclass(frozen=True)
class _KeptCount:
    sql: str
    position_sql: str | None


_kept_counts: list[tuple[Callable[[], QuerySet], _KeptCount, str]] = []
_kept_count_sql: dict[str, dict[str, _KeptCount]] = {}  # database alias -> {count key: SQL}


def count_kept_by_database(
    rows: Callable[[], QuerySet], *, sql: str, vendor: str, position_sql: str | None = None
) -> None:
    """Register a list (`rows()` builds its queryset) whose count `sql` reads on databases of
    `vendor`, where a migration keeps it.

    `position_sql`, if given, reads for an offset (its two parameters, both the offset) the count,
    a bound and how many of the list's rows have a key at or above the bound, such that the row at
    that offset of the list in newest-first order (descending primary key) has a key below the
    bound; bound and number are NULL past the end. A keyed list in that order then starts a page's
    scan at the bound instead of stepping over every row before it."""
    _kept_counts.append((rows, _KeptCount(sql, position_sql), vendor))
    _kept_count_sql.clear()


def _kept(db: str, key: str) -> _KeptCount | None:
    known = _kept_count_sql.get(db)
    if known is None:
        vendor = connections[db].vendor
        known = _kept_count_sql[db] = {
            _count_key(rows().using(db)): kept for rows, kept, kept_on in _kept_counts if kept_on == vendor
        }
    return known.get(key)


def _kept_count(db: str, key: str) -> int | None:
    kept = _kept(db, key)
    if kept is None:
        return None
    with connections[db].cursor() as cursor:
        cursor.execute(kept.sql)
        return cursor.fetchone()[0]


class KeyedList:
    """A list named by a hashable `key`, whose queryset `build()` makes from what the key names
    and nothing else (the same key, the same SQL; the rows are read afresh every time).

    LongListPaginator remembers, per key, the SQL that counts the list and the SQL of its pages,
    so a request for a list seen before neither builds nor compiles a queryset: building and
    compiling the three querysets of a catalogue page was ~2.5 ms of CPU, a third of the page
    (docs/benchmarks.md). `build()` runs only for a key not seen yet, or to count afresh."""

    def __init__(self, key: Hashable, build: Callable[[], QuerySet]):
        self.key = key
        self.build = build

    @cached_property
    def queryset(self) -> QuerySet:
        return self.build()


# Per process, the most recently used PREPARED_LISTS keyed lists: a few hundred bytes of SQL each.
PREPARED_LISTS = 1000
_prepared: OrderedDict[Hashable, "_PreparedList"] = OrderedDict()
_prepared_lock = threading.Lock()

# A page's LIMIT and OFFSET are written into the SQL as numbers (Django's compiler does so), so the
# remembered SQL is compiled with these two and has them replaced by each page's own; a page that
# starts below a key bound (count_kept_by_database's `position_sql`) has it as a parameter.
_MARK_LIMIT, _MARK_OFFSET, _MARK_BOUND = 987_654_301, 123_456_701, 7_777_777_777_777_701


@dataclass(frozen=True)
class _PageStatement:
    """The SQL of a keyed list's pages, around the place of its LIMIT and OFFSET; the rows are
    dicts named as `.values()` names them, converted as Django converts them."""

    before: str
    after: str
    params: tuple
    names: tuple[str, ...]
    converters: tuple
    bound_at: int | None = None  # where in `params` the key bound goes

    @classmethod
    def prepare(cls, page: QuerySet, *, bound: bool = False) -> "_PageStatement | None":
        """From the queryset of a page sliced at the marks (and with keys below _MARK_BOUND if
        `bound`); None if it cannot be reused (rows that are not `.values()` dicts, or a backend
        that writes LIMIT differently)."""
        if page._iterable_class is not ValuesIterable:
            return None
        connection = connections[page.db]
        compiler = page.query.get_compiler(page.db)
        sql, params = compiler.as_sql()
        mark = connection.ops.limit_offset_sql(_MARK_OFFSET, _MARK_OFFSET + _MARK_LIMIT)
        if sql.count(mark) != 1:
            return None
        before, after = sql.split(mark)
        query = page.query
        names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        bound_at = None
        if bound:
            if list(params).count(_MARK_BOUND) != 1:
                return None
            bound_at = list(params).index(_MARK_BOUND)
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return cls(before, after, tuple(params), tuple(names), tuple(converters.items()), bound_at)

    def rows(self, db: str, bottom: int, top: int, *, bound: int | None = None) -> list[dict]:
        connection = connections[db]
        sql = self.before + connection.ops.limit_offset_sql(bottom, top) + self.after
        params = self.params
        if self.bound_at is not None:
            params = (*params[: self.bound_at], bound, *params[self.bound_at + 1 :])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        names = self.names
        if not self.converters:
            return [dict(zip(names, row, strict=True)) for row in fetched]
        rows = []
        for values in map(list, fetched):
            for position, (converters, expression) in self.converters:
                value = values[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                values[position] = value
            rows.append(dict(zip(names, values, strict=True)))
        return rows


@dataclass
class _PreparedList:
    db: str
    count_key: str
    newest_first: bool  # ordered by descending primary key alone
    # The page's statement, by whether it scans keys below a bound; None where it cannot be reused.
    pages: dict[bool, _PageStatement | None] = field(default_factory=dict)


def _newest_first(queryset: QuerySet) -> bool:
    query, pk = queryset.query, queryset.model._meta.pk
    return (
        tuple(query.order_by) in {("-pk",), (f"-{pk.name}",), (f"-{pk.attname}",)}
        and not query.extra_order_by
        and not query.distinct
        and not query.combinator
    )


def _prepared_list(key: Hashable, keyed: KeyedList) -> _PreparedList:
    with _prepared_lock:
        prepared = _prepared.get(key)
        if prepared is not None:
            _prepared.move_to_end(key)
            return prepared
    queryset = keyed.queryset
    prepared = _PreparedList(db=queryset.db, count_key=_count_key(queryset), newest_first=_newest_first(queryset))
    with _prepared_lock:
        prepared = _prepared.setdefault(key, prepared)
        while len(_prepared) > PREPARED_LISTS:
            _prepared.popitem(last=False)
    return prepared


def forget_prepared_lists() -> None:
    """Drop every remembered keyed list (tests that change what a key's queryset is)."""
    with _prepared_lock:
        _prepared.clear()


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
    - `object_list` may be a KeyedList: its count's key and its pages' SQL are then remembered per
      key (with `.values()` rows), and its queryset is built only when they are not.
    """

    def __init__(self, object_list, per_page, *, rows: Callable[[QuerySet], Iterable] | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    @cached_property
    def _prepared(self) -> _PreparedList:
        keyed = self.object_list
        # The rows' function is part of the SQL: a bound method is named by its function.
        return _prepared_list((keyed.key, getattr(self.rows, "__func__", self.rows)), keyed)

    def _queryset(self) -> QuerySet:
        return self.object_list.queryset if isinstance(self.object_list, KeyedList) else self.object_list

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, KeyedList):
            db, key = self._prepared.db, self._prepared.count_key
        elif isinstance(self.object_list, QuerySet):
            db, key = self.object_list.db, _count_key(self.object_list)
        else:
            return super().count
        count = _kept_count(db, key)
        if count is None:
            count = cache.get(key)
        if count is None:
            count = self._queryset().count()
            if count >= COUNT_CACHE_FROM:
                cache.set(key, count, COUNT_CACHE_SECONDS)
        return count

    def _kept_position(self, number) -> tuple[int, int] | None:
        """For a keyed newest-first list whose positions the database keeps: read the count and
        where page `number` starts, in one query: (bound, rows at or above the bound)."""
        if not isinstance(self.object_list, KeyedList) or "count" in self.__dict__:
            return None
        prepared = self._prepared
        kept = _kept(prepared.db, prepared.count_key) if prepared.newest_first else None
        if kept is None or kept.position_sql is None:
            return None
        try:
            bottom = (int(number) - 1) * self.per_page
        except (TypeError, ValueError):
            return None  # validate_number says what is wrong
        if bottom < KEPT_POSITION_FROM:
            return None
        with connections[prepared.db].cursor() as cursor:
            cursor.execute(kept.position_sql, [bottom, bottom])
            count, bound, before = cursor.fetchone()
        self.count = count  # the cached_property's value
        return None if bound is None else (bound, before)

    def page(self, number):
        position = self._kept_position(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            # The last page takes its orphans. Unlike Paginator, do not cut it at `count`: a
            # remembered count may be a few rows short, and LIMIT stops at the real end anyway.
            top += self.orphans
        if isinstance(self.object_list, KeyedList):
            db = self._prepared.db
            if position is not None and (statement := self._page_statement(bounded=True)) is not None:
                bound, before = position
                return self._get_page(statement.rows(db, bottom - before, top - before, bound=bound), number, self)
            if (statement := self._page_statement(bounded=False)) is not None:
                return self._get_page(statement.rows(db, bottom, top), number, self)
        if not isinstance(self.object_list, KeyedList | QuerySet):
            return self._get_page(self.object_list[bottom:top], number, self)
        return self._get_page(self._page(bottom, top), number, self)

    def _page_statement(self, *, bounded: bool) -> _PageStatement | None:
        """The keyed list's remembered page statement, prepared on first use."""
        pages = self._prepared.pages
        if bounded not in pages:
            page = self._page(_MARK_OFFSET, _MARK_OFFSET + _MARK_LIMIT, below=_MARK_BOUND if bounded else None)
            pages[bounded] = _PageStatement.prepare(page, bound=bounded)
        return pages[bounded]

    def _page(self, bottom: int, top: int, *, below: int | None = None) -> QuerySet:
        matches = self._queryset()
        keys = matches if below is None else matches.filter(pk__lt=below)
        page = matches.filter(pk__in=keys.values("pk")[bottom:top])
        return self.rows(page) if self.rows else page


def _count_key(queryset: QuerySet) -> str:
    # The SQL that selects the keys: what decides the count (filters, joins), without the
    # select list, whose subqueries would make the key slower to compile, or the order, so the
    # web catalogue and the API share the count of the same search.
    keys = queryset.order_by().values("pk")
    sql, params = keys.query.get_compiler(keys.db).as_sql()
    digest = hashlib.sha256(f"{queryset.db}\n{sql}\n{params!r}".encode()).hexdigest()
    return f"long-list-count:{digest}"
