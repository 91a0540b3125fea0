"""What a service says when it refuses: one typed error per kind of refusal, each with a stable code.

Every door translates them its own way: a page shows the message (or Django's 403/404 page, since
`PermissionDeniedError` and `NotFoundError` are Django's own `PermissionDenied` and `Http404`), an API
answers JSON with `code`, `message` and `field`. `InvalidError` and `ConflictError` are also Django
`ValidationError`s, so forms can show them on the field at fault.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class ServiceError(Exception):
    """A refusal: `code` is stable (for programs), `message` is for people, `field` names the input at
    fault, if one is."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def __str__(self):
        return self.message


class PermissionDeniedError(ServiceError, PermissionDenied):
    """The acting identity may not do this."""

    code = "permission_denied"


class TargetDeniedError(PermissionDeniedError):
    """The acting identity may do this kind of thing, but not to this target or with this role (someone
    above them, their own role, a role above their own). Same code for programs; pages show it where the
    action was made instead of the 403 page."""


class NotFoundError(ServiceError, Http404):
    """The object does not exist, is gone, or is not visible to the acting identity."""

    code = "not_found"


class _ValidationRefusal(ServiceError, ValidationError):
    def __init__(self, message: str, *, field: str | None = None):
        ValidationError.__init__(self, {field: [message]} if field else message, code=self.code)
        self.message, self.field = message, field


class InvalidError(_ValidationRefusal):
    """The input breaks a rule (a format, a limit, a choice that does not exist)."""

    code = "invalid"


class ConflictError(_ValidationRefusal):
    """The input is fine but the current state does not allow it (taken, already done, last Owner)."""

    code = "conflict"


# The refusals a page shows where the action was made (a message, a form error, a toast). A plain
# PermissionDeniedError (the action itself is not the user's to take) becomes the 403 page instead,
# in the scoping decorators.
REFUSALS_SHOWN_IN_PLACE = (TargetDeniedError, NotFoundError, ValidationError)


def refusal_message(error: Exception) -> str:
    """What to show a person for a service's refusal (or a plain ValidationError)."""
    if isinstance(error, ServiceError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def form_add_refusal(form, error: Exception, field: str | None = None) -> None:
    """Show a service's refusal on a form: on the field it names when the form has that field (or on
    `field`), otherwise above the form."""
    if isinstance(error, ValidationError) and not isinstance(error, ServiceError):
        form.add_error(field, error)
        return
    named = field or getattr(error, "field", None)
    form.add_error(named if named in form.fields else None, refusal_message(error))
