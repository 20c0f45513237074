"""Pages of consultation fairs, mounted at /fairs/."""

from .views import agenda, requests, schedule, setup

app_name = "fairs"
urlpatterns = [*setup.urlpatterns, *requests.urlpatterns, *schedule.urlpatterns, *agenda.urlpatterns]
