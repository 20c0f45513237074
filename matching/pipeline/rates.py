"""Exchange rates staff keep for the pipeline: set a dated rate (staff only), list them, and the
rates in force on a date (what a report converts with and states it used)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.models import Currency, ExchangeRate
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, NotAllowed

from .money import rate_book

RATE_DIGITS = 18
RATE_PLACES = 6
# A rate may be entered ahead of time (the next month's budget rate), but not years ahead by a typo.
MAX_DAYS_AHEAD = 366
EARLIEST = dt.date(2000, 1, 1)


def _clean_rate(krw_per_unit) -> Decimal:
    try:
        value = Decimal(str(krw_per_unit).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter the rate as a number of won, e.g. 1130.50."), field="krw_per_unit") from None
    if not value.is_finite() or value <= 0:
        raise DomainError(_("The rate must be more than 0 won."), field="krw_per_unit")
    sign, digits, exponent = value.normalize().as_tuple()
    places = max(0, -exponent)
    if places > RATE_PLACES:
        raise DomainError(
            _("Give the rate with at most %(places)d decimal places.") % {"places": RATE_PLACES},
            field="krw_per_unit",
        )
    if len(digits) - places + max(0, exponent) > RATE_DIGITS - RATE_PLACES:
        raise DomainError(_("The rate is too large."), field="krw_per_unit")
    return value


@transaction.atomic
def rate_set(*, currency: str, valid_from: dt.date, krw_per_unit, by, source: str = "") -> ExchangeRate:
    """Set the KRW rate of `currency` from `valid_from` on (until the currency's next dated rate).
    A second rate for the same currency and day replaces the first: that is a correction."""
    if not (by and by.is_authenticated and by.role == Role.STAFF):
        raise NotAllowed(_("Only agency staff can set exchange rates."))
    if currency == Currency.KRW:
        raise DomainError(_("KRW is the reporting currency; its rate is always 1."), field="currency")
    if currency not in Currency.values:
        raise DomainError(
            _("Unknown currency %(currency)s; choose one of %(choices)s.")
            % {"currency": currency, "choices": ", ".join(c for c in Currency.values if c != Currency.KRW)},
            field="currency",
        )
    if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
        raise DomainError(_("Give the date the rate applies from (YYYY-MM-DD)."), field="valid_from")
    if valid_from < EARLIEST or valid_from > timezone.localdate() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(
            _("The date must be between %(earliest)s and a year from today.") % {"earliest": EARLIEST.isoformat()},
            field="valid_from",
        )
    value = _clean_rate(krw_per_unit)
    source = (source or "").strip()
    if len(source) > 200:
        raise DomainError(_("Keep the source under 200 characters."), field="source")
    rate, created = ExchangeRate.objects.select_for_update().get_or_create(
        currency=currency, valid_from=valid_from, defaults={"krw_per_unit": value, "source": source, "set_by": by}
    )
    if not created:
        rate.krw_per_unit, rate.source, rate.set_by, rate.set_at = value, source, by, timezone.now()
        rate.save(update_fields=["krw_per_unit", "source", "set_by", "set_at"])
    return rate


def rate_list(*, currency: str | None = None):
    """Every dated rate, by currency, newest first."""
    rates = ExchangeRate.objects.select_related("set_by").order_by("currency", "-valid_from")
    return rates.filter(currency=currency) if currency else rates


def rates_in_use(on_date, *, currencies=None) -> list[ExchangeRate]:
    """The rate in force on `on_date` for each currency (or each of `currencies` that has one)."""
    book = rate_book(on_date)
    wanted = sorted(book.rates) if currencies is None else sorted(set(currencies) - {Currency.KRW})
    return [book.rates[code] for code in wanted if code in book.rates]
