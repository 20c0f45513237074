"""Pages of the export-contract pipeline, mounted at /pipeline/."""

from .views import deals, reports

app_name = "pipeline"
urlpatterns = [*deals.urlpatterns, *reports.urlpatterns]
