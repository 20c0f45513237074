"""The history of every deal: each change of a deal's stage, value or terms becomes a `DealChange`
row (who, when, through which channel, old and new), whichever way the change was made.

Every write path of a deal ends here:
- the services (matching.pipeline.deals) write through `DealQuerySet.update` under `deal_actor`;
- `Deal.objects.filter(...).update(...)` and `Deal.objects.bulk_update(...)` record history too
  (the actor and channel come from `deal_actor`; without one: nobody, via "system");
- a plain `deal.save()` (shell, fixtures, a form someone wires up later) is caught by the
  pre/post-save receivers below.
Every write raises `Deal.version`, so a writer holding an older version is refused (optimistic
locking): the services check it in the UPDATE itself, `bulk_update` and `save()` against the row.

History is never edited: DealChange refuses save-after-create, update and delete in Django; on
PostgreSQL a trigger (migration 0007_deal_history_guard) refuses UPDATE and DELETE in the
database itself, so not even raw SQL rewrites it.

This module is a leaf: matching.models.pipeline imports the querysets from here, so it imports no
model at module level.
"""

import contextlib
import contextvars
import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import F
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeon.errors import Conflict, DomainError

# The fields whose every change is kept, as (name in history, attribute on the row). The first
# seven are the deal's value and stage (what reports read); title, notes and the parties complete
# the record so the latest row always says who wrote the latest version.
HISTORY_FIELDS = (
    ("stage", "stage"),
    ("expected_value", "expected_value"),
    ("currency", "currency"),
    ("probability", "probability"),
    ("expected_close_on", "expected_close_on"),
    ("signed_on", "signed_on"),
    ("lost_reason", "lost_reason"),
    ("title", "title"),
    ("notes", "notes"),
    ("company", "company_id"),
    ("buyer", "buyer_id"),
)
_ATTRIBUTES = tuple(attribute for _, attribute in HISTORY_FIELDS)
_PARTIES = ("company", "buyer")
# Columns that say when and which version, not what the deal is: writing only these is not a
# change of the deal (a data load back-dating its rows, say) and raises no version.
BOOKKEEPING = frozenset({"created_at", "updated_at", "stage_changed_at", "version", "created_by", "created_by_id"})
VALUE_MAX_LENGTH = 200  # DealChange.old_value / new_value

SYSTEM = "system"
TASK = "task"
_actor: contextvars.ContextVar[tuple] = contextvars.ContextVar("deal_actor", default=(None, SYSTEM))


@contextlib.contextmanager
def deal_actor(user, via: str):
    """Within this block, deal writes are recorded as made by `user` through `via` (one of
    ChangeChannel: page, api, admin, import, task, system)."""
    token = _actor.set((user, via))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple:
    """(user or None, via) of the enclosing `deal_actor`; without one, (None, "task") inside a
    Celery task and (None, "system") elsewhere, so a task that forgets to say so is still told
    apart from a shell or a migration."""
    actor = _actor.get()
    if actor[1] == SYSTEM and actor[0] is None and _in_celery_task():
        return None, TASK
    return actor


def _in_celery_task() -> bool:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return False
    return bool(current_task and getattr(current_task.request, "id", None))


class HistoryImmutable(DomainError):
    """Deal history is append-only."""


def history_value(value) -> str:
    """How a value is kept in history: text, dates ISO, amounts with their two places, ids of
    lists sorted and comma-separated; cut to the column's length."""
    if value is None:
        text = ""
    elif isinstance(value, Decimal):
        text = f"{value:.2f}"
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, (list, tuple, set, frozenset)):
        text = ",".join(str(item) for item in sorted(value))
    else:
        text = str(value)
    if len(text) > VALUE_MAX_LENGTH:
        text = text[: VALUE_MAX_LENGTH - 1] + "…"
    return text


def _deal_change_model():
    from django.apps import apps

    return apps.get_model("matching", "DealChange")


def history_rows(deal_id: int, old: dict | None, new: dict, *, by=None, via: str | None = None, at=None) -> list:
    """Unsaved DealChange rows for each field whose value differs between `old` and `new` (dicts
    by attribute, as `values()` gives them). `old=None` is a new deal: its non-empty values."""
    DealChange = _deal_change_model()
    actor, actor_via = current_actor()
    by = by if by is not None else actor
    via = via or actor_via
    at = at or timezone.now()
    rows = []
    for name, attribute in HISTORY_FIELDS:
        if old is None and name in _PARTIES:
            continue  # a new deal's parties are the deal itself; later changes of them are kept
        before = "" if old is None else history_value(old.get(attribute))
        after = history_value(new.get(attribute))
        if before != after:
            rows.append(
                DealChange(
                    deal_id=deal_id,
                    field=name,
                    old_value=before,
                    new_value=after,
                    changed_by=by if getattr(by, "pk", None) else None,
                    via=via,
                    changed_at=at,
                )
            )
    return rows


def last_change(deal_id: int):
    """The newest history row of a deal, with its author (who wrote the current version)."""
    return (
        _deal_change_model()
        .objects.filter(deal_id=deal_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
        .first()
    )


def person_name(user) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


class DealConflict(Conflict):
    """The deal moved on since the writer read it: says who wrote the newer version, and when."""

    def __init__(self, deal_id: int, current_version: int | None):
        change = last_change(deal_id)
        self.deal_id = deal_id
        self.current_version = current_version
        self.changed_by = change.changed_by if change else None
        self.changed_at = change.changed_at if change else None
        if change is not None:
            when = timezone.localtime(change.changed_at)
            message = _(
                "This deal was changed by %(who)s at %(when)s (now version %(version)s); reload it and make your "
                "change again."
            ) % {
                "who": person_name(change.changed_by),
                "when": f"{when:%Y-%m-%d %H:%M} ({when.tzname()})",
                "version": current_version,
            }
        else:
            message = _("This deal was changed meanwhile (now version %(version)s); reload it.") % {
                "version": current_version
            }
        super().__init__(message, field="version")


class DealQuerySet(models.QuerySet):
    """Deals, whose bulk writes keep the history and raise the version like single ones."""

    def update(self, **kwargs):
        """UPDATE the matching deals, raising each one's version, and record a history row for
        every value that changed (actor and channel from `deal_actor`). Returns the count.
        An update of bookkeeping columns only (dates, version) is a plain UPDATE."""
        if not set(kwargs) - BOOKKEEPING:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            if not pks:
                return 0
            base = self.model._base_manager.using(self.db)
            # Lock the rows (PostgreSQL) and read what they hold now. A concurrent writer of the
            # same rows waits here; the UPDATE below re-applies this queryset's own filters, so a
            # filter on `version` is the optimistic lock: a row that moved on is not written.
            old = {
                row["pk"]: row
                for row in base.filter(pk__in=pks).select_for_update(of=("self",)).values("pk", *_ATTRIBUTES)
            }
            now = timezone.now()
            kwargs.setdefault("version", F("version") + 1)
            kwargs.setdefault("updated_at", now)
            count = models.QuerySet.update(self.filter(pk__in=pks), **kwargs)
            new = {row["pk"]: row for row in base.filter(pk__in=list(old)).values("pk", *_ATTRIBUTES)}
            moved = [pk for pk in new if new[pk]["stage"] != old[pk]["stage"]]
            if moved and "stage_changed_at" not in kwargs:
                models.QuerySet.update(base.filter(pk__in=moved), stage_changed_at=now)
            rows = [change for pk in new for change in history_rows(pk, old[pk], new[pk], at=now)]
            _deal_change_model().objects.using(self.db).bulk_create(rows)
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        """Django's bulk_update, refusing objects read before another write (their version is
        older than the row's), raising versions, and recording history. Bookkeeping columns
        only (dates, version) are written as they are."""
        objs = list(objs)
        if not objs:
            return 0
        if not set(fields) - BOOKKEEPING:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        with transaction.atomic(using=self.db):
            base = self.model._base_manager.using(self.db)
            pks = [obj.pk for obj in objs]
            old = {
                row["pk"]: row
                for row in base.filter(pk__in=pks)
                .select_for_update()
                .values("pk", "version", "stage_changed_at", *_ATTRIBUTES)
            }
            now = timezone.now()
            for obj in objs:
                row = old.get(obj.pk)
                if row is None:
                    continue
                if obj.version != row["version"]:
                    raise DealConflict(obj.pk, row["version"])
                obj.version = row["version"] + 1
                if "updated_at" not in fields:
                    obj.updated_at = now
                if "stage_changed_at" not in fields:
                    obj.stage_changed_at = now if obj.stage != row["stage"] else row["stage_changed_at"]
            fields = list(dict.fromkeys([*fields, "version", "updated_at", "stage_changed_at"]))
            # A plain queryset writes: its update() records nothing, the history is written here.
            count = models.QuerySet(self.model, using=self.db).bulk_update(objs, fields, batch_size=batch_size)
            new = {row["pk"]: row for row in base.filter(pk__in=list(old)).values("pk", *_ATTRIBUTES)}
            rows = [change for pk in new for change in history_rows(pk, old[pk], new[pk], at=now)]
            _deal_change_model().objects.using(self.db).bulk_create(rows)
        return count


class DealChangeQuerySet(models.QuerySet):
    """History rows: added, never changed or removed."""

    def update(self, **kwargs):
        raise HistoryImmutable(_("Deal history cannot be edited."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise HistoryImmutable(_("Deal history cannot be edited."))

    def delete(self):
        raise HistoryImmutable(_("Deal history cannot be deleted."))


# --- single saves -------------------------------------------------------------------------------------


@receiver(pre_save, sender="matching.Deal", dispatch_uid="deal_history_pre_save")
def _deal_pre_save(sender, instance, raw=False, using=None, **kwargs):
    """A plain save of an existing deal: check its version against the row, raise it, and keep
    the old values for the history row written after the save."""
    instance._history_old = None
    if raw or instance._state.adding or instance.pk is None:
        return
    rows = sender._base_manager.using(using).filter(pk=instance.pk)
    if transaction.get_connection(using).in_atomic_block:
        rows = rows.select_for_update()
    old = rows.values("version", "stage_changed_at", *_ATTRIBUTES).first()
    if old is None:
        return
    if instance.version != old["version"]:
        raise DealConflict(instance.pk, old["version"])
    instance.version = old["version"] + 1
    if instance.stage != old["stage"]:
        instance.stage_changed_at = timezone.now()
    instance._history_old = old


@receiver(post_save, sender="matching.Deal", dispatch_uid="deal_history_post_save")
def _deal_post_save(sender, instance, created, raw=False, using=None, update_fields=None, **kwargs):
    if raw:
        return
    old = getattr(instance, "_history_old", None)
    instance._history_old = None
    if not created and old is None:
        return
    if created and instance.stage_changed_at is None:
        sender._base_manager.using(using).filter(pk=instance.pk).update(stage_changed_at=instance.created_at)
        instance.stage_changed_at = instance.created_at
    if update_fields is not None and "version" not in update_fields:
        # save(update_fields=[...]) would leave the raised version unsaved.
        sender._base_manager.using(using).filter(pk=instance.pk).update(version=instance.version)
    new = {attribute: getattr(instance, attribute) for attribute in _ATTRIBUTES}
    if update_fields is not None and old is not None:
        # Only what was written changed; the rest of the instance may be stale.
        saved = {sender._meta.get_field(name).attname for name in update_fields}
        new = {attribute: (new[attribute] if attribute in saved else old[attribute]) for attribute in _ATTRIBUTES}
    _deal_change_model().objects.using(using).bulk_create(history_rows(instance.pk, old, new))


@receiver(pre_save, sender="matching.DealChange", dispatch_uid="deal_change_immutable_save")
def _deal_change_pre_save(sender, instance, raw=False, **kwargs):
    if not instance._state.adding:
        raise HistoryImmutable(_("Deal history cannot be edited."))


@receiver(pre_delete, sender="matching.DealChange", dispatch_uid="deal_change_immutable_delete")
def _deal_change_pre_delete(sender, instance, **kwargs):
    # Also fires for queryset and cascade deletes: with a receiver, Django deletes row by row.
    raise HistoryImmutable(_("Deal history cannot be deleted."))
