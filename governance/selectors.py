"""Reads that span an organization and its workspaces, always scoped to one organization."""

from django.db.models import Count, Prefetch, Q

from organizations.access import Access
from organizations.models import Dimension, DimensionValue, Organization, Team
from workspaces.models import (
    Workspace,
    WorkspaceCustomRole,
    WorkspaceLabel,
    WorkspaceRoleAssignment,
    WorkspaceStatus,
)
from workspaces.policies import with_policy_marks
from workspaces.roles import MANAGE_WORKSPACE_MEMBERS, WORKSPACE_ROLES


def team_workspace_roles(*, team: Team, access: Access) -> list:
    """The team's role assignments on live workspaces the viewer can see, by workspace ID."""
    assignments = list(
        WorkspaceRoleAssignment.objects.filter(team=team)
        .exclude(workspace__status=WorkspaceStatus.DELETED)
        .select_related("workspace", "custom_role")
        .prefetch_related(  # whether each is protected, for `can_see`, without a query per workspace
            Prefetch(
                "workspace__labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value")
            )
        )
        .order_by("workspace__slug")
    )
    access.prefetch([assignment.workspace for assignment in assignments])
    return [a for a in assignments if access.can_see(a.workspace)]


def invitation_workspace_options(*, organization: Organization, access: Access) -> list:
    """Live workspaces of the organization on which the acting user may give roles, by workspace ID."""
    workspaces = list(
        with_policy_marks(Workspace.objects.live().filter(organization=organization)).order_by("slug")
    )
    access.prefetch(workspaces)
    return [w for w in workspaces if access.can(f"workspaces.{MANAGE_WORKSPACE_MEMBERS}", w)]


def invitation_attach_workspace_grants(invitations) -> list:
    """Give each invitation `workspace_grants`: (workspace, role label) pairs, in one query for all."""
    invitations = list(invitations)
    ids = {grant.get("workspace") for invitation in invitations for grant in invitation.workspace_roles}
    organization_ids = {invitation.organization_id for invitation in invitations}
    live = Workspace.objects.live().filter(organization_id__in=organization_ids, pk__in=ids)
    workspaces = {str(w.pk): w for w in live} if ids else {}
    custom_ids = {
        str(grant["custom_role"])
        for invitation in invitations
        for grant in invitation.workspace_roles
        if str(grant.get("custom_role", "")).isdigit()
    }
    custom = (
        {str(role.pk): role.name for role in WorkspaceCustomRole.objects.filter(pk__in=custom_ids)}
        if custom_ids
        else {}
    )
    labels = {key: role.label for key, role in WORKSPACE_ROLES.items()}

    def label(grant) -> str | None:
        if grant.get("custom_role"):
            return custom.get(str(grant["custom_role"]))
        return labels.get(grant.get("role"))

    for invitation in invitations:
        invitation.workspace_grants = [
            (workspaces[grant["workspace"]], label(grant))
            for grant in invitation.workspace_roles
            if grant.get("workspace") in workspaces and label(grant)
        ]
    return invitations


def dimension_list_with_usage(*, organization: Organization) -> list:
    """The organization's dimensions in order, each with its values in order (prefetched, two queries in
    all), every value with `workspace_count`: the live workspaces holding it."""
    values = DimensionValue.objects.annotate(
        workspace_count=Count(
            "workspace_labels", filter=~Q(workspace_labels__workspace__status=WorkspaceStatus.DELETED)
        )
    ).order_by("position", "label")
    dimensions = list(
        Dimension.objects.filter(organization=organization)
        .order_by("position", "name")
        .prefetch_related(Prefetch("values", queryset=values))
    )
    for dimension in dimensions:
        dimension.workspace_count = sum(value.workspace_count for value in dimension.values.all())
    return dimensions


def dimension_value_usage(*, value) -> int:
    """How many live workspaces hold `value`."""
    return value.workspace_labels.exclude(workspace__status=WorkspaceStatus.DELETED).count()
