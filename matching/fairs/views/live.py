"""The staff live board of a fair's day (/fairs/<id>/live/): every meeting of the day with its
live state, room and interpreter, the countdown to the next slot, the lobby, the no-show delay,
announcements, and standby suggestions for no-show candidates with one-click re-assignment.

The page renders the day's snapshot once (so it reads without JavaScript and the rows are the
same markup static/js/board.js fills in later); board.js then follows the fair's event stream
and talks to the live-board API (matching.fairs.api.live) for every action."""

from datetime import date, datetime
from itertools import groupby

from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from matching.models import ConsultationFair, LiveState
from matching.scheduler import SEOUL
from tradeon.accounts.models import Role
from tradeon.web import role_required

from .. import live


def _labels() -> dict:
    """The words board.js shows, translated here (the script has no catalogue of its own)."""
    return {
        "states": {**{value: str(label) for value, label in LiveState.choices}, "cancelled": _("Cancelled")},
        "sides": {"sme": _("SME"), "buyer": _("Buyer"), "both": _("both sides")},
        "no_show": {
            "sme": _("No-show candidate: the SME has not joined"),
            "buyer": _("No-show candidate: the buyer has not joined"),
            "both": _("No-show candidate: neither side has joined"),
        },
        "standby": _("Standby for this slot"),
        "standby_for": {"sme": _("Replace the SME with"), "buyer": _("Replace the buyer with")},
        "reassign": _("Re-assign"),
        "reassigned": _("Re-assigned: the slot is now meeting #%(id)s."),
        "replaced_by": _("Replaced by meeting #%(id)s"),
        "no_standby": _("Nobody is free for this slot."),
        "loading": _("Loading…"),
        "online": _("online"),
        "score": _("match %(score)s"),
        "online_room": _("Online"),
        "no_interpreter": _("—"),
        "standby_source": _("Standby"),
        "attended": _("%(minutes)s min together"),
        "live_since": _("live since %(time)s"),
        "next_slot": _("Next slot at %(time)s KST"),
        "no_next_slot": _("No more slots"),
        "lobby_empty": _("Nobody in the lobby yet."),
        "saved": _("Saved."),
        "sent": _("Sent."),
        "error": _("Something went wrong; try again."),
        "connection": {
            "live": _("Live"),
            "polling": _("Updating every 20 seconds"),
            "offline": _("Reconnecting…"),
        },
    }


def _seoul_time(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(SEOUL):%H:%M}"


def _shown(row: dict, labels: dict) -> dict:
    """A board row with the words and Seoul times the first paint shows (board.js fills in the
    same fields from then on)."""
    note = ""
    if row["no_show_candidate"]:
        note = labels["no_show"].get(row["no_show_side"], "")
    elif row["replaced_by"]:
        note = labels["replaced_by"] % {"id": row["replaced_by"]}
    elif row["board_state"] == "cancelled":
        note = row["cancel_reason"]
    elif row["board_state"] == LiveState.COMPLETED:
        note = labels["attended"] % {"minutes": row["attended_seconds"] // 60}
    return {
        **row,
        "time": f"{_seoul_time(row['starts_at'])}–{_seoul_time(row['ends_at'])}",
        "state_label": labels["states"].get(row["board_state"], row["board_state"]),
        "note": note,
    }


def _groups(rows: list[dict], labels: dict) -> list[dict]:
    return [
        {"starts_at": start, "time": _seoul_time(start), "rows": [_shown(row, labels) for row in items]}
        for start, items in groupby(rows, key=lambda r: r["starts_at"])
    ]


@role_required(Role.STAFF)
def live_board(request, fair_pk: int):
    fair = get_object_or_404(ConsultationFair, pk=fair_pk)
    day = parse_date(request.GET.get("day") or "") if _looks_like_a_date(request.GET.get("day")) else None
    snapshot = live.board_snapshot(fair, day=day)
    labels = _labels()
    return render(
        request,
        "fairs/live_board.html",
        {
            "fair": fair,
            "snapshot": snapshot,
            "groups": _groups(snapshot["meetings"], labels),
            "announcements": [{**item, "time": _seoul_time(item["at"])} for item in snapshot["announcements"]],
            # board.js puts a meeting's id in place of the 0.
            "standby_url": reverse("api:livemeeting-standby", args=[0]).replace("/0/", "/{id}/"),
            "reassign_url": reverse("api:livemeeting-reassign", args=[0]).replace("/0/", "/{id}/"),
            "labels": labels,
            "counts": [
                {"state": state, "label": labels["states"][state], "count": snapshot["counts"][state]}
                for state in [*LiveState.values, "cancelled"]
            ],
            "days": [date.fromisoformat(d) for d in snapshot["days"]],
            "day": date.fromisoformat(snapshot["day"]),
        },
    )


def _looks_like_a_date(value) -> bool:
    """parse_date raises on a well-formed but impossible date (2026-02-30); treat both as absent."""
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


urlpatterns = [
    path("<int:fair_pk>/live/", live_board, name="live_board"),
]
