"""The workspace ID rules of PRODUCT.md §3, in one place for the model, the forms and the live check."""

import re
import unicodedata

from django.core.exceptions import ValidationError

MIN_LENGTH = 3
MAX_LENGTH = 50
WORKSPACE_ID_PATTERN = r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,49}$"

RESERVED_WORKSPACE_IDS = frozenset(
    {
        "new", "settings", "api", "admin", "org-admin", "static", "media", "docs", "login", "logout",
        "signup", "www", "accounts", "account", "orgs", "org", "w", "workspace", "workspaces", "healthz",
        "readyz", "health", "ready", "auth", "oauth", "device", "devices", "help", "support", "status",
        "billing", "dashboard", "console", "atrium", "zenml", "root", "system", "default", "null",
        "none", "undefined", "test", "mail", "email", "assets", "public", "internal", "security",
    }
)  # fmt: skip


def workspace_id_errors(value: str) -> list[str]:
    """Every rule of §3 that `value` breaks, as sentences a person can act on (empty when valid)."""
    errors = []
    if len(value) < MIN_LENGTH:
        errors.append(f"Use at least {MIN_LENGTH} characters.")
    if len(value) > MAX_LENGTH:
        errors.append(f"Use at most {MAX_LENGTH} characters.")
    if re.search(r"[^a-z0-9-]", value):
        errors.append("Use only lowercase letters, digits and hyphens.")
    if value and not value[0].isalpha():
        errors.append("Start with a letter.")
    if value.endswith("-"):
        errors.append("Don't end with a hyphen.")
    if "--" in value:
        errors.append("Don't use two hyphens in a row.")
    return errors


def validate_workspace_id(value: str) -> None:
    errors = workspace_id_errors(value)
    if errors:
        raise ValidationError(errors, code="invalid")
    if value in RESERVED_WORKSPACE_IDS:
        raise ValidationError(f"“{value}” is a reserved word; choose another ID.", code="reserved")


def suggest_workspace_id(name: str) -> str:
    """A valid-shaped ID from a display name: "ML Platform (prod)" → "ml-platform-prod"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)
    return slug[:MAX_LENGTH].rstrip("-")
