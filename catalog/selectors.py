"""Reads of the catalogue: who may see which companies and products, and catalogue search."""

import functools

from django.db import connections
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)

from tradeon.accounts.models import Role

from .models import Certification, Company, HSCode, Product


class GroupConcat(Aggregate):
    """Comma-joined values: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite.

    Lets a list page carry each product's certification codes in the same query as the page,
    instead of a prefetch query per page.
    """

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


@functools.cache
def _certification_codes(through_model, owner_field: str) -> Subquery:
    # Built once per model: annotating resolves a copy of the expression for each queryset, so
    # one instance serves every request (building it, a queryset with a join, a group and a
    # slice, was ~0.3 ms of each list request).
    return Subquery(
        through_model.objects.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(owner_field)
        .annotate(codes=GroupConcat("certification__code"))
        .values("codes")[:1]
    )


def list_scope(user) -> tuple:
    """All that company_list and product_list read of the user: users with the same scope see the
    same lists (tradeon.api.pagination.KeyedListMixin remembers a list's SQL per scope)."""
    return (user.role, user.company_id if user.role == Role.SME else None)


def company_list(*, user) -> QuerySet[Company]:
    """Companies the user may see: staff all; an SME its own plus published ones; buyers published."""
    queryset = Company.objects.select_related("sector").annotate(
        certification_codes=_certification_codes(Company.certifications.through, "company")
    )
    if user.role == Role.STAFF:
        return queryset
    visible = Q(is_published=True)
    if user.role == Role.SME:
        visible |= Q(pk=user.company_id)
    return queryset.filter(visible)


def company_rows(page: QuerySet[Company]) -> QuerySet[dict]:
    """A page of companies from company_list as the plain rows of the list
    (catalog.api.CompanyListSerializer); see product_rows."""
    return page.values(
        "id",
        "name_ko",
        "name_en",
        "business_registration_number",
        "sector__code",
        "description_ko",
        "description_en",
        "founded_year",
        "employees",
        "revenue_band",
        "export_countries",
        "target_countries",
        "certification_codes",
        "languages",
        "website",
        "seoul_award",
        "status",
        "created_at",
        "updated_at",
    )


def product_list(*, user) -> QuerySet[Product]:
    """Products the user may see. A published product of a draft company stays hidden: the
    company page it links to would be invisible. `is_listed` says exactly that (published, and
    the company published; kept by catalog.services), so the test needs no join."""
    queryset = Product.objects.select_related("company", "company__sector", "hs_code").annotate(
        certification_codes=_certification_codes(Product.certifications.through, "product")
    )
    if user.role == Role.STAFF:
        return queryset
    visible = Q(is_listed=True)
    if user.role == Role.SME:
        visible |= Q(company_id=user.company_id)
    return queryset.filter(visible)


def product_rows(page: QuerySet[Product]) -> QuerySet[dict]:
    """A page of products from product_list/product_search as the plain rows of the list
    (catalog.api.ProductListSerializer): only the columns a row shows, and no model instances.
    Building 50 products with their company, sector and HS code, then serialising them field by
    field, cost ~7 ms of Python, most of what a whole page may take. Meant for one page
    (tradeon.pagination.LongListPaginator's `rows`): its joins would slow a count."""
    return page.values(
        "id",
        "company_id",
        "company__name_en",
        "company__name_ko",
        "company_sector__code",
        "company_seoul_award",
        "name_ko",
        "name_en",
        "description_ko",
        "description_en",
        "hs_code_id",
        "keywords",
        "moq",
        "moq_unit",
        "price_min",
        "price_max",
        "currency",
        "lead_time_days",
        "certification_codes",
        "status",
        "created_at",
        "updated_at",
    )


# The catalogue's orders: newest first (the API) and Seoul Award holders first (the web catalogue).
# For each, the plain ordering, which the partial indexes of Product.Meta serve for an unfiltered
# list, and the same order written so that PostgreSQL cannot read it from an index (see product_search).
PRODUCT_ORDERS = {
    "newest": (("-id",), ((F("id") + 0).desc(),)),
    "award_first": (
        ("-company_seoul_award", "id"),
        (Case(When(company_seoul_award=True, then=Value(0)), default=Value(1)).asc(), F("id").asc()),
    ),
}


def product_search(
    queryset: QuerySet[Product],
    *,
    text: str = "",
    sector: str = "",
    hs: str = "",
    certification: str = "",
    seoul_award: bool | None = None,
    moq_max: int | None = None,
    company_id: int | None = None,
    order: str | None = None,
) -> QuerySet[Product]:
    """Filter products. `text` matches every word (Korean or English) as a substring of the
    product's and its company's names, descriptions and keywords; `hs` is a chapter (2 digits),
    heading (4) or subheading (6) prefix. `order` is a key of PRODUCT_ORDERS (else unordered).

    A filtered list is ordered by sorting its matches, never by walking an index in the list's
    order and testing each row: the matches of a word or a sector cluster in a range of ids (an
    SME's products are added together), which the planner cannot know, and such a walk read
    60,000 rows for `q=serum` at 10^5 products (60-110 ms). Sorting costs at most what counting
    the matches costs."""
    filtered = queryset
    words = text.lower().split()[:8]
    for word in words:
        filtered = filtered.filter(search_text__contains=word)
    filtered = _narrow_by_short_words(filtered, words)
    if sector:
        filtered = filtered.filter(company_sector__code=sector)
    if hs:
        filtered = filtered.filter(hs_code__code__startswith=hs)
    if certification:
        # A semi-join against the certification's id (one value, looked up once): PostgreSQL
        # hashes that certification's products, where a join to the certifications drove the
        # search from them (thousands of products for halal) or probed them product by product.
        certification_id = Certification.objects.filter(code=certification).values("pk")
        certified = Product.certifications.through.objects.filter(certification_id=Subquery(certification_id))
        filtered = filtered.filter(pk__in=certified.values("product_id"))
    if seoul_award is not None:
        filtered = filtered.filter(company_seoul_award=seoul_award)
    if moq_max is not None:
        filtered = filtered.filter(moq__lte=moq_max)
    if company_id is not None:
        filtered = filtered.filter(company_id=company_id)
    if order is None:
        return filtered
    indexed, sorted_ = PRODUCT_ORDERS[order]
    return filtered.order_by(*(sorted_ if filtered is not queryset else indexed))


def _narrow_by_short_words(queryset: QuerySet[Product], words: list[str]) -> QuerySet[Product]:
    """On PostgreSQL, let the short-word index (migration 0005) serve one- and two-character
    non-ASCII words such as 크림 or 꿀, which the trigram index cannot. The index lists every one-
    and two-character substring of each run of non-ASCII characters, so it holds every such
    word that the LIKE above matches: the extra condition never drops a result."""
    short = sorted({w for w in words if len(w) < 3 and all(ord(ch) > 127 for ch in w)})
    if not short or connections[queryset.db].vendor != "postgresql":
        return queryset
    from django.contrib.postgres.fields import ArrayField

    grams = Func(F("search_text"), function="catalog_short_grams", output_field=ArrayField(TextField()))
    return queryset.alias(search_short_grams=grams).filter(search_short_grams__contains=short)


def hs_code_search(*, text: str = "", level: int | None = None) -> QuerySet[HSCode]:
    """HS codes by code prefix (digits) or by words in the description."""
    queryset = HSCode.objects.all()
    text = text.strip()
    if text.isdigit():
        queryset = queryset.filter(code__startswith=text)
    else:
        for word in text.split()[:8]:
            queryset = queryset.filter(description__icontains=word)
    if level:
        queryset = queryset.filter(level=level)
    return queryset
