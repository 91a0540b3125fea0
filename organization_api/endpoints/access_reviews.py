"""/api/v1/organizations/{org}/access-reviews and /api/v1/workspaces/{id}/access-review: which workspaces'
access reviews are due, a workspace's review as its page shows it, and completing one; and
/api/v1/organizations/{org}/dimensions/{key}/values/{value}: a value's policy, which sets the cadence.

Completing a review and changing a policy are the pages' services (`access_review_complete`,
`dimension_value_policy_update`), which decide who may; reads ask the same checks the pages ask."""

from functools import partial

from django.utils import timezone
from ninja import Field, Query, Router, Status

from governance.services import dimension_value_policy_update
from organizations.errors import NotFoundError
from organizations.models import DimensionValue
from workspaces.access_reviews import access_review_list, access_review_rows
from workspaces.policies import workspace_review_cadence
from workspaces.roles import MANAGE_WORKSPACE_MEMBERS
from workspaces.services.access_reviews import access_review_complete, check_may_review

from ..representations import (
    access_review_due_json,
    access_review_row_json,
    access_review_summary_json,
    dimension_value_json,
)
from ..schemas import (
    AccessReviewCompleteIn,
    AccessReviewDuePage,
    AccessReviewOut,
    AccessReviewSummaryOut,
    DimensionValuePolicyIn,
    DimensionValuePolicyOut,
    PageQuery,
)
from ..selectors import access_reviews_due
from .common import ERRORS, WRITE_ERRORS, offset_page, organization_access, workspace_for

router = Router(tags=["access reviews and policies"])
# Who may open a workspace's review at all (as its page); `check_may_review` then decides.
REVIEW_PERMISSION = f"workspaces.{MANAGE_WORKSPACE_MEMBERS}"
RECENT_REVIEWS = 20  # as many past reviews as the page shows


class AccessReviewQuery(PageQuery):
    status: str = Field(
        "all",
        pattern="^(due|overdue|all)$",
        description="overdue: the due date has passed; due: due within 30 days, not yet overdue; all.",
    )


@router.get(
    "/organizations/{org}/access-reviews",
    response={200: AccessReviewDuePage, **ERRORS},
    summary="List the access reviews due",
)
def access_review_due_list(request, org: str, query: Query[AccessReviewQuery]):
    """The workspaces whose access the caller reviews (their Admins, and organization Admins: the same
    workspaces the organization home lists under "Access reviews overdue"), soonest due first, each
    with its due date and last review. Others get an empty list: they review nothing."""
    access = organization_access(request, org)
    now = timezone.now()
    rows = access_reviews_due(access=access, status=query.status, now=now)
    to_json = partial(access_review_due_json, now=now)
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=to_json)


def _reviewable(request, workspace_id: str):
    workspace, _ = workspace_for(request, workspace_id, permission=REVIEW_PERMISSION)
    check_may_review(workspace=workspace, acting_user=request.auth)
    return workspace


def _review_json(workspace, reviewer) -> dict:
    return {
        "workspace": workspace.slug,
        "due_at": workspace.access_review_due_at,
        "cadence_days": workspace_review_cadence(workspace),
        "rows": [access_review_row_json(row) for row in access_review_rows(workspace, reviewer=reviewer)],
        "reviews": [
            access_review_summary_json(review) for review in access_review_list(workspace)[:RECENT_REVIEWS]
        ],
    }


@router.get(
    "/workspaces/{workspace_id}/access-review",
    response={200: AccessReviewOut, **ERRORS},
    summary="Read a workspace's access review",
)
def access_review_get(request, workspace_id: str):
    """Who holds access to the workspace, as its access-review page lists it (direct holders, then the
    organization's Owners and Admins, which are reviewed on the Members page), its cadence and due date,
    and its last reviews. For the workspace's Admins and organization Admins."""
    workspace = _reviewable(request, workspace_id)
    return _review_json(workspace, request.auth)


@router.post(
    "/workspaces/{workspace_id}/access-review",
    response={201: AccessReviewSummaryOut, **WRITE_ERRORS},
    summary="Complete a workspace's access review",
)
def access_review_post(request, workspace_id: str, payload: AccessReviewCompleteIn):
    """Complete the workspace's access review: keep or remove each decidable role assignment (with an
    optional reason each), as the page's form does. The roles marked `remove` are taken away, the
    evidence is recorded and the next due date set, in one transaction. 409 `conflict` when who holds
    access changed since `rows` were read; 403 for a decision on the caller's own access."""
    workspace = _reviewable(request, workspace_id)
    decisions = {d.assignment: (d.decision, d.reason) for d in payload.decisions}
    review = access_review_complete(workspace=workspace, decisions=decisions, acting_user=request.auth)
    return Status(201, access_review_summary_json(review))


@router.patch(
    "/organizations/{org}/dimensions/{key}/values/{value}",
    response={200: DimensionValuePolicyOut, **WRITE_ERRORS},
    summary="Change a dimension value's policy",
)
def dimension_value_policy_patch(request, org: str, key: str, value: str, payload: DimensionValuePolicyIn):
    """Change a value's policy: `protected`, `review_cadence_days`, `grantable_roles` (the fields sent;
    the others stay). It applies at once to every workspace holding the value (their review due dates
    move). Needs `manage_policies`, as the dimensions page; audited with what changed."""
    access = organization_access(request, org)
    found = (
        DimensionValue.objects.select_related("dimension__organization")
        .filter(dimension__organization=access.organization, dimension__key=key, value=value)
        .first()
    )
    if found is None:
        raise NotFoundError("No such dimension value.")
    sent = payload.model_dump(exclude_unset=True)
    updated = dimension_value_policy_update(
        value=found,
        protected=found.protected if sent.get("protected") is None else sent["protected"],
        review_cadence_days=sent.get("review_cadence_days", found.review_cadence_days),
        grantable_roles=found.grantable_roles
        if sent.get("grantable_roles") is None
        else sent["grantable_roles"],
        acting_user=request.auth,
    )
    return dimension_value_json(updated)
