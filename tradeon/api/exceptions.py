"""One place where errors become API responses.

Every error body has the same shape: {"detail": "...", "code": "...", "errors": [{"field", "message"}]},
so a client can always show a person which field was wrong and why.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tradeon.errors import DomainError

logger = logging.getLogger(__name__)


def _flatten(detail, prefix: str | None = None) -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {field, message}."""
    errors: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = None if key in ("non_field_errors", "__all__") else key
            if prefix and field:
                field = f"{prefix}.{field}"
            elif prefix:
                field = prefix
            errors.extend(_flatten(value, field))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                errors.extend(_flatten(value, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                errors.append({"field": prefix, "message": str(value)})
    else:
        errors.append({"field": prefix, "message": str(detail)})
    return errors


def _body(message: str, code: str, errors: list[dict]) -> dict:
    return {"detail": message, "code": code, "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            _body(exc.message, exc.code, [{"field": exc.field, "message": exc.message}]),
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": f if f != "__all__" else None, "message": m} for f, ms in exc.message_dict.items() for m in ms
            ]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return Response(_body(errors[0]["message"] if errors else "Invalid input.", "invalid", errors), status=400)
    if isinstance(exc, IntegrityError):
        # A constraint refused a conflicting write (two requests raced); say so instead of a 500.
        logger.info("integrity error turned into 409: %s", exc)
        return Response(
            _body("This change conflicts with existing data; reload and try again.", "conflict", []),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        message = errors[0]["message"] if errors else "Invalid input."
        if errors and errors[0]["field"]:
            message = f"{errors[0]['field']}: {message}"
        response.data = _body(message, "invalid", errors)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if not isinstance(exc.detail, (list, dict)) else str(exc.detail)
        response.data = _body(str(detail), getattr(exc.detail, "code", exc.default_code), [])
    return response
