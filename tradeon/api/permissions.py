"""API permission classes by role. Object-level rules live in the selectors (what a user can
see at all) and services (what they can change), so the API and the web pages agree."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from tradeon.accounts.models import Role


class IsAgencyStaff(BasePermission):
    message = "Only agency staff can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.STAFF)


class ReadOnlyOrRole(BasePermission):
    """Everyone signed in may read; writes only for the roles the view lists in `write_roles`."""

    message = "Your role cannot change this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return request.user.role in getattr(view, "write_roles", ())
