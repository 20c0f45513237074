"""Factories for every model the tests need, in one place."""

import factory
from django.utils import timezone

from buyers.models import BuyerOrganisation, BuyerType, SourcingRequest, VerificationState
from catalog.models import Company, HSCode, Product, PublicationStatus, Sector
from catalog.services import product_fill_derived_fields
from tradeon.accounts.models import Role, User

# Valid business registration numbers (they pass the NTS check digit), generated on demand.
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def valid_business_registration_number(serial: int) -> str:
    body = f"{(serial % 899) + 101:03d}{(serial // 899) % 100:02d}{serial % 10000:04d}"
    total = sum(int(d) * w for d, w in zip(body, _BRN_WEIGHTS, strict=True)) + (int(body[8]) * 5) // 10
    check = (10 - total % 10) % 10
    return f"{body[:3]}-{body[3:5]}-{body[5:]}{check}"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name_ko = factory.Sequence(lambda n: f"서울기업{n}")
    name_en = factory.Sequence(lambda n: f"Seoul Company {n}")
    business_registration_number = factory.Sequence(lambda n: valid_business_registration_number(n + 1))
    sector = factory.LazyFunction(lambda: Sector.objects.get(code="beauty"))
    description_en = "Korean cosmetics maker"
    description_ko = "한국 화장품 제조사"
    status = PublicationStatus.PUBLISHED
    languages = factory.LazyFunction(lambda: ["ko", "en"])
    target_countries = factory.LazyFunction(lambda: ["TH", "MY"])


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    name_ko = factory.Sequence(lambda n: f"수분 크림 {n}")
    name_en = factory.Sequence(lambda n: f"Moisture cream {n}")
    description_en = "Hydrating face cream with centella"
    description_ko = "병풀 추출물 수분 크림"
    hs_code = factory.LazyFunction(lambda: HSCode.objects.get(code="330499"))
    keywords = "cream, skincare"
    moq = 500
    status = PublicationStatus.PUBLISHED

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        product = model_class(*args, **kwargs)
        # What catalog.services set on every write: the search text and the copies of company facts.
        product_fill_derived_fields(product)
        return product

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        product = cls._build(model_class, *args, **kwargs)
        product.save()
        return product


class BuyerOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyerOrganisation

    name = factory.Sequence(lambda n: f"Bangkok Beauty Trading {n}")
    country = "TH"
    city = "Bangkok"
    buyer_type = BuyerType.DISTRIBUTOR
    time_zone = "Asia/Bangkok"
    languages = factory.LazyFunction(lambda: ["th", "en"])
    contact_name = "Somchai P."
    contact_email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    contact_phone = "+66 2 123 4567"
    verification_state = VerificationState.VERIFIED
    reviewed_at = factory.LazyFunction(timezone.now)


class SourcingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourcingRequest

    buyer = factory.SubFactory(BuyerOrganisationFactory)
    title = factory.Sequence(lambda n: f"Looking for sheet masks {n}")
    description = "Private label sheet masks for 7-Eleven Thailand"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class SMEUserFactory(UserFactory):
    role = Role.SME
    company = factory.SubFactory(CompanyFactory)


class BuyerUserFactory(UserFactory):
    role = Role.BUYER
    buyer_organisation = factory.SubFactory(BuyerOrganisationFactory)


class StaffUserFactory(UserFactory):
    role = Role.STAFF
    is_staff = True


PASSWORD = "correct-horse-battery"
