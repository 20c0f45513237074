"""Pages of the realtime app, mounted at /notifications/."""

from django.urls import path

from . import views

app_name = "realtime"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_mark_read, name="mark_read"),
]
