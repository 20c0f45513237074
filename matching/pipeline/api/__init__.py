"""REST API of the pipeline, one module per concern; `ROUTES` gathers their viewsets."""

from . import deals, reports

ROUTES = [*deals.ROUTES, *reports.ROUTES]
