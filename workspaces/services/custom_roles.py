"""Custom workspace roles of an organization: a matrix of resource types × actions, based on a
predefined role. Managing them needs the organization's `manage_policies`."""

from django.db import IntegrityError, transaction

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError
from organizations.models import Organization
from organizations.roles import MANAGE_POLICIES
from organizations.services.limits import check_lengths

from ..models import Workspace, WorkspaceCustomRole
from ..permission_sync import sync_workspace_permissions
from ..roles import ACTION_KEYS, RESOURCE_KEYS, WORKSPACE_ROLES, cell

MANAGE_ROLES_PERMISSION = f"organizations.{MANAGE_POLICIES}"


@transaction.atomic
def custom_role_create(
    *, organization: Organization, name: str, base_role: str, acting_user, description: str = ""
) -> WorkspaceCustomRole:
    Access.for_user(acting_user, organization).require(MANAGE_ROLES_PERMISSION)
    if base_role not in WORKSPACE_ROLES:
        raise InvalidError("Choose a predefined role to start from.", field="base_role")
    name, description = name.strip(), description.strip()
    if not name:
        raise InvalidError("Enter a name for the role.", field="name")
    check_lengths(WorkspaceCustomRole, name=name, description=description)
    if name.lower() in {r.label.lower() for r in WORKSPACE_ROLES.values()}:
        raise ConflictError("That name belongs to a predefined role; choose another.", field="name")
    if WorkspaceCustomRole.objects.filter(organization=organization, name__iexact=name).exists():
        raise ConflictError("A role with this name already exists.", field="name")
    try:
        with transaction.atomic():  # a savepoint: the same name created at once by someone else fails here
            role = WorkspaceCustomRole.objects.create(
                organization=organization,
                name=name,
                description=description,
                base_role=base_role,
                cells=sorted(WORKSPACE_ROLES[base_role].matrix),
                created_by=acting_user,
            )
    except IntegrityError as error:
        raise ConflictError("A role with this name already exists.", field="name") from error
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.ROLE_CREATE, target=role,
                 after={"name": name, "base_role": base_role, "permissions": role.cells})  # fmt: skip
    return role


@transaction.atomic
def custom_role_set_cells(*, role: WorkspaceCustomRole, changes, acting_user) -> WorkspaceCustomRole:
    """Turn resource × action cells of a custom role on or off (`changes`: (resource, action, granted)
    triples), then resync every holder once; each changed cell is one audit event."""
    Access.for_user(acting_user, role.organization).require(MANAGE_ROLES_PERMISSION)
    for resource, action, _ in changes:
        if resource not in RESOURCE_KEYS or action not in ACTION_KEYS:
            raise InvalidError("Unknown resource or action.")
    role = WorkspaceCustomRole.objects.select_for_update(of=("self",)).filter(pk=role.pk).first()
    if role is None:
        raise NotFoundError("That role was deleted a moment ago.")
    before = set(role.cells)
    cells = set(before)
    for resource, action, granted in changes:
        (cells.add if granted else cells.discard)(cell(resource, action))
    if cells == before:
        return role
    role.cells = sorted(cells)
    role.save(update_fields=["cells"])
    for workspace in Workspace.objects.filter(role_assignments__custom_role=role).distinct():
        sync_workspace_permissions(workspace)
    for changed in sorted(before ^ cells):  # one event per cell, as the audit log filters them
        granted = changed in cells
        audit_record(organization=role.organization, acting_user=acting_user, action=AuditAction.ROLE_UPDATE, target=role,
                     before={"cell": changed, "granted": not granted},
                     after={"cell": changed, "granted": granted})  # fmt: skip
    return role


def custom_role_set_cell(
    *, role: WorkspaceCustomRole, resource: str, action: str, granted: bool, acting_user
):
    """Turn one cell on or off (the grid's in-place toggle)."""
    return custom_role_set_cells(role=role, changes=[(resource, action, granted)], acting_user=acting_user)


@transaction.atomic
def custom_role_delete(*, role: WorkspaceCustomRole, acting_user) -> None:
    access = Access.for_user(acting_user, role.organization)
    access.require(MANAGE_ROLES_PERMISSION)
    role = WorkspaceCustomRole.objects.select_for_update(of=("self",)).filter(pk=role.pk).first()
    if role is None:
        raise NotFoundError("That role was deleted a moment ago.")
    holders = list(role.assignments.select_related("user", "team", "workspace")[:20])
    if holders:
        # Name holders only on workspaces the reader can see; the rest are counted, not named.
        access.prefetch([a.workspace for a in holders])
        visible = [a for a in holders if access.can_see(a.workspace)]
        names = ", ".join(f"{a.principal} on {a.workspace.slug}" for a in visible)
        hidden = role.assignments.count() - len(visible)
        if hidden:
            names = f"{names}{' and ' if names else ''}{hidden} on workspaces you cannot see"
        raise ConflictError(f"“{role.name}” is still assigned: {names}. Change their roles first.")
    audit_record(organization=role.organization, acting_user=acting_user, action=AuditAction.ROLE_DELETE, target=role,
                 before={"name": role.name, "permissions": role.cells})  # fmt: skip
    role.delete()
