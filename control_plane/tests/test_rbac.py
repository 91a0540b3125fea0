"""Every role decision the workspace's ZenML server asks for is Atrium's: Viewer, Developer, Admin,
custom roles and team members, through the one mapping (`control_plane.rbac`)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from control_plane.decision_cache import decision_cache_clear
from control_plane.rbac import ACTIONS, RESOURCE_TYPES, permission_for, resource_parse
from control_plane.selectors import external_identity_for
from workspaces.models import WorkspaceRoleAssignment
from workspaces.roles import VIEW_WORKSPACE, WORKSPACE_PERMISSIONS
from workspaces.services import custom_role_set_cells, workspace_role_assign

pytestmark = pytest.mark.django_db

PROJECT = str(uuid.uuid4())
SOMEONES_PIPELINE = f"{PROJECT}:pipeline/{uuid.uuid4()}"
RUNS = f"{PROJECT}:pipeline_run"
STACK = f"stack/{uuid.uuid4()}"
SECRET = f"secret/{uuid.uuid4()}"
THE_PROJECT = f"project/{PROJECT}"
RESOURCES = [SOMEONES_PIPELINE, RUNS, STACK, SECRET, THE_PROJECT]

# The 24 resource types and 10 actions of ZenML 0.98 (zenml/zen_server/rbac/models.py).
ZENML_TYPES = [
    "artifact",
    "artifact_version",
    "code_repository",
    "flavor",
    "model",
    "model_version",
    "pipeline",
    "pipeline_run",
    "pipeline_deployment",
    "pipeline_build",
    "deployment",
    "schedule",
    "run_template",
    "service",
    "run_metadata",
    "secret",
    "service_account",
    "service_connector",
    "stack",
    "stack_component",
    "tag",
    "project",
    "trigger",
    "webhook",
]
ZENML_ACTIONS = [
    "create",
    "read",
    "update",
    "delete",
    "read_secret_value",
    "prune",
    "client",
    "promote",
    "backup_restore",
    "share",
]


@pytest.fixture
def rbac(zenml, persona_world):
    """check(persona, action, resources) → the control plane's answers, as the server asks."""
    workspace = persona_world.workspace
    token = zenml.server_token(workspace)

    def check(user, action, resources=RESOURCES):
        external_id = external_identity_for(user).external_id
        response = zenml.check_permissions(token, external_id, action, resources)
        assert response.status_code == 200
        return {resource for resource, allowed in response.json().items() if allowed}

    check.token = token
    return check


def test_every_zenml_type_and_action_is_mapped_to_a_real_permission():
    assert sorted(RESOURCE_TYPES) == sorted(ZENML_TYPES) and len(ZENML_TYPES) == 24
    assert sorted(ACTIONS) == sorted(ZENML_ACTIONS) and len(ZENML_ACTIONS) == 10
    codenames = {codename for codename, _ in WORKSPACE_PERMISSIONS} | {VIEW_WORKSPACE}
    for resource_type in ZENML_TYPES:
        for action in ZENML_ACTIONS:
            assert permission_for(resource_type, action).split(".", 1)[1] in codenames


def test_resource_strings_are_parsed_as_zenml_writes_them():
    parsed = resource_parse(SOMEONES_PIPELINE)
    assert parsed.type == "pipeline" and str(parsed.project_id) == PROJECT and parsed.id
    assert resource_parse("stack").id is None and resource_parse("stack").project_id is None
    assert resource_parse("pipeline/not-a-uuid") is None


def test_a_viewer_reads_and_changes_nothing(rbac, persona_world):
    viewer = persona_world.users["ws_viewer"]
    assert rbac(viewer, "read") == set(RESOURCES)
    for action in ("create", "update", "delete", "share"):
        assert rbac(viewer, action) == set()
    assert rbac(viewer, "read_secret_value") == set()


def test_a_developer_creates_and_updates_but_deletes_nothing_of_others(rbac, persona_world):
    for persona in ("ws_developer", "team_developer"):  # a role of their own, or their team's
        developer = persona_world.users[persona]
        assert rbac(developer, "create") == {SOMEONES_PIPELINE, RUNS, STACK, SECRET}
        assert rbac(developer, "update") == {SOMEONES_PIPELINE, RUNS, STACK, SECRET}
        assert rbac(developer, "delete") == set()
        assert rbac(developer, "read") == set(RESOURCES)


def test_workspace_and_organization_admins_may_do_everything(rbac, persona_world):
    for persona in ("ws_admin", "org_admin", "owner"):
        for action in ZENML_ACTIONS:
            assert rbac(persona_world.users[persona], action) == set(RESOURCES), (persona, action)


def test_a_custom_role_decides_by_its_cells(rbac, persona_world):
    role, owner = persona_world.custom_role, persona_world.users["owner"]
    holder = persona_world.users["org_member"]
    workspace_role_assign(workspace=persona_world.workspace, user=holder, custom_role=role, acting_user=owner)
    assert SOMEONES_PIPELINE not in rbac(holder, "delete")
    custom_role_set_cells(role=role, changes=[("pipelines", "delete", True)], acting_user=owner)
    assert rbac(holder, "delete") == {SOMEONES_PIPELINE}


def test_people_without_a_role_and_unknown_ids_get_nothing(rbac, persona_world, zenml):
    for persona in ("org_member", "org_viewer", "org_manager", "outsider"):
        assert rbac(persona_world.users[persona], "read") == set(), persona
    response = zenml.check_permissions(rbac.token, uuid.uuid4(), "read", RESOURCES)
    assert not any(response.json().values())


def test_losing_a_role_takes_effect_on_the_next_check(rbac, persona_world):
    developer, owner = persona_world.users["ws_developer"], persona_world.users["owner"]
    assert rbac(developer, "create")
    from workspaces.services import workspace_role_remove

    assignment = WorkspaceRoleAssignment.objects.get(workspace=persona_world.workspace, user=developer)
    workspace_role_remove(assignment=assignment, acting_user=owner)
    assert rbac(developer, "create") == set()


def test_unmapped_types_actions_and_malformed_strings_are_denied_and_logged(rbac, persona_world, caplog):
    admin = persona_world.users["ws_admin"]
    assert rbac(admin, "read", ["dashboard", "pipeline/nope", f"{PROJECT}:pipeline"]) == {
        f"{PROJECT}:pipeline"
    }
    assert rbac(admin, "launch", ["pipeline"]) == set()
    assert "unmapped" in caplog.text and "malformed" in caplog.text


def test_a_stack_admin_reads_the_project_but_no_pipelines(rbac, persona_world):
    stack_admin, owner = persona_world.users["org_member"], persona_world.users["owner"]
    workspace_role_assign(
        workspace=persona_world.workspace, user=stack_admin, role="stack_admin", acting_user=owner
    )
    assert rbac(stack_admin, "read") == {STACK, SECRET, THE_PROJECT}
    assert rbac(stack_admin, "delete") == {STACK, SECRET}


def test_allowed_resource_ids_is_all_or_nothing(zenml, rbac, persona_world):
    viewer = external_identity_for(persona_world.users["ws_viewer"]).external_id
    read = zenml.allowed_resource_ids(rbac.token, viewer, f"{PROJECT}:pipeline", "read").json()
    assert read == {"full_access": True, "ids": []}
    delete = zenml.allowed_resource_ids(rbac.token, viewer, f"{PROJECT}:pipeline", "delete").json()
    assert delete == {"full_access": False, "ids": []}


def test_sharing_is_accepted_only_when_it_changes_nothing(zenml, rbac, persona_world):
    ids = {p: str(external_identity_for(u).external_id) for p, u in persona_world.users.items() if u}

    def share(sharer, member, actions):
        body = {"user_id": ids[member], "team_id": None, "sharing_user_id": ids[sharer],
                "resource": SOMEONES_PIPELINE, "actions": actions}  # fmt: skip
        return zenml.http.post(
            "/zenml-api/rbac/resource_members",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {rbac.token}"},
        ).status_code

    assert share("ws_admin", "ws_viewer", ["read"]) == 200
    assert share("ws_admin", "ws_viewer", ["update"]) == 403  # needs a workspace role instead
    assert share("ws_viewer", "ws_developer", ["read"]) == 403  # viewers may not share


def test_deleted_resources_and_entitlements_are_acknowledged(zenml, rbac, persona_world):
    headers = {"Authorization": f"Bearer {rbac.token}"}
    deleted = zenml.http.delete(
        f"/zenml-api/rbac/resources?resources={SOMEONES_PIPELINE}&resources={STACK}", headers=headers
    )
    assert deleted.status_code == 200
    org = persona_world.organization.pk
    assert (
        zenml.http.get(
            f"/zenml-api/organizations/{org}/entitlement/pipeline_run", headers=headers
        ).status_code
        == 200
    )


def test_rbac_needs_the_servers_token(zenml, persona_world, logged_in_cli):
    _, user_token = logged_in_cli
    assert zenml.check_permissions(user_token, uuid.uuid4(), "read", RESOURCES).status_code == 401
    assert zenml.check_permissions("", uuid.uuid4(), "read", RESOURCES).status_code == 401


def test_a_check_costs_one_query_while_access_is_unchanged(zenml, rbac, persona_world):
    """The first question reads the access stamp, the token, the user with their membership, and
    their organization and workspace permissions; the next ones, whatever the resources, only the
    stamp (`control_plane.decision_cache`)."""
    developer = external_identity_for(persona_world.users["ws_developer"]).external_id
    many = [f"{PROJECT}:pipeline/{uuid.uuid4()}" for _ in range(10)] + [STACK, SECRET, RUNS]
    decision_cache_clear()
    with CaptureQueriesContext(connection) as first:
        zenml.check_permissions(rbac.token, developer, "read", [STACK])
    with CaptureQueriesContext(connection) as queries:
        response = zenml.check_permissions(rbac.token, developer, "read", many)
    assert all(response.json().values())
    assert len([q for q in first if q["sql"].startswith("SELECT")]) == 5, [q["sql"] for q in first]
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_server_asking_about_roles_is_in_use(zenml, rbac, persona_world):
    """A server busy with pipelines calls the control plane, so it is not stopped as idle."""
    from workspaces.models import WorkspaceServer

    developer = external_identity_for(persona_world.users["ws_developer"]).external_id
    WorkspaceServer.objects.filter(workspace=persona_world.workspace).update(last_used_at=None)
    zenml.check_permissions(rbac.token, developer, "read", [STACK])
    assert WorkspaceServer.objects.get(workspace=persona_world.workspace).last_used_at is not None


def test_a_protected_workspace_gives_managers_and_viewers_without_a_role_nothing(rbac, persona_world):
    """Protected (its environment value made protected): the workspace's server gets "no" for
    organization Managers and Viewers holding no role there, and the lookup does not list it to them;
    a role on it still counts."""
    from control_plane.selectors import workspaces_for_lookup
    from governance.services import dimension_value_policy_update

    dimension_value_policy_update(
        value=persona_world.dimension_value,
        protected=True,
        review_cadence_days=None,
        grantable_roles=[],
        acting_user=persona_world.users["owner"],
    )
    for persona in ("org_manager", "org_viewer"):
        user = persona_world.users[persona]
        assert rbac(user, "read") == set(), persona
        assert workspaces_for_lookup(user=user, name="matrix-ws") == [], persona
        assert workspaces_for_lookup(user=user) == [], persona
    assert rbac(persona_world.users["ws_viewer"], "read")
    assert rbac(persona_world.users["org_admin"], "delete") == set(RESOURCES)
