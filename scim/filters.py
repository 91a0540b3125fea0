"""The part of SCIM's filter language identity providers use to find one resource: `attribute eq
"value"` (Okta and Entra ID send `userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`).

Anything else is refused with `invalidFilter` rather than half-understood: answering a filter we do
not understand with every resource would make an identity provider link the wrong person.
"""

import json
import re
from dataclasses import dataclass

from django.db.models import QuerySet

_FILTER = re.compile(r'^\s*([A-Za-z][\w.:$-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$', re.IGNORECASE)


class FilterError(Exception):
    """The filter is not one we understand; `message` says which we do (the 400 answer's detail)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Equality:
    attribute: str  # lower-cased, without the schema URN
    value: object


def filter_parse(text: str) -> Equality:
    match = _FILTER.match(text or "")
    if match is None:
        raise FilterError('Only filters of the form `attribute eq "value"` are supported.')
    attribute, raw = match.groups()
    attribute = attribute.rsplit(":", 1)[-1].lower()  # "urn:…:User:userName" names userName too
    return Equality(attribute=attribute, value=json.loads(raw.lower() if raw[0] != '"' else raw))


# What each resource type may be filtered by: SCIM attribute (lower case) → how to filter the queryset.
USER_FILTERS = {
    "username": lambda qs, v: qs.filter(user__email__iexact=str(v)),
    "emails.value": lambda qs, v: qs.filter(user__email__iexact=str(v)),
    "emails": lambda qs, v: qs.filter(user__email__iexact=str(v)),
    "externalid": lambda qs, v: qs.filter(scim_external_id=str(v)),
    "id": lambda qs, v: qs.filter(user_id=int(v)) if str(v).isdigit() else qs.none(),
    # Identity providers send `active eq true`, some `active eq "true"`.
    "active": lambda qs, v: qs.filter(deactivated_at__isnull=v is True or str(v).lower() == "true"),
}
GROUP_FILTERS = {
    "displayname": lambda qs, v: qs.filter(name__iexact=str(v)),
    "id": lambda qs, v: qs.filter(pk=int(v)) if str(v).isdigit() else qs.none(),
}


def filter_apply(queryset: QuerySet, text: str | None, filters: dict) -> QuerySet:
    """The queryset narrowed by `text` (nothing to do when there is no filter); FilterError otherwise."""
    if not text:
        return queryset
    equality = filter_parse(text)
    if equality.attribute not in filters:
        raise FilterError(f"Filtering by {equality.attribute} is not supported.")
    return filters[equality.attribute](queryset, equality.value)
