"""Pages of the pipeline: meeting outcomes and deals.

- "Outcomes to give": an SME's or buyer's started meetings without their side's outcome, each
  with its form; staff see the meetings missing either side's, by fair.
- A meeting's outcome page: a party records or corrects its own side; staff either side.
- Deals: the list (SMEs their own, buyers the ones they are party to, staff all; filters and
  pages), a deal with its history, the edit form carrying the version it was read at (a stale
  one is answered "changed by X at T; reload" and nothing is overwritten), and the stage form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from tradeon.errors import DomainError
from tradeon.web import add_service_error

from ...fairs import calendar
from ...models import ChangeChannel, DealStage, MeetingOutcome, OutcomeSide
from .. import deals as deal_services
from .. import outcomes as outcome_services
from .. import selectors
from ..forms import DealEditForm, DealFilterForm, DealStageForm, OutcomeForm, outcome_initial

PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # a larger id in a URL is a 404, not a database error


def _page(queryset, request, param: str = "page"):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def _show_error(form, error: DomainError) -> None:
    """A service's refusal on the form; a version conflict at the top ("changed by X at T;
    reload"), since the version is a hidden field."""
    if error.field == "version":
        form.add_error(None, error.message)
    else:
        add_service_error(form, error)


def _query_string(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- money shown in KRW ------------------------------------------------------------------------------


def _with_krw(deals: list) -> list:
    """Attach `value_text` (in the deal's currency) and `krw_text` (today's rates; empty when a
    rate is missing) to each deal."""
    from ..money import format_krw, format_money, rate_book

    book = rate_book(deal_services.today_in_seoul())
    for deal in deals:
        deal.value_text = format_money(deal.expected_value, deal.currency)
        try:
            deal.krw_text = format_krw(book.to_krw(deal.expected_value, deal.currency))
        except DomainError:
            deal.krw_text = ""
    return deals


def _decorate(deals: list) -> list:
    for deal in deals:
        deal.fairs = list({m.fair_id: m.fair for m in deal.meetings.all()}.values())
        deal.is_open = deal.stage not in deal_services.CLOSED_STAGES
    return _with_krw(deals)


# How history rows are labelled on the page (the stored `field` is the model's name).
FIELD_LABELS = {
    "stage": _lazy("Stage"),
    "expected_value": _lazy("Expected value"),
    "currency": _lazy("Currency"),
    "probability": _lazy("Probability (%)"),
    "expected_close_on": _lazy("Expected close date"),
    "signed_on": _lazy("Signed on"),
    "lost_reason": _lazy("Reason lost"),
    "title": _lazy("Title"),
    "notes": _lazy("Notes"),
    "company": _lazy("SME"),
    "buyer": _lazy("Buyer"),
    "meetings": _lazy("Meetings"),
    "products": _lazy("Products"),
}


def _history_entries(changes) -> list:
    entries = list(changes)
    for change in entries:
        change.field_label = FIELD_LABELS.get(change.field, change.field)
        if change.field == "stage":
            change.old_text = deal_services.stage_label(change.old_value) if change.old_value else ""
            change.new_text = deal_services.stage_label(change.new_value) if change.new_value else ""
        else:
            change.old_text, change.new_text = change.old_value, change.new_value
    return entries


# --- outcomes ------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def outcomes_to_give(request):
    """The signed-in party's meetings waiting for its outcome; staff: meetings missing one."""
    user = request.user
    side = selectors.user_outcome_side(user)
    if side is None and not user.is_agency_staff:
        raise PermissionDenied
    fair_id = request.GET.get("fair")
    fair_id = int(fair_id) if fair_id and fair_id.isdigit() and len(fair_id) <= 18 else None
    page = _page(selectors.outcomes_to_give(user, fair_id=fair_id), request)
    zone = calendar.zone_of_user(user)
    rows = []
    for meeting in page.object_list:
        given = {outcome.side for outcome in meeting.outcomes.all()}
        rows.append(
            {
                "meeting": meeting,
                "entry": calendar.agenda_entry(meeting, zone=zone, side=side),
                "form": OutcomeForm(meeting=meeting, prefix=f"m{meeting.pk}") if side else None,
                "sme_given": OutcomeSide.SME in given,
                "buyer_given": OutcomeSide.BUYER in given,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "side": side,
        "zone": zone.key,
        "query_string": _query_string(request),
        "fairs": calendar.fair_list_for_agenda(user).order_by("-starts_on", "-id"),
        "fair_id": fair_id,
        "given": selectors.outcome_list(user)[:10] if side else [],
    }
    return render(request, "pipeline/outcomes.html", context)


def _outcome_form(request, meeting, side: str, outcome: MeetingOutcome | None, *, bound: bool):
    prefix = f"m{meeting.pk}" if not request.user.is_agency_staff else side
    if bound:
        return OutcomeForm(request.POST, meeting=meeting, prefix=prefix)
    return OutcomeForm(meeting=meeting, prefix=prefix, initial=outcome_initial(outcome))


@login_required
@require_http_methods(["GET", "POST"])
def outcome(request, meeting_pk: int):
    """Record or correct an outcome: a party its own side; staff either (one form per side)."""
    user = request.user
    meeting = selectors.outcome_meeting_get(user, meeting_pk) if meeting_pk <= MAX_ID else None
    if meeting is None:
        raise Http404
    own_side = outcome_services.side_of_user(user, meeting)
    if own_side is None and not user.is_agency_staff:
        raise Http404
    sides = [own_side] if own_side else [OutcomeSide.SME, OutcomeSide.BUYER]
    existing = {o.side: o for o in MeetingOutcome.objects.filter(meeting=meeting).prefetch_related("products")}
    posted_side = None
    if request.method == "POST":
        # Staff's page has a form per side; each says which it is.
        posted_side = own_side or request.POST.get("side_posted") or ""
    forms = {
        side: _outcome_form(request, meeting, side, existing.get(side), bound=side == posted_side) for side in sides
    }
    status = 200
    if request.method == "POST":
        form = forms.get(posted_side)
        if form is None:
            messages.error(request, _("Choose which side's outcome to record."))
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            try:
                saved = outcome_services.outcome_record(
                    meeting=meeting,
                    side=posted_side,
                    by=user,
                    interest=data["interest"],
                    next_step=data["next_step"],
                    products=data["products"],
                    expected_value=data["expected_value"],
                    currency=data["currency"],
                    notes=data["notes"],
                    via=ChangeChannel.PAGE,
                )
            except DomainError as error:
                add_service_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Outcome saved. Thank you."))
                if saved.deal_created:
                    messages.info(request, _("A deal was opened in the pipeline for this meeting."))
                return redirect(_safe_next(request) or reverse("pipeline:outcomes"))
        else:
            status = 400
    context = {
        "meeting": meeting,
        "entry": calendar.agenda_entry(meeting, zone=calendar.zone_of_user(user), side=own_side),
        "forms": [(side, OutcomeSide(side).label, forms[side], existing.get(side)) for side in sides],
        "own_side": own_side,
        "deals": selectors.deal_list(user).filter(meetings=meeting),
    }
    return render(request, "pipeline/outcome.html", context, status=status)


# --- deals -------------------------------------------------------------------------------------------


def _deal_or_404(request, pk: int):
    deal = selectors.deal_get(request.user, pk) if pk <= MAX_ID else None
    if deal is None:
        raise Http404
    return deal


@login_required
@require_http_methods(["GET"])
def deal_list(request):
    filters = DealFilterForm(request.GET or None, user=request.user)
    params = filters.cleaned_data if filters.is_valid() else {}
    deals = selectors.deal_list(
        request.user,
        stage=params.get("stage") or None,
        fair_id=params["fair"].pk if params.get("fair") else None,
        company_id=params["company"].pk if params.get("company") else None,
        buyer_id=params["buyer"].pk if params.get("buyer") else None,
    )
    page = _page(deals, request)
    return render(
        request,
        "pipeline/deal_list.html",
        {
            "filters": filters,
            "page": page,
            "deals": _decorate(list(page.object_list)),
            "query_string": _query_string(request),
            "stages": DealStage,
        },
    )


def _detail_context(request, deal) -> dict:
    user = request.user
    [deal] = _decorate([deal])
    can_edit = deal_services.deal_can_edit(user, deal)
    outcomes = selectors.outcome_list(user).filter(meeting__in=[m.pk for m in deal.meetings.all()])
    return {
        "deal": deal,
        "history": _history_entries(selectors.deal_history(deal)),
        "outcomes": outcomes,
        "products": deal.products.order_by("name_en"),
        "meeting_entries": calendar.agenda_entries(deal.meetings.all(), user=user),
        "can_edit": can_edit,
        "stage_form": DealStageForm(deal=deal, user=user, initial={"version": deal.version}) if can_edit else None,
    }


@login_required
@require_http_methods(["GET"])
def deal_detail(request, pk: int):
    deal = _deal_or_404(request, pk)
    return render(request, "pipeline/deal_detail.html", _detail_context(request, deal))


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request, pk: int):
    deal = _deal_or_404(request, pk)
    if not deal_services.deal_can_edit(request.user, deal):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = DealEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                deal_services.deal_update(
                    deal, by=request.user, expected_version=version, via=ChangeChannel.PAGE, **data
                )
            except DomainError as error:
                _show_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Deal saved."))
                return redirect("pipeline:deal_detail", deal.pk)
        else:
            status = 400
    else:
        form = DealEditForm(initial=DealEditForm.initial_for(deal))
    return render(request, "pipeline/deal_edit.html", {"deal": deal, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_stage(request, pk: int):
    deal = _deal_or_404(request, pk)
    if not deal_services.deal_can_edit(request.user, deal):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = DealStageForm(request.POST, deal=deal, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            changes = {"stage": data["stage"]}
            if data["stage"] == DealStage.LOST:
                changes["lost_reason"] = data["lost_reason"]
            if data["stage"] == DealStage.SIGNED and data["signed_on"]:
                changes["signed_on"] = data["signed_on"]
            try:
                updated = deal_services.deal_update(
                    deal, by=request.user, expected_version=data["version"], via=ChangeChannel.PAGE, **changes
                )
            except DomainError as error:
                _show_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request, _("The deal is now at “%(stage)s”.") % {"stage": deal_services.stage_label(updated.stage)}
                )
                return redirect("pipeline:deal_detail", deal.pk)
        else:
            status = 400
    else:
        form = DealStageForm(deal=deal, user=request.user, initial={"version": deal.version})
    context = _detail_context(request, deal)
    context["stage_form"] = form
    return render(request, "pipeline/deal_stage.html", context, status=status)


urlpatterns = [
    path("outcomes/", outcomes_to_give, name="outcomes"),
    path("meetings/<int:meeting_pk>/outcome/", outcome, name="outcome"),
    path("deals/", deal_list, name="deals"),
    path("deals/<int:pk>/", deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deal_edit, name="deal_edit"),
    path("deals/<int:pk>/stage/", deal_stage, name="deal_stage"),
]
