from django.urls import path

from . import views

app_name = "buyers"
urlpatterns = [
    path("", views.buyer_list, name="buyer_list"),
    path("<int:pk>/", views.buyer_detail, name="buyer_detail"),
    path("<int:pk>/verify/", views.buyer_verify, name="buyer_verify"),
    path("<int:pk>/reject/", views.buyer_reject, name="buyer_reject"),
    path("my-organisation/", views.my_organisation, name="my_organisation"),
    path("verification-queue/", views.verification_queue, name="verification_queue"),
    path("sourcing-requests/", views.sourcing_request_list, name="sourcing_request_list"),
    path("sourcing-requests/new/", views.sourcing_request_create, name="sourcing_request_create"),
    path("sourcing-requests/<int:pk>/edit/", views.sourcing_request_edit, name="sourcing_request_edit"),
]
