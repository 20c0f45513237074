"""Web pages of the buyer database: buyer profiles, sourcing requests, the buyer's own
organisation and the staff verification queue.

What a user may see comes from the selectors (an SME sees verified buyers only, and the
templates show it the public profile only); what they may change from the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.web import add_service_error, role_required

from . import selectors, services
from .forms import BuyerFilterForm, BuyerOrganisationForm, RejectionForm, SourcingRequestForm
from .models import SourcingRequestStatus

BUYER_PAGE_SIZE = 24


@role_required(Role.SME, Role.STAFF)
def buyer_list(request):
    form = BuyerFilterForm(request.GET)
    form.is_valid()
    filters = {key: value for key, value in form.cleaned_data.items() if value}
    buyers = selectors.buyer_list(user=request.user)
    if "sector" in filters:
        buyers = buyers.filter(sectors__code=filters["sector"])
    if "country" in filters:
        buyers = buyers.filter(country=filters["country"])
    if "verification_state" in filters and request.user.role == Role.STAFF:
        buyers = buyers.filter(verification_state=filters["verification_state"])
    page = Paginator(buyers.order_by("name", "id"), BUYER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "buyers/buyer_list.html", {"form": form, "page": page, "query_string": query.urlencode()})


@login_required
def buyer_detail(request, pk):
    buyer = get_object_or_404(selectors.buyer_list(user=request.user), pk=pk)
    sourcing_requests = selectors.sourcing_request_list(user=request.user).filter(buyer=buyer)
    return render(
        request,
        "buyers/buyer_detail.html",
        {
            "buyer": buyer,
            # Contact details are for the buyer's own members and staff, never for SMEs.
            "show_contact": services.can_manage_buyer(user=request.user, buyer=buyer),
            "sourcing_requests": sourcing_requests,
        },
    )


@role_required(Role.BUYER)
def my_organisation(request):
    buyer = get_object_or_404(selectors.buyer_list(user=request.user), pk=request.user.buyer_organisation_id)
    if request.method == "POST":
        form = BuyerOrganisationForm(request.POST)
        if form.is_valid():
            try:
                services.buyer_update(buyer=buyer, updated_by=request.user, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
                buyer.refresh_from_db()
            else:
                messages.success(request, _("Organisation profile saved."))
                return redirect("buyers:my_organisation")
    else:
        form = BuyerOrganisationForm(initial=BuyerOrganisationForm.initial_for(buyer))
    return render(request, "buyers/my_organisation.html", {"buyer": buyer, "form": form})


@login_required
def sourcing_request_list(request):
    """SMEs: open requests of verified buyers. Buyers: their own, any status. Staff: all."""
    sourcing_requests = selectors.sourcing_request_list(user=request.user)
    status = request.GET.get("status", "")
    if status in SourcingRequestStatus.values:
        sourcing_requests = sourcing_requests.filter(status=status)
    page = Paginator(sourcing_requests, BUYER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "buyers/sourcing_request_list.html",
        {"page": page, "status": status, "query_string": f"status={status}" if status else ""},
    )


@role_required(Role.BUYER)
def sourcing_request_create(request):
    form = SourcingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sourcing_request_create(
                buyer=request.user.buyer_organisation, created_by=request.user, **form.cleaned_data
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Sourcing request posted."))
            return redirect("buyers:sourcing_request_list")
    return render(request, "buyers/sourcing_request_form.html", {"form": form, "sourcing_request": None})


@role_required(Role.BUYER, Role.STAFF)
def sourcing_request_edit(request, pk):
    sourcing_request = get_object_or_404(selectors.sourcing_request_list(user=request.user), pk=pk)
    if not services.can_manage_buyer(user=request.user, buyer=sourcing_request.buyer):
        raise PermissionDenied
    if request.method == "POST":
        form = SourcingRequestForm(request.POST)
        if form.is_valid():
            try:
                services.sourcing_request_update(
                    sourcing_request=sourcing_request, updated_by=request.user, **form.cleaned_data
                )
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Sourcing request saved."))
                return redirect("buyers:sourcing_request_list")
    else:
        form = SourcingRequestForm(initial=SourcingRequestForm.initial_for(sourcing_request))
    return render(request, "buyers/sourcing_request_form.html", {"form": form, "sourcing_request": sourcing_request})


def _render_queue(request, rejection_forms=None):
    rejection_forms = rejection_forms or {}
    pending = list(selectors.buyer_verification_queue())
    for buyer in pending:
        buyer.rejection_form = rejection_forms.get(buyer.pk) or RejectionForm(prefix=f"reject-{buyer.pk}")
    return render(request, "buyers/verification_queue.html", {"pending": pending})


@role_required(Role.STAFF)
def verification_queue(request):
    """Pending buyers, oldest first: staff verify them or reject them with a reason."""
    return _render_queue(request)


@require_POST
@role_required(Role.STAFF)
def buyer_verify(request, pk):
    buyer = get_object_or_404(selectors.buyer_list(user=request.user), pk=pk)
    try:
        services.buyer_verify(buyer=buyer, reviewer=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is now a verified buyer.") % {"name": buyer.name})
    return redirect("buyers:verification_queue")


@require_POST
@role_required(Role.STAFF)
def buyer_reject(request, pk):
    buyer = get_object_or_404(selectors.buyer_list(user=request.user), pk=pk)
    form = RejectionForm(request.POST, prefix=f"reject-{buyer.pk}")
    if form.is_valid():
        try:
            services.buyer_reject(buyer=buyer, reviewer=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            # Typically another staff member reviewed it meanwhile: the row has left the queue.
            messages.error(request, error.message)
            return redirect("buyers:verification_queue")
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s was rejected; they will see your reason.") % {"name": buyer.name})
            return redirect("buyers:verification_queue")
    return _render_queue(request, {buyer.pk: form})
