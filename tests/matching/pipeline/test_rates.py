"""Exchange rates: only staff set them (service, page and API, each tried from the refused side);
every bad value is refused naming its field; a second rate for the same day corrects the first;
the rates in force on a date are the newest of each currency on or before it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.models import ExchangeRate
from matching.pipeline import rates
from tradeon.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db

JAN, JUL = dt.date(2021, 1, 4), dt.date(2021, 7, 1)
API = "/api/v1/pipeline/exchange-rates/"


def test_staff_set_a_dated_rate(staff_user):
    rate = rates.rate_set(currency="USD", valid_from=JUL, krw_per_unit="1,126.10", by=staff_user, source="KEB")
    assert (rate.currency, rate.valid_from, rate.krw_per_unit, rate.source, rate.set_by) == (
        "USD",
        JUL,
        Decimal("1126.10"),
        "KEB",
        staff_user,
    )


@pytest.mark.parametrize("who", ["sme_user", "buyer_user"])
def test_smes_and_buyers_cannot_set_rates(who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        rates.rate_set(currency="USD", valid_from=JUL, krw_per_unit="1126.10", by=user)
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "KRW"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"krw_per_unit": "0"}, "krw_per_unit"),
        ({"krw_per_unit": "-3"}, "krw_per_unit"),
        ({"krw_per_unit": "abc"}, "krw_per_unit"),
        ({"krw_per_unit": "NaN"}, "krw_per_unit"),
        ({"krw_per_unit": "1.1234567"}, "krw_per_unit"),
        ({"krw_per_unit": "1234567890123"}, "krw_per_unit"),
        ({"valid_from": "2021-07-01"}, "valid_from"),
        ({"valid_from": dt.date(1999, 12, 31)}, "valid_from"),
        ({"valid_from": timezone.localdate() + dt.timedelta(days=400)}, "valid_from"),
        ({"source": "x" * 201}, "source"),
    ],
)
def test_bad_values_are_refused_naming_the_field(staff_user, changes, field):
    values = {"currency": "USD", "valid_from": JUL, "krw_per_unit": "1126.10", "by": staff_user, **changes}
    with pytest.raises(DomainError) as refused:
        rates.rate_set(**values)
    assert refused.value.field == field
    assert not ExchangeRate.objects.exists()


def test_a_second_rate_for_the_same_day_corrects_the_first(staff_user):
    rates.rate_set(currency="USD", valid_from=JUL, krw_per_unit="1162.10", by=staff_user)
    rates.rate_set(currency="USD", valid_from=JUL, krw_per_unit="1126.10", by=staff_user, source="typo fixed")
    rate = ExchangeRate.objects.get()
    assert (rate.krw_per_unit, rate.source) == (Decimal("1126.10"), "typo fixed")


def test_rates_in_use_are_the_newest_of_each_currency_on_or_before_the_date(staff_user):
    for currency, day, value in [("USD", JAN, "1086.20"), ("USD", JUL, "1126.10"), ("THB", JAN, "36.29")]:
        rates.rate_set(currency=currency, valid_from=day, krw_per_unit=value, by=staff_user)
    in_june = rates.rates_in_use(dt.date(2021, 6, 30))
    assert [(r.currency, r.krw_per_unit) for r in in_june] == [("THB", Decimal("36.29")), ("USD", Decimal("1086.20"))]
    in_july = rates.rates_in_use(JUL, currencies=["USD", "KRW", "EUR"])
    assert [(r.currency, r.krw_per_unit) for r in in_july] == [("USD", Decimal("1126.10"))]
    assert rates.rates_in_use(dt.date(2020, 1, 1)) == []


# --- the page -----------------------------------------------------------------------------------


def test_staff_add_a_rate_on_the_page(client, staff_user):
    client.force_login(staff_user)
    url = reverse("pipeline:exchange_rates")
    assert client.get(url).status_code == 200
    response = client.post(url, {"currency": "THB", "valid_from": "2021-07-01", "krw_per_unit": "35.23", "source": ""})
    assert response.status_code == 302
    assert ExchangeRate.objects.get().krw_per_unit == Decimal("35.23")
    page = client.get(url).content.decode()
    assert "THB" in page and "35.23" in page


def test_a_bad_rate_on_the_page_is_shown_on_its_field(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("pipeline:exchange_rates"), {"currency": "THB", "valid_from": "2021-07-01", "krw_per_unit": "0"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["krw_per_unit"] == ["The rate must be more than 0 won."]
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("who", ["sme_user", "buyer_user"])
def test_smes_and_buyers_get_403_from_the_rates_page(client, who, request):
    client.force_login(request.getfixturevalue(who))
    url = reverse("pipeline:exchange_rates")
    assert client.get(url).status_code == 403
    response = client.post(url, {"currency": "THB", "valid_from": "2021-07-01", "krw_per_unit": "35.23"})
    assert response.status_code == 403
    assert not ExchangeRate.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_rates_page(client):
    response = client.post(
        reverse("pipeline:exchange_rates"), {"currency": "THB", "valid_from": "2021-07-01", "krw_per_unit": "35.23"}
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert not ExchangeRate.objects.exists()


# --- the API -------------------------------------------------------------------------------------


def test_signed_in_users_read_the_rates(sme_client, staff_user):
    rates.rate_set(currency="USD", valid_from=JAN, krw_per_unit="1086.20", by=staff_user)
    rates.rate_set(currency="USD", valid_from=JUL, krw_per_unit="1126.10", by=staff_user)
    every = sme_client.get(API).json()
    assert [(r["currency"], r["valid_from"], r["krw_per_unit"]) for r in every["results"]] == [
        ("USD", "2021-07-01", "1126.100000"),
        ("USD", "2021-01-04", "1086.200000"),
    ]
    in_june = sme_client.get(API, {"on": "2021-06-30"}).json()
    assert [(r["currency"], r["valid_from"]) for r in in_june["results"]] == [("USD", "2021-01-04")]


def test_anonymous_cannot_read_rates(api_client):
    assert api_client.get(API).status_code in (401, 403)


def test_staff_set_a_rate_through_the_api(staff_client):
    response = staff_client.post(
        API, {"currency": "MYR", "valid_from": "2021-07-01", "krw_per_unit": "271.36", "source": "KEB"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["krw_per_unit"] == "271.360000"


@pytest.mark.parametrize("who", ["sme_client", "buyer_client"])
def test_smes_and_buyers_cannot_set_rates_through_the_api(who, request):
    client = request.getfixturevalue(who)
    response = client.post(
        API, {"currency": "MYR", "valid_from": "2021-07-01", "krw_per_unit": "271.36"}, format="json"
    )
    assert response.status_code == 403
    assert not ExchangeRate.objects.exists()


def test_an_api_refusal_names_the_field(staff_client):
    response = staff_client.post(
        API, {"currency": "KRW", "valid_from": "2021-07-01", "krw_per_unit": "1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "currency"
    response = staff_client.post(
        API, {"currency": "USD", "valid_from": "2021-07-01", "krw_per_unit": "0"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "krw_per_unit"
