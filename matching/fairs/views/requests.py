"""Pages of fairs: meeting requests. SMEs and buyers see the requests to them (accept, decline),
their own (withdraw) and the matcher's suggestions with a request form; staff see all of a
fair's requests with filters, and its proposed pairs with "request on behalf of" buttons.

`requests_panel` is the SME/buyer part alone, as a fragment other pages load with htmx.
Buttons post with htmx and get the changed row back; without JavaScript they redirect.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buyers.models import BuyerOrganisation, VerificationState
from catalog.models import Company
from matching.views import pairings_decorate
from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.web import is_htmx, role_required

from ...models import ConsultationFair, FairPhase, MeetingRequest, ParticipantStatus, RequestStatus
from .. import requests as meeting_requests
from ..calendar import SEOUL, zone_of_user
from ..setup import participant_for_user

PAGE_SIZE = 20


class RequestCreateForm(forms.Form):
    """A request from a suggestion (`pairing`) or to a named counterpart (`company` / `buyer`);
    staff also say on whose behalf (`from_side`)."""

    pairing = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    company = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    buyer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    from_side = forms.ChoiceField(required=False, choices=[("", "-"), *MeetingRequest.Side.choices])
    message = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        max_length=meeting_requests.MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("pairing") or data.get("company") or data.get("buyer")):
            raise forms.ValidationError(_("Choose whom to meet."))
        return data


class AnswerForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=meeting_requests.NOTE_MAX_LENGTH)


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("Any")), *RequestStatus.choices]
    )
    side = forms.ChoiceField(
        label=gettext_lazy("Requested by"),
        required=False,
        choices=[("", gettext_lazy("Either side")), *MeetingRequest.Side.choices],
    )


# --- helpers -----------------------------------------------------------------------------------------


def _viewer_time_zone(user) -> str:
    """Buyers read times in their own zone; SMEs and staff in Seoul's."""
    return zone_of_user(user).key


def _decorate_requests(rows, user) -> list:
    """Attach what the row template shows: the status as read now, the direction and which
    buttons the viewer gets (the services still decide)."""
    side = meeting_requests.user_side(user)
    staff = side is None
    result = list(rows)
    for row in result:
        row.current_status = meeting_requests.effective_status(row)
        row.current_status_label = RequestStatus(row.current_status).label
        row.is_open = row.current_status == RequestStatus.PENDING
        row.direction = None if staff else ("outgoing" if row.from_side == side else "incoming")
        row.can_answer = row.is_open and (staff or row.direction == "incoming")
        row.can_withdraw = row.is_open and (staff or row.direction == "outgoing")
    return result


def _page(queryset, request, param: str):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def _fair(fair_pk: int) -> ConsultationFair:
    return get_object_or_404(ConsultationFair.objects.prefetch_related("sectors"), pk=fair_pk)


def _participant_context(request, fair: ConsultationFair) -> dict:
    """The SME's or buyer's panel: requests to them, their own, and suggestions."""
    participant = participant_for_user(fair, request.user)
    if participant is None:
        # Not invited to this fair: there is nothing of theirs to show.
        raise Http404
    incoming = _page(
        meeting_requests.meeting_request_list(user=request.user, fair_id=fair.pk, direction="incoming"),
        request,
        "in_page",
    )
    outgoing = _page(
        meeting_requests.meeting_request_list(user=request.user, fair_id=fair.pk, direction="outgoing"),
        request,
        "out_page",
    )
    suggestions = _page(meeting_requests.fair_suggestion_list(user=request.user, fair=fair), request, "sug_page")
    buyer = request.user.buyer_organisation if request.user.role == Role.BUYER else None
    unverified = buyer is not None and buyer.verification_state != VerificationState.VERIFIED
    return {
        "fair": fair,
        "participant": participant,
        "is_accepted": participant.status == ParticipantStatus.ACCEPTED,
        "is_unverified_buyer": unverified,
        "can_request": not unverified,
        "requests_open": fair.phase == FairPhase.REQUESTS_OPEN,
        "incoming_page": incoming,
        "incoming": _decorate_requests(incoming.object_list, request.user),
        "outgoing_page": outgoing,
        "outgoing": _decorate_requests(outgoing.object_list, request.user),
        "suggestions_page": suggestions,
        "suggestions": pairings_decorate(suggestions.object_list),
        "perspective": meeting_requests.user_side(request.user),
        "viewer_tz": _viewer_time_zone(request.user),
        "max_pending": fair.max_pending_requests,
        "panel_url": reverse("fairs:requests_panel", args=[fair.pk]),
        "counterparts": _counterparts(fair, participant),
    }


def _counterparts(fair: ConsultationFair, participant) -> list:
    """Everyone on the other side of the fair whom the participant could still ask directly
    (accepted, with no pending or accepted request between them), beside the suggestions."""
    if participant.status != ParticipantStatus.ACCEPTED:
        return []
    other = "buyer" if participant.kind == "sme" else "sme"
    own = {"company_id": participant.company_id} if participant.kind == "sme" else {"buyer_id": participant.buyer_id}
    taken = MeetingRequest.objects.filter(fair=fair, status__in=MeetingRequest.OPEN, **own).values_list(
        "buyer_id" if participant.kind == "sme" else "company_id", flat=True
    )
    rows = fair.participants.filter(kind=other, status=ParticipantStatus.ACCEPTED).select_related("company", "buyer")
    rows = rows.exclude(**{f"{'buyer' if other == 'buyer' else 'company'}_id__in": list(taken)})
    return [
        {"id": row.buyer_id, "name": f"{row.buyer.name} ({row.buyer.country.name})"}
        if other == "buyer"
        else {"id": row.company_id, "name": f"{row.company.name_en} ({row.company.name_ko})"}
        for row in rows
    ]


def _staff_context(request, fair: ConsultationFair) -> dict:
    filters = RequestFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    requests_qs = meeting_requests.meeting_request_list(
        user=request.user, fair_id=fair.pk, status=params.get("status") or None, side=params.get("side") or None
    )
    page = _page(requests_qs, request, "page")
    proposals = _page(meeting_requests.fair_suggestion_list(user=request.user, fair=fair), request, "sug_page")
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "fair": fair,
        "filters": filters,
        "page": page,
        "query_string": query.urlencode(),
        "requests": _decorate_requests(page.object_list, request.user),
        "suggestions_page": proposals,
        "suggestions": pairings_decorate(proposals.object_list),
        "requests_open": fair.phase == FairPhase.REQUESTS_OPEN,
        "can_request": True,
        "perspective": "staff",
        "viewer_tz": SEOUL.key,
    }


def _back(request, fair_pk: int):
    """After a form post without htmx: back where the form was (a safe `next`), or the page."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("fairs:requests", fair_pk)


def _row(request, meeting_request, *, error: str | None = None, status: int = 200):
    row = _decorate_requests([meeting_request], request.user)[0]
    return render(
        request,
        "fairs/_request_row.html",
        {
            "row": row,
            "error": error,
            "perspective": meeting_requests.user_side(request.user) or "staff",
            "viewer_tz": _viewer_time_zone(request.user),
            "fair": meeting_request.fair,
        },
        status=status,
    )


# --- pages -------------------------------------------------------------------------------------------


@role_required(Role.SME, Role.BUYER, Role.STAFF)
def requests_page(request, fair_pk: int):
    fair = _fair(fair_pk)
    if request.user.role == Role.STAFF:
        return render(request, "fairs/requests_staff.html", _staff_context(request, fair))
    return render(request, "fairs/requests.html", _participant_context(request, fair))


@role_required(Role.SME, Role.BUYER)
def requests_panel(request, fair_pk: int):
    """The SME's or buyer's requests and suggestions, as a fragment (for htmx)."""
    fair = _fair(fair_pk)
    return render(request, "fairs/_requests_panel.html", _participant_context(request, fair))


@require_POST
@role_required(Role.SME, Role.BUYER, Role.STAFF)
def request_create(request, fair_pk: int):
    fair = _fair(fair_pk)
    form = RequestCreateForm(request.POST)
    error = None
    created = None
    if not form.is_valid():
        error = " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
    else:
        data = form.cleaned_data
        try:
            created = _create_from_form(request.user, fair, data)
        except DomainError as refused:
            error = refused.message
    if is_htmx(request):
        if created is not None:
            return _row(request, created)
        response = render(request, "fairs/_request_error.html", {"error": error})
        pairing = form.cleaned_data.get("pairing") if form.is_valid() else None
        if pairing:
            # Show the refusal inside the suggestion's card and keep its form.
            response["HX-Retarget"] = f"#suggestion-{pairing}-error"
            response["HX-Reswap"] = "innerHTML"
        return response
    if created is not None:
        messages.success(request, _("Meeting request sent."))
    else:
        messages.error(request, error)
    return _back(request, fair.pk)


def _create_from_form(user, fair: ConsultationFair, data: dict) -> MeetingRequest:
    if data.get("pairing"):
        pairing = meeting_requests.fair_suggestion_get(user=user, pairing_id=data["pairing"])
        if pairing is None or pairing.run.fair_id != fair.pk:
            raise DomainError(_("This suggestion is no longer open (it may have been requested already)."))
        return meeting_requests.meeting_request_from_suggestion(
            pairing=pairing, user=user, message=data["message"], from_side=data.get("from_side") or None
        )
    company = Company.objects.filter(pk=data["company"]).first() if data.get("company") else None
    buyer = BuyerOrganisation.objects.filter(pk=data["buyer"]).first() if data.get("buyer") else None
    if data.get("company") and company is None:
        raise DomainError(_("No such company."), field="company")
    if data.get("buyer") and buyer is None:
        raise DomainError(_("No such buyer."), field="buyer")
    if user.role == Role.STAFF:
        if company is None or buyer is None:
            raise DomainError(_("Name both the company and the buyer."), field="company")
        return meeting_requests.meeting_request_create_on_behalf(
            fair=fair,
            staff=user,
            company=company,
            buyer=buyer,
            from_side=data.get("from_side") or "",
            message=data["message"],
        )
    return meeting_requests.meeting_request_create(
        fair=fair, user=user, company=company, buyer=buyer, message=data["message"]
    )


def _visible_request(request, pk: int) -> MeetingRequest:
    return get_object_or_404(meeting_requests.meeting_request_list(user=request.user), pk=pk)


def _act(request, pk: int, action, success: str):
    meeting_request = _visible_request(request, pk)
    form = AnswerForm(request.POST)
    error = None
    if not form.is_valid():
        error = " ".join(str(m) for m in form.errors.get("note", []))
    else:
        try:
            meeting_request = action(meeting_request, form.cleaned_data["note"])
        except DomainError as refused:
            error = refused.message
            meeting_request.refresh_from_db()
    if is_htmx(request):
        return _row(request, meeting_request, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    return _back(request, meeting_request.fair_id)


@require_POST
@role_required(Role.SME, Role.BUYER, Role.STAFF)
def request_accept(request, pk: int):
    return _act(
        request,
        pk,
        lambda r, note: meeting_requests.meeting_request_accept(meeting_request=r, user=request.user, note=note),
        _("Meeting request accepted."),
    )


@require_POST
@role_required(Role.SME, Role.BUYER, Role.STAFF)
def request_decline(request, pk: int):
    return _act(
        request,
        pk,
        lambda r, note: meeting_requests.meeting_request_decline(meeting_request=r, user=request.user, reason=note),
        _("Meeting request declined."),
    )


@require_POST
@role_required(Role.SME, Role.BUYER, Role.STAFF)
def request_withdraw(request, pk: int):
    return _act(
        request,
        pk,
        lambda r, note: meeting_requests.meeting_request_withdraw(meeting_request=r, user=request.user),
        _("Meeting request withdrawn."),
    )


urlpatterns: list = [
    path("<int:fair_pk>/requests/", requests_page, name="requests"),
    path("<int:fair_pk>/requests/panel/", requests_panel, name="requests_panel"),
    path("<int:fair_pk>/requests/new/", request_create, name="request_create"),
    path("requests/<int:pk>/accept/", request_accept, name="request_accept"),
    path("requests/<int:pk>/decline/", request_decline, name="request_decline"),
    path("requests/<int:pk>/withdraw/", request_withdraw, name="request_withdraw"),
]
