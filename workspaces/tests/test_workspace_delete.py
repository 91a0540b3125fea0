"""Deleting a workspace, restoring it, and purging it: what an Admin sees on the pages, what the audit log
records, what happens to the server, and that the ID is never handed out again."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from organizations.errors import ConflictError, InvalidError, PermissionDeniedError
from organizations.models import AuditEvent
from workspaces.models import (
    DesiredState,
    RetiredWorkspaceId,
    ServerState,
    Workspace,
    WorkspaceRoleAssignment,
    WorkspaceServer,
    WorkspaceStatus,
)
from workspaces.services import (
    workspace_create,
    workspace_delete,
    workspace_provision,
    workspace_restore,
    workspace_role_assign,
)
from workspaces.services.deletion import workspace_purge_expired
from workspaces.supervisor import wants_to_run

pytestmark = pytest.mark.django_db


def _actions(workspace) -> list[str]:
    events = AuditEvent.objects.filter(target_id=str(workspace.pk)).order_by("created_at", "id")
    return list(events.values_list("action", flat=True))


def _deleted_days_ago(workspace, days):
    Workspace.objects.filter(pk=workspace.pk).update(deleted_at=timezone.now() - timedelta(days=days))


# --- Deleting --------------------------------------------------------------------------------------


def test_an_admin_deletes_a_workspace_from_its_danger_zone(owner_client, make_workspace, organization):
    workspace = make_workspace("doomed")
    settings_page = owner_client.get(reverse("workspaces:settings", args=["doomed"])).content.decode()
    assert "Danger zone" in settings_page and 'id="confirm-delete"' in settings_page
    assert 'Type <span class="mono">doomed</span> to confirm' in settings_page

    response = owner_client.post(
        reverse("workspaces:delete", args=["doomed"]), {"typed_id": "doomed"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("organizations:home", args=[organization.slug])
    page = response.content.decode()
    assert "Workspace “doomed” deleted and its server stopped" in page
    assert ">Doomed<" not in page  # hidden from the organization's home at once
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.DELETED and workspace.desired_state == DesiredState.DELETED
    assert workspace.deleted_at is not None and workspace.deleted_by.email == "owner@example.com"
    assert not wants_to_run(workspace)  # so the supervisor stops its server
    assert _actions(workspace)[-1] == "workspace.delete"
    assert owner_client.get(reverse("workspaces:overview", args=["doomed"])).status_code == 404


def test_a_mistyped_id_deletes_nothing_and_says_what_to_type(owner_client, make_workspace):
    workspace = make_workspace("keep-me")
    response = owner_client.post(reverse("workspaces:delete", args=["keep-me"]), {"typed_id": "Keep-Me "})
    assert response.status_code == 200  # the confirmation again, with what went wrong
    assert (
        "That is not this workspace&#x27;s ID. Type “keep-me” exactly to delete it."
        in response.content.decode()
    )
    assert Workspace.objects.get(pk=workspace.pk).status != WorkspaceStatus.DELETED
    assert "workspace.delete" not in _actions(workspace)


def test_without_javascript_the_delete_button_opens_a_confirmation_page(owner_client, make_workspace):
    make_workspace("plain-html")
    page = owner_client.get(reverse("workspaces:delete", args=["plain-html"])).content.decode()
    assert "Delete Plain Html?" in page and 'name="typed_id"' in page


@pytest.mark.parametrize("role", ["viewer", "contributor", "developer"])
def test_only_admins_may_delete(client, make_workspace, add_member, owner, role):
    workspace = make_workspace("guarded")
    person = add_member("member")
    workspace_role_assign(workspace=workspace, user=person, role=role, acting_user=owner)
    with pytest.raises(PermissionDeniedError):
        workspace_delete(workspace=workspace, typed_id="guarded", acting_user=person)
    client.force_login(person)
    assert (
        client.post(reverse("workspaces:delete", args=["guarded"]), {"typed_id": "guarded"}).status_code
        == 403
    )
    assert Workspace.objects.get(pk=workspace.pk).status != WorkspaceStatus.DELETED


def test_a_workspace_admin_may_delete_their_workspace(make_workspace, add_member, owner):
    workspace = make_workspace("their-own")
    admin = add_member("member")
    workspace_role_assign(workspace=workspace, user=admin, role="admin", acting_user=owner)
    workspace_delete(workspace=workspace, typed_id="their-own", acting_user=admin)
    assert Workspace.objects.get(pk=workspace.pk).status == WorkspaceStatus.DELETED


def test_the_permission_is_checked_before_the_typed_id(make_workspace, add_member, owner):
    workspace = make_workspace("secret-id")
    reader = add_member("member")
    workspace_role_assign(workspace=workspace, user=reader, role="viewer", acting_user=owner)
    with pytest.raises(PermissionDeniedError):
        workspace_delete(workspace=workspace, typed_id="wrong", acting_user=reader)
    with pytest.raises(InvalidError):
        workspace_delete(workspace=workspace, typed_id="wrong", acting_user=owner)


def test_a_deleted_workspace_id_is_never_reused(make_workspace, organization, owner):
    workspace = make_workspace("taken-once")
    workspace_delete(workspace=workspace, typed_id="taken-once", acting_user=owner)
    with pytest.raises(ConflictError, match="belonged to a workspace that was deleted. IDs are never reused"):
        workspace_create(
            organization=organization, slug="taken-once", display_name="Again", acting_user=owner
        )

    _deleted_days_ago(workspace, 31)
    assert workspace_purge_expired() == ["taken-once"]
    assert RetiredWorkspaceId.objects.filter(slug="taken-once").exists()
    with pytest.raises(ConflictError, match="belonged to a workspace that was deleted"):
        workspace_create(
            organization=organization, slug="Taken-Once", display_name="Again", acting_user=owner
        )


def test_the_stepper_says_a_deleted_workspace_id_is_not_free(
    owner_client, make_workspace, organization, owner
):
    workspace = make_workspace("gone-ws")
    workspace_delete(workspace=workspace, typed_id="gone-ws", acting_user=owner)
    response = owner_client.get(reverse("workspaces:check_id", args=[organization.slug]), {"slug": "gone-ws"})
    assert "belonged to a workspace that was deleted" in response.content.decode()


# --- Restoring -------------------------------------------------------------------------------------


def test_an_admin_restores_a_deleted_workspace_deactivated(
    owner_client, make_workspace, organization, owner, add_member
):
    workspace = make_workspace("second-life")
    person = add_member("member")
    workspace_role_assign(workspace=workspace, user=person, role="developer", acting_user=owner)
    workspace_delete(workspace=workspace, typed_id="second-life", acting_user=owner)

    listing = owner_client.get(reverse("workspaces:deleted_list", args=[organization.slug])).content.decode()
    assert "second-life" in listing and "owner@example.com" in listing
    assert 'aria-label="Restore second-life"' in listing

    response = owner_client.post(
        reverse("workspaces:deleted_restore", args=[organization.slug, "second-life"]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("workspaces:overview", args=["second-life"])
    assert "restored, deactivated. Reactivate it to start its server." in response.content.decode()
    workspace.refresh_from_db()
    assert (
        workspace.status == WorkspaceStatus.DEACTIVATED
        and workspace.desired_state == DesiredState.DEACTIVATED
    )
    assert workspace.deleted_at is None and not wants_to_run(workspace)
    assert WorkspaceRoleAssignment.objects.filter(workspace=workspace, user=person, role="developer").exists()
    assert _actions(workspace)[-2:] == ["workspace.delete", "workspace.restore"]
    assert (
        "second-life"
        not in owner_client.get(reverse("workspaces:deleted_list", args=[organization.slug])).content.decode()
    )


def test_the_deleted_list_shows_members_only_what_they_may_restore(
    client, make_workspace, organization, owner, add_member
):
    mine, other = make_workspace("ws-mine"), make_workspace("ws-other")
    admin = add_member("member")
    workspace_role_assign(workspace=mine, user=admin, role="admin", acting_user=owner)
    for workspace in (mine, other):
        workspace_delete(workspace=workspace, typed_id=workspace.slug, acting_user=owner)
    client.force_login(admin)
    page = client.get(reverse("workspaces:deleted_list", args=[organization.slug])).content.decode()
    assert "ws-mine" in page and "ws-other" not in page
    response = client.post(reverse("workspaces:deleted_restore", args=[organization.slug, "ws-other"]))
    assert response.status_code == 404  # they cannot even see it
    assert Workspace.objects.get(pk=other.pk).status == WorkspaceStatus.DELETED


def test_the_grace_period_ends_after_30_days(owner_client, make_workspace, organization, owner):
    workspace = make_workspace("too-late")
    workspace_delete(workspace=workspace, typed_id="too-late", acting_user=owner)
    _deleted_days_ago(workspace, 30)
    with pytest.raises(ConflictError, match="more than 30 days ago"):
        workspace_restore(workspace=workspace, acting_user=owner)
    page = owner_client.get(reverse("workspaces:deleted_list", args=[organization.slug])).content.decode()
    assert "waiting to be purged" in page and "Restore too-late" not in page


def test_restoring_a_live_workspace_is_refused(make_workspace, owner):
    with pytest.raises(ConflictError, match="is not deleted"):
        workspace_restore(workspace=make_workspace("alive"), acting_user=owner)


# --- Purging ---------------------------------------------------------------------------------------


def test_the_purge_command_removes_only_workspaces_past_their_grace_period(make_workspace, owner):
    old, recent, live = make_workspace("old-one"), make_workspace("recent-one"), make_workspace("live-one")
    for workspace in (old, recent):
        workspace_delete(workspace=workspace, typed_id=workspace.slug, acting_user=owner)
    _deleted_days_ago(old, 31)
    _deleted_days_ago(recent, 29)

    out = io.StringIO()
    call_command("purge_deleted_workspaces", stdout=out)

    assert (
        "Purged old-one" in out.getvalue()
        and "1 workspace deleted more than 30 days ago purged." in out.getvalue()
    )
    assert not Workspace.objects.filter(pk=old.pk).exists()
    assert not WorkspaceRoleAssignment.objects.filter(workspace_id=old.pk).exists()
    assert Workspace.objects.filter(pk=recent.pk).exists() and Workspace.objects.filter(pk=live.pk).exists()
    assert AuditEvent.objects.filter(
        action="workspace.purge", target_id=str(old.pk), actor__isnull=True
    ).exists()
    assert RetiredWorkspaceId.objects.filter(slug="old-one").exists()


@pytest.mark.django_db(transaction=True)  # the control plane answers the servers from another thread
def test_deleting_stops_the_server_restoring_does_not_start_it_and_purging_removes_its_files(
    make_workspace, supervisor, tick_until, settings, owner
):
    workspace = make_workspace("with-server")
    workspace_provision(workspace_pk=workspace.pk)
    server = lambda: WorkspaceServer.objects.get(workspace=workspace)  # noqa: E731
    tick_until(supervisor, lambda: server().state == ServerState.RUNNING)
    directory = Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR) / str(workspace.pk)
    assert directory.is_dir()

    workspace_delete(
        workspace=Workspace.objects.get(pk=workspace.pk), typed_id="with-server", acting_user=owner
    )
    tick_until(supervisor, lambda: server().state == ServerState.STOPPED and server().pid is None)

    workspace_restore(workspace=Workspace.objects.get(pk=workspace.pk), acting_user=owner)
    supervisor.tick()
    assert server().state == ServerState.STOPPED

    restored = Workspace.objects.get(pk=workspace.pk)
    workspace_delete(workspace=restored, typed_id="with-server", acting_user=owner)
    _deleted_days_ago(workspace, 31)
    assert workspace_purge_expired() == ["with-server"]
    assert not directory.exists()


def test_the_migration_lets_existing_workspace_admins_delete(make_workspace, add_member, owner):
    """Admins given their role before delete_workspace existed hold it once the migration ran."""
    from importlib import import_module

    from django.apps import apps

    from workspaces.models import WorkspaceUserObjectPermission

    workspace = make_workspace("older-ws")
    admin = add_member("member")
    workspace_role_assign(workspace=workspace, user=admin, role="admin", acting_user=owner)
    rows = WorkspaceUserObjectPermission.objects.filter(content_object=workspace)
    rows.filter(permission__codename="delete_workspace").delete()  # as before the migration

    import_module("workspaces.migrations.0006_workspace_deletion").grant_delete_to_lifecycle_holders(
        apps, None
    )

    holders = set(rows.filter(permission__codename="delete_workspace").values_list("user__email", flat=True))
    assert holders == {"owner@example.com", admin.email}
    workspace_delete(workspace=workspace, typed_id="older-ws", acting_user=admin)


def test_the_deleted_list_marks_protected_workspaces(owner_client, make_workspace, organization, owner):
    from organizations.models import DimensionValue

    production = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="production"
    )
    for slug, labels in (("vault-prod", [production]), ("sandbox", [])):
        workspace_delete(
            workspace=make_workspace(slug, label_values=labels), typed_id=slug, acting_user=owner
        )
    listing = owner_client.get(reverse("workspaces:deleted_list", args=[organization.slug])).content.decode()
    assert listing.count("mark--protected") == 1
    assert "mark--protected" in listing[listing.index("Vault Prod") : listing.index("Restore vault-prod")]
