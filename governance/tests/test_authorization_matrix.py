"""Who gets what, for every URL of the site: generated from the URLconf, so a new URL without a row fails.

Each scoped URL declares the permission its GET and its POST need; the expected answer for each
persona follows from the role registries, and every request runs in a rolled-back transaction so
the personas don't disturb each other.
"""

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# What each persona may do, written out by hand from PRODUCT.md §5 (not computed from the role
# registries, so a wrong role definition fails this test).
_ADMIN_ORG = {"change_organization", "manage_members", "manage_teams", "view_audit_log", "create_workspace",
              "manage_policies"}  # fmt: skip
ORGANIZATION_GRANTS = {
    "owner": _ADMIN_ORG | {"transfer_ownership"},
    "org_admin": _ADMIN_ORG,
    "org_manager": {"create_workspace", "manage_teams"},
}
_READER = {"view_workspace", "read_members"}
WORKSPACE_GRANTS = {
    "ws_viewer": _READER,
    "ws_contributor": _READER,
    "ws_developer": _READER,
    "team_developer": _READER,
    "ws_admin": _READER
    | {"change_workspace", "manage_workspace_members", "manage_workspace_lifecycle", "delete_workspace"},
}

# URL name → {method: required permission}. "member" = any member of the organization; "login" = any
# signed-in user; "public" = anyone; "workspace:<perm>" = a permission on the workspace.
MATRIX = {
    "organizations:home": {"GET": "member"},
    "organizations:create": {"GET": "login"},
    "organizations:settings": {
        "GET": "organizations.change_organization",
        "POST": "organizations.change_organization",
    },
    "organizations:members": {"GET": "member"},
    "organizations:member_role": {"POST": "organizations.manage_members"},
    "organizations:member_remove": {"POST": "organizations.manage_members"},
    "organizations:member_deactivate": {"POST": "organizations.manage_members"},
    "organizations:ownership_transfer": {"POST": "organizations.transfer_ownership"},
    "organizations:invitations": {
        "GET": "organizations.manage_members",
        "POST": "organizations.manage_members",
    },
    "organizations:invitation_bulk": {"POST": "organizations.manage_members"},
    "organizations:invitation_resend": {"POST": "organizations.manage_members"},
    "organizations:invitation_revoke": {"POST": "organizations.manage_members"},
    "organizations:invitation_link": {"POST": "organizations.manage_members"},
    "organizations:teams": {"GET": "member", "POST": "organizations.manage_teams"},
    "organizations:team": {"GET": "member", "POST": "organizations.manage_teams"},
    "organizations:team_delete": {"POST": "organizations.manage_teams"},
    "organizations:team_member_add": {"POST": "organizations.manage_teams"},
    "organizations:team_member_remove": {"POST": "organizations.manage_teams"},
    "organizations:audit": {"GET": "organizations.view_audit_log"},
    "organizations:access": {"GET": "organizations.view_audit_log"},
    "organizations:dimensions": {
        "GET": "organizations.manage_policies",
        "POST": "organizations.manage_policies",
    },
    "organizations:dimension": {"POST": "organizations.manage_policies"},
    "organizations:dimension_move": {"POST": "organizations.manage_policies"},
    "organizations:dimension_delete": {"POST": "organizations.manage_policies"},
    "organizations:dimension_value_add": {"POST": "organizations.manage_policies"},
    "organizations:dimension_value": {"POST": "organizations.manage_policies"},
    "organizations:dimension_value_move": {"POST": "organizations.manage_policies"},
    "organizations:dimension_value_remove": {
        "GET": "organizations.manage_policies",
        "POST": "organizations.manage_policies",
    },
    "organizations:naming": {
        "GET": "organizations.manage_policies",
        "POST": "organizations.manage_policies",
    },
    "workspaces:new": {"GET": "organizations.create_workspace", "POST": "organizations.create_workspace"},
    "workspaces:check_id": {"GET": "organizations.create_workspace"},
    "workspaces:new_discard": {"POST": "organizations.create_workspace"},
    "workspaces:roles": {"GET": "member", "POST": "organizations.manage_policies"},
    "workspaces:role": {"GET": "member", "POST": "organizations.manage_policies"},
    "workspaces:role_cell": {"POST": "organizations.manage_policies"},
    "workspaces:role_delete": {"POST": "organizations.manage_policies"},
    # Any member opens the list (it shows what they may restore); restoring needs delete_workspace.
    "workspaces:deleted_list": {"GET": "member"},
    "workspaces:deleted_restore": {"POST": "workspace:delete_workspace"},
    "workspaces:overview": {"GET": "workspace:view_workspace"},
    "workspaces:status": {"GET": "workspace:view_workspace"},
    "workspaces:onboarding": {"GET": "workspace:view_workspace"},
    "control_plane:pipelines": {"GET": "workspace:view_workspace"},
    "control_plane:runs": {"GET": "workspace:view_workspace"},
    "control_plane:run": {"GET": "workspace:view_workspace"},
    "control_plane:stacks": {"GET": "workspace:view_workspace"},
    "control_plane:api_docs": {"GET": "workspace:view_workspace"},
    "workspaces:retry": {"POST": "workspace:manage_workspace_lifecycle"},
    "workspaces:deactivate": {"POST": "workspace:manage_workspace_lifecycle"},
    "workspaces:reactivate": {"POST": "workspace:manage_workspace_lifecycle"},
    "workspaces:settings": {"GET": "workspace:change_workspace", "POST": "workspace:change_workspace"},
    "workspaces:delete": {"GET": "workspace:delete_workspace", "POST": "workspace:delete_workspace"},
    "workspaces:members": {"GET": "workspace:read_members"},
    "workspaces:members_teams": {"GET": "workspace:read_members"},
    "workspaces:member_assign": {"POST": "workspace:manage_workspace_members"},
    "workspaces:member_change": {"POST": "workspace:manage_workspace_members"},
    "workspaces:member_remove": {"POST": "workspace:manage_workspace_members"},
    # Inviting someone new from a workspace's Members page (the service also asks for the
    # organization's manage_members: a workspace admin alone is refused there, see test_invitations).
    "workspace_member_invite": {"POST": "workspace:manage_workspace_members"},
    # Access reviews: the workspace's Admins (and organization Admins) only.
    "workspaces:access_review": {
        "GET": "workspace:manage_workspace_members",
        "POST": "workspace:manage_workspace_members",
    },
    "workspaces:access_review_cadence": {"POST": "workspace:manage_workspace_members"},
    "workspaces:access_review_evidence": {"GET": "workspace:manage_workspace_members"},
    "organizations:dimension_value_policy": {
        "GET": "organizations.manage_policies",
        "POST": "organizations.manage_policies",
    },
    # One's own account: any signed-in user, about themselves only.
    "profile": {"GET": "login", "POST": "login"},
    # Service accounts: members that are not people, managed like members.
    "organizations:service_accounts": {
        "GET": "organizations.manage_members",
        "POST": "organizations.manage_members",
    },
    "organizations:service_account": {
        "GET": "organizations.manage_members",
        "POST": "organizations.manage_members",
    },
    "organizations:service_account_deactivate": {"POST": "organizations.manage_members"},
    "organizations:service_account_key_rotate": {"POST": "organizations.manage_members"},
    "organizations:service_account_key_revoke": {"POST": "organizations.manage_members"},
    "organizations:scim_settings": {
        "GET": "organizations.manage_members",
        "POST": "organizations.manage_members",
    },
    "organizations:scim_token_revoke": {"POST": "organizations.manage_members"},
    "tokens": {"GET": "login", "POST": "login"},
    "token_revoke": {"POST": "login"},
    "control_plane:devices": {"GET": "login"},
    "control_plane:device_logout": {"POST": "login"},
}
# Routes outside any organization: checked elsewhere (accounts, health, admin sites, invitations, the
# command-line login page and the ZenML control plane's token-authenticated API: control_plane/tests).
UNSCOPED = {
    "home", "healthz", "readyz", "favicon", "signup", "login", "logout", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete", "invitation_accept", "invitation_link",
    "control_plane:device_verify", "control_plane:browser_login",
}  # fmt: skip
# The organization API under api/ has its own matrix (organization_api/tests/test_api_authorization.py);
# SCIM under scim/v2/ answers only an organization's SCIM token (scim/tests/test_scim.py).
UNSCOPED_PREFIXES = ("admin/", "org-admin/", "zenml-api/", "api/", "scim/v2/")


def _named_routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None


def test_every_url_has_a_row():
    missing = []
    for route, name in _named_routes():
        if route.startswith(UNSCOPED_PREFIXES) or name in UNSCOPED or name in MATRIX:
            continue
        missing.append(f"{route} ({name})")
    assert not missing, f"Add these URLs to the authorization matrix: {missing}"


def expected_status(persona: str, required: str, holds, *, protected: bool = False) -> set[int]:
    """The answers a persona may get: allowed means anything but 403/404/login."""
    allowed = {"allowed"}
    if persona == "anonymous":
        return {302} if required != "public" else allowed
    if required in {"public", "login"}:
        return allowed
    if persona == "outsider":
        return {404}
    if required == "member":
        return allowed
    if required.startswith("workspace:"):
        codename = required.split(":", 1)[1]
        if holds(persona, f"workspaces.{codename}"):
            return allowed
        return (
            {403}
            if holds(persona, "workspaces.view_workspace")
            or (persona in {"org_viewer", "org_manager"} and not protected)
            else {404}
        )
    return allowed if holds(persona, required) else {403}


def holds(persona, perm):
    app, codename = perm.split(".")
    if app == "organizations":
        return codename in ORGANIZATION_GRANTS.get(persona, set())
    if persona in {"owner", "org_admin"}:
        return True
    return codename in WORKSPACE_GRANTS.get(persona, set())


@pytest.fixture
def world(persona_world):
    from scim.services import scim_token_create
    from service_accounts.services import service_account_create, service_account_key_create
    from workspaces.services import access_review_complete

    w = persona_world
    owner = w.users["owner"]
    rows = [a.pk for a in w.workspace.role_assignments.exclude(user=owner)]
    w.access_review = access_review_complete(
        workspace=w.workspace, decisions={pk: ("keep", "") for pk in rows}, acting_user=owner
    )
    robot = service_account_create(
        organization=w.organization, name="robot", role="member", acting_user=owner
    )
    robot_key, _ = service_account_key_create(service_account=robot, name="CI", acting_user=owner)
    scim_token, _ = scim_token_create(organization=w.organization, name="Okta", acting_user=owner)
    kwargs = {
        "org_slug": w.organization.slug,
        "workspace_slug": w.workspace.slug,
        "membership_id": w.target_membership.pk,
        "invitation_id": w.invitation.pk,
        "team_id": w.team.pk,
        "user_id": w.target.pk,
        "role_id": w.custom_role.pk,
        "assignment_id": w.target_assignment.pk,
        "run_id": "5f0c1a52-3b8e-4d6f-9a71-2c4e8b9d0f13",  # a pipeline run on the workspace's server
        "dimension_id": w.dimension.pk,
        "value_id": w.dimension_value.pk,
        "review_id": w.access_review.pk,
        "fmt": "csv",
        "service_account_id": robot.pk,
        "key_id": robot_key.pk,
        "token_id": 1,  # someone's personal access token; only its owner can revoke it
        "device_id": "0b6f3c1e-58a2-4c3d-9e7f-1a2b3c4d5e6f",  # someone's device; only its owner logs it out
        "scim_token_id": scim_token.pk,
    }
    return w.users, kwargs, holds


def _reverse(name, kwargs):
    """Reverse `name` with whichever of the sample kwargs its route takes."""
    resolver = get_resolver()
    app, _, short = name.rpartition(":")
    possibilities = (resolver.namespace_dict[app][1] if app else resolver).reverse_dict.getlist(short)
    params = set(possibilities[0][0][0][1]) if possibilities else set()
    return reverse(name, kwargs={k: v for k, v in kwargs.items() if k in params})


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_authorization_matrix(client, world, name):
    failures = _failures(client, world, name)
    assert not failures, "\n".join(failures)


# The workspace's pages again, with the workspace protected (its environment value made protected):
# organization Managers and Viewers without a role on it get 404, as if it did not exist.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    sorted(n for n, methods in MATRIX.items() if any(r.startswith("workspace:") for r in methods.values())),
)
def test_authorization_matrix_on_a_protected_workspace(client, world, persona_world, name):
    from organizations.models import DimensionValue

    DimensionValue.objects.filter(pk=persona_world.dimension_value.pk).update(protected=True)
    failures = _failures(client, world, name, protected=True)
    assert not failures, "\n".join(failures)


def _failures(client, world, name, *, protected: bool = False) -> list[str]:
    users, kwargs, holds = world
    url = _reverse(name, kwargs)
    failures = []
    for method, required in MATRIX[name].items():
        for persona in users:
            client.logout()
            if persona != "anonymous":
                client.force_login(users[persona])
            with transaction.atomic():
                response = client.get(url) if method == "GET" else client.post(url, {})
                transaction.set_rollback(True)
            status = response.status_code
            if status == 302 and "/accounts/login/" in response.get("Location", ""):
                status = "login"
            expected = expected_status(persona, required, holds, protected=protected)
            got = 302 if status == "login" else status if status in {403, 404, 405, 500} else "allowed"
            if got not in expected:
                failures.append(
                    f"{method} {url} as {persona}: got {status}, expected {sorted(map(str, expected))}"
                )
    return failures
