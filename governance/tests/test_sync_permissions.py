"""`manage.py sync_permissions` finds and fixes guardian rows that drifted from the role assignments."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from organizations.models import OrganizationUserObjectPermission
from organizations.permission_sync import organization_permissions_by_user
from organizations.roles import OrganizationRoleKey
from workspaces.models import WorkspaceUserObjectPermission
from workspaces.permission_sync import workspace_permissions_by_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("sync_permissions", *args, stdout=out)
    return out.getvalue()


def rows(model, obj) -> dict[int, set[str]]:
    granted: dict[int, set[str]] = {}
    for user_id, codename in model.objects.filter(content_object=obj).values_list(
        "user_id", "permission__codename"
    ):
        granted.setdefault(user_id, set()).add(codename)
    return granted


def test_drift_is_reported_per_object_fixed_and_gone_on_the_next_run(
    organization, owner, add_member, make_workspace, outsider
):
    viewer = add_member(OrganizationRoleKey.VIEWER)
    workspace = make_workspace("fraud-prod")
    assert "No drift" in run()

    # Three of the owner's workspace rows vanish; a stray row gives the outsider something.
    deleted = WorkspaceUserObjectPermission.objects.filter(user=owner, content_object=workspace)[:3]
    WorkspaceUserObjectPermission.objects.filter(pk__in=[row.pk for row in deleted]).delete()
    OrganizationUserObjectPermission.objects.create(
        user=outsider,
        content_object=organization,
        permission=Permission.objects.get(codename="view_audit_log"),
    )
    OrganizationUserObjectPermission.objects.filter(
        user=viewer, content_object=organization, permission__codename="view_organization"
    ).delete()

    dry = run("--dry-run")
    assert "would fix 2 rows on organization acme-ml" in dry
    assert "would fix 3 rows on workspace fraud-prod" in dry
    assert "Total: would fix 5 rows" in dry
    assert len(rows(WorkspaceUserObjectPermission, workspace)[owner.pk]) < len(
        workspace_permissions_by_user(workspace)[owner.pk]
    )

    output = run()
    assert "fixed 2 rows on organization acme-ml" in output
    assert "fixed 3 rows on workspace fraud-prod" in output
    assert "Total: fixed 5 rows (2 organizations, 1 workspace checked)." in output
    assert "other-corp" not in output  # untouched objects are not listed
    assert rows(OrganizationUserObjectPermission, organization) == dict(
        organization_permissions_by_user(organization)
    )
    assert rows(WorkspaceUserObjectPermission, workspace) == dict(workspace_permissions_by_user(workspace))
    assert outsider.pk not in rows(OrganizationUserObjectPermission, organization)

    assert "No drift: every permission row matches (2 organizations, 1 workspace checked)." in run()
