"""`manage.py seed_demo`: the demo organization, its logins, idempotence and the benchmark bulk mode."""

import logging
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q

from accounts.models import User
from governance.management.commands.seed_demo import DEMO_FAILURE_REASON, DEMO_PASSWORD
from organizations.access import Access
from organizations.models import AuditEvent, DimensionValue, Membership, Organization, Team
from organizations.services import organization_create
from workspaces.models import (
    Workspace,
    WorkspaceLabel,
    WorkspaceRoleAssignment,
    WorkspaceServerSecret,
    WorkspaceStatus,
    WorkspaceUserObjectPermission,
)
from workspaces.permission_sync import sync_workspace_permissions
from workspaces.selectors import workspace_list_for_user

pytestmark = pytest.mark.django_db

ROLES_BY_EMAIL = {
    "owner@acme.example": "owner",
    "admin@acme.example": "admin",
    "manager@acme.example": "manager",
    "viewer@acme.example": "viewer",
    "member@acme.example": "member",
}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, "--force", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_refuses_without_debug_unless_forced():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organization.objects.exists()


def test_the_printed_sign_in_links_use_the_address_make_run_serves(settings):
    settings.ATRIUM_BASE_URL = ""
    printed = seed("--base-url", "http://127.0.0.1:8302")
    login, home = "http://127.0.0.1:8302/accounts/login/", "http://127.0.0.1:8302/orgs/acme"
    assert f"Sign in at {login}, then open {home}" in printed
    assert ":8000" not in printed
    settings.ATRIUM_BASE_URL = "https://atrium.example.com"
    printed = seed("--base-url", "http://127.0.0.1:8302")
    assert "Sign in at https://atrium.example.com/accounts/login/" in printed


def counts() -> dict[str, int]:
    models = [
        User,
        Organization,
        Membership,
        Team,
        Team.members.through,
        DimensionValue,
        Workspace,
        WorkspaceLabel,
        WorkspaceRoleAssignment,
        WorkspaceUserObjectPermission,
        WorkspaceServerSecret,
        AuditEvent,
    ]
    return {model.__name__: model.objects.count() for model in models}


def login_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "@acme.example" in line]


def demo_organization() -> Organization:
    return Organization.objects.get(slug="acme-ml")


def test_seeding_twice_creates_nothing_new_and_prints_the_owner_login_first_each_time():
    first = seed()
    after_first = counts()
    second = seed()

    assert counts() == after_first
    for output in (first, second):
        assert f"password for all: {DEMO_PASSWORD}" in output
        lines = login_lines(output)
        assert lines[0].split() == ["owner@acme.example", DEMO_PASSWORD, "Owner"]
        assert [line.split()[0] for line in lines] == list(ROLES_BY_EMAIL)
        assert all(line.split()[1] == DEMO_PASSWORD for line in lines)


def test_every_demo_user_logs_in_with_the_documented_password_and_holds_their_role():
    seed()
    organization = demo_organization()
    for email, role in ROLES_BY_EMAIL.items():
        user = User.objects.get(email=email)
        assert user.display_name and user.check_password(DEMO_PASSWORD)
        validate_password(DEMO_PASSWORD, user)
        assert Membership.objects.get(organization=organization, user=user).role == role


def test_a_changed_demo_password_is_put_back_so_the_printed_logins_work():
    seed()
    member = User.objects.get(email="member@acme.example")
    member.set_password("something-else-entirely-7")
    member.save()

    seed()
    member.refresh_from_db()
    assert member.check_password(DEMO_PASSWORD)


def test_a_dozen_documented_workspaces_across_the_three_environments():
    seed()
    organization = demo_organization()
    workspaces = Workspace.objects.filter(organization=organization)
    assert workspaces.count() == 12
    environments = WorkspaceLabel.objects.filter(
        workspace__organization=organization, dimension__key="environment"
    )
    assert environments.count() == 12
    assert set(environments.values_list("value__value", flat=True)) == {
        "development",
        "staging",
        "production",
    }
    for key in ("project", "team", "data-sensitivity"):
        assert (
            WorkspaceLabel.objects.filter(workspace__organization=organization, dimension__key=key).count()
            == 12
        )
    projects = set(
        WorkspaceLabel.objects.filter(
            workspace__organization=organization, dimension__key="project"
        ).values_list("value__value", flat=True)
    )
    assert {"fraud-detection", "recommendations", "forecasting"} <= projects
    assert all(w.display_name and w.description for w in workspaces)
    assert workspaces.exclude(readme="").count() >= 3

    assert workspaces.filter(status=WorkspaceStatus.AVAILABLE).count() == 11
    failed = workspaces.get(status=WorkspaceStatus.FAILED)
    assert failed.slug == "llm-finetuning-dev"
    assert failed.status_reason == f"Provisioning failed: {DEMO_FAILURE_REASON}"
    assert "press Retry" in failed.status_reason
    event = AuditEvent.objects.get(action="workspace.provisioning_failed", target_id=str(failed.pk))
    assert event.actor is None and event.after == {"status": "failed", "reason": DEMO_FAILURE_REASON}
    assert AuditEvent.objects.filter(action="workspace.create", organization=organization).count() == 12

    teams = Team.objects.filter(organization=organization)
    assert teams.count() >= 1
    assert all(team.members.exists() for team in teams)
    assert WorkspaceRoleAssignment.objects.filter(team__in=teams).exists()


def test_the_member_sees_only_the_workspaces_where_they_or_their_team_hold_a_role():
    seed()
    organization = demo_organization()
    member = User.objects.get(email="member@acme.example")

    visible = {
        w.slug
        for w in workspace_list_for_user(
            organization=organization, access=Access.for_user(member, organization)
        )
    }
    held = WorkspaceRoleAssignment.objects.filter(Q(user=member) | Q(team__members=member))
    assert visible == set(held.values_list("workspace__slug", flat=True))
    assert 2 <= len(visible) < 12
    direct = WorkspaceRoleAssignment.objects.filter(user=member)
    assert list(direct.values_list("role", flat=True)) == ["developer", "developer"]

    viewer = User.objects.get(email="viewer@acme.example")
    assert list(WorkspaceRoleAssignment.objects.filter(user=viewer).values_list("role", flat=True)) == [
        "viewer"
    ]
    everything = workspace_list_for_user(
        organization=organization, access=Access.for_user(viewer, organization)
    )
    # The Viewer organization role lists every workspace but the protected ones they hold no role on.
    from workspaces.policies import protected_q

    hidden = (
        Workspace.objects.filter(organization=organization)
        .filter(protected_q())
        .exclude(role_assignments__user=viewer)
    )
    assert hidden.exists()
    assert everything.count() == 12 - hidden.count()
    assert not {w.slug for w in everything} & set(hidden.values_list("slug", flat=True))


def test_workspaces_option_grows_the_organization_to_exactly_n_and_no_further():
    output = seed("--workspaces", "60")
    organization = demo_organization()
    assert Workspace.objects.filter(organization=organization).count() == 60
    assert "owner@acme.example" in login_lines(output)[0]

    bench = Workspace.objects.filter(organization=organization, slug__startswith="bench-")
    assert bench.count() == 48
    assert not bench.exclude(status=WorkspaceStatus.AVAILABLE).exists()
    # Like the embedded provisioner's: a path, shown at whatever address the site is served at.
    first = bench.order_by("slug").first()
    assert first.server_url == f"/w/{first.slug}/api/v1"
    owner = User.objects.get(email="owner@acme.example")
    assert set(bench.values_list("created_by", flat=True)) == {owner.pk}
    assert WorkspaceLabel.objects.filter(workspace__in=bench).count() == 48 * 4
    admins = WorkspaceRoleAssignment.objects.filter(workspace__in=bench)
    assert admins.count() == 48 and set(admins.values_list("user", "role")) == {(owner.pk, "admin")}
    assert WorkspaceServerSecret.objects.filter(workspace__in=bench).count() == 48
    assert set(bench.values_list("status_reason", flat=True)) == {"The workspace is ready"}
    # The guardian rows written in bulk are exactly what the permission sync would write.
    assert sum(sync_workspace_permissions(workspace) for workspace in bench) == 0
    # One audit event for the whole batch, none per benchmark workspace.
    event = AuditEvent.objects.get(action="workspace.bulk_create", organization=organization)
    assert event.actor == owner
    assert event.after == {"count": 48, "first": "bench-00001", "last": "bench-00048", "status": "available"}
    assert not AuditEvent.objects.filter(target_id__in=[str(pk) for pk in bench.values_list("pk", flat=True)])

    member = User.objects.get(email="member@acme.example")
    member_sees = workspace_list_for_user(
        organization=organization, access=Access.for_user(member, organization)
    )
    assert not member_sees.filter(slug__startswith="bench-").exists()

    before = counts()
    seed("--workspaces", "60")
    assert counts() == before
    seed("--workspaces", "70")
    assert Workspace.objects.filter(organization=organization).count() == 70


def test_members_option_grows_the_organization_with_password_less_members():
    seed("--members", "9")
    organization = demo_organization()
    assert Membership.objects.filter(organization=organization).count() == 9
    added = Membership.objects.filter(organization=organization, user__email__endswith="@bench.example")
    assert sorted(added.values_list("user__email", flat=True)) == [
        "bench-member-00001@bench.example",
        "bench-member-00002@bench.example",
        "bench-member-00003@bench.example",
        "bench-member-00004@bench.example",
    ]
    assert set(added.values_list("role", flat=True)) == {"member"}
    assert not any(m.user.has_usable_password() for m in added.select_related("user"))
    # Added through membership_add, like a person added on the admin panel: audited each.
    events = AuditEvent.objects.filter(organization=organization, action="membership.create")
    assert events.filter(after__user__endswith="@bench.example").count() == 4

    seed("--members", "9")
    assert Membership.objects.filter(organization=organization).count() == 9


def test_sync_permissions_finds_no_drift_after_seeding_with_benchmark_workspaces():
    seed("--workspaces", "30")
    out = StringIO()
    call_command("sync_permissions", "--dry-run", stdout=out)
    assert "No drift: every permission row matches (1 organization, 30 workspaces checked)." in out.getvalue()


def test_the_intended_demo_failure_logs_nothing(caplog):
    with caplog.at_level(logging.ERROR):
        seed()
    assert Workspace.objects.filter(status=WorkspaceStatus.FAILED).count() == 1
    assert "llm-finetuning-dev" not in caplog.text


def test_an_unrelated_organization_at_the_demo_url_key_is_left_alone(make_user):
    stranger = make_user("someone@example.com")
    organization_create(name="Acme ML", acting_user=stranger)
    before = Membership.objects.filter(organization__slug="acme-ml").count()

    with pytest.raises(CommandError, match="not the demo's"):
        seed()
    assert Membership.objects.filter(organization__slug="acme-ml").count() == before
    assert not Workspace.objects.exists()
    assert not User.objects.filter(email__endswith="@acme.example").exists()  # the run was rolled back
