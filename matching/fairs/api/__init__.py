"""REST API of consultation fairs, one module per concern; `ROUTES` gathers their viewsets."""

from . import agenda, live, requests, room, schedule, setup

ROUTES = [*setup.ROUTES, *requests.ROUTES, *schedule.ROUTES, *agenda.ROUTES, *live.ROUTES, *room.ROUTES]
