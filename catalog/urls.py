from django.urls import path

from . import views, views_import

app_name = "catalog"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/images/", views.product_image_add, name="product_image_add"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("hs-codes/lookup/", views.hs_code_lookup, name="hs_code_lookup"),
    path("import/", views_import.import_upload, name="import"),
    path("export/<str:kind>.<str:fmt>", views_import.export_download, name="export"),
]
