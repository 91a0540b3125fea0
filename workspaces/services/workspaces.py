"""Creating a workspace and editing what it says about itself."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import batched

from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError
from organizations.models import Dimension, DimensionValue, Membership, Organization, Team
from organizations.roles import CREATE_WORKSPACE
from organizations.services.limits import check_lengths

from .. import onboarding
from ..models import (
    Workspace,
    WorkspaceCustomRole,
    WorkspaceLabel,
    WorkspaceRoleAssignment,
    WorkspaceServerSecret,
    WorkspaceStatus,
)
from ..naming import check_follows_convention, enforced_convention
from ..permission_sync import sync_workspace_permissions, sync_workspace_permissions_bulk
from ..policies import review_schedule_refresh
from ..provisioners import get_provisioner
from ..provisioners.embedded import EmbeddedProvisioner, embedded_server, new_jwt_secret
from ..roles import CHANGE_WORKSPACE, WORKSPACE_ROLES, WorkspaceRoleKey
from ..selectors import workspace_id_check, workspace_id_rules_check, workspace_ids_taken
from .lifecycle import READY_REASON, enqueue_provisioning
from .onboarding import onboarding_step_complete
from .role_assignments import check_may_assign


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


def _check_lengths(*, display_name: str, description: str, readme: str = "") -> None:
    if not display_name:
        raise InvalidError("Enter a name for the workspace.", field="display_name")
    check_lengths(Workspace, display_name=display_name, description=description, readme=readme)


def _required_dimensions_missing(*, organization: Organization, label_values) -> list[Dimension]:
    """The organization's required dimensions (those with values to choose from) that `label_values`
    give no value of."""
    given = {value.dimension_id for value in label_values}
    required = Dimension.objects.filter(organization=organization, required=True, values__isnull=False)
    return [dimension for dimension in required.distinct() if dimension.pk not in given]


def _check_required_labels(*, organization: Organization, label_values) -> None:
    missing = _required_dimensions_missing(organization=organization, label_values=label_values)
    if missing:
        names = ", ".join(dimension.name for dimension in missing)
        raise InvalidError(
            f"Choose a value of {names}: {organization.name} requires one on every workspace.",
            field=f"label_{missing[0].key}",
        )


def _check_grants(*, organization: Organization, grants, label_values) -> None:
    """Everything named in the stepper belongs to this organization (a tampered form gets not_found)."""
    for value in label_values:
        if value.dimension.organization_id != organization.pk:
            raise NotFoundError("A label belongs to another organization.")
    member_ids = set(
        Membership.objects.filter(
            organization=organization, user__in=[g.user for g in grants if g.user]
        ).values_list("user_id", flat=True)
    )
    principals, dimensions = set(), set()
    for value in label_values:
        if value.dimension_id in dimensions:
            raise InvalidError(f"Choose one value of {value.dimension.name}, not several.")
        dimensions.add(value.dimension_id)
    for grant in grants:
        if (grant.user is None) == (grant.team is None):
            raise InvalidError("Each role goes to one person or one team.")
        principal = ("team", grant.team.pk) if grant.team else ("user", grant.user.pk)
        if principal in principals:
            raise InvalidError(f"{grant.team or grant.user} is given a role twice; keep one.")
        principals.add(principal)
        if grant.user is not None and grant.user.pk not in member_ids:
            raise InvalidError(f"{grant.user.email} is not a member of {organization.name}.")
        if grant.team is not None and grant.team.organization_id != organization.pk:
            raise NotFoundError(f"Team {grant.team.name} belongs to another organization.")
        if grant.custom_role is not None:
            if grant.custom_role.organization_id != organization.pk:
                raise NotFoundError("That role belongs to another organization.")
        elif grant.role not in WORKSPACE_ROLES:
            raise InvalidError("Choose one of the workspace roles.")


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

    Needs `create_workspace`. The grants go through the one grant rule, as the creator (now Admin).
    Raises ConflictError (field "slug") when the ID is taken, including when a concurrent request took
    it a moment earlier, and InvalidError when it is invalid, reserved, or breaks the organization's
    naming convention while that is enforced (the message says how and suggests an ID).
    """
    access = Access.for_user(acting_user, organization)
    access.require(f"organizations.{CREATE_WORKSPACE}")
    slug = slug.strip().lower()
    display_name, description = display_name.strip(), description.strip()
    check = workspace_id_check(slug)
    if check.state == "taken":
        raise ConflictError(check.message, field="slug")
    if not check.ok:
        raise InvalidError(check.message, field="slug")
    _check_lengths(display_name=display_name, description=description)
    _check_grants(organization=organization, grants=grants, label_values=label_values)
    _check_required_labels(organization=organization, label_values=label_values)
    enforced = enforced_convention(organization)
    if enforced is not None:
        check_follows_convention(
            convention=enforced[0], keys_by_dimension_id=enforced[1], slug=slug, label_values=label_values
        )
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert of the same ID fails only here
            workspace = Workspace(
                organization=organization,
                slug=slug,
                display_name=display_name,
                description=description,
                status=WorkspaceStatus.PENDING,
                status_reason="Waiting for a worker to start provisioning",
                status_changed_at=timezone.now(),
                created_by=acting_user,
            )
            workspace.full_clean(validate_unique=False, validate_constraints=False)
            workspace.save()
    except IntegrityError as error:
        raise ConflictError(
            f"“{slug}” is already taken. IDs are unique across Atrium and never reused.", field="slug"
        ) from error

    WorkspaceLabel.objects.bulk_create(
        WorkspaceLabel(workspace=workspace, dimension_id=value.dimension_id, value=value)
        for value in label_values
    )
    review_schedule_refresh([workspace])
    WorkspaceRoleAssignment.objects.create(workspace=workspace, user=acting_user, role=WorkspaceRoleKey.ADMIN)
    sync_workspace_permissions(workspace)
    others = [g for g in grants if g.user != acting_user]
    access = Access.for_user(acting_user, organization)  # now the workspace's Admin
    for grant in others:
        check_may_assign(
            access=access, workspace=workspace, definition=grant.definition, user=grant.user, team=grant.team
        )
    WorkspaceRoleAssignment.objects.bulk_create(
        WorkspaceRoleAssignment(
            workspace=workspace,
            user=g.user,
            team=g.team,
            role="" if g.custom_role else g.role,
            custom_role=g.custom_role,
        )
        for g in others
    )
    if others:
        sync_workspace_permissions(workspace)
        onboarding_step_complete(workspace=workspace, key=onboarding.INVITE_TEAMMATE)
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_CREATE,
        target=workspace,
        after={
            "workspace_id": slug,
            "name": workspace.display_name,
            "labels": {value.dimension.key: value.value for value in label_values},
            "roles": [
                {
                    "team" if g.team else "user": (g.team or g.user).pk,
                    "name": str(g.team or g.user),
                    "role": g.definition.label,
                }  # fmt: skip
                for g in [RoleGrant(role=WorkspaceRoleKey.ADMIN, user=acting_user), *others]
            ],
        },
    )
    enqueue_provisioning(workspace)
    return workspace


@dataclass(frozen=True)
class WorkspaceSpec:
    """One workspace for `workspace_create_bulk`: what a person would enter in the stepper, minus grants."""

    slug: str
    display_name: str
    description: str = ""
    label_values: tuple[DimensionValue, ...] = ()


BULK_BATCH_SIZE = 1000


def _check_bulk_specs(*, organization: Organization, specs) -> list[WorkspaceSpec]:
    """The specs with their text trimmed and their ID lowercased, once every one passes the checks of
    `workspace_create` (two queries per thousand IDs and one for the labels, none per workspace)."""
    cleaned, seen = [], set()
    for spec in specs:
        slug = spec.slug.strip().lower()
        check = workspace_id_rules_check(slug)
        if not check.ok:
            named = check.message if check.state == "reserved" else f"“{slug}”: {check.message}"
            raise InvalidError(named, field="slug")
        if slug in seen:
            raise InvalidError(f"“{slug}” is given twice. Every workspace needs its own ID.", field="slug")
        seen.add(slug)
        spec = replace(
            spec,
            slug=slug,
            display_name=spec.display_name.strip(),
            description=spec.description.strip(),
            label_values=tuple(spec.label_values),
        )
        _check_lengths(display_name=spec.display_name, description=spec.description)
        dimensions = [value.dimension_id for value in spec.label_values]
        if len(set(dimensions)) != len(dimensions):
            raise InvalidError(
                f"“{slug}” has two labels of one dimension; a workspace has one value of each."
            )
        cleaned.append(spec)
    taken = sorted(workspace_ids_taken(seen))
    if taken:
        listed = ", ".join(f"“{slug}”" for slug in taken[:5])
        if len(taken) > 5:
            listed += f" and {len(taken) - 5:,} more"
        raise ConflictError(
            f"Already taken: {listed}. IDs are unique across Atrium and never reused.", field="slug"
        )
    value_ids = {value.pk for spec in cleaned for value in spec.label_values}
    ours = DimensionValue.objects.filter(pk__in=value_ids, dimension__organization=organization)
    if ours.count() != len(value_ids):
        raise NotFoundError("A label belongs to another organization.")
    required = set(
        Dimension.objects.filter(organization=organization, required=True, values__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    for spec in cleaned:
        if required - {value.dimension_id for value in spec.label_values}:
            raise InvalidError(f"“{spec.slug}” lacks a value of a dimension {organization.name} requires.")
    enforced = enforced_convention(organization)
    if enforced is not None:
        for spec in cleaned:
            check_follows_convention(
                convention=enforced[0], keys_by_dimension_id=enforced[1], slug=spec.slug,
                label_values=spec.label_values,
            )  # fmt: skip
    return cleaned


@transaction.atomic
def workspace_create_bulk(*, organization: Organization, specs: Sequence[WorkspaceSpec], acting_user) -> int:
    """Create many workspaces at once, each labelled and with its creator as Admin; returns how many.

    For seeding and benchmarks (tens of thousands of workspaces): rows are inserted `BULK_BATCH_SIZE`
    workspaces at a time, guardian rows come from `sync_workspace_permissions_bulk`, and the whole
    batch is ONE audit event (`workspace.bulk_create`) instead of one per workspace.

    The workspaces start `available`, with their credentials, without a round of provisioning: an
    embedded workspace has no server to start, so this writes at once the state that
    `EmbeddedProvisioner.start` leaves (a round per workspace would be a task, ten queries and an audit
    event each). That only holds for the embedded provisioner, so with another one configured this
    refuses with ConflictError.

    Needs `create_workspace`. Checks everything before writing anything: InvalidError for an invalid,
    reserved or repeated ID, an ID off the enforced naming convention, or a text too long,
    ConflictError (field "slug") for an ID that is taken or retired, also when a concurrent request
    took it meanwhile, NotFoundError for a label of another organization.
    """
    Access.for_user(acting_user, organization).require(f"organizations.{CREATE_WORKSPACE}")
    if not isinstance(get_provisioner(), EmbeddedProvisioner):
        raise ConflictError("Workspaces can be created in bulk only when they run on the embedded server.")
    specs = _check_bulk_specs(organization=organization, specs=specs)
    if not specs:
        return 0
    now = timezone.now()
    for batch in batched(specs, BULK_BATCH_SIZE):
        workspaces = []
        for spec in batch:
            workspace = Workspace(
                organization=organization,
                slug=spec.slug,
                display_name=spec.display_name,
                description=spec.description,
                # Already where EmbeddedProvisioner.start would bring it (see the docstring).
                status=WorkspaceStatus.AVAILABLE,
                status_reason=READY_REASON,
                status_changed_at=now,
                created_by=acting_user,
            )
            server = embedded_server(workspace)
            workspace.server_url, workspace.server_version = server.url, server.version
            workspaces.append(workspace)
        try:
            with transaction.atomic():  # a savepoint: a concurrent insert of one of the IDs fails only here
                Workspace.objects.bulk_create(workspaces)
        except IntegrityError as error:
            raise ConflictError(
                "One of the IDs was taken meanwhile. IDs are unique across Atrium and never reused.",
                field="slug",
            ) from error
        WorkspaceLabel.objects.bulk_create(
            WorkspaceLabel(workspace=workspace, dimension_id=value.dimension_id, value=value)
            for workspace, spec in zip(workspaces, batch, strict=True)
            for value in spec.label_values
        )
        WorkspaceRoleAssignment.objects.bulk_create(
            WorkspaceRoleAssignment(workspace=workspace, user=acting_user, role=WorkspaceRoleKey.ADMIN)
            for workspace in workspaces
        )
        sync_workspace_permissions_bulk(workspaces, batch_size=BULK_BATCH_SIZE)
        review_schedule_refresh(workspaces)
        WorkspaceServerSecret.objects.bulk_create(
            WorkspaceServerSecret(workspace=workspace, jwt_secret=new_jwt_secret())
            for workspace in workspaces
        )
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_BULK_CREATE,
        target=organization,
        after={
            "count": len(specs),
            "first": specs[0].slug,
            "last": specs[-1].slug,
            "status": WorkspaceStatus.AVAILABLE,
        },
    )
    return len(specs)


@transaction.atomic
def workspace_update(
    *, workspace: Workspace, display_name: str, description: str, readme: str, acting_user
) -> Workspace:
    """Edit what a workspace says about itself. The ID is not among the editable fields, ever."""
    Access.for_user(acting_user, workspace.organization).require(f"workspaces.{CHANGE_WORKSPACE}", workspace)
    display_name, description, readme = display_name.strip(), description.strip(), readme.strip()
    _check_lengths(display_name=display_name, description=description, readme=readme)
    before = {
        "name": workspace.display_name,
        "description": workspace.description,
        "readme": workspace.readme,
    }
    workspace.display_name, workspace.description, workspace.readme = display_name, description, readme
    # The ID is validated once, at creation: a word reserved later must not block editing old workspaces.
    workspace.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    workspace.save(update_fields=["display_name", "description", "readme", "updated_at"])
    after = {"name": workspace.display_name, "description": workspace.description, "readme": workspace.readme}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            organization=workspace.organization,
            acting_user=acting_user,
            action=AuditAction.WORKSPACE_UPDATE,
            target=workspace,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    if workspace.readme:
        onboarding_step_complete(workspace=workspace, key=onboarding.DOCUMENT_WORKSPACE)
    return workspace


@transaction.atomic
def workspace_labels_update(
    *, workspace: Workspace, label_values: Sequence[DimensionValue], acting_user
) -> Workspace:
    """Give a workspace exactly `label_values` (at most one per dimension; a dimension left out loses
    its value, unless it is required). Needs `change_workspace`; audited with the labels before and
    after, by dimension key, when anything changed."""
    organization = workspace.organization
    Access.for_user(acting_user, organization).require(f"workspaces.{CHANGE_WORKSPACE}", workspace)
    label_values = list(label_values)
    _check_grants(organization=organization, grants=(), label_values=label_values)
    _check_required_labels(organization=organization, label_values=label_values)
    current = {label.dimension_id: label for label in workspace.labels.select_related("dimension", "value")}
    wanted = {value.dimension_id: value for value in label_values}
    before, after = {}, {}
    for dimension_id, label in current.items():
        if dimension_id not in wanted:
            before[label.dimension.key], after[label.dimension.key] = label.value.value, None
            label.delete()
    for dimension_id, value in wanted.items():
        label = current.get(dimension_id)
        if label is None:
            before[value.dimension.key], after[value.dimension.key] = None, value.value
            WorkspaceLabel.objects.create(workspace=workspace, dimension_id=dimension_id, value=value)
        elif label.value_id != value.pk:
            before[value.dimension.key], after[value.dimension.key] = label.value.value, value.value
            label.value = value
            label.save(update_fields=["value"])
    if after:
        audit_record(organization=organization, acting_user=acting_user,
                     action=AuditAction.WORKSPACE_LABELS_UPDATE, target=workspace, before=before, after=after)  # fmt: skip
        review_schedule_refresh([workspace])  # the labels' review cadences may have changed
        workspace.__dict__.pop("policy", None)
    return workspace
