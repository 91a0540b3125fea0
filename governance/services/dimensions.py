"""Removing dimensions and values, which also changes the workspaces that hold them.

Both need `manage_policies`, as every change to dimensions does (`organizations.services.dimensions`).
A value that workspaces hold is only removed together with what they get instead: another value of the
same dimension, or none (not when the dimension is required); every workspace is relabelled in the
same transaction and the one audit event says how many.
"""

from django.db import transaction

from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError
from organizations.models import Dimension, DimensionValue
from organizations.naming import uses_dimension
from organizations.services.dimensions import (
    check_may_manage_dimensions,
    dimension_snapshot,
    dimension_value_snapshot,
)
from workspaces.models import Workspace, WorkspaceLabel
from workspaces.policies import review_schedule_refresh
from workspaces.roles import WORKSPACE_ROLES


@transaction.atomic
def dimension_delete(*, dimension: Dimension, acting_user) -> int:
    """Remove a dimension with its values; the workspaces holding one lose that label. Returns how many
    workspaces did. The team dimension stays (its values are the teams)."""
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    if dimension.follows_teams:
        raise InvalidError(
            f"{dimension.name} is the team dimension: its values are the organization's teams, so it stays."
        )
    dimension = Dimension.objects.select_for_update().filter(pk=dimension.pk).first()  # deleted below
    if dimension is None:
        raise NotFoundError("That dimension was removed a moment ago.")
    if uses_dimension(organization.workspace_naming_pattern, dimension.key):
        raise ConflictError(
            f"The naming convention {organization.workspace_naming_pattern} uses {{{dimension.key}}}: "
            "change it on the Naming page first."
        )
    labels = WorkspaceLabel.objects.filter(dimension=dimension)
    relabelled = labels.count()
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.DIMENSION_DELETE,
        target=dimension,
        before={
            **dimension_snapshot(dimension),
            "values": list(dimension.values.values_list("value", flat=True)),
            "workspaces_labelled": relabelled,
        },
    )
    holders = list(labels.values_list("workspace_id", flat=True))
    labels.delete()
    dimension.delete()
    review_schedule_refresh(Workspace.objects.filter(pk__in=holders))
    return relabelled


@transaction.atomic
def dimension_value_delete(
    *, value: DimensionValue, replacement: DimensionValue | None = None, acting_user
) -> int:
    """Remove a value; the workspaces holding it get `replacement` (a value of the same dimension) or,
    with None, no value of that dimension. Returns how many workspaces were relabelled.

    Refused for a team's value (it goes with its team), for a replacement from elsewhere, and for None
    when the dimension is required and workspaces hold the value.
    """
    dimension = value.dimension
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    if dimension.follows_teams:
        raise InvalidError(
            f"The values of {dimension.name} are the organization's teams: a value goes when its team is "
            "deleted, on the Teams page."
        )
    locked = (
        DimensionValue.objects.select_for_update().select_related("dimension").filter(pk=value.pk).first()
    )
    if locked is None:
        raise NotFoundError(f"The value “{value.label}” was removed a moment ago.")
    dimension = locked.dimension  # as it is now: whether it is required may have just changed
    if replacement is not None and (replacement.dimension_id != dimension.pk or replacement.pk == value.pk):
        raise InvalidError(f"Choose another value of {dimension.name}, or none.", field="replacement")
    labels = WorkspaceLabel.objects.filter(value=value)
    relabelled = labels.count()
    if relabelled and replacement is None and dimension.required:
        raise InvalidError(
            f"{dimension.name} is required, so the workspaces holding “{value.label}” need another value "
            "of it.",
            field="replacement",
        )
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.DIMENSION_VALUE_DELETE,
        target=value,
        before={"dimension": dimension.name, **dimension_value_snapshot(value)},
        after={
            "workspaces_relabelled": relabelled,
            "replaced_by": replacement.value if replacement is not None else None,
        },
    )
    holders = list(labels.values_list("workspace_id", flat=True))
    if replacement is not None:
        labels.update(value=replacement)
    else:
        labels.delete()
    locked.delete()
    review_schedule_refresh(Workspace.objects.filter(pk__in=holders))  # their cadences may have changed
    return relabelled


@transaction.atomic
def dimension_value_policy_update(
    *,
    value: DimensionValue,
    protected: bool,
    review_cadence_days: int | None,
    grantable_roles: list[str],
    acting_user,
) -> DimensionValue:
    """Set a value's policies: protected or not, its access-review cadence (days, or None) and the
    workspace roles that may be granted where it is held (predefined role keys; empty: all). They apply
    at once to every workspace holding the value: protection and grants are read when asked, and the
    review due dates of those workspaces are recomputed here. Needs `manage_policies`; audited with
    what changed."""
    organization = value.dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    if review_cadence_days is not None and not 1 <= review_cadence_days <= MAX_CADENCE_DAYS:
        raise InvalidError(
            f"Choose a cadence between 1 and {MAX_CADENCE_DAYS} days.", field="review_cadence_days"
        )
    unknown = set(grantable_roles) - set(WORKSPACE_ROLES)
    if unknown:
        raise InvalidError("Choose among the workspace roles.", field="grantable_roles")
    # In the registry's order, so the same choice is always stored (and audited) the same way.
    grantable = [key for key in WORKSPACE_ROLES if key in set(grantable_roles)]
    if grantable == list(WORKSPACE_ROLES):
        grantable = []  # every role: the same as no restriction
    locked = DimensionValue.objects.select_for_update().filter(pk=value.pk).first()
    if locked is None:
        raise NotFoundError(f"The value “{value.label}” was removed a moment ago.")
    before = policy_snapshot(locked)
    locked.protected, locked.review_cadence_days, locked.grantable_roles = (
        protected,
        review_cadence_days,
        grantable,
    )
    after = policy_snapshot(locked)
    if before == after:
        return locked
    locked.save(update_fields=["protected", "review_cadence_days", "grantable_roles"])
    holders = Workspace.objects.filter(labels__value=locked)
    review_schedule_refresh(holders)
    changed = {k for k in after if after[k] != before[k]}
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.DIMENSION_VALUE_POLICY,
        target=locked,
        before={"dimension": value.dimension.name} | {k: before[k] for k in changed},
        after={k: after[k] for k in changed} | {"workspaces": holders.count()},
    )
    return locked


MAX_CADENCE_DAYS = 3650


def policy_snapshot(value: DimensionValue) -> dict:
    return {
        "protected": value.protected,
        "review_cadence_days": value.review_cadence_days,
        "grantable_roles": list(value.grantable_roles),
    }
