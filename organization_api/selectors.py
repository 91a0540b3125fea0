"""Reads for the organization API that go beyond the apps' own selectors: the API's filters over the
workspaces a person may see (the seeing itself is `workspaces.selectors.workspace_list_for_user`'s)."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from governance.attention import administered
from organizations.access import VIEW_WORKSPACE_PERMISSION, Access
from organizations.errors import InvalidError
from organizations.models import DimensionValue, Membership, Organization
from workspaces.models import Workspace, WorkspaceLabel
from workspaces.policies import review_overdue_q
from workspaces.selectors import workspace_list_for_user

from .models import PersonalAccessToken

# A review is "due" this long before its due date, so reviewers can plan before it is overdue.
REVIEW_DUE_SOON = timedelta(days=30)


def personal_access_token_list(*, user) -> QuerySet[PersonalAccessToken]:
    """The user's tokens, newest first (revoked and expired ones too: they explain failing scripts)."""
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-pk")


def workspace_list_filtered(
    *,
    access: Access,
    search: str = "",
    name: str = "",
    status: str = "",
    labels: list[tuple[str, str]] = (),
    member_only: bool = False,
) -> QuerySet[Workspace]:
    """The workspaces of `access.organization` its user may see, narrowed by the API's filters:
    `search` (the organization home's search, the same selector), `name` (in the name or the ID), `status`, `labels` ((dimension key, value key) pairs, all of which
    must hold) and `member_only` (only where the user, or a team of theirs, holds a role, even when
    their organization role shows them every workspace)."""
    workspaces = workspace_list_for_user(organization=access.organization, access=access, search=search)
    if name:
        workspaces = workspaces.filter(Q(display_name__icontains=name) | Q(slug__icontains=name.lower()))
    if status:
        workspaces = workspaces.filter(status=status)
    for dimension, value in labels:
        holding = WorkspaceLabel.objects.filter(
            dimension__organization=access.organization, dimension__key=dimension, value__value=value
        ).values("workspace_id")
        workspaces = workspaces.filter(pk__in=holding)
    if member_only:
        workspaces = get_objects_for_user(
            access.user,
            VIEW_WORKSPACE_PERMISSION,
            klass=workspaces,
            accept_global_perms=False,
            with_superuser=False,
            use_groups=False,
        )
    return workspaces


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    """The user's memberships with their organizations, by organization name (not the deactivated
    ones: those organizations are closed to them)."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )


def dimension_values_for_labels(
    *, organization: Organization, labels: dict[str, str]
) -> list[DimensionValue]:
    """The organization's values named by `labels` (dimension key → value key), in one query.

    Raises InvalidError naming the field (`labels.<dimension>`) for a dimension or value the
    organization does not have."""
    if not labels:
        return []
    wanted = Q()
    for dimension, value in labels.items():
        wanted |= Q(dimension__key=dimension, value=value)
    found = {
        (v.dimension.key, v.value): v
        for v in DimensionValue.objects.filter(wanted, dimension__organization=organization).select_related(
            "dimension"
        )
    }
    values = []
    for dimension, value in labels.items():
        if (dimension, value) not in found:
            raise InvalidError(
                f"{organization.name} has no label “{dimension}:{value}”.", field=f"labels.{dimension}"
            )
        values.append(found[(dimension, value)])
    return values


def access_reviews_due(*, access: Access, status: str, now: datetime) -> QuerySet[Workspace]:
    """The workspaces of `access.organization` whose access its user reviews (those they may see and
    administer: the organization home's "Access reviews overdue" rule, `governance.attention`), soonest
    due first. `status`: "overdue" (the due date has passed), "due" (due within `REVIEW_DUE_SOON`, not yet
    overdue) or "all"."""
    visible = workspace_list_for_user(organization=access.organization, access=access).prefetch_related(None)
    workspaces = administered(visible, access)
    if status == "overdue":
        workspaces = workspaces.filter(review_overdue_q(now))
    elif status == "due":
        workspaces = workspaces.filter(
            access_review_due_at__gt=now, access_review_due_at__lte=now + REVIEW_DUE_SOON
        )
    return workspaces.order_by("access_review_due_at", "slug")
