"""REST API of consultation fairs, one module per concern; `ROUTES` gathers their viewsets."""

from . import agenda, requests, schedule, setup

ROUTES = [*setup.ROUTES, *requests.ROUTES, *schedule.ROUTES, *agenda.ROUTES]
