"""Pages of the realtime app, mounted at /notifications/."""

app_name = "realtime"
urlpatterns: list = []
