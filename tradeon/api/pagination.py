from collections.abc import Callable
from functools import partial
from typing import Any

from rest_framework.pagination import PageNumberPagination

from tradeon.pagination import COUNT_CACHE_FROM, COUNT_CACHE_SECONDS, KeyedList, LongListPaginator


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class LongListPagination(StandardPagination):
    """For lists that may hold 10^5 rows (the catalogue): a remembered count for large lists and
    deep pages by key (tradeon.pagination.LongListPaginator). Page numbers work as everywhere.
    A view may define `page_rows(queryset)`, applied to the page alone (LongListPaginator's `rows`)."""

    django_paginator_class = LongListPaginator

    def paginate_queryset(self, queryset, request, view=None):
        # DRF builds the paginator from (queryset, page_size); add the view's rows.
        self.django_paginator_class = partial(LongListPaginator, rows=getattr(view, "page_rows", None))
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"Number of results: exact below {COUNT_CACHE_FROM:,}; from {COUNT_CACHE_FROM:,} on it is "
            f"cached per query and may be up to {COUNT_CACHE_SECONDS} seconds old."
        )
        return response


class KeyedListMixin:
    """A list view (LongListPagination) whose list is a function of who asks and of the query
    string alone, so LongListPaginator can remember its SQL per key (tradeon.pagination.KeyedList)
    and skip building the queryset. The view says, in `list_scope(user)`, what of the user its
    get_queryset() reads; get_queryset() and filter_queryset() may read nothing else but the query
    string. The page and page size are not part of the key: they are the page's LIMIT and OFFSET.
    Its responses let go of their page when the server closes them (`finalize_response`)."""

    # What of the user get_queryset() reads: a function of the user, set by each view.
    list_scope: Callable[[Any], tuple]

    def list(self, request, *args, **kwargs):
        paging = {self.paginator.page_query_param, self.paginator.page_size_query_param}
        query = tuple(
            sorted((name, tuple(values)) for name, values in request.query_params.lists() if name not in paging)
        )
        key = (type(self).__module__, type(self).__qualname__, self.list_scope(request.user), query)
        page = self.paginate_queryset(KeyedList(key, lambda: self.filter_queryset(self.get_queryset())))
        # `to_representation`, not `.data`: DRF's `.data` is a list that refers back to its
        # serializer, which holds the page, so the page's rows would sit in a reference cycle.
        return self.get_paginated_response(self.get_serializer(many=True).to_representation(page))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # DRF ties the response, the view and the request into reference cycles (the view keeps
        # `response`, the renderer context keeps the response and the view, the paginator keeps
        # the page). Whatever they hold, a page's 50 rows twice over, then waits for the garbage
        # collector, which frees ~15 requests' worth at once inside whichever request triggers it:
        # ~2 ms of a company page's p95 (docs/benchmarks.md). Cut once the server closes the
        # response, when nothing reads them any more; reference counting then frees each page as
        # its request ends. (Django runs and clears a response's resource closers in `close()`.)
        response._resource_closers.append(partial(_release_page, self, response))
        return response


def _release_page(view, response) -> None:
    view.__dict__.pop("response", None)
    if (renderer_context := getattr(response, "renderer_context", None)) is not None:
        renderer_context.pop("response", None)
    if (paginator := getattr(view, "_paginator", None)) is not None:
        paginator.page = None
