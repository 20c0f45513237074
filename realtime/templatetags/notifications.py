"""The notification bell's numbers for any page ({% notification_counts as bell %}), and a
filter that lets only this site's own paths become links."""

from django import template

from realtime import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_counts(context) -> dict:
    """{"stream", "last_seq", "read_seq", "unread"} of the signed-in user (one small query)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"stream": "", "last_seq": 0, "read_seq": 0, "unread": 0}
    return selectors.notification_counts(user=user)


@register.filter
def local_url(value) -> str:
    """The value if it is a path on this site ("/fairs/3/agenda/"), else "" (never a
    "javascript:" or another site's link, whatever an event's data holds)."""
    value = str(value or "")
    return value if value.startswith("/") and not value.startswith(("//", "/\\")) else ""
