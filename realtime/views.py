"""Pages of the realtime app: the signed-in user's notifications, newest first, the unread ones
highlighted, and "mark all read". New ones also arrive live (static/js/notifications.js)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from matching.fairs.calendar import zone_of_user

from . import selectors, services

PAGE_SIZE = 25


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.notification_list(user=request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "realtime/notification_list.html",
        {
            "page": page,
            "notifications": page.object_list,
            "counts": selectors.notification_counts(user=request.user),
            "unread_only": unread_only,
            "query_string": "unread=1" if unread_only else "",
            "viewer_zone": zone_of_user(request.user),
        },
    )


def _up_to(value) -> int | None:
    """The page sends the newest number it showed, so a notification that arrived after it was
    drawn stays unread; anything else marks all."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


@login_required
@require_POST
def notifications_mark_read(request):
    services.notifications_mark_read(user=request.user, up_to=_up_to(request.POST.get("up_to")))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "realtime:list"
    return redirect(target)
