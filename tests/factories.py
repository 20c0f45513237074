"""Factories for every model the tests need, in one place."""

import datetime as dt

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


# --- consultation fairs ------------------------------------------------------------------------


def next_weekday(days_ahead: int = 14):
    """A Monday at least `days_ahead` days from today: fair dates that are always in the future
    and start on a working day."""
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


class FairFactory(factory.django.DjangoModelFactory):
    """A three-day fair in the requests phase, 40-minute meetings, 09:00-12:00 and 13:00-17:00
    Seoul time, with three video rooms. Pass phase=... for another phase."""

    class Meta:
        model = "matching.ConsultationFair"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Beauty fair for Thai and Malaysian buyers {n}")
    starts_on = factory.LazyFunction(next_weekday)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=2))
    target_countries = factory.LazyFunction(lambda: ["TH", "MY"])
    phase = "requests_open"
    meeting_minutes = 40
    break_minutes = 10

    @factory.post_generation
    def session_windows(self, create, extracted, **kwargs):
        from matching.models import SessionWindow

        if not create:
            return
        windows = extracted if extracted is not None else [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
        for opens, closes in windows:
            SessionWindow.objects.create(fair=self, opens_at=opens, closes_at=closes)

    @factory.post_generation
    def rooms(self, create, extracted, **kwargs):
        from matching.models import VideoRoom

        if not create:
            return
        count = 3 if extracted is None else extracted
        self.rooms.set([VideoRoom.objects.get_or_create(name=f"Video room {i}")[0] for i in range(1, count + 1)])

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create:
            self.sectors.set(extracted if extracted is not None else Sector.objects.filter(code="beauty"))


class FairParticipantFactory(factory.django.DjangoModelFactory):
    """An accepted SME participant; pass buyer=... and kind="buyer" (or use
    BuyerParticipantFactory) for a buyer."""

    class Meta:
        model = "matching.FairParticipant"

    fair = factory.SubFactory(FairFactory)
    kind = "sme"
    company = factory.SubFactory(CompanyFactory)
    buyer = None
    status = "accepted"


class BuyerParticipantFactory(FairParticipantFactory):
    kind = "buyer"
    company = None
    buyer = factory.SubFactory(BuyerOrganisationFactory)


class InterpreterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "matching.Interpreter"

    name = factory.Sequence(lambda n: f"Interpreter {n}")
    email = factory.Sequence(lambda n: f"interpreter{n}@example.com")
    languages = factory.LazyFunction(lambda: ["ko", "th"])


class PublishedMeetingFactory(factory.django.DjangoModelFactory):
    """A scheduled meeting as publishing leaves it (published_at set), on the fair's first day at
    10:00 Seoul time (01:00 UTC). Pass status="draft", published_at=None for a draft."""

    class Meta:
        model = "matching.Meeting"

    fair = factory.SubFactory(FairFactory, phase="published")
    company = factory.SubFactory(CompanyFactory)
    buyer = factory.SubFactory(BuyerOrganisationFactory)
    source = "request"
    starts_at = factory.LazyAttribute(lambda o: dt.datetime.combine(o.fair.starts_on, dt.time(1, 0), tzinfo=dt.UTC))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=o.fair.meeting_minutes))
    status = "scheduled"
    published_at = factory.LazyFunction(timezone.now)
