"""Reads of the catalogue: who may see which companies and products, and catalogue search."""

from django.db import connections
from django.db.models import Aggregate, CharField, F, Func, OuterRef, Q, QuerySet, Subquery, TextField

from tradeon.accounts.models import Role

from .models import Company, HSCode, Product, PublicationStatus


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


def _certification_codes(through_model, owner_field: str) -> Subquery:
    return Subquery(
        through_model.objects.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(owner_field)
        .annotate(codes=GroupConcat("certification__code"))
        .values("codes")[:1]
    )


def company_list(*, user) -> QuerySet[Company]:
    """Companies the user may see: staff all; an SME its own plus published ones; buyers published."""
    queryset = Company.objects.select_related("sector").annotate(
        certification_codes=_certification_codes(Company.certifications.through, "company")
    )
    if user.role == Role.STAFF:
        return queryset
    visible = Q(status=PublicationStatus.PUBLISHED)
    if user.role == Role.SME:
        visible |= Q(pk=user.company_id)
    return queryset.filter(visible)


def product_list(*, user) -> QuerySet[Product]:
    """Products the user may see. A published product of a draft company stays hidden: the
    company page it links to would be invisible."""
    queryset = Product.objects.select_related("company", "company__sector", "hs_code").annotate(
        certification_codes=_certification_codes(Product.certifications.through, "product")
    )
    if user.role == Role.STAFF:
        return queryset
    visible = Q(status=PublicationStatus.PUBLISHED, company__status=PublicationStatus.PUBLISHED)
    if user.role == Role.SME:
        visible |= Q(company_id=user.company_id)
    return queryset.filter(visible)


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
) -> QuerySet[Product]:
    """Filter products. `text` matches every word (Korean or English) as a substring of the
    product's and its company's names, descriptions and keywords; `hs` is a chapter (2 digits),
    heading (4) or subheading (6) prefix."""
    words = text.lower().split()[:8]
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    queryset = _narrow_by_short_words(queryset, words)
    if sector:
        queryset = queryset.filter(company__sector__code=sector)
    if hs:
        queryset = queryset.filter(hs_code__code__startswith=hs)
    if certification:
        queryset = queryset.filter(certifications__code=certification)
    if seoul_award is not None:
        queryset = queryset.filter(company__seoul_award=seoul_award)
    if moq_max is not None:
        queryset = queryset.filter(moq__lte=moq_max)
    if company_id is not None:
        queryset = queryset.filter(company_id=company_id)
    return queryset


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
