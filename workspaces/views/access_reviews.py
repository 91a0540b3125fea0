"""A workspace's access review (/w/<id>/settings/access-review/): who holds a role, keep or remove each,
complete the review; its cadence; and the evidence of past reviews as CSV and JSON.

The page is for the workspace's Admins and organization Admins (`Access.may_review_access`); the
services check it again, refuse decisions on the reviewer's own access, and write everything.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from organizations.errors import REFUSALS_SHOWN_IN_PLACE, PermissionDeniedError, refusal_message

from .. import services
from ..access_reviews import (
    DECISIONS,
    KEEP,
    access_review_list,
    access_review_rows,
    evidence_csv,
    evidence_json,
)
from ..policies import workspace_review_cadence
from ..roles import MANAGE_WORKSPACE_MEMBERS
from ..scoping import workspace_view

TEMPLATE = "workspaces/access_review.html"
# Who may open the page at all; `may_review_access` (its Admins) then decides.
REVIEW_PERMISSION = f"workspaces.{MANAGE_WORKSPACE_MEMBERS}"


def _check_reviewer(request) -> None:
    if not request.access.may_review_access(request.workspace):
        raise PermissionDeniedError("Only the workspace's Admins and organization Admins review its access.")


def _context(request, *, posted=None, error: str = "") -> dict:
    workspace = request.workspace
    rows = access_review_rows(workspace, reviewer=request.user)
    for row in rows:
        if row.assignment is not None:
            name = f"decision-{row.assignment.pk}"
            row.field_name, row.reason_name = name, f"reason-{row.assignment.pk}"
            row.decision = (posted or {}).get(name, KEEP)
            row.reason = (posted or {}).get(row.reason_name, "")
    return {
        "workspace": workspace,
        "organization": workspace.organization,
        "labels": list(workspace.labels.select_related("dimension", "value")),
        "tab": "members",
        "rows": rows,
        "decidable_count": sum(1 for row in rows if row.decidable),
        "decisions": DECISIONS,
        "cadence_days": workspace_review_cadence(workspace),
        "policy": workspace.policy,
        "reviews": access_review_list(workspace)[:20],
        "error": error,
    }


@workspace_view(permission=REVIEW_PERMISSION)
def access_review(request):
    """The review page (GET), and completing the review (POST)."""
    _check_reviewer(request)
    if request.method != "POST":
        return render(request, TEMPLATE, _context(request))
    decisions = {}
    for key, value in request.POST.items():
        if key.startswith("decision-") and key.removeprefix("decision-").isdigit():
            pk = int(key.removeprefix("decision-"))
            decisions[pk] = (value, request.POST.get(f"reason-{pk}", ""))
    try:
        review = services.access_review_complete(
            workspace=request.workspace, decisions=decisions, acting_user=request.user
        )
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        context = _context(request, posted=request.POST, error=refusal_message(refusal))
        return render(request, TEMPLATE, context, status=400)
    messages.success(
        request,
        f"Access review completed: {review.kept} kept, {review.removed} removed. "
        f"Next review due {review.next_due_at:%d %b %Y}.",
    )
    return redirect("workspaces:access_review", workspace_slug=request.workspace.slug)


@require_POST
@workspace_view(permission=REVIEW_PERMISSION)
def access_review_cadence(request):
    """Set the workspace's own review cadence (empty: its labels' or the organization's)."""
    _check_reviewer(request)
    raw = request.POST.get("days", "").strip()
    try:
        days = int(raw) if raw else None
        services.workspace_review_cadence_set(
            workspace=request.workspace, days=days, acting_user=request.user
        )
    except ValueError:
        messages.error(request, "Enter a number of days, or leave it empty.")
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, "Review cadence saved.")
    return redirect("workspaces:access_review", workspace_slug=request.workspace.slug)


@workspace_view(permission=REVIEW_PERMISSION)
def access_review_evidence(request, review_id: int, fmt: str):
    """A completed review's evidence, as a CSV or JSON download."""
    _check_reviewer(request)
    review = access_review_list(request.workspace).select_related("workspace__organization")
    review = review.filter(pk=review_id).first()
    if review is None or fmt not in {"csv", "json"}:
        raise Http404("No such access review.")
    body, content_type = (
        (evidence_csv(review), "text/csv; charset=utf-8")
        if fmt == "csv"
        else (evidence_json(review), "application/json")
    )
    response = HttpResponse(body, content_type=content_type)
    filename = f"access-review-{request.workspace.slug}-{review.completed_at:%Y-%m-%d}-{review.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
