"""Pages of fairs: each person's agenda in their own time zone (Seoul time alongside), calendar
downloads, and the private subscription feed with its page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tradeon.errors import DomainError

from .. import calendar


def _zone_from_request(request):
    """The viewer's zone, or the one ?tz= names; a bad name is reported (on field "tz") and the
    viewer's own zone is used."""
    name = request.GET.get("tz", "").strip()
    if not name:
        return calendar.zone_of_user(request.user), None
    try:
        return calendar.zone_named(name), None
    except DomainError as error:
        return calendar.zone_of_user(request.user), error


def _ics_response(content: str, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _render_agenda(request, template: str, context: dict, zone_error: DomainError | None):
    if zone_error is not None:
        context["zone_error"] = zone_error
    return render(request, template, context, status=400 if zone_error else 200)


@login_required
@require_GET
def agenda(request, fair_pk: int):
    """The signed-in person's published meetings at one fair (staff: all of the fair's)."""
    fair = get_object_or_404(calendar.fair_list_for_agenda(request.user), pk=fair_pk)
    zone, zone_error = _zone_from_request(request)
    meetings = calendar.meeting_list_for_user(request.user, fair=fair)
    entries = calendar.agenda_entries(meetings, user=request.user, zone=zone)
    context = {"fair": fair, "entries": entries, "zone": zone.key, "side": calendar.side_of_user(request.user)}
    return _render_agenda(request, "fairs/agenda.html", context, zone_error)


@login_required
@require_GET
def my_agenda(request):
    """The signed-in person's upcoming meetings across all their fairs."""
    zone, zone_error = _zone_from_request(request)
    page = Paginator(calendar.meeting_upcoming_for_user(request.user), 50).get_page(request.GET.get("page"))
    entries = calendar.agenda_entries(page.object_list, user=request.user, zone=zone)
    context = {
        "page": page,
        "entries": entries,
        "zone": zone.key,
        "side": calendar.side_of_user(request.user),
        "query_string": urlencode({"tz": zone.key}) if request.GET.get("tz") and not zone_error else "",
    }
    return _render_agenda(request, "fairs/agenda_mine.html", context, zone_error)


@login_required
@require_GET
def meeting_ics(request, pk: int):
    """One meeting as a calendar file: only its parties and staff, only once published (404 else)."""
    meeting = get_object_or_404(calendar.meeting_list_for_user(request.user), pk=pk)
    return _ics_response(calendar.meeting_ics(meeting), calendar.ics_filename(meeting))


@login_required
@require_GET
def agenda_ics(request, fair_pk: int):
    fair = get_object_or_404(calendar.fair_list_for_agenda(request.user), pk=fair_pk)
    meetings = calendar.meeting_list_for_user(request.user, fair=fair)
    return _ics_response(calendar.agenda_ics(meetings, fair.name), f"tradeon-agenda-{fair.pk}.ics")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def calendar_page(request):
    """The user's private subscription URL (webcal and https); POST gives a new one."""
    if request.method == "POST":
        calendar.calendar_feed_rotate(user=request.user)
        messages.success(request, _("Your calendar address changed; the old one no longer works."))
        return redirect("fairs:calendar")
    feed = calendar.calendar_feed_get(user=request.user)
    return render(request, "fairs/calendar.html", {"feed": feed, **calendar.calendar_feed_urls(feed)})


@never_cache
@require_GET
def calendar_feed(request, token: str):
    """The subscription feed. No sign-in: calendar apps cannot; the token is the credential."""
    feed = calendar.calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    response = _ics_response(calendar.calendar_feed_ics(feed), "tradeon.ics", attachment=False)
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns: list = [
    path("agenda/", my_agenda, name="my_agenda"),
    path("<int:fair_pk>/agenda/", agenda, name="agenda"),
    path("<int:fair_pk>/agenda.ics", agenda_ics, name="agenda_ics"),
    path("meetings/<int:pk>.ics", meeting_ics, name="meeting_ics"),
    path("calendar/", calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
