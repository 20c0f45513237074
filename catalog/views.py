"""Web pages of the catalogue: the SME dashboard and product forms, and the buyers' catalogue.

Views parse input with a form, call a service or selector, and render. What a user may see
comes from the selectors, what they may change from the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.pagination import LongListPaginator
from tradeon.web import add_service_error, is_htmx, role_required

from . import selectors, services
from .forms import CatalogueSearchForm, CompanyForm, ProductForm, ProductImageForm
from .models import Certification, ProductImage

CATALOGUE_PAGE_SIZE = 24


def _with_certification_names(products) -> list:
    """Evaluate the products and give each the names of its certifications, from the codes
    the selector annotated: one small query instead of a prefetch per page."""
    names = dict(Certification.objects.values_list("code", "name"))
    products = list(products)
    for product in products:
        codes = sorted(filter(None, (getattr(product, "certification_codes", None) or "").split(",")))
        product.certification_list = [names.get(code, code) for code in codes]
    return products


def _own_company(user):
    return selectors.company_list(user=user).get(pk=user.company_id)


@role_required(Role.SME)
def dashboard(request):
    """The SME's home: its company (with the edit form) and all its products, drafts included."""
    company = _own_company(request.user)
    if request.method == "POST":
        form = CompanyForm(request.POST)
        if form.is_valid():
            try:
                services.company_update(company=company, updated_by=request.user, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
                company = _own_company(request.user)  # the service may have half-applied the input in memory
            else:
                messages.success(request, _("Company profile saved."))
                return redirect("catalog:dashboard")
    else:
        form = CompanyForm(initial=CompanyForm.initial_for(company))
    products = selectors.product_search(selectors.product_list(user=request.user), company_id=company.pk).order_by(
        "-updated_at", "-id"
    )
    return render(request, "catalog/dashboard.html", {"company": company, "form": form, "products": products})


@role_required(Role.SME)
def product_create(request):
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                product = services.product_create(
                    company=request.user.company, created_by=request.user, **form.cleaned_data
                )
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("“%(name)s” was added. You can add pictures from its edit page.") % {"name": product.name_en},
                )
                return redirect("catalog:dashboard")
    else:
        form = ProductForm()
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


def _product_to_manage(request, pk):
    """A product the user may see (else 404) and change (else 403)."""
    product = get_object_or_404(selectors.product_list(user=request.user), pk=pk)
    if not services.can_manage_company(user=request.user, company=product.company):
        raise PermissionDenied
    return product


@role_required(Role.SME, Role.STAFF)
def product_edit(request, pk):
    product = _product_to_manage(request, pk)
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                services.product_update(product=product, updated_by=request.user, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
                product = _product_to_manage(request, pk)
            else:
                messages.success(request, _("Product saved."))
                if request.user.role == Role.SME:
                    return redirect("catalog:dashboard")
                return redirect("catalog:product_detail", pk=product.pk)
    else:
        form = ProductForm(initial=ProductForm.initial_for(product))
    return render(
        request,
        "catalog/product_form.html",
        {"form": form, "product": product, "image_form": ProductImageForm(), "images": product.images.all()},
    )


@require_POST
@role_required(Role.SME, Role.STAFF)
def product_image_add(request, pk):
    product = _product_to_manage(request, pk)
    image_form = ProductImageForm(request.POST, request.FILES)
    if image_form.is_valid():
        try:
            services.product_image_add(product=product, uploaded_by=request.user, **image_form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(image_form, error)
        else:
            messages.success(request, _("Picture added."))
            return redirect("catalog:product_edit", pk=product.pk)
    return render(
        request,
        "catalog/product_form.html",
        {
            "form": ProductForm(initial=ProductForm.initial_for(product)),
            "product": product,
            "image_form": image_form,
            "images": product.images.all(),
        },
    )


@login_required
def catalogue(request):
    """Search the published catalogue. htmx requests get only the results, so typing in the
    search box refreshes the list without reloading the page."""
    form = CatalogueSearchForm(request.GET)
    form.is_valid()
    products = selectors.product_search(
        selectors.product_list(user=request.user), **form.search_arguments(), order="award_first"
    ).prefetch_related("images")
    page = LongListPaginator(products, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_certification_names(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode()}
    template = "catalog/_results.html" if is_htmx(request) else "catalog/catalogue.html"
    return render(request, template, context)


@login_required
def product_detail(request, pk):
    product = get_object_or_404(
        selectors.product_list(user=request.user).prefetch_related(
            "certifications", Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        ),
        pk=pk,
    )
    can_manage = services.can_manage_company(user=request.user, company=product.company)
    return render(request, "catalog/product_detail.html", {"product": product, "can_manage": can_manage})


@login_required
def company_detail(request, pk):
    company = get_object_or_404(selectors.company_list(user=request.user).prefetch_related("certifications"), pk=pk)
    products = selectors.product_search(selectors.product_list(user=request.user), company_id=company.pk)
    return render(
        request,
        "catalog/company_detail.html",
        {
            "company": company,
            "products": _with_certification_names(products.order_by("name_en").prefetch_related("images")),
            "can_manage": services.can_manage_company(user=request.user, company=company),
        },
    )


@login_required
def hs_code_lookup(request):
    """Suggestions for the product form's HS code box: subheadings by code prefix or by words."""
    text = request.GET.get("hs_lookup", "").strip()[:100]
    hs_codes = selectors.hs_code_search(text=text, level=6)[:10] if len(text) >= 2 else []
    return render(request, "catalog/_hs_suggestions.html", {"hs_codes": hs_codes, "text": text})
