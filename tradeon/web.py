"""Shared pieces of the server-rendered pages: who may open a page, and how a service's
refusal ends up next to the form field that caused it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from tradeon.errors import DomainError


def role_required(*roles):
    """Anonymous visitors go to the sign-in page; a signed-in user of another role gets 403.

    The selectors and services still decide what the user may see and change; this only keeps
    people off pages that make no sense for their role.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_htmx(request) -> bool:
    """An htmx request wants a fragment, except when htmx restores history after a cache miss."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def add_service_error(form, error: DomainError | ValidationError) -> None:
    """Show a service's DomainError or ValidationError on the form, on the field at fault when
    the form has that field, otherwise at the top of the form."""

    def field_or_none(name):
        return name if name in form.fields else None

    if isinstance(error, DomainError):
        form.add_error(field_or_none(error.field), error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = None if field == NON_FIELD_ERRORS else field_or_none(field)
            if target is None and field != NON_FIELD_ERRORS:
                # Name the field: a message such as "Enter a valid value." alone is useless.
                errors = [ValidationError(f"{field}: {message}") for message in ValidationError(errors).messages]
            form.add_error(target, errors)
    else:
        form.add_error(None, error)
