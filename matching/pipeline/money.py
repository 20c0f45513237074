"""Money of the pipeline: converting deal values to KRW with the dated exchange rates staff keep,
and showing the totals in KRW, 억원 and USD. Decimal throughout; a float never touches money.

The rounding rule (every report, page, API answer and XLSX file uses it, so they agree to the won):

1. A rate is the newest `ExchangeRate` of the currency whose `valid_from` is on or before the
   report's as-of date; KRW is 1. No such rate: a `DomainError` naming the currency and the date.
2. Each deal is converted at full precision (amount x KRW per unit) and then rounded to whole won,
   half up (ROUND_HALF_UP: 0.5 won goes up).
3. A total is the sum of those whole-won amounts; it is never re-rounded.
4. The USD figure is the KRW total divided by the USD rate of the same date, rounded to cents,
   half up. (Adding up USD deals in USD would disagree with the KRW total by the roundings.)
5. 억원 is the KRW total / 10^8, shown to one decimal, half up: 85,600,000,000 KRW = 856.0억원.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.utils import timezone
from django.utils.translation import gettext as _

from matching.models import Currency, ExchangeRate
from tradeon.errors import DomainError

WON = Decimal(1)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
EOK = Decimal(100_000_000)  # 억: 10^8 won
# Enough digits for 10^16 won x a six-place rate without the default context rounding anything.
PRECISION = 40
# Currencies whose amounts are shown without minor units.
WHOLE_UNIT_CURRENCIES = frozenset({Currency.KRW, Currency.JPY, Currency.VND, Currency.IDR})


def _as_date(on_date) -> dt.date:
    if isinstance(on_date, dt.datetime):
        return timezone.localtime(on_date).date() if timezone.is_aware(on_date) else on_date.date()
    return on_date


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        # A float has already lost the cents (0.1 + 0.2 != 0.3); refuse it rather than guess.
        raise TypeError("Money is Decimal (or int or str), never float.")
    return value if isinstance(value, Decimal) else Decimal(value)


def convert_exact(amount: Decimal, krw_per_unit: Decimal) -> Decimal:
    """The KRW value at full precision (step 2 before rounding)."""
    amount, krw_per_unit = _decimal(amount), _decimal(krw_per_unit)
    with localcontext() as context:
        context.prec = PRECISION
        return amount * krw_per_unit


def round_won(value: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = PRECISION
        return _decimal(value).quantize(WON, rounding=ROUND_HALF_UP)


def krw_to_usd(krw: Decimal, usd_rate: Decimal) -> Decimal:
    """Step 4: a KRW total in US dollars, to the cent, half up."""
    with localcontext() as context:
        context.prec = PRECISION
        return (_decimal(krw) / _decimal(usd_rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def krw_to_eok(krw: Decimal) -> Decimal:
    """Step 5: a KRW total in 억원 (10^8 won), one decimal, half up."""
    with localcontext() as context:
        context.prec = PRECISION
        return (_decimal(krw) / EOK).quantize(TENTH, rounding=ROUND_HALF_UP)


def no_rate_error(currency: str, on_date: dt.date) -> DomainError:
    return DomainError(
        _(
            "There is no exchange rate for %(currency)s on or before %(date)s; agency staff can add one on the "
            "exchange rates page."
        )
        % {"currency": currency, "date": on_date.isoformat()},
        field="currency",
    )


@dataclass
class RateBook:
    """The rates valid on one date, one per currency, loaded with one query; converts deals and
    remembers which currencies it converted, so a report can state the rates it used."""

    on_date: dt.date
    rates: dict[str, ExchangeRate]
    converted: set[str] = field(default_factory=set)

    def rate(self, currency: str) -> Decimal:
        if currency == Currency.KRW:
            return WON
        found = self.rates.get(currency)
        if found is None:
            raise no_rate_error(currency, self.on_date)
        return found.krw_per_unit

    def to_krw(self, amount: Decimal, currency: str) -> Decimal:
        """Steps 1-2: one deal's value in whole won."""
        value = round_won(convert_exact(amount, self.rate(currency)))
        self.converted.add(currency)
        return value

    def usd(self, krw_total: Decimal) -> Decimal | None:
        """The KRW total in USD, or None when there is no USD rate on the date."""
        found = self.rates.get(Currency.USD)
        return krw_to_usd(krw_total, found.krw_per_unit) if found else None

    def used(self) -> list[ExchangeRate]:
        """The rates this book converted with, and the USD rate the USD figure uses."""
        wanted = (self.converted - {Currency.KRW}) | {Currency.USD}
        return [self.rates[code] for code in sorted(wanted) if code in self.rates]


def rate_book(on_date) -> RateBook:
    """The newest rate of each currency on or before `on_date`."""
    on_date = _as_date(on_date)
    newest: dict[str, ExchangeRate] = {}
    # Ordered newest first per currency: the first seen is the one in force. Rates are few (a
    # dozen currencies, a few dates a year), so this reads them all rather than one query each.
    for rate in ExchangeRate.objects.filter(valid_from__lte=on_date).order_by("currency", "-valid_from"):
        newest.setdefault(rate.currency, rate)
    return RateBook(on_date=on_date, rates=newest)


def to_krw(amount: Decimal, currency: str, on_date) -> Decimal:
    """One amount in whole won at the rate in force on `on_date` (see the module's rule)."""
    return rate_book(on_date).to_krw(amount, currency)


# --- Showing money ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyTotal:
    """A total in whole won with its 억원 and USD figures (USD None without a USD rate)."""

    krw: Decimal
    usd: Decimal | None

    @property
    def eok(self) -> Decimal:
        return krw_to_eok(self.krw)

    @property
    def krw_text(self) -> str:
        return format_krw(self.krw)

    @property
    def eok_text(self) -> str:
        return format_eok(self.krw)

    @property
    def usd_text(self) -> str:
        return format_usd(self.usd) if self.usd is not None else "—"

    def as_dict(self) -> dict:
        return {
            "krw": str(self.krw),
            "eok": str(self.eok),
            "usd": str(self.usd) if self.usd is not None else None,
        }


def money_total(krw: Decimal, book: RateBook) -> MoneyTotal:
    return MoneyTotal(krw=krw, usd=book.usd(krw))


def format_krw(krw: Decimal) -> str:
    """85600000000 -> "₩85,600,000,000"."""
    return f"₩{round_won(krw):,.0f}"


def format_eok(krw: Decimal) -> str:
    """85600000000 -> "856.0억원"."""
    return f"{krw_to_eok(krw):,.1f}억원"


def format_usd(usd: Decimal) -> str:
    return f"US${Decimal(usd):,.2f}"


def format_money(amount: Decimal, currency: str) -> str:
    """An amount in its own currency: "USD 250,000.00", "VND 1,200,000,000"."""
    places = 0 if currency in WHOLE_UNIT_CURRENCIES else 2
    amount = Decimal(amount)
    if places == 0 and amount == amount.to_integral_value():
        return f"{currency} {amount:,.0f}"
    return f"{currency} {amount:,.{max(places, 2)}f}"


def format_rate(krw_per_unit: Decimal) -> str:
    """A rate without trailing zeros: 1130.500000 -> "1,130.5"."""
    text = f"{Decimal(krw_per_unit):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
