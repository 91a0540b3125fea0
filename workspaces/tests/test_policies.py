"""Policies on label values (issue 8, item 4): protected workspaces, grantable roles, review cadences.

Each effect is asked of the permission helper and the services, and seen where a person would notice it
(the list, the page, the refusal, the audit log)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.services import dimension_value_policy_update
from organizations.access import Access
from organizations.errors import NotFoundError, PermissionDeniedError, TargetDeniedError
from organizations.models import AuditEvent, DimensionValue
from workspaces.models import Workspace
from workspaces.policies import (
    protected_q,
    review_overdue_q,
    workspace_review_cadence,
    workspaces_protected,
    workspaces_review_overdue,
)
from workspaces.selectors import workspace_list_for_user
from workspaces.services import (
    custom_role_create,
    custom_role_set_cells,
    workspace_labels_update,
    workspace_review_cadence_set,
    workspace_role_assign,
)

pytestmark = pytest.mark.django_db


def value(organization, dimension, key) -> DimensionValue:
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension, value=key
    )


def protect(world, *, protected=True, **policy):
    """Make the persona world's workspace protected (its environment value, staging), as the owner."""
    dimension_value_policy_update(
        value=world.dimension_value,
        protected=protected,
        review_cadence_days=policy.get("review_cadence_days"),
        grantable_roles=policy.get("grantable_roles", []),
        acting_user=world.users["owner"],
    )
    return Workspace.objects.get(pk=world.workspace.pk)


def listed(user, organization) -> set[str]:
    access = Access.for_user(user, organization)
    return {w.slug for w in workspace_list_for_user(organization=organization, access=access)}


# --- Defaults -------------------------------------------------------------------------------------


def test_production_and_highly_confidential_are_protected_by_default(organization, make_workspace):
    production = value(organization, "environment", "production")
    secret = value(organization, "data-sensitivity", "highly-confidential")
    assert production.protected and secret.protected
    assert production.review_cadence_days == secret.review_cadence_days == 30
    assert not value(organization, "environment", "staging").protected
    assert make_workspace("prod-ws", label_values=[production]).is_protected
    assert make_workspace("secret-ws", label_values=[secret]).is_protected
    assert not make_workspace("plain-ws").is_protected


# --- Visibility -----------------------------------------------------------------------------------

# Who sees a protected workspace: a role on it, or an organization role that administers every one.
SEES_PROTECTED = {
    "ws_viewer",
    "ws_contributor",
    "ws_developer",
    "team_developer",
    "ws_admin",
    "org_admin",
    "owner",
}


def test_each_persona_sees_a_protected_workspace_only_with_a_role_or_as_organization_admin(
    persona_world, client
):
    workspace = protect(persona_world)
    for persona, user in persona_world.users.items():
        if user is None or persona == "outsider":
            continue
        access = Access.for_user(user, persona_world.organization)
        sees = persona in SEES_PROTECTED
        assert access.can_see(workspace) is sees, persona
        assert ("matrix-ws" in listed(user, persona_world.organization)) is sees, persona
        client.force_login(user)
        status = client.get(reverse("workspaces:overview", args=["matrix-ws"])).status_code
        assert status == (200 if sees else 404), persona


def test_a_manager_with_a_role_on_a_protected_workspace_sees_it(persona_world):
    workspace = protect(persona_world)
    manager = persona_world.users["org_manager"]
    workspace_role_assign(
        workspace=workspace, user=manager, role="viewer", acting_user=persona_world.users["owner"]
    )
    assert "matrix-ws" in listed(manager, persona_world.organization)


def test_a_policy_change_applies_at_once_to_every_workspace_holding_the_value(
    persona_world, make_workspace, client
):
    w = persona_world
    other = make_workspace("other-staging", label_values=[w.dimension_value])
    manager = w.users["org_manager"]
    assert {"matrix-ws", "other-staging"} <= listed(manager, w.organization)
    protect(w)
    assert not {"matrix-ws", "other-staging"} & listed(manager, w.organization)
    assert set(workspaces_protected(w.organization).values_list("slug", flat=True)) == {
        "matrix-ws",
        "other-staging",
    }
    event = AuditEvent.objects.filter(action="dimension_value.policy").get()
    assert event.before["protected"] is False and event.after == {"protected": True, "workspaces": 2}
    client.force_login(w.users["owner"])
    home = client.get(reverse("organizations:home", args=[w.organization.slug])).content.decode()
    assert home.count("mark--protected") == 2
    page = client.get(reverse("workspaces:overview", args=[other.slug])).content.decode()
    assert "mark--protected" in page
    protect(w, protected=False)
    assert {"matrix-ws", "other-staging"} <= listed(manager, w.organization)


def test_protected_marks_in_a_list_cost_no_query_per_row(organization, owner, make_workspace, client):
    production = value(organization, "environment", "production")
    client.force_login(owner)
    url = reverse("organizations:home", args=[organization.slug])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_workspace("first-prod", label_values=[production])
    queries()  # the first request of a session writes it
    few = queries()
    for n in range(6):
        make_workspace(f"more-prod-{n}", label_values=[production])
    assert queries() == few


# --- Granting -------------------------------------------------------------------------------------


def test_only_admins_grant_roles_on_a_protected_workspace(persona_world):
    w = persona_world
    owner = w.users["owner"]
    # A custom role that manages members without being Admin: enough on a plain workspace.
    gatekeeper = custom_role_create(
        organization=w.organization, name="Gatekeeper", base_role="viewer", acting_user=owner
    )
    custom_role_set_cells(role=gatekeeper, changes=[("members", "create", True), ("members", "update", True)],
                          acting_user=owner)  # fmt: skip
    holder = w.users["ws_contributor"]
    workspace_role_assign(workspace=w.workspace, user=holder, custom_role=gatekeeper, acting_user=owner)
    newcomer = w.users["org_viewer"]
    workspace_role_assign(workspace=w.workspace, user=newcomer, role="viewer", acting_user=holder)

    workspace = protect(w)
    with pytest.raises(PermissionDeniedError, match="protected"):
        workspace_role_assign(
            workspace=workspace, user=w.users["org_member"], role="viewer", acting_user=holder
        )
    with pytest.raises(NotFoundError):  # a Manager without a role cannot even see it
        workspace_role_assign(workspace=workspace, user=w.users["org_member"], role="viewer",
                              acting_user=w.users["org_manager"])  # fmt: skip
    for admin in ("ws_admin", "org_admin"):
        workspace_role_assign(
            workspace=workspace, user=w.users["org_member"], role="viewer", acting_user=w.users[admin]
        )
    assert not Access.for_user(holder, w.organization).can("workspaces.manage_workspace_members", workspace)


def test_only_admins_change_a_protected_workspaces_labels(persona_world):
    """Or someone else could take its protection away by relabelling it."""
    w = persona_world
    owner = w.users["owner"]
    editor = custom_role_create(
        organization=w.organization, name="Editor", base_role="viewer", acting_user=owner
    )
    custom_role_set_cells(role=editor, changes=[("workspace_settings", "update", True)], acting_user=owner)
    holder = w.users["ws_contributor"]
    workspace_role_assign(workspace=w.workspace, user=holder, custom_role=editor, acting_user=owner)
    workspace = protect(w)
    development = value(w.organization, "environment", "development")
    with pytest.raises(PermissionDeniedError):
        workspace_labels_update(workspace=workspace, label_values=[development], acting_user=holder)
    workspace_labels_update(workspace=workspace, label_values=[development], acting_user=w.users["ws_admin"])
    assert not Workspace.objects.get(pk=workspace.pk).is_protected


def test_the_members_page_of_a_protected_workspace_offers_no_changes_to_non_admins(persona_world, client):
    w = persona_world
    protect(w)
    client.force_login(w.users["ws_admin"])
    assert "Give role" in client.get(reverse("workspaces:members", args=["matrix-ws"])).content.decode()
    client.force_login(w.users["ws_developer"])
    page = client.get(reverse("workspaces:members", args=["matrix-ws"])).content.decode()
    assert "Give role" not in page


def test_only_the_roles_a_policy_allows_can_be_granted(persona_world, client):
    w = persona_world
    workspace = protect(w, protected=False, grantable_roles=["viewer", "admin"])
    with pytest.raises(TargetDeniedError, match="do not allow granting Developer"):
        workspace_role_assign(
            workspace=workspace, user=w.users["org_member"], role="developer", acting_user=w.users["owner"]
        )
    workspace_role_assign(
        workspace=workspace, user=w.users["org_member"], role="viewer", acting_user=w.users["owner"]
    )
    # A custom role counts as its base role.
    custom = custom_role_create(organization=w.organization, name="Dev-ish", base_role="developer",
                                acting_user=w.users["owner"])  # fmt: skip
    with pytest.raises(TargetDeniedError):
        workspace_role_assign(
            workspace=workspace, user=w.users["org_viewer"], custom_role=custom, acting_user=w.users["owner"]
        )
    client.force_login(w.users["owner"])
    page = client.get(reverse("workspaces:members", args=["matrix-ws"])).content.decode()
    assert '<option value="viewer"' in page and '<option value="developer"' not in page


def test_deleting_a_protected_workspace_needs_an_admin(persona_world):
    """`Access.may_delete_workspace` is what the danger zone asks (with the typed ID on top)."""
    w = persona_world
    workspace = Workspace.objects.get(pk=w.workspace.pk)
    may = lambda persona, ws: Access.for_user(w.users[persona], w.organization).may_delete_workspace(ws)  # noqa: E731
    assert may("ws_admin", workspace) and may("owner", workspace) and not may("ws_developer", workspace)
    workspace = protect(w)
    assert may("ws_admin", workspace) and may("org_admin", workspace)
    assert not may("org_manager", workspace) and not may("ws_developer", workspace)


def test_only_owners_and_admins_change_policies(persona_world):
    for persona in ("org_manager", "ws_admin"):
        with pytest.raises(PermissionDeniedError):
            dimension_value_policy_update(value=persona_world.dimension_value, protected=True,
                                          review_cadence_days=None, grantable_roles=[],
                                          acting_user=persona_world.users[persona])  # fmt: skip
    assert not DimensionValue.objects.get(pk=persona_world.dimension_value.pk).protected


def test_the_policy_page_saves_and_the_labels_page_shows_it(organization, owner_client):
    staging = value(organization, "environment", "staging")
    url = reverse("organizations:dimension_value_policy", args=[organization.slug, staging.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(
        url, {"protected": "on", "review_cadence_days": "45", "grantable_roles": ["viewer"]}
    )
    assert response.status_code == 302
    staging.refresh_from_db()
    assert staging.protected and staging.review_cadence_days == 45 and staging.grantable_roles == ["viewer"]
    labels = owner_client.get(reverse("organizations:dimensions", args=[organization.slug])).content.decode()
    assert "Review every 45 d" in labels and "mark--protected" in labels
    assert owner_client.post(url, {"review_cadence_days": "0"}).status_code == 200  # refused, on the form
    staging.refresh_from_db()
    assert staging.review_cadence_days == 45


# --- Review cadence and due date ------------------------------------------------------------------


def test_cadence_is_the_strictest_of_the_labels_and_the_workspaces_own(organization, owner, make_workspace):
    production = value(organization, "environment", "production")  # 30 days by default
    plain = make_workspace("plain-ws")
    assert workspace_review_cadence(plain) == organization.access_review_days == 90
    assert plain.access_review_due_at == plain.created_at + datetime.timedelta(days=90)
    prod = make_workspace("prod-ws", label_values=[production])
    assert workspace_review_cadence(prod) == 30
    workspace_review_cadence_set(workspace=prod, days=14, acting_user=owner)
    prod = Workspace.objects.get(pk=prod.pk)
    assert workspace_review_cadence(prod) == 14
    assert prod.access_review_due_at == prod.created_at + datetime.timedelta(days=14)
    workspace_review_cadence_set(workspace=prod, days=60, acting_user=owner)  # the label's 30 is stricter
    assert workspace_review_cadence(Workspace.objects.get(pk=prod.pk)) == 30
    workspace_review_cadence_set(workspace=plain, days=7, acting_user=owner)
    assert workspace_review_cadence(Workspace.objects.get(pk=plain.pk)) == 7
    assert AuditEvent.objects.filter(action="workspace.review_cadence").count() == 3


def test_a_cadence_change_moves_every_holders_due_date_at_once(organization, owner, make_workspace):
    staging = value(organization, "environment", "staging")
    a, b = (
        make_workspace("stage-a", label_values=[staging]),
        make_workspace("stage-b", label_values=[staging]),
    )
    dimension_value_policy_update(value=staging, protected=False, review_cadence_days=10, grantable_roles=[],
                                  acting_user=owner)  # fmt: skip
    for workspace in (a, b):
        fresh = Workspace.objects.get(pk=workspace.pk)
        assert fresh.access_review_due_at == fresh.created_at + datetime.timedelta(days=10)


def test_a_label_change_moves_the_due_date(organization, owner, make_workspace):
    workspace = make_workspace("moving-ws")
    workspace_labels_update(
        workspace=workspace,
        label_values=[value(organization, "environment", "production")],
        acting_user=owner,
    )
    fresh = Workspace.objects.get(pk=workspace.pk)
    assert fresh.access_review_due_at == fresh.created_at + datetime.timedelta(days=30)
    assert fresh.is_protected


def test_overdue_reviews_are_listed_and_marked(organization, owner, make_workspace, client):
    late = make_workspace("late-ws")
    make_workspace("fresh-ws")
    Workspace.objects.filter(pk=late.pk).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert [w.slug for w in workspaces_review_overdue(organization)] == ["late-ws"]
    assert Workspace.objects.filter(review_overdue_q()).get().slug == "late-ws"
    assert not Workspace.objects.filter(protected_q()).exists()
    client.force_login(owner)
    home = client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    assert (
        home.count("mark mark--overdue") == 1
    )  # one workspace marked (the filter chip and attention list aside)
    page = client.get(reverse("workspaces:overview", args=["late-ws"])).content.decode()
    assert reverse("workspaces:access_review", args=["late-ws"]) in page and "Review overdue" in page
