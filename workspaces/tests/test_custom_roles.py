"""Custom workspace roles: the list, the grid toggled in place, the plain-POST fallback, deletion."""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils.html import escape

from organizations.access import Access
from organizations.models import AuditEvent
from organizations.roles import OrganizationRoleKey
from workspaces.models import WorkspaceCustomRole, WorkspaceUserObjectPermission
from workspaces.roles import WORKSPACE_ROLES, WorkspaceRoleKey
from workspaces.services import custom_role_create, workspace_role_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def custom_role(organization, owner):
    return custom_role_create(
        organization=organization,
        name="Data Scientist",
        description="Runs experiments",
        base_role=WorkspaceRoleKey.CONTRIBUTOR,
        acting_user=owner,
    )


def roles_url(organization):
    return reverse("workspaces:roles", args=[organization.slug])


def role_url(role, name="workspaces:role"):
    return reverse(name, args=[role.organization.slug, role.pk])


def workspace_codenames(user, workspace):
    return set(
        WorkspaceUserObjectPermission.objects.filter(user=user, content_object=workspace).values_list(
            "permission__codename", flat=True
        )
    )


def test_any_member_sees_predefined_and_custom_roles_but_no_create_form(
    client, organization, add_member, custom_role
):
    client.force_login(add_member(OrganizationRoleKey.MEMBER))
    response = client.get(roles_url(organization))
    assert response.status_code == 200
    page = response.content.decode()
    for role in WORKSPACE_ROLES.values():
        assert role.label in page and escape(role.description) in page
    for label in ("Owner", "Admin", "Manager", "Viewer", "Member"):
        assert f'<th scope="row">{label}</th>' in page
    assert "Data Scientist" in page and "Runs experiments" in page
    assert "Create role" not in page
    assert client.post(roles_url(organization), {"name": "X", "base_role": "viewer"}).status_code == 403
    assert not WorkspaceCustomRole.objects.filter(name="X").exists()


def test_outsiders_get_404_everywhere(client, outsider, custom_role):
    client.force_login(outsider)
    assert client.get(roles_url(custom_role.organization)).status_code == 404
    assert client.get(role_url(custom_role)).status_code == 404
    cell = {"resource": "pipelines", "action": "delete", "granted": "on"}
    assert client.post(role_url(custom_role, "workspaces:role_cell"), cell).status_code == 404
    assert client.post(role_url(custom_role, "workspaces:role_delete")).status_code == 404


def test_a_role_of_another_organization_is_not_found(owner_client, organization, outsider):
    other = custom_role_create(
        organization=outsider.memberships.get().organization,
        name="Theirs",
        base_role="viewer",
        acting_user=outsider,
    )
    assert owner_client.get(reverse("workspaces:role", args=[organization.slug, other.pk])).status_code == 404
    cell = {"resource": "pipelines", "action": "delete", "granted": "on"}
    url = reverse("workspaces:role_cell", args=[organization.slug, other.pk])
    assert owner_client.post(url, cell).status_code == 404


def test_admin_creates_a_role_from_a_base_and_lands_on_its_grid(client, organization, add_member):
    admin = add_member(OrganizationRoleKey.ADMIN)
    client.force_login(admin)
    response = client.post(
        roles_url(organization), {"name": " ML Ops ", "description": "Deploys", "base_role": "developer"}
    )
    role = WorkspaceCustomRole.objects.get(organization=organization)
    assert response.status_code == 302 and response["Location"] == role_url(role)
    assert role.name == "ML Ops" and role.matrix == WORKSPACE_ROLES["developer"].matrix
    assert AuditEvent.objects.filter(action="role.create", actor=admin, target_id=str(role.pk)).exists()
    grid = client.get(response["Location"]).content.decode()
    assert "Role “ML Ops” created" in grid
    assert 'name="cells" value="update_pipelines" checked' in grid
    assert 'value="delete_pipelines"' in grid and 'value="delete_pipelines" checked' not in grid


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("developer", "That name belongs to a predefined role"),
        ("data scientist", "A role with this name already exists."),
        ("   ", "Give the role a name."),
    ],
)
def test_a_bad_name_is_explained_and_what_was_typed_is_kept(
    owner_client, organization, custom_role, name, message
):
    response = owner_client.post(
        roles_url(organization), {"name": name, "description": "Kept text", "base_role": "viewer"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Kept text"' in page
    assert '<option value="viewer" selected>' in page
    assert WorkspaceCustomRole.objects.filter(organization=organization).count() == 1


def test_an_unknown_base_role_is_refused_with_a_message(owner_client, organization):
    response = owner_client.post(roles_url(organization), {"name": "Odd", "base_role": "superhero"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not WorkspaceCustomRole.objects.exists()


def test_the_grid_shows_every_resource_and_action_with_htmx_toggles(owner_client, custom_role):
    page = owner_client.get(role_url(custom_role)).content.decode()
    for label in ("Workspace settings", "Pipelines", "Service connectors", "Templates"):
        assert f'<th scope="row">{label}</th>' in page
    for label in ("Create", "Read", "Update", "Delete", "Share"):
        assert f">{label}</th>" in page
    assert page.count('type="checkbox"') == 50
    assert page.count(f'hx-post="{role_url(custom_role, "workspaces:role_cell")}"') == 50
    assert 'hx-trigger="change"' in page and 'hx-target="closest td"' in page
    assert 'data-confirm-dialog="delete-role-dialog"' in page and '<dialog id="delete-role-dialog"' in page


def test_toggling_a_cell_in_place_saves_it_and_resyncs_holders(
    owner_client, custom_role, make_workspace, add_member, owner
):
    workspace = make_workspace("ds-lab")
    scientist = add_member(OrganizationRoleKey.MEMBER)
    workspace_role_assign(workspace=workspace, user=scientist, custom_role=custom_role, acting_user=owner)
    assert "delete_pipelines" not in workspace_codenames(scientist, workspace)

    # What the checkbox sends: the whole grid form (now with the box ticked) plus its resource and action.
    ticked = [*custom_role.cells, "delete_pipelines"]
    response = owner_client.post(
        role_url(custom_role, "workspaces:role_cell"),
        {"resource": "pipelines", "action": "delete", "cells": ticked},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<td")
    assert 'id="cell-delete_pipelines" name="cells" value="delete_pipelines" checked' in body
    assert 'hx-swap-oob="true"' in body and "Delete pipelines: granted." in body
    custom_role.refresh_from_db()
    assert "delete_pipelines" in custom_role.cells
    assert "delete_pipelines" in workspace_codenames(scientist, workspace)
    assert AuditEvent.objects.filter(action="role.update", after__cell="delete_pipelines").exists()

    # An explicit `granted` wins; clearing the box removes the permission from holders at once.
    response = owner_client.post(
        role_url(custom_role, "workspaces:role_cell"),
        {"resource": "pipelines", "action": "delete", "granted": "false"},
        headers={"HX-Request": "true"},
    )
    assert 'value="delete_pipelines" checked' not in response.content.decode()
    assert "delete_pipelines" not in workspace_codenames(scientist, workspace)


def test_a_bad_cell_is_refused_without_a_server_error(owner_client, custom_role):
    url = role_url(custom_role, "workspaces:role_cell")
    bad = {"resource": "spaceships", "action": "delete", "granted": "on"}
    assert owner_client.post(url, bad, headers={"HX-Request": "true"}).status_code == 400
    response = owner_client.post(url, bad, follow=True)
    assert "not part of the grid" in response.content.decode()
    assert owner_client.get(url).status_code == 405
    custom_role.refresh_from_db()
    assert custom_role.matrix == WORKSPACE_ROLES["contributor"].matrix


def test_the_save_button_posts_the_whole_grid_and_only_the_changes_are_applied(owner_client, custom_role):
    wanted = (set(custom_role.cells) - {"create_runs", "read_runs"}) | {"update_models", "share_models"}
    response = owner_client.post(role_url(custom_role), {"cells": sorted(wanted)}, follow=True)
    assert "Saved 4 changes to “Data Scientist”." in response.content.decode()
    custom_role.refresh_from_db()
    assert set(custom_role.cells) == wanted
    assert AuditEvent.objects.filter(action="role.update", target_id=str(custom_role.pk)).count() == 4
    assert "<noscript>" in response.content.decode()

    response = owner_client.post(role_url(custom_role), {"cells": sorted(wanted)}, follow=True)
    assert "Nothing changed." in response.content.decode()
    response = owner_client.post(role_url(custom_role), {"cells": ["fly_rockets"]}, follow=True)
    assert "nothing was saved" in response.content.decode()


def test_members_see_the_grid_read_only_and_cannot_change_it(client, add_member, custom_role):
    client.force_login(add_member(OrganizationRoleKey.MANAGER))
    page = client.get(role_url(custom_role)).content.decode()
    assert page.count("disabled") >= 50 and "hx-post" not in page
    assert "Delete role" not in page
    cell = {"resource": "pipelines", "action": "delete", "granted": "on"}
    assert client.post(role_url(custom_role, "workspaces:role_cell"), cell).status_code == 403
    assert client.post(role_url(custom_role), {"cells": ["delete_pipelines"]}).status_code == 403
    assert client.post(role_url(custom_role, "workspaces:role_delete")).status_code == 403
    custom_role.refresh_from_db()
    assert "delete_pipelines" not in custom_role.cells


def test_holders_are_listed_and_deleting_a_role_in_use_is_refused_naming_them(
    owner_client, custom_role, make_workspace, add_member, owner
):
    workspace = make_workspace("ds-lab")
    scientist = add_member(OrganizationRoleKey.MEMBER, "sam@example.com")
    workspace_role_assign(workspace=workspace, user=scientist, custom_role=custom_role, acting_user=owner)

    page = owner_client.get(role_url(custom_role)).content.decode()
    assert "sam@example.com" in page and "ds-lab" in page

    response = owner_client.post(role_url(custom_role, "workspaces:role_delete"), follow=True)
    assert response.redirect_chain[-1][0] == role_url(custom_role)
    message = response.content.decode()
    assert "is still assigned" in message and "sam@example.com on ds-lab" in message
    assert WorkspaceCustomRole.objects.filter(pk=custom_role.pk).exists()


def test_deleting_an_unused_role(owner_client, custom_role, organization):
    response = owner_client.post(role_url(custom_role, "workspaces:role_delete"), follow=True)
    assert response.redirect_chain[-1][0] == roles_url(organization)
    assert "Role “Data Scientist” deleted." in response.content.decode()
    assert not WorkspaceCustomRole.objects.filter(pk=custom_role.pk).exists()
    assert AuditEvent.objects.filter(action="role.delete", target_id=str(custom_role.pk)).exists()


def test_the_custom_role_list_is_paginated(owner_client, organization, owner):
    WorkspaceCustomRole.objects.bulk_create(
        WorkspaceCustomRole(organization=organization, name=f"Role {i:02}", base_role="viewer", cells=[])
        for i in range(55)
    )
    first = owner_client.get(roles_url(organization)).content.decode()
    assert "Role 49" in first and "Role 50" not in first and "Page 1 of 2" in first
    second = owner_client.get(roles_url(organization) + "?page=2").content.decode()
    assert "Role 54" in second


def test_creators_keep_full_rights_on_what_they_created(organization, add_member, make_workspace, owner):
    workspace = make_workspace("pipelines-lab")
    viewer = add_member(OrganizationRoleKey.MEMBER)
    workspace_role_assign(workspace=workspace, user=viewer, role=WorkspaceRoleKey.VIEWER, acting_user=owner)
    access = Access.for_user(viewer, organization)

    theirs = SimpleNamespace(created_by_id=owner.pk, workspace=workspace)
    own = SimpleNamespace(created_by_id=viewer.pk, workspace=workspace)
    assert access.can_on_resource("read", "pipelines", theirs)
    assert not access.can_on_resource("update", "pipelines", theirs)
    assert not access.can_on_resource("delete", "pipelines", theirs)
    assert access.can_on_resource("update", "pipelines", own)
    assert access.can_on_resource("delete", "pipelines", own)
