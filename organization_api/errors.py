"""The organization API's one error shape, and the translation of every refusal into it.

Every error answers `{"error": {"code": …, "message": …, "field": …}}`: `code` is stable, for
programs (the services' own codes from `organizations.errors`, plus the API's: `unauthenticated`,
`csrf_failed`, `token_policy`, `throttled`, `idempotency_key_reused`, `method_not_allowed`,
`server_error`);
`message` is for people; `field` names the input at fault, or is null. Statuses follow GitHub's API:
401 without valid credentials, 403 for a member without the permission, 404 for what does not exist
or is not visible (another organization's objects), 409 for a conflict with the current state, 422
for input that breaks a rule, 429 when throttled.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from organizations.errors import ConflictError, NotFoundError, PermissionDeniedError, ServiceError

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class Error(Schema):
    """What every error response holds."""

    error: ErrorDetail


class ApiError(Exception):
    """A refusal by the API itself (not by a service), answered with `status` in the error shape."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(api: NinjaAPI, request, status: int, code: str, message: str, field=None) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return api.create_response(request, body, status=status)


def _status_of(error: ServiceError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 422


def _ninja_field(loc) -> str | None:
    """A ninja validation error's location as the field name people sent: ("body", "payload",
    "labels", "environment") → "labels.environment"; ("query", "limit") → "limit"."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        where = parts.pop(0)
        if where == "body" and len(parts) > 1:
            parts.pop(0)  # the view's parameter name, not something the caller sent
    return ".".join(parts) or None


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every exception an endpoint (or ninja around it) raises in the one error shape."""

    @api.exception_handler(ServiceError)
    def service_refusal(request, error: ServiceError):
        return error_response(api, request, _status_of(error), error.code, error.message, error.field)

    @api.exception_handler(ApiError)
    def api_refusal(request, error: ApiError):
        return error_response(api, request, error.status, error.code, error.message, error.field)

    @api.exception_handler(DjangoValidationError)
    def django_validation(request, error: DjangoValidationError):
        field = None
        if hasattr(error, "error_dict"):
            field = next(iter(error.error_dict), None)
        return error_response(api, request, 422, "invalid", " ".join(error.messages), field)

    @api.exception_handler(NinjaValidationError)
    def schema_validation(request, error: NinjaValidationError):
        first = error.errors[0] if error.errors else {}
        field = _ninja_field(first.get("loc", ()))
        message = str(first.get("msg", "Invalid input.")).removeprefix("Value error, ")
        return error_response(
            api, request, 422, "invalid", f"{field}: {message}" if field else message, field
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, error: AuthenticationError):
        message = (
            error.message
            if error.message != "Unauthorized"
            else ("Authenticate with a personal access token (Authorization: Bearer atr_pat_…) or a session.")
        )
        response = error_response(api, request, 401, "unauthenticated", message)
        response["WWW-Authenticate"] = 'Bearer realm="atrium"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request, error: Throttled):
        response = error_response(api, request, 429, "throttled", "Too many requests; slow down and retry.")
        if error.wait is not None:
            response["Retry-After"] = str(int(error.wait) + 1)
        return response

    @api.exception_handler(HttpError)
    def http_error(request, error: HttpError):
        if error.status_code == 403 and "CSRF" in error.message:
            return error_response(
                api, request, 403, "csrf_failed",
                "CSRF check failed: a session request that writes needs the X-CSRFToken header.",
            )  # fmt: skip
        codes = {400: "invalid", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
        return error_response(
            api, request, error.status_code, codes.get(error.status_code, "error"), error.message
        )

    @api.exception_handler(Http404)
    def not_found(request, error: Http404):
        return error_response(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, error: PermissionDenied):
        return error_response(api, request, 403, "permission_denied", "You don't have permission to do that.")

    @api.exception_handler(Exception)
    def server_error(request, error: Exception):
        logger.exception("Organization API error at %s %s", request.method, request.path)
        return error_response(api, request, 500, "server_error", "Something went wrong on our side.")


class fields_renamed:
    """Rename the `field` of a service's refusal to the API's name for it (`slug` → `id`), and
    `label_<key>` to `labels.<key>`, so the error names what the caller sent."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if isinstance(error, ServiceError) and error.field:
            if error.field in self.names:
                error.field = self.names[error.field]
            elif error.field.startswith("label_"):
                error.field = "labels." + error.field.removeprefix("label_")
        return False
