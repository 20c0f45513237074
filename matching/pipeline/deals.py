"""Deals: an SME and a buyer working towards an export contract, from the meetings it came from
(possibly in several fairs) to a signed contract or a loss.

The rules, in one place:
- Who: agency staff create and change any deal; an SME's members their own company's deals;
  buyers see the deals they are party to but do not change them (the pipeline is the SME's and
  the agency's record of export business; a buyer's account goes into its meeting outcomes).
- Stages move forward: consulted -> follow-up -> samples/quotation -> negotiation, one or more
  steps at a time; from any open stage to "contract signed" (with `signed_on`, today in Seoul
  when not given) or "lost" (with `lost_reason`). Going back among the open stages is a
  correction only staff may make; reopening (or re-closing) a signed or lost deal is staff's too.
  Reopening clears `signed_on` / `lost_reason` (history keeps them).
- Probability follows the stage (DEFAULT_PROBABILITY) unless one is given with the change; a
  signed deal is 100 %, a lost one 0 %.
- Optimistic locking: every write names the version it read (`expected_version`); the UPDATE is
  `... WHERE id = ? AND version = ?` and raises the version. When the version moved, the writer
  gets a DealConflict (409) saying who changed the deal and when, and nothing is overwritten.
- History: every change of stage, value, currency, probability, dates, lost reason, title,
  notes, meetings or products is a DealChange row with who, when and the channel (page, api,
  admin, import, task), written in the same transaction (see matching.pipeline.history).
"""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers.models import BuyerOrganisation
from catalog.models import Company, Product
from tradeon.accounts.models import Role
from tradeon.errors import DomainError, InvalidTransition, NotAllowed

from ..models import OPEN_STAGES, ChangeChannel, Currency, Deal, DealChange, DealStage, Meeting
from ..models.pipeline import MONEY_DIGITS, MONEY_PLACES
from ..scheduler import SEOUL
from .history import DealConflict, deal_actor, history_value

DEFAULT_PROBABILITY = {
    DealStage.CONSULTED: 10,
    DealStage.FOLLOW_UP: 25,
    DealStage.SAMPLES_QUOTATION: 40,
    DealStage.NEGOTIATION: 60,
    DealStage.SIGNED: 100,
    DealStage.LOST: 0,
}
CLOSED_STAGES = (DealStage.SIGNED, DealStage.LOST)
_STEP = {stage: index for index, stage in enumerate(OPEN_STAGES)}
EDITABLE_FIELDS = (
    "title",
    "stage",
    "lost_reason",
    "expected_value",
    "currency",
    "probability",
    "expected_close_on",
    "signed_on",
    "notes",
    "meetings",
    "products",
)
TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 10000
LOST_REASON_MAX_LENGTH = 500


# --- who may -------------------------------------------------------------------------------------------


def _is_staff(user) -> bool:
    return getattr(user, "role", None) == Role.STAFF


def deal_can_view(user, deal: Deal) -> bool:
    role = getattr(user, "role", None)
    if role == Role.STAFF:
        return True
    if role == Role.SME:
        return user.company_id is not None and user.company_id == deal.company_id
    if role == Role.BUYER:
        return user.buyer_organisation_id is not None and user.buyer_organisation_id == deal.buyer_id
    return False


def deal_can_edit(user, deal: Deal) -> bool:
    if _is_staff(user):
        return True
    return (
        getattr(user, "role", None) == Role.SME and user.company_id is not None and user.company_id == deal.company_id
    )


def _require_edit(user, deal: Deal) -> None:
    if deal_can_edit(user, deal):
        return
    if deal_can_view(user, deal):
        raise NotAllowed(_("Buyers see the deals they are party to; the SME and agency staff keep them up to date."))
    raise NotAllowed(_("This deal is not yours to change."))


def _require_create(user, company: Company) -> None:
    if _is_staff(user) or (getattr(user, "role", None) == Role.SME and user.company_id == company.pk):
        return
    raise NotAllowed(_("You can create deals only for your own company."), field="company")


# --- values ----------------------------------------------------------------------------------------------


def stage_label(stage: str) -> str:
    return str(DealStage(stage).label) if stage in DealStage.values else stage


def today_in_seoul():
    return timezone.localdate(timezone=SEOUL)


def clean_amount(value, *, field: str = "expected_value") -> Decimal:
    """A money amount as Decimal: not negative, at most two decimal places, fits the column."""
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter an amount such as 12500.00."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount such as 12500.00."), field=field)
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field=field)
    if amount and amount.adjusted() >= MONEY_DIGITS - MONEY_PLACES:
        raise DomainError(_("The amount is too large."), field=field)
    if amount != amount.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
        raise DomainError(_("Use at most two decimal places."), field=field)
    return amount.quantize(Decimal(1).scaleb(-MONEY_PLACES))


def clean_currency(value, *, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if code not in Currency.values:
        raise DomainError(
            _("Unknown currency %(code)r; use one of: %(codes)s.")
            % {"code": value, "codes": ", ".join(Currency.values)},
            field=field,
        )
    return code


def _clean_probability(value) -> int:
    try:
        probability = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Give the probability as a whole percentage, 0 to 100."), field="probability") from None
    if str(value).strip() != str(probability) and not isinstance(value, int):
        raise DomainError(_("Give the probability as a whole percentage, 0 to 100."), field="probability")
    if not 0 <= probability <= 100:
        raise DomainError(_("The probability is a percentage from 0 to 100."), field="probability")
    return probability


def _clean_text(value, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise DomainError(_("At most %(max)d characters.") % {"max": max_length}, field=field)
    return text


def transition_check(*, old: str, new: str, by) -> None:
    """Refuse a stage change the rules do not allow (InvalidTransition, 409, on field "stage")."""
    if new not in DealStage.values:
        raise DomainError(
            _("Unknown stage %(stage)r; use one of: %(stages)s.")
            % {"stage": new, "stages": ", ".join(DealStage.values)},
            field="stage",
        )
    if new == old:
        return
    if old in CLOSED_STAGES:
        if not _is_staff(by):
            raise InvalidTransition(
                _("This deal is closed (%(stage)s); only agency staff can reopen it.") % {"stage": stage_label(old)},
                field="stage",
            )
        return
    if new in OPEN_STAGES and _STEP[new] < _STEP[old] and not _is_staff(by):
        raise InvalidTransition(
            _("A deal moves forward only: it cannot go back from “%(old)s” to “%(new)s”. Agency staff can correct it.")
            % {"old": stage_label(old), "new": stage_label(new)},
            field="stage",
        )


def allowed_stages(deal: Deal, user) -> list[str]:
    """The stages a user may move this deal to (for the stage form)."""
    allowed = []
    for stage in DealStage.values:
        try:
            transition_check(old=deal.stage, new=stage, by=user)
        except DomainError:
            continue
        if stage != deal.stage:
            allowed.append(stage)
    return allowed


def _resolve(current: dict, changes: dict, *, by, today) -> dict:
    """The deal's new values (the columns) from its current ones and the requested changes,
    applying the stage rules and defaults. Raises DomainError on the field at fault."""
    old_stage = current["stage"]
    stage = changes.get("stage", old_stage) or old_stage
    transition_check(old=old_stage, new=stage, by=by)
    values = dict(current)
    values["stage"] = stage
    if "title" in changes:
        values["title"] = _clean_text(changes["title"], field="title", max_length=TITLE_MAX_LENGTH)
    if "notes" in changes:
        values["notes"] = _clean_text(changes["notes"], field="notes", max_length=NOTES_MAX_LENGTH)
    if changes.get("expected_value") is not None:
        values["expected_value"] = clean_amount(changes["expected_value"])
    elif "expected_value" in changes:
        raise DomainError(_("Give the expected value (0 when not known yet)."), field="expected_value")
    if "currency" in changes:
        values["currency"] = clean_currency(changes["currency"])
    if "expected_close_on" in changes:
        values["expected_close_on"] = changes["expected_close_on"] or None

    given_probability = changes.get("probability")
    if given_probability is not None and given_probability != "":
        values["probability"] = _clean_probability(given_probability)
    elif stage != old_stage or values.get("probability") is None:
        values["probability"] = DEFAULT_PROBABILITY[stage]
    if stage in CLOSED_STAGES and values["probability"] != DEFAULT_PROBABILITY[stage]:
        if given_probability not in (None, ""):
            raise DomainError(
                _("A deal at “%(stage)s” has probability %(percent)d %%.")
                % {"stage": stage_label(stage), "percent": DEFAULT_PROBABILITY[stage]},
                field="probability",
            )
        values["probability"] = DEFAULT_PROBABILITY[stage]

    signed_on = changes.get("signed_on")
    if stage == DealStage.SIGNED:
        values["signed_on"] = (
            signed_on or (current.get("signed_on") if old_stage == DealStage.SIGNED else None) or today
        )
    elif signed_on:
        raise DomainError(_("Only a signed deal has a signing date."), field="signed_on")
    else:
        values["signed_on"] = None

    reason = changes.get("lost_reason")
    if stage == DealStage.LOST:
        if reason is None and old_stage == DealStage.LOST:
            reason = current.get("lost_reason")
        values["lost_reason"] = _clean_text(reason, field="lost_reason", max_length=LOST_REASON_MAX_LENGTH)
        if not values["lost_reason"]:
            raise DomainError(_("Say why the deal was lost."), field="lost_reason")
    elif (reason or "").strip():
        raise DomainError(_("Only a lost deal has a reason it was lost."), field="lost_reason")
    else:
        values["lost_reason"] = ""
    return values


def _check_meetings(meetings: Iterable[Meeting], *, company_id: int, buyer_id: int) -> list[Meeting]:
    meetings = list(meetings)
    for meeting in meetings:
        if meeting.company_id != company_id or meeting.buyer_id != buyer_id:
            raise DomainError(
                _("Meeting %(id)s is not between this SME and this buyer.") % {"id": meeting.pk}, field="meetings"
            )
    return meetings


def _check_products(products: Iterable[Product], *, company_id: int) -> list[Product]:
    products = list(products)
    for product in products:
        if product.company_id != company_id:
            raise DomainError(
                _("“%(product)s” is not a product of this SME.") % {"product": product.name_en or product.name_ko},
                field="products",
            )
    return products


def _ids(objects) -> set[int]:
    return {getattr(item, "pk", item) for item in objects}


def _record_links(deal_id: int, field: str, old: set[int], new: set[int], *, by, via: str, at) -> None:
    if old != new:
        DealChange.objects.create(
            deal_id=deal_id,
            field=field,
            old_value=history_value(old) if old else "",
            new_value=history_value(new) if new else "",
            changed_by=by if getattr(by, "pk", None) else None,
            via=via,
            changed_at=at,
        )


_COLUMNS = (
    "stage",
    "expected_value",
    "currency",
    "probability",
    "expected_close_on",
    "signed_on",
    "lost_reason",
    "title",
    "notes",
)


# What a new deal starts with when a value is not given.
_CREATE_DEFAULTS = {
    "title": "",
    "stage": DealStage.CONSULTED,
    "expected_value": Decimal("0"),
    "currency": Currency.USD,
    "probability": None,
    "expected_close_on": None,
    "signed_on": None,
    "lost_reason": "",
    "notes": "",
}


# --- services ------------------------------------------------------------------------------------------


def deal_create(
    *,
    by,
    company: Company,
    buyer: BuyerOrganisation,
    via: str = ChangeChannel.PAGE,
    meetings: Iterable[Meeting] = (),
    products: Iterable[Product] = (),
    title: str = "",
    stage: str = DealStage.CONSULTED,
    expected_value=Decimal("0"),
    currency: str = Currency.USD,
    probability: int | None = None,
    expected_close_on=None,
    signed_on=None,
    lost_reason: str = "",
    notes: str = "",
) -> Deal:
    """A new deal between an SME and a buyer. Staff for any pair; SME members for their own
    company. The stage rules apply as for a change from nothing (any stage; signed needs a date,
    which defaults to today, lost a reason)."""
    _require_create(by, company)
    return _deal_create(
        by=by,
        company=company,
        buyer=buyer,
        via=via,
        meetings=meetings,
        products=products,
        changes={
            "title": title,
            "stage": stage,
            "expected_value": expected_value,
            "currency": currency,
            "probability": probability,
            "expected_close_on": expected_close_on,
            "signed_on": signed_on,
            "lost_reason": lost_reason,
            "notes": notes,
        },
    )


def _creation(*, by, company, buyer, meetings, products, changes: dict) -> tuple[dict, list, list]:
    """The checked values and links of a new deal (raises DomainError on the field at fault)."""
    unknown = sorted(set(changes) - set(_CREATE_DEFAULTS))
    if unknown:
        raise DomainError(_("These cannot be set here: %(fields)s.") % {"fields": ", ".join(unknown)})
    changes = {**_CREATE_DEFAULTS, **changes}
    if changes["stage"] not in DealStage.values:
        raise DomainError(
            _("Unknown stage %(stage)r; use one of: %(stages)s.")
            % {"stage": changes["stage"], "stages": ", ".join(DealStage.values)},
            field="stage",
        )
    # A new deal may start at any stage: check the values as if it were already there.
    current = {
        "stage": changes["stage"],
        "probability": None,
        **{k: v for k, v in _CREATE_DEFAULTS.items() if k != "stage"},
    }
    values = _resolve(current, {k: v for k, v in changes.items() if k != "stage"}, by=by, today=today_in_seoul())
    meetings = _check_meetings(meetings or (), company_id=company.pk, buyer_id=buyer.pk)
    products = _check_products(products or (), company_id=company.pk)
    return values, meetings, products


def deal_check_create(*, by, company: Company, buyer: BuyerOrganisation, meetings=(), products=(), **values) -> None:
    """Raise the DomainError deal_create would raise, without writing (for the admin's form)."""
    _require_create(by, company)
    _creation(by=by, company=company, buyer=buyer, meetings=meetings, products=products, changes=values)


@transaction.atomic
def _deal_create(*, by, company, buyer, via, meetings, products, changes: dict) -> Deal:
    """deal_create without the permission check (outcomes and imports decide that themselves)."""
    values, meetings, products = _creation(
        by=by, company=company, buyer=buyer, meetings=meetings, products=products, changes=changes
    )
    with deal_actor(by, via):
        # The post-save receiver (matching.pipeline.history) records the starting values.
        deal = Deal.objects.create(
            company=company,
            buyer=buyer,
            created_by=by if getattr(by, "pk", None) else None,
            **{column: values[column] for column in _COLUMNS},
        )
    now = timezone.now()
    if meetings:
        deal.meetings.set(meetings)
        _record_links(deal.pk, "meetings", set(), _ids(meetings), by=by, via=via, at=now)
    if products:
        deal.products.set(products)
        _record_links(deal.pk, "products", set(), _ids(products), by=by, via=via, at=now)
    return deal


def deal_update(deal: Deal, *, by, expected_version: int | None, via: str = ChangeChannel.PAGE, **changes) -> Deal:
    """Change a deal the user may change, as of the version they read. Keyword changes: any of
    EDITABLE_FIELDS (meetings/products replace the links). Returns the deal as saved.
    Raises DealConflict (409) when the deal moved past `expected_version`."""
    _require_edit(by, deal)
    return _deal_update(deal, by=by, expected_version=expected_version, via=via, changes=changes)


def _prepare(deal: Deal, current: dict, changes: dict, *, by) -> tuple[dict, dict, dict]:
    """What a change would write: the changed columns, the links to replace, and their old ids."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise DomainError(_("These cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)})
    values = _resolve(current, changes, by=by, today=today_in_seoul())
    fields = {column: values[column] for column in _COLUMNS if values[column] != current[column]}
    links = {}
    if "meetings" in changes:
        links["meetings"] = _check_meetings(
            changes["meetings"] or (), company_id=current["company_id"], buyer_id=current["buyer_id"]
        )
    if "products" in changes:
        links["products"] = _check_products(changes["products"] or (), company_id=current["company_id"])
    old_links = {name: set(getattr(deal, name).values_list("pk", flat=True)) for name in links}
    links = {name: items for name, items in links.items() if _ids(items) != old_links[name]}
    return fields, links, old_links


def _current(deal: Deal) -> dict:
    current = Deal.objects.filter(pk=deal.pk).values("version", "company_id", "buyer_id", *_COLUMNS).first()
    if current is None:
        raise DomainError(_("This deal no longer exists."))
    return current


def deal_check_update(deal: Deal, *, by, **changes) -> None:
    """Raise the DomainError deal_update would raise for these changes, without writing (for
    forms that validate before they save, such as the admin's)."""
    _require_edit(by, deal)
    _prepare(deal, _current(deal), changes, by=by)


@transaction.atomic
def _deal_update(deal: Deal, *, by, expected_version, via: str, changes: dict) -> Deal:
    """deal_update without the permission check (outcome recording decides that itself)."""
    if expected_version in (None, ""):
        raise DomainError(_("Say which version of the deal you changed (reload it)."), field="version")
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError):
        raise DomainError(_("The version is a whole number."), field="version") from None
    current = _current(deal)
    if current["version"] != expected_version:
        raise DealConflict(deal.pk, current["version"])
    fields, links, old_links = _prepare(deal, current, changes, by=by)
    if not fields and not links:
        return Deal.objects.get(pk=deal.pk)

    with deal_actor(by, via):
        # The optimistic lock: only the version the writer read is updated.
        written = Deal.objects.filter(pk=deal.pk, version=expected_version).update(
            version=F("version") + 1, updated_at=timezone.now(), **fields
        )
    if not written:
        raise DealConflict(deal.pk, Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).first())
    now = timezone.now()
    for name, items in links.items():
        getattr(deal, name).set(items)
        _record_links(deal.pk, name, old_links[name], _ids(items), by=by, via=via, at=now)
    return Deal.objects.get(pk=deal.pk)
