"""Changes a person makes to their own account: their name, their e-mail and their password.

Only the person themselves may make them (`acting_user` must be `user`; anyone else gets Django's
`PermissionDenied`); site operators change other people's accounts in Django's admin. A refusal is a
`ValidationError` keyed by the argument at fault, with the project's stable codes (`invalid`,
`conflict`), so every door can show it where it belongs. (`accounts` sits below `organizations`, so
it cannot raise the typed errors of `organizations/errors.py`; these carry the same codes.)

Not audited: the audit trail belongs to organizations (every event names one), and these changes
concern a person, not an organization.
"""

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from .models import User

__all__ = ["user_password_change", "user_profile_update"]


def _refusal(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _check_self(*, user: User, acting_user) -> None:
    if acting_user is None or not acting_user.is_authenticated or acting_user.pk != user.pk:
        raise PermissionDenied("Only the account's owner can change it here.")


def _check_length(field_name: str, value: str) -> None:
    field = User._meta.get_field(field_name)
    if len(value) > field.max_length:
        label = str(field.verbose_name).capitalize()
        raise _refusal(field_name, f"{label} can be at most {field.max_length} characters long.")


@transaction.atomic
def user_profile_update(
    *, user: User, display_name: str, email: str, acting_user, current_password: str = ""
) -> list[str]:
    """Set `user`'s display name and e-mail; return the names of the fields that changed.

    The e-mail is normalized (trimmed, lower case), must be valid and not used by any other account
    (case-insensitively). Changing it also needs the current password (`current_password`), since the
    e-mail is what one logs in and resets a password with: a borrowed session alone cannot take the
    account over. Refusals: `invalid` (`display_name`, `email` or `current_password`), `conflict`
    (`email`, taken).
    """
    _check_self(user=user, acting_user=acting_user)
    display_name = " ".join(display_name.split())
    email = User.objects.normalize_email(email.strip()).lower()
    _check_length("display_name", display_name)
    if not email:
        raise _refusal("email", "Enter your e-mail address.")
    _check_length("email", email)
    try:
        validate_email(email)
    except ValidationError:
        raise _refusal("email", "Enter a valid e-mail address, like ada@example.com.") from None

    changed = []
    if display_name != user.display_name:
        changed.append("display_name")
    if email != user.email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise _refusal("email", "Another account already uses this e-mail address.", "conflict")
        if not current_password:
            raise _refusal("current_password", "Enter your current password to change your e-mail.")
        if not user.check_password(current_password):
            raise _refusal("current_password", "That is not your current password.")
        changed.append("email")
    if not changed:
        return []

    before = user.display_name, user.email
    user.display_name, user.email = display_name, email
    try:
        with transaction.atomic():  # a savepoint: an address taken meanwhile is a refusal, not an error
            user.save(update_fields=changed)
    except IntegrityError:
        user.display_name, user.email = before  # the page goes on showing the account as it is
        raise _refusal("email", "Another account already uses this e-mail address.", "conflict") from None
    return changed


@transaction.atomic
def user_password_change(*, user: User, current_password: str, new_password: str, acting_user) -> None:
    """Replace `user`'s password after checking the current one and the site's password validators.

    Every session of the account signed in with the old password ends (Django ties sessions to the
    password); the door keeps its own session with `update_session_auth_hash`. Refusals: `invalid`,
    on `current_password` (wrong) or `new_password` (the validators' reasons).
    """
    _check_self(user=user, acting_user=acting_user)
    if not user.check_password(current_password):
        raise _refusal("current_password", "That is not your current password.")
    if new_password == current_password:
        raise _refusal("new_password", "Choose a password different from your current one.")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise _refusal("new_password", " ".join(error.messages)) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
