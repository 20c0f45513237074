"""Pages of consultation fairs, mounted at /fairs/."""

from .views import agenda, live, requests, room, schedule, setup

app_name = "fairs"
urlpatterns = [
    *setup.urlpatterns,
    *requests.urlpatterns,
    *schedule.urlpatterns,
    *agenda.urlpatterns,
    *live.urlpatterns,
    *room.urlpatterns,
]
