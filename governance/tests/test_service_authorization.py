"""Who may do what, asked of the services directly, as an API endpoint or the control plane will ask.

Every state-changing service is called as every persona (`persona_world` in the root conftest, the
same people as the URL matrix), each call in a rolled-back transaction. The expectations are written
out by hand from PRODUCT.md §5, not computed from the role registries: "ok" (it happened), "denied"
(`permission_denied`), "not_found" (outsiders, and members who cannot even see the workspace). A
refused call must leave no audit event behind. A public service missing from the table fails the test.
"""

import inspect

import pytest
from django.db import transaction

import accounts.services
import governance.services
import organizations.services
import scim.services
import service_accounts.services
import workspaces.services
from organizations.errors import NotFoundError, PermissionDeniedError, ServiceError
from organizations.models import AuditEvent, Membership
from workspaces.models import Workspace, WorkspaceStatus

OWNERS = {"owner"}
ADMINS = OWNERS | {"org_admin"}
TEAM_MANAGERS = ADMINS | {"org_manager"}
WORKSPACE_ADMINS = ADMINS | {"ws_admin"}
# Members who cannot see "matrix-ws" at all: no role on it, and an organization role that does not list
# every workspace.
BLIND_TO_WORKSPACE = {"org_member"}


def _deactivated(w):
    workspaces.services.workspace_deactivate(workspace=w.workspace, acting_user=w.users["owner"])


def _failed(w):
    Workspace.objects.filter(pk=w.workspace.pk).update(status=WorkspaceStatus.FAILED)
    w.workspace.refresh_from_db()


def _deleted(w):
    workspaces.services.workspace_delete(
        workspace=w.workspace, typed_id=w.workspace.slug, acting_user=w.users["owner"]
    )


def _target_in_team(w):
    governance.services.team_member_add(team=w.team, user=w.target, acting_user=w.users["owner"])


def _keep_everything(w, reviewer):
    """An access review's decisions as `reviewer` would send them: keep every role they may decide."""
    from workspaces.access_reviews import KEEP, access_review_rows

    rows = access_review_rows(w.workspace, reviewer=reviewer)
    return {row.assignment.pk: (KEEP, "") for row in rows if row.decidable}


def _newcomer(w):
    from accounts.models import User

    return User.objects.create_user(email="newcomer@example.com", password="x-long-password-1")


# service name → (call(world, actor), the personas for whom it succeeds, scope). Scope "workspace"
# means members blind to the workspace get not_found instead of denied. PREPARE puts the world in the
# state a service needs first (as the owner, before the call is tried).
SERVICES = {
    "organization_update": (
        lambda w, a: organizations.services.organization_update(
            organization=w.organization, name="Renamed", description="", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "membership_add": (
        lambda w, a: organizations.services.membership_add(
            organization=w.organization, user=_newcomer(w), role="member", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "membership_change_role": (
        lambda w, a: organizations.services.membership_change_role(
            membership=w.target_membership, role="viewer", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "membership_remove": (
        lambda w, a: governance.services.membership_remove(membership=w.target_membership, acting_user=a),
        ADMINS,
        "organization",
    ),
    "ownership_transfer": (
        lambda w, a: organizations.services.ownership_transfer(
            organization=w.organization, to_membership=w.target_membership, acting_user=a
        ),
        OWNERS,
        "organization",
    ),
    "team_create": (
        lambda w, a: organizations.services.team_create(
            organization=w.organization, name="New", acting_user=a
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "team_update": (
        lambda w, a: organizations.services.team_update(
            team=w.team, name="Renamed", description="", role="", acting_user=a
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "team_delete": (
        lambda w, a: governance.services.team_delete(team=w.team, acting_user=a),
        TEAM_MANAGERS,
        "organization",
    ),
    "team_member_add": (
        lambda w, a: governance.services.team_member_add(team=w.team, user=w.target, acting_user=a),
        TEAM_MANAGERS,
        "organization",
    ),
    "team_member_remove": (
        lambda w, a: governance.services.team_member_remove(team=w.team, user=w.target, acting_user=a),
        TEAM_MANAGERS,
        "organization",
    ),
    "invitation_create": (
        lambda w, a: governance.services.invitation_create(
            organization=w.organization, email="new@example.com", role="member", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "invitation_create_bulk": (
        lambda w, a: governance.services.invitation_create_bulk(
            organization=w.organization, lines="a@example.com\nb@example.com", role="member", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "invitation_create_for_workspace": (
        lambda w, a: governance.services.invitation_create_for_workspace(
            workspace=w.workspace, email="new@example.com", role="viewer", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "invitation_link_copy": (
        lambda w, a: organizations.services.invitation_link_copy(invitation=w.invitation, acting_user=a),
        ADMINS,
        "organization",
    ),
    "invitation_resend": (
        lambda w, a: organizations.services.invitation_resend(invitation=w.invitation, acting_user=a),
        ADMINS,
        "organization",
    ),
    "invitation_revoke": (
        lambda w, a: organizations.services.invitation_revoke(invitation=w.invitation, acting_user=a),
        ADMINS,
        "organization",
    ),
    "workspace_create": (
        lambda w, a: workspaces.services.workspace_create(
            organization=w.organization, slug="brand-new", display_name="Brand new", acting_user=a
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "workspace_create_bulk": (
        lambda w, a: workspaces.services.workspace_create_bulk(
            organization=w.organization,
            specs=[workspaces.services.WorkspaceSpec(slug="bulk-one", display_name="Bulk one")],
            acting_user=a,
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "custom_role_create": (
        lambda w, a: workspaces.services.custom_role_create(
            organization=w.organization, name="Auditor", base_role="viewer", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "custom_role_set_cells": (
        lambda w, a: workspaces.services.custom_role_set_cells(
            role=w.custom_role, changes=[("pipelines", "create", True)], acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "custom_role_set_cell": (
        lambda w, a: workspaces.services.custom_role_set_cell(
            role=w.custom_role, resource="runs", action="create", granted=True, acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "custom_role_delete": (
        lambda w, a: workspaces.services.custom_role_delete(role=w.custom_role, acting_user=a),
        ADMINS,
        "organization",
    ),
    "workspace_update": (
        lambda w, a: workspaces.services.workspace_update(
            workspace=w.workspace, display_name="Renamed", description="", readme="", acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_deactivate": (
        lambda w, a: workspaces.services.workspace_deactivate(workspace=w.workspace, acting_user=a),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_reactivate": (
        lambda w, a: workspaces.services.workspace_reactivate(workspace=w.workspace, acting_user=a),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_delete": (
        lambda w, a: workspaces.services.workspace_delete(
            workspace=w.workspace, typed_id=w.workspace.slug, acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_restore": (
        lambda w, a: workspaces.services.workspace_restore(workspace=w.workspace, acting_user=a),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_retry_provisioning": (
        lambda w, a: workspaces.services.workspace_retry_provisioning(workspace=w.workspace, acting_user=a),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_role_assign": (
        lambda w, a: workspaces.services.workspace_role_assign(
            workspace=w.workspace, user=w.users["org_viewer"], role="viewer", acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_role_remove": (
        lambda w, a: workspaces.services.workspace_role_remove(assignment=w.target_assignment, acting_user=a),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "dimension_create": (
        lambda w, a: organizations.services.dimension_create(
            organization=w.organization, name="Region", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_update": (
        lambda w, a: organizations.services.dimension_update(
            dimension=w.dimension, name="Stage", key="stage", required=True, acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_move": (
        lambda w, a: organizations.services.dimension_move(
            dimension=w.dimension, direction="down", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_delete": (
        lambda w, a: governance.services.dimension_delete(dimension=w.dimension, acting_user=a),
        ADMINS,
        "organization",
    ),
    "dimension_value_create": (
        lambda w, a: organizations.services.dimension_value_create(
            dimension=w.dimension, label="Canary", color="orange", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_value_update": (
        lambda w, a: organizations.services.dimension_value_update(
            value=w.dimension_value, label="Pre-production", key="", color="amber", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_value_move": (
        lambda w, a: organizations.services.dimension_value_move(
            value=w.dimension_value, direction="up", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "dimension_value_delete": (
        lambda w, a: governance.services.dimension_value_delete(
            value=w.dimension_value, replacement=w.dimension.values.get(value="production"), acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "naming_convention_update": (
        lambda w, a: organizations.services.naming_convention_update(
            organization=w.organization,
            convention="{environment}-{name}",
            description="Environment first",
            enforced=True,
            acting_user=a,
        ),
        ADMINS,
        "organization",
    ),
    "access_review_complete": (
        lambda w, a: workspaces.services.access_review_complete(
            workspace=w.workspace, decisions=_keep_everything(w, a), acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "workspace_review_cadence_set": (
        lambda w, a: workspaces.services.workspace_review_cadence_set(
            workspace=w.workspace, days=14, acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
    "dimension_value_policy_update": (
        lambda w, a: governance.services.dimension_value_policy_update(
            value=w.dimension_value,
            protected=True,
            review_cadence_days=30,
            grantable_roles=["admin", "viewer"],
            acting_user=a,
        ),
        ADMINS,
        "organization",
    ),
    "workspace_labels_update": (
        lambda w, a: workspaces.services.workspace_labels_update(
            workspace=w.workspace, label_values=[w.dimension.values.get(value="production")], acting_user=a
        ),
        WORKSPACE_ADMINS,
        "workspace",
    ),
}


def _robot(w):
    """A service account with a key, made by the owner (`w.robot`, `w.robot_key`)."""
    w.robot = service_accounts.services.service_account_create(
        organization=w.organization, name="robot", role="member", acting_user=w.users["owner"]
    )
    w.robot_key, _ = service_accounts.services.service_account_key_create(
        service_account=w.robot, name="CI", acting_user=w.users["owner"]
    )


def _robot_deactivated(w):
    _robot(w)
    service_accounts.services.service_account_deactivate(
        service_account=w.robot, acting_user=w.users["owner"]
    )


# Service accounts are members that are not people: managing them needs manage_members.
SERVICES |= {
    "service_account_create": (
        lambda w, a: service_accounts.services.service_account_create(
            organization=w.organization, name="New robot", role="member", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "service_account_deactivate": (
        lambda w, a: service_accounts.services.service_account_deactivate(
            service_account=w.robot, acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "service_account_reactivate": (
        lambda w, a: service_accounts.services.service_account_reactivate(
            service_account=w.robot, acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "service_account_key_create": (
        lambda w, a: service_accounts.services.service_account_key_create(
            service_account=w.robot, name="Another", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "service_account_key_rotate": (
        lambda w, a: service_accounts.services.service_account_key_rotate(key=w.robot_key, acting_user=a),
        ADMINS,
        "organization",
    ),
    "service_account_key_revoke": (
        lambda w, a: service_accounts.services.service_account_key_revoke(key=w.robot_key, acting_user=a),
        ADMINS,
        "organization",
    ),
}


def _target_deactivated(w):
    governance.services.membership_deactivate(membership=w.target_membership, acting_user=w.users["owner"])


def _scim_token(w):
    w.scim_token, _ = scim.services.scim_token_create(
        organization=w.organization, name="Okta", acting_user=w.users["owner"]
    )


# Deactivating a member (what an identity provider does through SCIM) and everything a SCIM token does:
# the token acts as its creator, so each service is asked as every persona like the others.
SERVICES |= {
    "membership_deactivate": (
        lambda w, a: governance.services.membership_deactivate(membership=w.target_membership, acting_user=a),
        ADMINS,
        "organization",
    ),
    "membership_reactivate": (
        lambda w, a: governance.services.membership_reactivate(membership=w.target_membership, acting_user=a),
        ADMINS,
        "organization",
    ),
    "scim_token_create": (
        lambda w, a: scim.services.scim_token_create(
            organization=w.organization, name="Entra", acting_user=a
        ),
        ADMINS,
        "organization",
    ),
    "scim_token_revoke": (
        lambda w, a: scim.services.scim_token_revoke(token=w.scim_token, acting_user=a),
        ADMINS,
        "organization",
    ),
    "scim_user_create": (
        lambda w, a: scim.services.scim_user_create(
            organization=w.organization,
            user_name="provisioned@example.com",
            display_name="Pro Visioned",
            external_id="00u1",
            active=True,
            acting_user=a,
        ),
        ADMINS,
        "organization",
    ),
    "scim_user_update": (
        lambda w, a: scim.services.scim_user_update(
            membership=w.target_membership,
            changes=scim.services.UserChanges(external_id="00u2"),
            acting_user=a,
        ),
        ADMINS,
        "organization",
    ),
    "scim_user_remove": (
        lambda w, a: scim.services.scim_user_remove(membership=w.target_membership, acting_user=a),
        ADMINS,
        "organization",
    ),
    "scim_group_create": (
        lambda w, a: scim.services.scim_group_create(
            organization=w.organization, display_name="From the IdP", member_ids=[], acting_user=a
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "scim_group_update": (
        lambda w, a: scim.services.scim_group_update(
            team=w.team, display_name="Renamed by the IdP", acting_user=a
        ),
        TEAM_MANAGERS,
        "organization",
    ),
    "scim_group_delete": (
        lambda w, a: scim.services.scim_group_delete(team=w.team, acting_user=a),
        TEAM_MANAGERS,
        "organization",
    ),
}

PREPARE = {
    "membership_reactivate": _target_deactivated,
    "scim_token_revoke": _scim_token,
    "service_account_deactivate": _robot,
    "service_account_reactivate": _robot_deactivated,
    "service_account_key_create": _robot,
    "service_account_key_rotate": _robot,
    "service_account_key_revoke": _robot,
    "workspace_reactivate": _deactivated,
    "workspace_restore": _deleted,
    "workspace_retry_provisioning": _failed,
    "team_member_remove": _target_in_team,
}

# Public services that are not a person's action on something they must be allowed to change: the
# system's own steps, read-only checks, and accepting one's own invitation (tested in
# test_invitations: only the invited address may accept).
NOT_A_PERSONS_ACTION = {
    "scim_token_use",  # an identity provider authenticating (scim/tests/test_scim.py)
    "organization_create",  # anyone signed in
    "invitation_accept",
    "invitation_for_token",
    "invitation_for_token_hash",
    "invitation_token_hash",
    "workspace_provision",
    "onboarding_step_complete",
    "workspace_role_grant_check",
    "team_workspace_roles_check",
    "bulk_invite_address",
    # The system's own schedule (management commands), tested in workspaces/tests/test_access_reviews.py.
    "access_review_reminders_send",
    "workspace_roles_expire",
    "workspace_role_expiry_warnings_send",
    # One's own account, refused to anyone else (accounts/tests/test_profile.py).
    "user_profile_update",
    "user_password_change",
}


def _public_services():
    for module in (
        organizations.services,
        workspaces.services,
        governance.services,
        accounts.services,
        service_accounts.services,
        scim.services,
    ):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and name not in NOT_A_PERSONS_ACTION:
                yield name


def test_every_state_changing_service_is_in_the_matrix():
    missing = sorted(set(_public_services()) - set(SERVICES))
    assert not missing, f"Add these services to the service authorization matrix: {missing}"


def expected(persona: str, allowed: set[str], scope: str, blind=BLIND_TO_WORKSPACE) -> str:
    if persona in allowed:
        return "ok"
    if persona == "outsider" or (scope == "workspace" and persona in blind):
        return "not_found"
    return "denied"


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_service_authorization_matrix(persona_world, service):
    failures = _failures(persona_world, service)
    assert not failures, "\n".join(failures)


# On a protected workspace (here: its environment value made protected), organization Managers and
# Viewers without a role on it cannot even see it, and only its Admins and organization Admins grant.
BLIND_TO_PROTECTED_WORKSPACE = BLIND_TO_WORKSPACE | {"org_viewer", "org_manager"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "service", sorted(s for s, (_, _, scope) in SERVICES.items() if scope == "workspace")
)
def test_service_authorization_matrix_on_a_protected_workspace(persona_world, service):
    from organizations.models import DimensionValue

    DimensionValue.objects.filter(pk=persona_world.dimension_value.pk).update(protected=True)
    persona_world.workspace = Workspace.objects.get(pk=persona_world.workspace.pk)
    persona_world.target_assignment = persona_world.workspace.role_assignments.get(
        pk=persona_world.target_assignment.pk
    )
    assert persona_world.workspace.is_protected
    failures = _failures(persona_world, service, blind=BLIND_TO_PROTECTED_WORKSPACE)
    assert not failures, "\n".join(failures)


def _failures(persona_world, service, blind=BLIND_TO_WORKSPACE) -> list[str]:
    call, allowed, scope = SERVICES[service]
    failures = []
    for persona, user in persona_world.users.items():
        if user is None:  # anonymous: no service takes an anonymous actor; the doors redirect to login
            continue
        with transaction.atomic():
            if service in PREPARE:
                PREPARE[service](persona_world)
            events_before = AuditEvent.objects.count()
            try:
                call(persona_world, user)
                outcome = "ok"
            except PermissionDeniedError:
                outcome = "denied"
            except NotFoundError:
                outcome = "not_found"
            except ServiceError as refusal:
                outcome = f"refused ({refusal.code}: {refusal})"
            if outcome in {"denied", "not_found"} and AuditEvent.objects.count() != events_before:
                failures.append(f"{service} as {persona}: refused, but an audit event was written")
            transaction.set_rollback(True)
        want = expected(persona, allowed, scope, blind)
        if outcome != want:
            failures.append(f"{service} as {persona}: got {outcome}, expected {want}")
    return failures


@pytest.mark.django_db
def test_access_through_a_team_counts_like_a_direct_role(persona_world):
    """Developer through a team reads the workspace like a direct Developer, and is refused its
    settings the same way."""
    w = persona_world
    through_team, direct = w.users["team_developer"], w.users["ws_developer"]
    for user in (through_team, direct):
        with pytest.raises(PermissionDeniedError):
            workspaces.services.workspace_update(
                workspace=w.workspace, display_name="x", description="", readme="", acting_user=user
            )
    # Made Admin through the team, the same person may now edit it.
    workspaces.services.workspace_role_assign(
        workspace=w.workspace, team=through_team.teams.get(), role="admin", acting_user=w.users["owner"]
    )
    workspaces.services.workspace_update(
        workspace=w.workspace,
        display_name="Edited via team",
        description="",
        readme="",
        acting_user=through_team,
    )
    assert Workspace.objects.get(pk=w.workspace.pk).display_name == "Edited via team"
    assert Membership.objects.get(user=through_team, organization=w.organization).role == "member"


@pytest.mark.django_db
def test_a_page_shows_the_services_refusal(client, persona_world):
    """The door adds no rule: the service refuses, and the page says why (a 403 page, or for htmx a 403
    whose toast carries the reason)."""
    from django.urls import reverse

    w = persona_world
    client.force_login(w.users["ws_developer"])
    url = reverse("workspaces:deactivate", args=[w.workspace.slug])
    response = client.post(url)
    assert response.status_code == 403
    assert "You don&#x27;t have permission to do that" in response.content.decode()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and "atrium:toast" in response["HX-Trigger"]
    assert Workspace.objects.get(pk=w.workspace.pk).status != WorkspaceStatus.DEACTIVATED
