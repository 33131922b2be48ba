"""Errors as RFC 9457 problem details (`application/problem+json`), in the client's language.

Every error the API answers has `type`, `title`, `status` and, where there is more to say,
`detail`; a validation error lists each field's messages under `errors`. The types are URNs
listed in docs/api.md."""

import math

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:portal:problem:{code}"


class Problem(exceptions.APIException):
    """An error with its own problem type: `Problem(409, "step-changed", title, detail)`."""

    def __init__(self, status_code: int, code: str, title: str, detail: str = ""):
        self.status_code = status_code
        self.problem_code = code
        self.title = title
        super().__init__(detail=detail or title, code=code)


# DRF's exceptions, by class, as problem types.
_CODES = [
    (exceptions.ValidationError, "validation-error"),
    (exceptions.ParseError, "malformed-request"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "not-authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "too-many-requests"),
]


def _titles() -> dict[str, str]:
    return {
        "validation-error": _("The request has invalid fields"),
        "malformed-request": _("The request body could not be read"),
        "not-authenticated": _("A valid access token is needed"),
        "forbidden": _("This client may not do that"),
        "not-found": _("Not found"),
        "method-not-allowed": _("This method is not allowed here"),
        "not-acceptable": _("The requested format cannot be given"),
        "unsupported-media-type": _("Send the body as JSON"),
        "too-many-requests": _("Too many requests; wait and try again"),
        "request-too-large": _("The request is too large"),
    }


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """A validation error's nested detail as a flat list of {pointer, detail}."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            pointer = prefix if key == "non_field_errors" else f"{prefix}/{key}"
            found += _field_errors(value, pointer)
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"pointer": prefix or "/", "detail": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            found += _field_errors(item, f"{prefix}/{index}")
        return found
    return [{"pointer": prefix or "/", "detail": str(detail)}]


def problem_body(status_code: int, code: str, *, title: str = "", detail: str = "", **extra):
    body = {
        "type": problem_type(code),
        "title": title or _titles().get(code, code),
        "status": status_code,
    }
    if detail and detail != body["title"]:
        body["detail"] = detail
    return body | extra


def exception_handler(exc, context):
    """DRF's exception handler, answering problem documents."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, Problem):
        body = problem_body(exc.status_code, exc.problem_code, title=exc.title, detail=exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        body = problem_body(exc.status_code, "validation-error", errors=_field_errors(exc.detail))
    else:
        code = next((c for cls, c in _CODES if isinstance(exc, cls)), "error")
        detail = exc.detail if isinstance(exc.detail, str) else ""
        body = problem_body(exc.status_code, code, detail=str(detail))
    set_rollback()
    return Response(
        body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE
    )


def problem_response(status_code: int, code: str, **fields) -> JsonResponse:
    """A problem document outside DRF's views (unknown /api/ addresses, the size limit)."""
    return JsonResponse(
        problem_body(status_code, code, **fields),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


@csrf_exempt  # a POST to it is a 404 problem, not the CSRF failure page (no session here)
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any /api/ address that names no operation."""
    return problem_response(status.HTTP_404_NOT_FOUND, "not-found")
