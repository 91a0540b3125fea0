"""Every change to a workspace: one function per action, atomic, audited in the same transaction."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import audit_record
from organizations.models import DimensionValue, Membership, Organization, Team

from . import onboarding
from .models import (
    DesiredState,
    OnboardingStep,
    Workspace,
    WorkspaceCustomRole,
    WorkspaceLabel,
    WorkspaceRoleAssignment,
    WorkspaceStatus,
)
from .permission_sync import sync_workspace_permissions
from .provisioners import ProvisioningError, get_provisioner
from .roles import ACTION_KEYS, RESOURCE_KEYS, WORKSPACE_ROLES, WorkspaceRoleKey, cell
from .selectors import workspace_id_check

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleGrant:
    """A role to give on a new workspace: to a user or to a team."""

    role: str = ""
    user: object = None
    team: Team | None = None
    custom_role: WorkspaceCustomRole | None = None

    @property
    def definition(self):
        return self.custom_role if self.custom_role is not None else WORKSPACE_ROLES[self.role]


def _taken_error(slug: str) -> ValidationError:
    return ValidationError(
        {"slug": f"“{slug}” is already taken. IDs are unique across Atrium and never reused."}, code="taken"
    )


@transaction.atomic
def workspace_create(
    *,
    organization: Organization,
    slug: str,
    display_name: str,
    description: str = "",
    label_values: list[DimensionValue] = (),
    grants: list[RoleGrant] = (),
    acting_user,
) -> Workspace:
    """Create a workspace, make its creator Admin, apply labels and grants, then queue provisioning.

    Raises ValidationError (field "slug") when the ID is invalid, reserved or taken, including when a
    concurrent request took it a moment earlier.
    """
    slug = slug.strip().lower()
    check = workspace_id_check(slug)
    if not check.ok:
        raise ValidationError({"slug": check.message}, code=check.state)
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert of the same ID fails only here
            workspace = Workspace(
                organization=organization,
                slug=slug,
                display_name=display_name.strip(),
                description=description.strip(),
                status=WorkspaceStatus.PENDING,
                status_reason="Waiting for a worker to start provisioning",
                status_changed_at=timezone.now(),
                created_by=acting_user,
            )
            workspace.full_clean(validate_unique=False, validate_constraints=False)
            workspace.save()
    except IntegrityError as error:
        raise _taken_error(slug) from error

    for value in label_values:
        if value.dimension.organization_id != organization.pk:
            raise ValidationError("A label belongs to another organization.")
    member_ids = set(
        Membership.objects.filter(
            organization=organization, user__in=[g.user for g in grants if g.user]
        ).values_list("user_id", flat=True)
    )
    for grant in grants:
        if grant.user is not None and grant.user.pk not in member_ids:
            raise ValidationError(f"{grant.user.email} is not a member of {organization.name}.")
        if grant.team is not None and grant.team.organization_id != organization.pk:
            raise ValidationError(f"Team {grant.team.name} belongs to another organization.")
        if grant.custom_role is not None:
            if grant.custom_role.organization_id != organization.pk:
                raise ValidationError("That role belongs to another organization.")
        elif grant.role not in WORKSPACE_ROLES:
            raise ValidationError("Choose one of the workspace roles.")
    WorkspaceLabel.objects.bulk_create(
        WorkspaceLabel(workspace=workspace, dimension_id=value.dimension_id, value=value)
        for value in label_values
    )
    principals = [RoleGrant(role=WorkspaceRoleKey.ADMIN, user=acting_user)]
    principals += [g for g in grants if g.user != acting_user]
    WorkspaceRoleAssignment.objects.bulk_create(
        WorkspaceRoleAssignment(
            workspace=workspace,
            user=g.user,
            team=g.team,
            role="" if g.custom_role else g.role,
            custom_role=g.custom_role,
        )
        for g in principals
    )
    sync_workspace_permissions(workspace)
    if len(principals) > 1:
        onboarding_step_complete(workspace=workspace, key=onboarding.INVITE_TEAMMATE)
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="workspace.create",
        target=workspace,
        after={
            "workspace_id": slug,
            "name": workspace.display_name,
            "labels": {value.dimension.key: value.value for value in label_values},
            "roles": {str(g.user or g.team): g.definition.label for g in principals},
        },
    )
    _enqueue_provisioning(workspace)
    return workspace


def _enqueue_provisioning(workspace: Workspace) -> None:
    from .tasks import provision_workspace

    transaction.on_commit(lambda: provision_workspace.enqueue(str(workspace.pk)))


def _set_status(
    workspace: Workspace, status: str, reason: str, *, while_provisioning: bool = False, **fields
) -> bool:
    """Record a status transition with a targeted update, so it never overwrites what a person edits.

    With `while_provisioning`, the update only happens if the workspace is still pending and still
    wanted available (someone may have deactivated it meanwhile); returns whether it happened.
    """
    now = timezone.now()
    rows = Workspace.objects.filter(pk=workspace.pk)
    if while_provisioning:
        rows = rows.filter(status=WorkspaceStatus.PENDING, desired_state=DesiredState.AVAILABLE)
    if not rows.update(status=status, status_reason=reason, status_changed_at=now, updated_at=now, **fields):
        return False
    workspace.status, workspace.status_reason, workspace.status_changed_at = status, reason, now
    for name, value in fields.items():
        setattr(workspace, name, value)
    return True


class ProvisioningSuperseded(Exception):
    """The workspace was deactivated or deleted while it was being provisioned."""


def workspace_provision(*, workspace_pk) -> Workspace | None:
    """Run the configured provisioner for one workspace (called by the background task)."""
    # Claim this round first, so two workers (or a worker and a direct call) never provision twice.
    claimed = Workspace.objects.filter(
        pk=workspace_pk, status=WorkspaceStatus.PENDING, provisioning_started_at__isnull=True
    ).update(provisioning_started_at=timezone.now())
    workspace = Workspace.objects.select_related("organization").filter(pk=workspace_pk).first()
    if not claimed:
        return workspace
    provisioner = get_provisioner()

    def report(phase: str) -> None:
        if not _set_status(workspace, WorkspaceStatus.PENDING, phase, while_provisioning=True):
            raise ProvisioningSuperseded

    try:
        server = provisioner.start(workspace, report=report)
    except ProvisioningSuperseded:
        provisioner.stop(workspace)
        workspace.refresh_from_db()
        return workspace
    except Exception as error:
        logger.exception("Provisioning workspace %s failed", workspace.slug)
        # Only a provisioner's own words reach the page; anything else may carry internals.
        reason = (
            str(error) if isinstance(error, ProvisioningError) else "an unexpected error (see the server log)"
        )
        with transaction.atomic():
            if _set_status(
                workspace,
                WorkspaceStatus.FAILED,
                f"Provisioning failed: {reason}"[:300],
                while_provisioning=True,
            ):
                audit_record(
                    organization=workspace.organization,
                    acting_user=None,
                    action="workspace.provisioning_failed",
                    target=workspace,
                    after={"status": WorkspaceStatus.FAILED, "reason": reason},
                )
        return workspace
    with transaction.atomic():
        became_available = _set_status(
            workspace,
            WorkspaceStatus.AVAILABLE,
            "The workspace is ready",
            while_provisioning=True,
            server_url=server.url,
            server_version=server.version,
        )
        if became_available:
            audit_record(
                organization=workspace.organization,
                acting_user=None,
                action="workspace.available",
                target=workspace,
                after={
                    "status": WorkspaceStatus.AVAILABLE,
                    "server_url": server.url,
                    "version": server.version,
                },
            )
    if not became_available:
        provisioner.stop(workspace)
        workspace.refresh_from_db()
    return workspace


@transaction.atomic
def workspace_retry_provisioning(*, workspace: Workspace, acting_user) -> Workspace:
    if workspace.status != WorkspaceStatus.FAILED:
        raise ValidationError("Only a workspace whose provisioning failed can be retried.")
    before = {"status": workspace.status, "reason": workspace.status_reason}
    _set_status(
        workspace,
        WorkspaceStatus.PENDING,
        "Waiting for a worker to retry provisioning",
        provisioning_started_at=None,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action="workspace.provisioning_retry",
        target=workspace,
        before=before,
        after={"status": WorkspaceStatus.PENDING},
    )
    _enqueue_provisioning(workspace)
    return workspace


@transaction.atomic
def workspace_update(
    *, workspace: Workspace, display_name: str, description: str, readme: str, acting_user
) -> Workspace:
    """Edit what a workspace says about itself. The ID is not among the editable fields, ever."""
    before = {
        "name": workspace.display_name,
        "description": workspace.description,
        "readme": workspace.readme,
    }
    workspace.display_name = display_name.strip()
    workspace.description = description.strip()
    workspace.readme = readme.strip()
    # The ID is validated once, at creation: a word reserved later must not block editing old workspaces.
    workspace.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    workspace.save(update_fields=["display_name", "description", "readme", "updated_at"])
    after = {"name": workspace.display_name, "description": workspace.description, "readme": workspace.readme}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            organization=workspace.organization,
            acting_user=acting_user,
            action="workspace.update",
            target=workspace,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    if workspace.readme:
        onboarding_step_complete(workspace=workspace, key=onboarding.DOCUMENT_WORKSPACE)
    return workspace


def onboarding_step_complete(*, workspace: Workspace, key: str) -> bool:
    """Tick one checklist item because its real event happened. Returns True the first time."""
    if key not in {item.key for item in onboarding.CHECKLIST}:
        raise ValueError(f"Unknown onboarding step {key!r}")
    _, created = OnboardingStep.objects.get_or_create(workspace=workspace, key=key)
    return created


# --- Workspace role assignments --------------------------------------------------------------------


def _role_definition(role: str = "", custom_role: WorkspaceCustomRole | None = None):
    if custom_role is not None:
        return custom_role
    if role not in WORKSPACE_ROLES:
        raise ValidationError("Choose one of the workspace roles.")
    return WORKSPACE_ROLES[role]


def _may_grant(workspace: Workspace, acting_user, definition) -> bool:
    return Access.for_user(acting_user, workspace.organization).may_grant_workspace_role(
        definition, workspace
    )


def _check_may_assign(*, workspace: Workspace, acting_user, definition, user=None, team=None) -> None:
    access = Access.for_user(acting_user, workspace.organization)
    if user is not None and user.pk == acting_user.pk:
        raise ValidationError("You cannot change your own role. Ask another admin.")
    org_wide = access.workspace_permissions(workspace) is None
    if team is not None and not org_wide and team.members.filter(pk=acting_user.pk).exists():
        raise ValidationError(
            f"You are in team {team.name}: changing its role would change your own. Ask another admin."
        )
    if not access.may_grant_workspace_role(definition, workspace):
        raise ValidationError(f"You cannot grant a role above your own ({definition.label}).")
    if (
        isinstance(definition, WorkspaceCustomRole)
        and definition.organization_id != workspace.organization_id
    ):
        raise ValidationError("That role belongs to another organization.")


def workspace_role_grant_check(
    *, workspace: Workspace, acting_user, role: str = "", custom_role=None
) -> None:
    """Raise ValidationError unless `acting_user` may give this role on `workspace` (to someone else)."""
    _check_may_assign(
        workspace=workspace, acting_user=acting_user, definition=_role_definition(role, custom_role)
    )


@transaction.atomic
def workspace_role_assign(
    *,
    workspace: Workspace,
    acting_user,
    user=None,
    team: Team | None = None,
    role: str = "",
    custom_role: WorkspaceCustomRole | None = None,
) -> WorkspaceRoleAssignment:
    """Give a user or a team a role on a workspace, or change the role they hold there."""
    if (user is None) == (team is None):
        raise ValueError("Give exactly one of user or team.")
    definition = _role_definition(role, custom_role)
    _check_may_assign(
        workspace=workspace, acting_user=acting_user, definition=definition, user=user, team=team
    )
    if (
        user is not None
        and not Membership.objects.filter(organization=workspace.organization, user=user).exists()
    ):
        raise ValidationError("Only members of the organization can get a role on its workspaces.")
    if team is not None and team.organization_id != workspace.organization_id:
        raise ValidationError("That team belongs to another organization.")
    assignment = (
        WorkspaceRoleAssignment.objects.select_for_update(of=("self",))
        .filter(workspace=workspace, user=user, team=team)
        .select_related("custom_role")
        .first()
    )
    before = {"role": assignment.role_definition.label} if assignment else {}
    if assignment is None:
        assignment = WorkspaceRoleAssignment(workspace=workspace, user=user, team=team)
    elif not _may_grant(workspace, acting_user, assignment.role_definition):
        raise ValidationError("You cannot change the role of someone above you.")
    assignment.role = "" if custom_role else role
    assignment.custom_role = custom_role
    assignment.save()
    sync_workspace_permissions(workspace)
    others = WorkspaceRoleAssignment.objects.filter(workspace=workspace).exclude(user=workspace.created_by)
    if others.exists():
        onboarding_step_complete(workspace=workspace, key=onboarding.INVITE_TEAMMATE)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action="workspace_role.change" if before else "workspace_role.assign",
        target=workspace,
        before=before | ({"principal": str(user or team)} if before else {}),
        after={"principal": str(user or team), "role": definition.label},
    )
    return assignment


@transaction.atomic
def workspace_role_remove(*, assignment: WorkspaceRoleAssignment, acting_user) -> None:
    workspace = assignment.workspace
    definition = assignment.role_definition
    if assignment.user_id == acting_user.pk:
        raise ValidationError("You cannot remove your own role. Ask another admin.")
    if not _may_grant(workspace, acting_user, definition):
        raise ValidationError("You cannot remove someone whose role is above yours.")
    principal = str(assignment.principal)
    assignment.delete()
    sync_workspace_permissions(workspace)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action="workspace_role.remove",
        target=workspace,
        before={"principal": principal, "role": definition.label},
    )


# --- Custom workspace roles ------------------------------------------------------------------------


@transaction.atomic
def custom_role_create(
    *, organization: Organization, name: str, base_role: str, acting_user, description: str = ""
) -> WorkspaceCustomRole:
    if base_role not in WORKSPACE_ROLES:
        raise ValidationError({"base_role": "Choose a predefined role to start from."})
    name = name.strip()
    if name.lower() in {r.label.lower() for r in WORKSPACE_ROLES.values()}:
        raise ValidationError({"name": "That name belongs to a predefined role; choose another."})
    if WorkspaceCustomRole.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": "A role with this name already exists."})
    role = WorkspaceCustomRole.objects.create(
        organization=organization,
        name=name,
        description=description.strip(),
        base_role=base_role,
        cells=sorted(WORKSPACE_ROLES[base_role].matrix),
        created_by=acting_user,
    )
    audit_record(organization=organization, acting_user=acting_user, action="role.create", target=role,
                 after={"name": name, "base_role": base_role, "permissions": role.cells})  # fmt: skip
    return role


@transaction.atomic
def custom_role_set_cells(*, role: WorkspaceCustomRole, changes, acting_user) -> WorkspaceCustomRole:
    """Turn resource × action cells of a custom role on or off (`changes`: (resource, action, granted)
    triples), then resync every holder once; each changed cell is one audit event."""
    for resource, action, _ in changes:
        if resource not in RESOURCE_KEYS or action not in ACTION_KEYS:
            raise ValidationError("Unknown resource or action.")
    role = WorkspaceCustomRole.objects.select_for_update(of=("self",)).get(pk=role.pk)
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
        audit_record(organization=role.organization, acting_user=acting_user, action="role.update", target=role,
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
    holders = list(role.assignments.select_related("user", "team", "workspace")[:20])
    if holders:
        names = ", ".join(f"{a.principal} on {a.workspace.slug}" for a in holders)
        raise ValidationError(f"“{role.name}” is still assigned: {names}. Change their roles first.")
    audit_record(organization=role.organization, acting_user=acting_user, action="role.delete", target=role,
                 before={"name": role.name, "permissions": role.cells})  # fmt: skip
    role.delete()


# --- Lifecycle: deactivation -----------------------------------------------------------------------


def _provisioner_stop(workspace: Workspace) -> None:
    try:
        get_provisioner().stop(workspace)
    except Exception:  # the workspace stays deactivated; its server is stopped on the next attempt
        logger.exception("Stopping the server of workspace %s failed", workspace.slug)


@transaction.atomic
def workspace_deactivate(*, workspace: Workspace, acting_user) -> Workspace:
    """Deactivate a workspace: status and desired state become `deactivated`, its server is stopped
    after commit, and the change is audited. Deactivating a deactivated workspace changes nothing.

    Raises ValidationError for a deleted workspace.
    """
    from .models import DesiredState

    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status == WorkspaceStatus.DELETED:
        raise ValidationError(f"“{workspace.slug}” is deleted; it cannot be deactivated.")
    if (
        workspace.status == WorkspaceStatus.DEACTIVATED
        and workspace.desired_state == DesiredState.DEACTIVATED
    ):
        return workspace
    before = {"status": workspace.status, "desired_state": workspace.desired_state}
    who = getattr(acting_user, "email", "") or "an administrator"
    _set_status(
        workspace,
        WorkspaceStatus.DEACTIVATED,
        f"Deactivated by {who}",
        desired_state=DesiredState.DEACTIVATED,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action="workspace.deactivate",
        target=workspace,
        before=before,
        after={"status": WorkspaceStatus.DEACTIVATED, "desired_state": DesiredState.DEACTIVATED},
    )
    transaction.on_commit(lambda: _provisioner_stop(workspace))
    return workspace


def team_workspace_roles_check(*, team: Team, acting_user) -> None:
    """Changing who is in a team changes who holds its workspace roles: the acting user must be able to
    grant each of them, or a Manager could make themselves Admin of a workspace through a team."""
    for assignment in WorkspaceRoleAssignment.objects.filter(team=team).select_related(
        "workspace", "custom_role"
    ):
        if not _may_grant(assignment.workspace, acting_user, assignment.role_definition):
            raise ValidationError(
                f"Team {team.name} is {assignment.role_definition.label} of {assignment.workspace.slug}, "
                "a role above yours there: ask an admin of that workspace to change its members."
            )


@transaction.atomic
def workspace_reactivate(*, workspace: Workspace, acting_user) -> Workspace:
    """Bring a deactivated workspace back: it provisions again and becomes available."""
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status != WorkspaceStatus.DEACTIVATED:
        raise ValidationError("Only a deactivated workspace can be reactivated.")
    Workspace.objects.filter(pk=workspace.pk).update(desired_state=DesiredState.AVAILABLE)
    workspace.desired_state = DesiredState.AVAILABLE
    _set_status(
        workspace,
        WorkspaceStatus.PENDING,
        "Waiting for a worker to start the workspace",
        provisioning_started_at=None,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action="workspace.reactivate",
        target=workspace,
        before={"status": WorkspaceStatus.DEACTIVATED, "desired_state": DesiredState.DEACTIVATED},
        after={"status": WorkspaceStatus.PENDING, "desired_state": DesiredState.AVAILABLE},
    )
    _enqueue_provisioning(workspace)
    return workspace
