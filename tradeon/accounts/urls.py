from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/sme/", views.signup_sme, name="signup_sme"),
    path("signup/buyer/", views.signup_buyer, name="signup_buyer"),
]
