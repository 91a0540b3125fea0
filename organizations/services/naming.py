"""Setting an organization's workspace naming convention (the Naming settings page and the API).

The convention is checked in the safe syntax of `organizations.naming` against the organization's
dimensions: an unknown dimension key or a character no ID has is refused with the reason, on the
"convention" field. Enforcing it is a choice: advisory (the default) warns in the stepper, enforced
makes `workspace_create` and `workspace_create_bulk` refuse an ID that breaks it. Existing
workspaces keep their IDs either way (an ID is immutable); the Naming page lists those that do not
conform.
"""

from django.db import transaction

from ..access import Access
from ..audit import AuditAction, audit_record
from ..errors import InvalidError
from ..models import Organization
from ..naming import ConventionError, parse_convention
from ..roles import MANAGE_POLICIES
from .limits import check_lengths

MANAGE_NAMING_PERMISSION = f"organizations.{MANAGE_POLICIES}"


def naming_snapshot(organization: Organization) -> dict:
    return {
        "convention": organization.workspace_naming_pattern,
        "description": organization.workspace_naming_description,
        "enforced": organization.workspace_naming_enforced,
    }


@transaction.atomic
def naming_convention_update(
    *, organization: Organization, convention: str, description: str, enforced: bool, acting_user
) -> Organization:
    """Set (or, with an empty `convention`, remove) the workspace naming convention.

    Needs `manage_policies`. InvalidError (field "convention") when the convention does not parse or
    names a dimension the organization does not have; there is nothing to enforce without one, so an
    empty convention is never enforced. Audited when something changed.
    """
    Access.for_user(acting_user, organization).require(
        MANAGE_NAMING_PERMISSION, message="Only Owners and Admins can set the naming convention."
    )
    convention, description = convention.strip(), " ".join(description.split())
    try:
        check_lengths(Organization, workspace_naming_pattern=convention)
    except InvalidError as error:
        raise InvalidError(error.message, field="convention") from error
    try:
        check_lengths(Organization, workspace_naming_description=description)
    except InvalidError as error:
        raise InvalidError(error.message, field="description") from error
    if convention:
        keys = list(organization.dimensions.values_list("key", flat=True))
        try:
            parse_convention(convention, dimension_keys=keys)
        except ConventionError as error:
            raise InvalidError(error.message, field="convention") from error
    before = naming_snapshot(organization)
    organization.workspace_naming_pattern = convention
    organization.workspace_naming_description = description
    organization.workspace_naming_enforced = bool(enforced and convention)
    organization.save(
        update_fields=[
            "workspace_naming_pattern",
            "workspace_naming_description",
            "workspace_naming_enforced",
        ]
    )
    after = naming_snapshot(organization)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action=AuditAction.NAMING_CONVENTION_UPDATE,
            target=organization,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return organization
