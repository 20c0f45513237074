"""Writes to the catalogue. Every path (web page, API, import, seeder) goes through these, so
permission rules, validation and the search column are applied in one place."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext as _

from tradeon.accounts.models import Role
from tradeon.errors import NotAllowed

from .models import Company, HSCode, Product, ProductImage, PublicationStatus

COMPANY_FIELDS = {
    "name_ko",
    "name_en",
    "business_registration_number",
    "sector",
    "description_ko",
    "description_en",
    "founded_year",
    "employees",
    "revenue_band",
    "export_countries",
    "target_countries",
    "languages",
    "website",
    "seoul_award",
    "status",
}
# Fields an SME may not set on its own company: the Seoul Award mark is granted by the agency.
STAFF_ONLY_COMPANY_FIELDS = {"seoul_award", "business_registration_number"}
PRODUCT_FIELDS = {
    "name_ko",
    "name_en",
    "description_ko",
    "description_en",
    "hs_code",
    "keywords",
    "moq",
    "moq_unit",
    "price_min",
    "price_max",
    "currency",
    "lead_time_days",
    "status",
}


def can_manage_company(*, user, company: Company) -> bool:
    return user.role == Role.STAFF or (user.role == Role.SME and user.company_id == company.pk)


def require_company_manager(*, user, company: Company) -> None:
    if not can_manage_company(user=user, company=company):
        raise NotAllowed("Only this company's members and agency staff can change it.")


def _apply(instance, data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed - {"certifications"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for field, value in data.items():
        if field != "certifications":
            setattr(instance, field, value)


def _full_clean(instance, exclude: Iterable[str] = ()) -> None:
    # Model validation is the single source of field rules (BRN checksum, languages, HS level);
    # unique checks are left to the database so a race gets a clean IntegrityError -> 409.
    instance.full_clean(exclude=list(exclude), validate_unique=False)


def product_search_text(product: Product) -> str:
    company = product.company
    parts = [
        product.name_ko,
        product.name_en,
        product.description_ko,
        product.description_en,
        product.keywords,
        company.name_ko,
        company.name_en,
        product.hs_code_id or "",
    ]
    return " ".join(p for p in parts if p).lower()


def product_fill_derived_fields(product: Product) -> None:
    """Set the product's search text and its copies of the company's facts (listed, sector, Seoul
    Award) on the instance, before it is saved. Every path that writes products calls this: the
    services, the admin, the demo seeder's bulk inserts and the test factories."""
    company = product.company
    product.search_text = product_search_text(product)
    product.is_listed = product.status == PublicationStatus.PUBLISHED and company.status == PublicationStatus.PUBLISHED
    product.company_sector_id = company.sector_id
    product.company_seoul_award = company.seoul_award


def company_products_sync(*, company: Company, names_changed: bool) -> int:
    """After a company is saved, bring its products' copies of its facts up to date: unpublishing
    a company unlists all its products at once, publishing it lists its published ones. One UPDATE
    of the stale rows only (rewriting a product row also rewrites its search-index entries);
    returns how many it rewrote."""
    company_published = company.status == PublicationStatus.PUBLISHED
    listed = Case(When(status=PublicationStatus.PUBLISHED, then=Value(company_published)), default=Value(False))
    stale = ~Q(is_listed=listed) | ~Q(company_sector_id=company.sector_id) | ~Q(company_seoul_award=company.seoul_award)
    rewritten = company.products.filter(stale).update(
        is_listed=listed, company_sector_id=company.sector_id, company_seoul_award=company.seoul_award
    )
    if names_changed:
        # Company names are part of every product's search text.
        for product in company.products.select_related("company"):
            Product.objects.filter(pk=product.pk).update(search_text=product_search_text(product))
    return rewritten


@transaction.atomic
def company_create(*, created_by, certifications=(), **data) -> Company:
    if created_by is not None and created_by.role != Role.STAFF:
        raise NotAllowed("Only agency staff can create companies directly; SMEs sign up.")
    company = Company()
    _apply(company, data, COMPANY_FIELDS)
    _full_clean(company)
    _check_brn_unique(company)
    company.save()
    if certifications:
        company.certifications.set(certifications)
    return company


@transaction.atomic
def company_update(*, company: Company, updated_by, **data) -> Company:
    require_company_manager(user=updated_by, company=company)
    if updated_by.role != Role.STAFF:
        forbidden = sorted(STAFF_ONLY_COMPANY_FIELDS & set(data))
        forbidden = [f for f in forbidden if data[f] != getattr(company, f)]
        if forbidden:
            raise NotAllowed(f"Only agency staff can change {', '.join(forbidden)}.", field=forbidden[0])
    certifications = data.pop("certifications", None)
    names_changed = any(f in data for f in ("name_ko", "name_en"))
    _apply(company, data, COMPANY_FIELDS)
    _full_clean(company)
    _check_brn_unique(company)
    company.save()
    if certifications is not None:
        company.certifications.set(certifications)
    company_products_sync(company=company, names_changed=names_changed)
    return company


def _check_brn_unique(company: Company) -> None:
    # The unique index still decides a race (-> 409); this gives the common case a message.
    clash = Company.objects.filter(business_registration_number=company.business_registration_number)
    if company.pk:
        clash = clash.exclude(pk=company.pk)
    if clash.exists():
        raise ValidationError(
            {
                "business_registration_number": _(
                    "A company with this business registration number is already registered. "
                    "Ask its members or the agency for an account."
                )
            }
        )


def _check_hs_subheading(hs_code) -> None:
    if isinstance(hs_code, HSCode) and hs_code.level != 6:
        raise ValidationError(
            {"hs_code": f"HS code {hs_code.code} is a chapter or heading; choose a 6-digit subheading."}
        )


@transaction.atomic
def product_create(*, company: Company, created_by, certifications=(), **data) -> Product:
    if created_by is not None:
        require_company_manager(user=created_by, company=company)
    product = Product(company=company)
    _apply(product, data, PRODUCT_FIELDS)
    _check_hs_subheading(product.hs_code if product.hs_code_id else None)
    _full_clean(product, exclude=["company"])
    product_fill_derived_fields(product)
    product.save()
    if certifications:
        product.certifications.set(certifications)
    return product


@transaction.atomic
def product_update(*, product: Product, updated_by, **data) -> Product:
    require_company_manager(user=updated_by, company=product.company)
    certifications = data.pop("certifications", None)
    _apply(product, data, PRODUCT_FIELDS)
    _check_hs_subheading(product.hs_code)
    _full_clean(product, exclude=["company"])
    product_fill_derived_fields(product)
    product.save()
    if certifications is not None:
        product.certifications.set(certifications)
    return product


@transaction.atomic
def product_delete(*, product: Product, deleted_by) -> None:
    require_company_manager(user=deleted_by, company=product.company)
    product.delete()


@transaction.atomic
def product_image_add(*, product: Product, uploaded_by, image, alt_text: str = "") -> ProductImage:
    require_company_manager(user=uploaded_by, company=product.company)
    position = product.images.count()
    product_image = ProductImage(
        product=product, image=image, alt_text=alt_text, position=position, uploaded_by=uploaded_by
    )
    product_image.full_clean()
    product_image.save()
    return product_image
