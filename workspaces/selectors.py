"""Reads of workspaces, always scoped to one organization first."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from organizations.access import Access
from organizations.models import Membership, Organization

from .identifiers import RESERVED_WORKSPACE_IDS, workspace_id_errors
from .models import OnboardingStep, RetiredWorkspaceId, Workspace, WorkspaceLabel
from .onboarding import Checklist, checklist_for


def workspace_list_for_user(
    *, organization: Organization, access: Access, search: str = ""
) -> QuerySet[Workspace]:
    """The workspaces of `organization` that the user may see in its list, newest first.

    Filters by organization first, then by object permission (never a global one), so nothing of
    another organization can appear whatever permissions the user holds elsewhere.
    """
    workspaces = Workspace.objects.live().filter(organization=organization)
    if not access.can_list_all_workspaces():
        workspaces = get_objects_for_user(
            access.user,
            "workspaces.view_workspace",
            klass=workspaces,
            accept_global_perms=False,
            with_superuser=False,
            use_groups=False,
        )
    if search:
        workspaces = workspaces.filter(
            Q(display_name__icontains=search)
            | Q(slug__icontains=search.lower())
            | Q(description__icontains=search)
        )
    return workspaces.prefetch_related(
        Prefetch("labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value"))
    ).order_by("-created_at", "slug")


def workspace_get_by_slug(slug: str) -> Workspace | None:
    return Workspace.objects.live().select_related("organization").filter(slug=slug.lower()).first()


@dataclass(frozen=True)
class IdCheck:
    state: str  # "available", "taken", "invalid" or "reserved"
    message: str

    @property
    def ok(self) -> bool:
        return self.state == "available"


def workspace_id_check(slug: str) -> IdCheck:
    """What the live check says of a candidate workspace ID."""
    errors = workspace_id_errors(slug)
    if errors:
        return IdCheck("invalid", " ".join(errors))
    if slug in RESERVED_WORKSPACE_IDS:
        return IdCheck("reserved", f"“{slug}” is a reserved word. Choose another ID.")
    if (
        Workspace.objects.filter(slug__iexact=slug).exists()
        or RetiredWorkspaceId.objects.filter(slug=slug).exists()
    ):
        return IdCheck("taken", f"“{slug}” is already taken. IDs are unique across Atrium and never reused.")
    return IdCheck("available", f"“{slug}” is available.")


def workspace_checklist(workspace: Workspace) -> Checklist:
    done = set(OnboardingStep.objects.filter(workspace=workspace).values_list("key", flat=True))
    return checklist_for(workspace, done)


def organization_members_for_grants(*, organization: Organization, exclude_user=None) -> QuerySet[Membership]:
    members = Membership.objects.filter(organization=organization).select_related("user")
    if exclude_user is not None:
        members = members.exclude(user=exclude_user)
    return members.order_by("user__email")
