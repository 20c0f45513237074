"""Sign-in, sign-out and sign-up pages. Sign-up hands the work to the account services."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tradeon.errors import DomainError
from tradeon.web import add_service_error

from . import services
from .forms import BuyerSignUpForm, SMESignUpForm

login_view = auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)
logout_view = auth_views.LogoutView.as_view()


def signup_sme(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SMESignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sme_sign_up(**form.account_arguments(), company=form.company_arguments())
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Trade On! Complete your company profile, then add your products."))
            return redirect("catalog:dashboard")
    return render(request, "accounts/signup_sme.html", {"form": form})


def signup_buyer(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = BuyerSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.buyer_sign_up(**form.account_arguments(), organisation=form.organisation_arguments())
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Trade On! Your organisation is registered."))
            return redirect("catalog:catalogue")
    return render(request, "accounts/signup_buyer.html", {"form": form})
