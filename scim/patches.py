"""Reading SCIM PATCH requests (RFC 7644 §3.5.2) and full resources (PUT, POST) into what the
services take, in the dialects Okta and Entra ID speak:

- Okta: `{"op": "replace", "value": {"active": false}}`; groups `{"op": "add"|"remove", "path":
  "members", "value": [{"value": "<id>"}]}` and `{"op": "replace", "value": {"id": …, "displayName": …}}`.
- Entra ID: capitalised ops (`"Replace"`, `"Add"`), `"path": "active", "value": "False"` (a string),
  `"path": "name.givenName"`, `"path": "emails[type eq \\"work\\"].value"`, and group removals as
  `{"op": "Remove", "path": "members[value eq \\"<id>\\"]"}`.
"""

import re
from dataclasses import dataclass, field

from .representations import user_display_name
from .services import UserChanges


class PatchError(Exception):
    """The request cannot be applied; `scim_type` is SCIM's error keyword (invalidPath, …)."""

    def __init__(self, message: str, scim_type: str = "invalidValue"):
        super().__init__(message)
        self.message, self.scim_type = message, scim_type


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PatchError("active must be true or false.")


def _operations(body: dict) -> list[tuple[str, str, object]]:
    operations = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(operations, list) or not operations:
        raise PatchError("A PATCH request needs a list of Operations.", "invalidSyntax")
    parsed = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("Each operation is an object with op, path and value.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise PatchError(f"Unknown operation {operation.get('op')!r}.", "invalidSyntax")
        parsed.append((op, str(operation.get("path") or ""), operation.get("value")))
    return parsed


def user_changes_from_resource(data: dict) -> UserChanges:
    """What a full User (PUT) asks for: every attribute it holds."""
    if not isinstance(data, dict):
        raise PatchError("Send a User object.", "invalidSyntax")
    emails = data.get("emails") if isinstance(data.get("emails"), list) else []
    user_name = data.get("userName") or next(
        (e.get("value") for e in emails if isinstance(e, dict) and e.get("value")), None
    )
    return UserChanges(
        user_name=str(user_name) if user_name else None,
        display_name=user_display_name(data) if ("name" in data or "displayName" in data) else None,
        external_id=str(data["externalId"]) if data.get("externalId") is not None else None,
        active=_bool(data["active"]) if "active" in data else None,
    )


# Attributes of SCIM's core User that Atrium keeps nothing of: identity providers send them by default
# (Entra ID maps title, phone numbers, addresses, …), so they are accepted and left aside.
_USER_ATTRIBUTES_NOT_KEPT = frozenset(
    {"nickname", "profileurl", "title", "usertype", "preferredlanguage", "locale", "timezone", "password",
     "phonenumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509certificates",
     "name.middlename", "name.honorificprefix", "name.honorificsuffix"}
)  # fmt: skip
_USER_PATHS = {
    "active": "active",
    "username": "user_name",
    "externalid": "external_id",
    "displayname": "display_name",
    'emails[type eq "work"].value': "user_name",
    "emails.value": "user_name",
}


def user_changes_from_patch(body: dict, *, current_display_name: str) -> UserChanges:
    """What a User PATCH asks for. Names arrive in parts (`name.givenName`), so they are put together
    over the current name."""
    changes: dict = {}
    given, _, family = current_display_name.partition(" ")
    name_parts = {"givenname": given, "familyname": family}
    name_touched = False
    for op, path, value in _operations(body):
        if op == "remove":
            if path.lower() in ("externalid",):
                changes["external_id"] = ""
                continue
            if path.lower().startswith("urn:") or re.split(r"[\[.]", path.lower(), maxsplit=1)[0] in (
                _USER_ATTRIBUTES_NOT_KEPT
            ):
                continue
            raise PatchError(f"Removing {path or 'attributes'} of a user is not supported.", "mutability")
        if not path:
            if not isinstance(value, dict):
                raise PatchError("Without a path, the value is an object of attributes.", "invalidSyntax")
            resource = user_changes_from_resource(value)
            changes |= {k: v for k, v in resource.__dict__.items() if v is not None}
            for key in ("name.givenName", "name.familyName"):  # Okta sends dotted keys in the value too
                if key in value:
                    name_parts[key.split(".")[1].lower()], name_touched = str(value[key] or ""), True
            continue
        lowered = path.lower()
        root = re.split(r"[\[.]", lowered, maxsplit=1)[0]
        if lowered in ("name.givenname", "name.familyname"):
            name_parts[lowered.split(".")[1]], name_touched = str(value or ""), True
        elif lowered == "name.formatted":
            changes["display_name"] = str(value or "")
        elif lowered == "name" and isinstance(value, dict):
            changes["display_name"] = user_display_name({"name": value})
        elif lowered in _USER_PATHS or lowered.replace("'", '"') in _USER_PATHS:
            attribute = _USER_PATHS.get(lowered) or _USER_PATHS[lowered.replace("'", '"')]
            changes[attribute] = _bool(value) if attribute == "active" else str(value or "")
        elif lowered.startswith("emails"):
            if isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("value"):
                changes["user_name"] = str(value[0]["value"])
        elif (
            lowered.startswith("urn:")
            or lowered in _USER_ATTRIBUTES_NOT_KEPT
            or root in _USER_ATTRIBUTES_NOT_KEPT
        ):
            continue  # enterprise-extension attributes (department, manager, …) and the above
        else:
            raise PatchError(f"Unknown attribute path {path!r}.", "invalidPath")
    if name_touched and "display_name" not in changes:
        changes["display_name"] = " ".join(
            p for p in (name_parts["givenname"], name_parts["familyname"]) if p
        )
    return UserChanges(**changes)


@dataclass
class GroupChanges:
    display_name: str | None = None
    member_ids: list[str] | None = None  # replace the members with these
    add_ids: list[str] = field(default_factory=list)
    remove_ids: list[str] = field(default_factory=list)


def member_ids(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) and v.get("value") for v in value):
        raise PatchError('members is a list of {"value": "<user id>"}.')
    return [str(v["value"]) for v in value]


_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$', re.IGNORECASE)


def group_changes_from_patch(body: dict) -> GroupChanges:
    changes = GroupChanges()
    for op, path, value in _operations(body):
        lowered = path.lower()
        single = _MEMBER_FILTER.match(path)
        if single and op == "remove":
            changes.remove_ids.append(single.group(1))
        elif lowered == "members":
            ids = member_ids(value)
            if op == "add":
                changes.add_ids += ids
            elif op == "remove":
                if value is None:  # "remove all members"
                    changes.member_ids = []
                else:
                    changes.remove_ids += ids
            else:
                changes.member_ids, changes.add_ids, changes.remove_ids = ids, [], []
        elif lowered == "displayname" and op in ("add", "replace"):
            changes.display_name = str(value or "")
        elif not path and op in ("add", "replace") and isinstance(value, dict):
            if "displayName" in value:
                changes.display_name = str(value["displayName"] or "")
            if "members" in value:
                ids = member_ids(value["members"])
                if op == "add":
                    changes.add_ids += ids
                else:
                    changes.member_ids = ids
        elif lowered in ("externalid",) or lowered.startswith("urn:"):
            continue  # Atrium keeps no external id for teams
        else:
            raise PatchError(f"Unsupported operation {op} on {path or 'the group'}.", "invalidPath")
    return changes
