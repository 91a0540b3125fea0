"""/api/v1/organizations/{org}/…: members, invitations, teams, roles, role assignments, audit events."""

import pytest

from organizations.models import AuditEvent, Invitation, Membership, Team
from workspaces.models import WorkspaceRoleAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(api_as, owner):
    return api_as(owner)


@pytest.fixture
def base(organization):
    return f"organizations/{organization.slug}"


def test_a_ci_job_creates_a_workspace_gives_a_team_a_role_and_reads_the_audit_trail(
    owner_api, base, organization, member
):
    created = owner_api.post(
        "workspaces",
        {
            "organization": organization.slug,
            "id": "ci-staging",
            "name": "CI staging",
            "labels": {"environment": "staging"},
        },
        headers={"Idempotency-Key": "pipeline-1"},
    )
    assert created.status_code == 201
    team = owner_api.post(f"{base}/teams", {"name": "Platform", "description": "Runs CI"})
    assert team.status_code == 201 and team.json()["member_count"] == 0
    team_id = team.json()["id"]
    joined = owner_api.request("PUT", f"{base}/teams/{team_id}/members/{member.pk}")
    assert joined.status_code == 200 and [m["email"] for m in joined.json()["members"]] == [member.email]
    granted = owner_api.post(
        f"{base}/role-assignments", {"workspace": "ci-staging", "team": team_id, "role": "developer"}
    )
    assert granted.status_code == 201, granted.json()
    assert (granted.json()["team_name"], granted.json()["role"]) == ("Platform", "developer")

    events = owner_api.get(f"{base}/audit-events", limit=3).json()
    assert [e["action"] for e in events["items"]] == [
        "workspace_role.assign",
        "team.member_add",
        "team.create",
    ]
    assert all(
        e["actor_type"] == "token" and e["credential"].startswith("CI (atr_pat_") for e in events["items"]
    )
    assert events["next_cursor"]


def test_audit_events_page_by_cursor_without_repeats(owner_api, base, organization):
    for n in range(7):
        owner_api.patch(base, {"description": f"take {n}"})
    seen, cursor = [], ""
    while True:
        page = owner_api.get(f"{base}/audit-events", limit=3, cursor=cursor, action="organization.update")
        assert page.status_code == 200
        seen += [event["id"] for event in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    expected = list(AuditEvent.objects.filter(action="organization.update").values_list("pk", flat=True))
    assert seen == expected and len(seen) == 7


def test_a_forged_cursor_is_invalid(owner_api, base):
    response = owner_api.get(f"{base}/audit-events", cursor="not-a-cursor")
    assert response.status_code == 422 and response.json()["error"]["field"] == "cursor"


def test_members_change_role_and_remove(owner_api, base, organization, member):
    membership = Membership.objects.get(organization=organization, user=member)
    listed = owner_api.get(f"{base}/members", q="member@").json()
    assert [m["user"]["email"] for m in listed["items"]] == [member.email]
    response = owner_api.patch(f"{base}/members/{membership.pk}", {"role": "viewer"})
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    assert owner_api.patch(f"{base}/members/{membership.pk}", {"role": "emperor"}).status_code == 422
    assert owner_api.request("DELETE", f"{base}/members/{membership.pk}").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_owner_cannot_leave(owner_api, base, organization, owner):
    membership = Membership.objects.get(organization=organization, user=owner)
    response = owner_api.request("DELETE", f"{base}/members/{membership.pk}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_invitations_create_list_and_revoke(owner_api, base):
    response = owner_api.post(f"{base}/invitations", {"email": "newcomer@example.com", "role": "member"})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    invitation_id = response.json()["id"]
    assert [i["email"] for i in owner_api.get(f"{base}/invitations").json()["items"]] == [
        "newcomer@example.com"
    ]
    assert owner_api.request("DELETE", f"{base}/invitations/{invitation_id}").status_code == 204
    assert Invitation.objects.get(pk=invitation_id).status == "revoked"
    assert [i["status"] for i in owner_api.get(f"{base}/invitations", status="history").json()["items"]] == [
        "revoked"
    ]


def test_teams_edit_and_delete(owner_api, base, organization):
    team_id = owner_api.post(f"{base}/teams", {"name": "Data"}).json()["id"]
    assert owner_api.post(f"{base}/teams", {"name": "data"}).json()["error"] == {
        "code": "conflict", "message": "A team with this name already exists.", "field": "name"
    }  # fmt: skip
    response = owner_api.patch(f"{base}/teams/{team_id}", {"name": "Data science", "role": "viewer"})
    assert response.status_code == 200 and (response.json()["name"], response.json()["role"]) == (
        "Data science",
        "viewer",
    )
    assert owner_api.request("DELETE", f"{base}/teams/{team_id}").status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()


def test_roles_list_create_and_delete(owner_api, base):
    roles = owner_api.get(f"{base}/roles").json()
    assert [r["id"] for r in roles if not r["custom"]] == [
        "admin",
        "developer",
        "contributor",
        "stack_admin",
        "viewer",
    ]
    assert "view_workspace" in roles[-1]["permissions"]
    created = owner_api.post(
        f"{base}/roles", {"name": "Auditor", "base_role": "viewer", "description": "Reads"}
    )
    assert created.status_code == 201 and created.json()["custom"] and created.json()["base_role"] == "viewer"
    assert owner_api.request("DELETE", f"/api/v1/{base}/roles/{created.json()['id']}").status_code == 204
    assert owner_api.request("DELETE", f"/api/v1/{base}/roles/developer").status_code == 404


def test_role_assignments_for_a_member_by_email(owner_api, base, member, make_workspace):
    make_workspace("ml-core")
    response = owner_api.post(
        f"{base}/role-assignments", {"workspace": "ml-core", "user": "MEMBER@example.com", "role": "viewer"}
    )
    assert response.status_code == 201 and response.json()["user"]["email"] == member.email
    listed = owner_api.get(f"{base}/role-assignments", workspace="ml-core").json()["items"]
    assert {(a["user"]["email"], a["role"]) for a in listed} == {
        ("owner@example.com", "admin"),
        (member.email, "viewer"),
    }
    assignment = WorkspaceRoleAssignment.objects.get(user=member)
    assert owner_api.request("DELETE", f"{base}/role-assignments/{assignment.pk}").status_code == 204
    bad = owner_api.post(
        f"{base}/role-assignments", {"workspace": "ml-core", "user": "nobody@example.com", "role": "viewer"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "user"


def test_role_assignments_list_only_workspaces_whose_members_one_may_read(
    api_as, base, member, make_workspace
):
    from workspaces.services import workspace_role_assign

    mine, _other = make_workspace("mine"), make_workspace("other")
    workspace_role_assign(workspace=mine, user=member, role="viewer", acting_user=mine.created_by)
    listed = api_as(member).get(f"{base}/role-assignments").json()["items"]
    assert {a["workspace"] for a in listed} == {"mine"}
    assert api_as(member).get(f"{base}/role-assignments", workspace="other").status_code == 404


def test_another_organizations_objects_answer_404(api_as, outsider, base, organization, member):
    membership = Membership.objects.get(organization=organization, user=member)
    api = api_as(outsider)
    for response in [
        api.get(f"{base}/members"),
        api.patch(f"{base}/members/{membership.pk}", {"role": "owner"}),
    ]:
        assert response.status_code == 404
    # A member id of another organization, through one's own organization, is not found either.
    own = api.get("organizations").json()[0]["slug"]
    assert api.patch(f"organizations/{own}/members/{membership.pk}", {"role": "owner"}).status_code == 404
