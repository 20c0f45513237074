"""Money of the pipeline: converting with the dated rate in force, the rounding rule (each deal
to whole won half up, then added; USD to the cent and 억원 to one decimal from the KRW total),
and the refusals (no rate on the date, floats)."""

import datetime as dt
from decimal import Decimal

import pytest

from matching.models import ExchangeRate
from matching.pipeline import money
from tradeon.errors import DomainError

pytestmark = pytest.mark.django_db

JAN, JUL = dt.date(2021, 1, 4), dt.date(2021, 7, 1)


@pytest.fixture
def usd_rates():
    ExchangeRate.objects.create(currency="USD", valid_from=JAN, krw_per_unit=Decimal("1086.20"))
    ExchangeRate.objects.create(currency="USD", valid_from=JUL, krw_per_unit=Decimal("1126.10"))


def test_krw_converts_at_one_and_rounds_to_whole_won():
    assert money.to_krw(Decimal("1000.49"), "KRW", JAN) == Decimal(1000)
    assert money.to_krw(Decimal("1000.50"), "KRW", JAN) == Decimal(1001)


def test_the_newest_rate_on_or_before_the_date_is_used(usd_rates):
    assert money.to_krw(Decimal(100), "USD", dt.date(2021, 6, 30)) == Decimal(108620)
    assert money.to_krw(Decimal(100), "USD", JUL) == Decimal(112610)
    assert money.to_krw(Decimal(100), "USD", dt.date(2030, 1, 1)) == Decimal(112610)


def test_no_rate_on_the_date_is_a_domain_error_naming_currency_and_date(usd_rates):
    with pytest.raises(DomainError) as refused:
        money.to_krw(Decimal(100), "USD", dt.date(2020, 12, 31))
    assert "USD" in refused.value.message and "2020-12-31" in refused.value.message
    with pytest.raises(DomainError) as refused:
        money.to_krw(Decimal(100), "THB", JUL)
    assert "THB" in refused.value.message and "2021-07-01" in refused.value.message
    assert refused.value.field == "currency"


def test_each_deal_is_rounded_half_up_before_adding():
    ExchangeRate.objects.create(currency="USD", valid_from=JAN, krw_per_unit=Decimal("1001"))
    book = money.rate_book(JAN)
    # 0.50 USD = 500.5 won: half up gives 501 (banker's rounding would give 500).
    assert book.to_krw(Decimal("0.50"), "USD") == Decimal(501)
    # Two such deals: 501 + 501 = 1002, not round(500.5 + 500.5) = 1001.
    assert sum((book.to_krw(Decimal("0.50"), "USD") for _ in range(2)), Decimal(0)) == Decimal(1002)
    # Just under half goes down.
    assert book.to_krw(Decimal("0.49"), "USD") == Decimal(490)


def test_full_precision_before_rounding_for_small_unit_currencies():
    ExchangeRate.objects.create(currency="VND", valid_from=JAN, krw_per_unit=Decimal("0.049021"))
    # 6,589,658,116 VND x 0.049021 = 323,031,630.504436 won: whole won, half up, is 323,031,631.
    assert money.convert_exact(Decimal("6589658116"), Decimal("0.049021")) == Decimal("323031630.504436")
    assert money.to_krw(Decimal("6589658116"), "VND", JAN) == Decimal(323031631)
    assert money.to_krw(Decimal("6589658106"), "VND", JAN) == Decimal(323031630)  # .014226: down


def test_usd_is_the_krw_total_over_the_usd_rate_to_the_cent_half_up():
    assert money.krw_to_usd(Decimal(85_600_000_000), Decimal("1126.10")) == Decimal("76014563.54")
    assert money.krw_to_usd(Decimal(12345), Decimal(1000)) == Decimal("12.35")  # 12.345 -> up
    assert money.krw_to_usd(Decimal(12344), Decimal(1000)) == Decimal("12.34")


def test_eok_is_the_krw_total_over_ten_to_the_eighth_to_one_decimal():
    assert money.krw_to_eok(Decimal(85_600_000_000)) == Decimal("856.0")
    assert str(money.krw_to_eok(Decimal(85_600_000_000))) == "856.0"
    assert money.krw_to_eok(Decimal(85_645_000_000)) == Decimal("856.5")  # 856.45 -> up
    assert money.krw_to_eok(Decimal(85_644_999_999)) == Decimal("856.4")
    assert money.format_eok(Decimal(85_600_000_000)) == "856.0억원"
    assert money.format_krw(Decimal(85_600_000_000)) == "₩85,600,000,000"


def test_money_total_gives_krw_eok_and_usd(usd_rates):
    total = money.money_total(Decimal(85_600_000_000), money.rate_book(JUL))
    assert (total.krw, total.eok, total.usd) == (Decimal(85_600_000_000), Decimal("856.0"), Decimal("76014563.54"))
    assert total.usd_text == "US$76,014,563.54"
    assert total.as_dict() == {"krw": "85600000000", "eok": "856.0", "usd": "76014563.54"}


def test_without_a_usd_rate_the_usd_figure_is_left_out():
    total = money.money_total(Decimal(1000), money.rate_book(JAN))
    assert total.usd is None and total.usd_text == "—"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money.to_krw(0.1, "KRW", JAN)
    with pytest.raises(TypeError):
        money.krw_to_eok(856.0)


def test_a_rate_book_states_the_rates_it_converted_with(usd_rates):
    ExchangeRate.objects.create(currency="THB", valid_from=JAN, krw_per_unit=Decimal("36.29"))
    ExchangeRate.objects.create(currency="EUR", valid_from=JAN, krw_per_unit=Decimal("1338.35"))
    book = money.rate_book(JUL)
    book.to_krw(Decimal(10), "THB")
    book.to_krw(Decimal(10), "KRW")
    used = book.used()
    # THB was converted; USD is always stated (the USD figure uses it); EUR was not needed.
    assert [(r.currency, r.valid_from) for r in used] == [("THB", JAN), ("USD", JUL)]


def test_amounts_show_in_their_currency():
    assert money.format_money(Decimal("250000.00"), "USD") == "USD 250,000.00"
    assert money.format_money(Decimal("1200000000.00"), "VND") == "VND 1,200,000,000"
    assert money.format_money(Decimal("5000000"), "JPY") == "JPY 5,000,000"
    assert money.format_rate(Decimal("1130.500000")) == "1,130.5"
