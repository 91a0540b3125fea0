"""Access reviews (issue 8, item 5): the review page, completing a review, its evidence, reminders of
overdue reviews, and roles given until a date."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from organizations.errors import ConflictError, PermissionDeniedError, TargetDeniedError
from organizations.models import AuditEvent
from workspaces.access_reviews import KEEP, REMOVE, access_review_rows
from workspaces.models import AccessReview, Workspace, WorkspaceRoleAssignment
from workspaces.services import access_review_complete, workspace_role_assign

pytestmark = pytest.mark.django_db


def decidable(workspace, reviewer) -> dict[str, int]:
    """{name: assignment pk} of the rows `reviewer` may decide."""
    return {
        row.name: row.assignment.pk
        for row in access_review_rows(workspace, reviewer=reviewer)
        if row.decidable
    }


def keep_all(workspace, reviewer, **overrides) -> dict:
    decisions = {pk: (KEEP, "") for pk in decidable(workspace, reviewer).values()}
    return decisions | overrides


def overdue(workspace, days=3) -> Workspace:
    Workspace.objects.filter(pk=workspace.pk).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=days)
    )
    return Workspace.objects.get(pk=workspace.pk)


def test_the_review_page_lists_every_holder_with_grant_and_activity(persona_world, client):
    w = persona_world
    client.force_login(w.users["ws_admin"])
    response = client.get(reverse("workspaces:access_review", args=["matrix-ws"]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("ws-viewer@example.com", "Developers", "by Olivia Owner", "Organization Owner"):
        assert text in page, text
    assert "Your own access: another Admin decides on it." in page
    rows = {
        row.email or row.name: row for row in access_review_rows(w.workspace, reviewer=w.users["ws_admin"])
    }
    assert rows["ws-admin@example.com"].is_own and not rows["ws-admin@example.com"].decidable
    assert (
        rows["target@example.com"].role == "Viewer"
        and rows["target@example.com"].granted_by == "Olivia Owner"  # by name, not e-mail
    )
    assert rows["Developers"].principal_type == "team" and rows["Developers"].decidable
    assert rows["owner@example.com"].source == "organization role" and not rows["owner@example.com"].decidable
    # Last activity: their last audited action in the organization.
    assert rows["owner@example.com"].last_activity is not None


def test_only_admins_review(persona_world, client):
    w = persona_world
    for persona in ("ws_developer", "org_manager"):
        with pytest.raises(PermissionDeniedError):
            access_review_complete(workspace=w.workspace, decisions={}, acting_user=w.users[persona])
    client.force_login(w.users["ws_developer"])
    assert client.get(reverse("workspaces:access_review", args=["matrix-ws"])).status_code == 403


def test_completing_a_review_removes_keeps_records_and_sets_the_next_due_date(persona_world, mailoutbox):
    w = persona_world
    reviewer = w.users["ws_admin"]
    workspace = overdue(w.workspace)
    target = decidable(workspace, reviewer)["target@example.com"]
    decisions = keep_all(workspace, reviewer) | {target: (REMOVE, "Left the project")}
    review = access_review_complete(workspace=workspace, decisions=decisions, acting_user=reviewer)

    assert not WorkspaceRoleAssignment.objects.filter(pk=target).exists()
    assert review.removed == 1 and review.kept == len(decisions) - 1
    fresh = Workspace.objects.get(pk=workspace.pk)
    assert not fresh.review_overdue
    assert fresh.access_reviewed_at == review.completed_at
    assert fresh.access_review_due_at == review.completed_at + datetime.timedelta(days=90)
    assert review.next_due_at == fresh.access_review_due_at
    removal = AuditEvent.objects.get(action="workspace_role.remove", principal_label="target@example.com")
    assert removal.after == {"reason": "Left the project"} and removal.actor == reviewer
    completed = AuditEvent.objects.get(action="access_review.complete")
    assert completed.after["removed"] == 1 and completed.actor == reviewer
    entries = {e["email"] or e["name"]: e for e in review.evidence}
    assert entries["target@example.com"]["decision"] == "remove"
    assert entries["target@example.com"]["reason"] == "Left the project"
    assert entries["ws-admin@example.com"]["decision"].startswith("not reviewed: the reviewer's own")


def test_nobody_reviews_their_own_access_not_even_through_a_team(persona_world):
    w = persona_world
    reviewer = w.users["ws_admin"]
    own = WorkspaceRoleAssignment.objects.get(workspace=w.workspace, user=reviewer)
    with pytest.raises(TargetDeniedError, match="your own access"):
        access_review_complete(
            workspace=w.workspace,
            decisions=keep_all(w.workspace, reviewer) | {own.pk: (REMOVE, "")},
            acting_user=reviewer,
        )
    developers = WorkspaceRoleAssignment.objects.get(workspace=w.workspace, team__name="Developers")
    team_member = w.users["team_developer"]
    workspace_role_assign(
        workspace=w.workspace, team=developers.team, role="admin", acting_user=w.users["owner"]
    )
    assert "Developers" not in decidable(w.workspace, team_member)  # their team's role is their own access
    with pytest.raises(TargetDeniedError):
        access_review_complete(
            workspace=w.workspace,
            decisions=keep_all(w.workspace, team_member) | {developers.pk: (REMOVE, "")},
            acting_user=team_member,
        )
    assert WorkspaceRoleAssignment.objects.filter(pk=developers.pk).exists()
    assert not AccessReview.objects.exists()


def test_a_review_of_a_changed_list_is_refused(persona_world):
    w = persona_world
    reviewer = w.users["owner"]
    decisions = keep_all(w.workspace, reviewer)
    workspace_role_assign(
        workspace=w.workspace, user=w.users["org_member"], role="viewer", acting_user=reviewer
    )
    with pytest.raises(ConflictError, match="reload"):
        access_review_complete(workspace=w.workspace, decisions=decisions, acting_user=reviewer)


def test_the_review_page_completes_and_the_evidence_downloads(persona_world, client):
    w = persona_world
    reviewer = w.users["org_admin"]
    client.force_login(reviewer)
    url = reverse("workspaces:access_review", args=["matrix-ws"])
    form = {f"decision-{pk}": KEEP for pk in decidable(w.workspace, reviewer).values()}
    target = decidable(w.workspace, reviewer)["target@example.com"]
    form |= {f"decision-{target}": REMOVE, f"reason-{target}": "=cmd|' /C calc'!A0"}
    response = client.post(url, form)
    assert response.status_code == 302
    review = AccessReview.objects.get()
    page = client.get(url).content.decode()
    assert "Completed reviews" in page and "org-admin" in page

    csv_response = client.get(
        reverse("workspaces:access_review_evidence", args=["matrix-ws", review.pk, "csv"])
    )
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    removed = next(r for r in rows if r["email"] == "target@example.com")
    assert removed["decision"] == "remove" and removed["reason"].startswith("'=")  # no spreadsheet formula
    assert {"granted_by", "granted_at", "last_activity", "role"} <= set(rows[0])

    json_response = client.get(
        reverse("workspaces:access_review_evidence", args=["matrix-ws", review.pk, "json"])
    )
    document = json.loads(json_response.content)
    assert document["workspace"]["id"] == "matrix-ws" and document["reviewer"] == reviewer.email
    assert document["removed"] == 1 and len(document["entries"]) == len(rows)
    assert (
        client.get(
            reverse("workspaces:access_review_evidence", args=["matrix-ws", review.pk, "xml"])
        ).status_code
        == 404
    )


def test_a_stale_review_form_comes_back_with_the_reason(persona_world, client):
    w = persona_world
    client.force_login(w.users["owner"])
    response = client.post(reverse("workspaces:access_review", args=["matrix-ws"]), {})
    assert response.status_code == 400
    assert "reload it and review again" in response.content.decode()


# --- Reminders ------------------------------------------------------------------------------------


def test_reviewers_of_overdue_workspaces_are_reminded_once_per_due_date(
    persona_world, make_workspace, mailoutbox
):
    w = persona_world
    workspace = overdue(w.workspace)
    make_workspace("on-time-ws")
    call_command("send_review_reminders", stdout=io.StringIO())
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (
        "matrix-ws" in mail.subject and reverse("workspaces:access_review", args=["matrix-ws"]) in mail.body
    )
    assert set(mail.to) == {"owner@example.com", "ws-admin@example.com"}  # the workspace's Admins
    call_command("send_review_reminders", stdout=io.StringIO())
    assert len(mailoutbox) == 1  # the same due date: not again
    assert AuditEvent.objects.filter(action="access_review.reminder").count() == 1
    overdue(workspace, days=1)  # a new due date (e.g. another cadence): reminded again
    call_command("send_review_reminders", stdout=io.StringIO())
    assert len(mailoutbox) == 2


# --- Roles until a date ---------------------------------------------------------------------------


def test_a_role_given_until_a_date_warns_once_and_then_ends_by_itself(persona_world, mailoutbox):
    w = persona_world
    today = timezone.localdate()
    holder = w.users["org_viewer"]
    assignment = workspace_role_assign(
        workspace=w.workspace, user=holder, role="developer", expires_on=today + datetime.timedelta(days=5),
        acting_user=w.users["owner"],
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="workspace_role.assign").latest("id").after["until"]
    call_command("expire_roles", stdout=io.StringIO())
    assert [m.to for m in mailoutbox] == [[holder.email]]
    assert "ends on" in mailoutbox[0].subject
    call_command("expire_roles", stdout=io.StringIO())
    assert len(mailoutbox) == 1  # once
    assert WorkspaceRoleAssignment.objects.filter(pk=assignment.pk).exists()

    from workspaces.services import workspace_roles_expire

    assert workspace_roles_expire(today=today + datetime.timedelta(days=6)) == 1
    assert not WorkspaceRoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action="workspace_role.expire")
    assert (
        event.actor is None and event.principal_label == str(holder) and event.before["role"] == "Developer"
    )
    from organizations.access import Access

    assert not Access.for_user(holder, w.organization).can("workspaces.read_pipelines", w.workspace)


def test_a_past_end_date_is_refused_and_the_members_page_sets_one(persona_world, client):
    w = persona_world
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    from organizations.errors import InvalidError

    with pytest.raises(InvalidError):
        workspace_role_assign(workspace=w.workspace, user=w.users["org_member"], role="viewer", expires_on=yesterday,
                              acting_user=w.users["owner"])  # fmt: skip
    client.force_login(w.users["owner"])
    until = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("workspaces:member_assign", args=["matrix-ws"]),
        {
            "add": "person",
            "person-user": w.users["org_member"].pk,
            "person-role": "viewer",
            "person-expires_on": until,
        },
    )
    assert response.status_code == 302
    assignment = WorkspaceRoleAssignment.objects.get(workspace=w.workspace, user=w.users["org_member"])
    assert assignment.expires_on.isoformat() == until
    # Changing the role keeps the date when the request says nothing of it, and clears it when emptied.
    change = reverse("workspaces:member_change", args=["matrix-ws", assignment.pk])
    client.post(change, {"role": "developer"})
    assignment.refresh_from_db()
    assert assignment.role == "developer" and assignment.expires_on.isoformat() == until
    client.post(change, {"role": "developer", "expires_on": ""})
    assignment.refresh_from_db()
    assert assignment.expires_on is None
    page = client.get(reverse("workspaces:members", args=["matrix-ws"])).content.decode()
    assert 'name="expires_on"' in page and 'name="person-expires_on"' in page


def test_roles_about_to_expire_are_listed_for_the_needs_attention_list(persona_world):
    from workspaces.policies import workspace_roles_expiring

    w = persona_world
    today = timezone.localdate()
    soon = workspace_role_assign(workspace=w.workspace, user=w.users["org_viewer"], role="viewer",
                                 expires_on=today + datetime.timedelta(days=3), acting_user=w.users["owner"])  # fmt: skip
    workspace_role_assign(workspace=w.workspace, user=w.users["org_member"], role="viewer",
                          expires_on=today + datetime.timedelta(days=40), acting_user=w.users["owner"])  # fmt: skip
    assert list(workspace_roles_expiring(w.organization)) == [soon]


def test_a_role_past_its_last_day_stops_giving_access_at_the_next_request_without_cron(
    persona_world, client, settings
):
    """No `manage.py expire_roles` runs here: the next request of anyone ends the role."""
    import workspaces.middleware

    w = persona_world
    holder = w.users["org_member"]
    workspace_role_assign(
        workspace=w.workspace, user=holder, role="viewer", acting_user=w.users["owner"],
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
    )  # fmt: skip
    overview = reverse("workspaces:overview", args=[w.workspace.slug])
    client.force_login(holder)
    assert client.get(overview).status_code == 200
    WorkspaceRoleAssignment.objects.filter(workspace=w.workspace, user=holder).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)  # its last day was yesterday
    )
    settings.ATRIUM_ROLE_EXPIRY_CHECK_SECONDS = 60
    workspaces.middleware._next_check.clear()
    assert client.get(overview).status_code == 404
    assert not WorkspaceRoleAssignment.objects.filter(workspace=w.workspace, user=holder).exists()
    assert AuditEvent.objects.filter(action="workspace_role.expire").exists()


def test_the_housekeeping_warns_reminds_and_ends_by_itself(persona_world, mailoutbox, settings):
    """Queued by the web process at most hourly; the task worker runs it (immediately here)."""
    from workspaces.tasks import workspace_housekeeping

    w = persona_world
    holder = w.users["org_member"]
    workspace_role_assign(
        workspace=w.workspace, user=holder, role="viewer", acting_user=w.users["owner"],
        expires_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    Workspace.objects.filter(pk=w.workspace.pk).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=1)
    )
    result = workspace_housekeeping.call()
    assert "warned 1" in result and "reviews reminded 1" in result
    assert any(holder.email in message.to for message in mailoutbox)
    mailoutbox.clear()
    assert "warned 0" in workspace_housekeeping.call() and not mailoutbox  # each e-mail goes once
