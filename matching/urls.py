from django.urls import path

from . import views

app_name = "matching"
urlpatterns = [
    path("recommended-buyers/panel/", views.recommended_buyers_panel, name="recommended_buyers_panel"),
    path("recommended-suppliers/", views.recommended_suppliers, name="recommended_suppliers"),
    path("", views.matching_overview, name="overview"),
    path("recompute/", views.matching_recompute, name="recompute"),
    path("train/", views.matching_train, name="train"),
    path("fairs/", views.fair_list, name="fair_list"),
    path("fairs/<int:pk>/", views.fair_pairs, name="fair_pairs"),
    path("fairs/<int:pk>/recompute/", views.fair_recompute, name="fair_recompute"),
    path("fairs/<int:pk>/decide/", views.fair_pair_decide, name="fair_pair_decide"),
]
