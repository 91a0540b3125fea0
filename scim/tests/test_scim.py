"""SCIM 2.0 provisioning, as an identity provider and an organization's Owner see it."""

import hashlib

import pytest

from organizations.access import Access
from organizations.models import AuditEvent, Membership, Team

from .conftest import IdentityProvider

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

pytestmark = pytest.mark.django_db


def _ada(**extra):
    return {
        "schemas": [USER_SCHEMA],
        "userName": "Ada@Example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
        "externalId": "00u1ada",
        "active": True,
        **extra,
    }


def _pipelines_allowed(user, workspace) -> bool:
    """What a workspace server hears when it asks Atrium about this user: through the decision cache,
    which must not answer from before a deactivation."""
    from control_plane.decision_cache import decider_for
    from control_plane.selectors import external_identity_for
    from organizations.changes import access_stamp

    identity = external_identity_for(user)
    decider = decider_for(str(identity.external_id), workspace=workspace, stamp=access_stamp())
    return decider.allows("pipeline", "read")


def test_an_identity_provider_provisions_deactivates_reactivates_and_removes_a_member(
    idp, scim_token, organization, owner, make_workspace, client, password
):
    from organization_api.services import personal_access_token_create
    from workspaces.services import workspace_role_assign

    # The identity provider creates the person: a Member, marked as provisioned by SCIM.
    response = idp.post("Users", _ada())
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    ada_json = response.json()
    assert ada_json["userName"] == "ada@example.com" and ada_json["active"] is True
    assert ada_json["externalId"] == "00u1ada" and ada_json["name"]["familyName"] == "Lovelace"
    membership = Membership.objects.get(organization=organization, user__email="ada@example.com")
    assert membership.provisioned_by_scim and membership.role == "member"
    ada = membership.user
    assert ada_json["id"] == str(ada.pk) and ada.display_name == "Ada Lovelace"

    # … finds them again the way Okta and Entra ID do …
    found = idp.get("Users", filter='userName eq "ada@example.com"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(ada.pk)

    # … and puts them in a group, which is a team holding a role on a workspace.
    response = idp.post(
        "Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Research"}
    )
    assert response.status_code == 201, response.content
    team = Team.objects.get(organization=organization, name="Research")
    workspace = make_workspace("deep-research")
    workspace_role_assign(workspace=workspace, team=team, role="developer", acting_user=owner)
    response = idp.patch(
        f"Groups/{team.pk}", {"op": "add", "path": "members", "value": [{"value": str(ada.pk)}]}
    )
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [str(ada.pk)]

    # Ada sees the team's workspace: through Access, on its page, in the API, and on its server.
    ada.set_password(password)
    ada.save()
    assert Access.for_user(ada, organization).can_see(workspace)
    client.force_login(ada)
    assert client.get(f"/w/{workspace.slug}/").status_code == 200
    _, pat = personal_access_token_create(name="laptop", expires_at=_in_a_month(), acting_user=ada)
    api = {"Authorization": f"Bearer {pat}"}
    assert client.get(f"/api/v1/workspaces/{workspace.slug}", headers=api).status_code == 200
    assert _pipelines_allowed(ada, workspace)

    # The identity provider deactivates her (Okta's way): every door closes at once.
    response = idp.patch(f"Users/{ada.pk}", {"op": "replace", "value": {"active": False}})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    access = Access.for_user(ada, organization)
    assert not access.is_member
    assert not access.can_see(workspace)
    assert not access.can("workspaces.view_workspace", workspace)
    assert not access.can("organizations.view_organization")
    assert client.get(f"/w/{workspace.slug}/").status_code == 404
    assert client.get(f"/orgs/{organization.slug}/").status_code == 404
    assert client.get(f"/api/v1/workspaces/{workspace.slug}", headers=api).status_code == 404
    assert client.get("/api/v1/organizations", headers=api).json() == []
    assert not _pipelines_allowed(ada, workspace)
    assert not ada.workspaceuserobjectpermission_set.exists()  # no guardian row left behind
    # … while her role, team place and workspace role wait for a reactivation, and the global
    # account stays active (she may belong to other organizations).
    ada.refresh_from_db()
    assert ada.is_active and team.members.filter(pk=ada.pk).exists()

    # The Owner sees her as provisioned by SCIM and deactivated on the members page.
    client.force_login(owner)
    page = client.get(f"/orgs/{organization.slug}/settings/members/")
    assert page.status_code == 200
    assert "Provisioned by SCIM" in page.text and "Deactivated" in page.text
    _, owner_pat = personal_access_token_create(name="admin", expires_at=_in_a_month(), acting_user=owner)
    members = client.get(
        f"/api/v1/organizations/{organization.slug}/members", headers={"Authorization": f"Bearer {owner_pat}"}
    ).json()["items"]
    ada_row = next(m for m in members if m["user"]["email"] == "ada@example.com")
    assert ada_row["active"] is False and ada_row["provisioned_by_scim"] is True

    # Entra ID reactivates with a string, as it does: everything comes back.
    response = idp.patch(f"Users/{ada.pk}", {"op": "Replace", "path": "active", "value": "True"})
    assert response.status_code == 200 and response.json()["active"] is True
    assert Access.for_user(ada, organization).can_see(workspace)
    assert _pipelines_allowed(ada, workspace)
    client.force_login(ada)
    assert client.get(f"/w/{workspace.slug}/").status_code == 200

    # DELETE removes the membership, through the removal service (team place and all).
    assert idp.delete(f"Users/{ada.pk}").status_code == 204
    assert not Membership.objects.filter(organization=organization, user=ada).exists()
    assert not team.members.filter(pk=ada.pk).exists()
    assert idp.get(f"Users/{ada.pk}").status_code == 404
    assert client.get(f"/w/{workspace.slug}/").status_code == 404

    # Every change names the SCIM token as the actor, on behalf of the Owner who made it.
    token = scim_token[0]
    events = AuditEvent.objects.filter(organization=organization, actor_credential_id=str(token.pk))
    assert set(events.values_list("action", flat=True)) >= {
        "membership.create",
        "team.create",
        "team.member_add",
        "membership.deactivate",
        "membership.reactivate",
        "membership.remove",
    }
    assert set(events.values_list("actor_type", flat=True)) == {"scim_token"}
    assert events.first().actor_credential_label == str(token)
    client.force_login(owner)
    assert "via SCIM token Okta (atr_scim_" in client.get(f"/orgs/{organization.slug}/settings/audit/").text


def _in_a_month():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=30)


def test_a_duplicate_user_name_is_a_conflict(idp):
    assert idp.post("Users", _ada()).status_code == 201
    response = idp.post("Users", _ada(externalId="other"))
    assert response.status_code == 409
    assert response.json()["schemas"] == [ERROR_SCHEMA]
    assert response.json()["scimType"] == "uniqueness" and response.json()["status"] == "409"


def test_an_existing_account_joins_without_a_second_account(idp, make_user, organization):
    existing = make_user("grace@example.com", "Grace Hopper")
    response = idp.post("Users", {"userName": "grace@example.com", "name": {"givenName": "G"}})
    assert response.status_code == 201
    assert response.json()["id"] == str(existing.pk)
    existing.refresh_from_db()
    assert existing.display_name == "Grace Hopper"  # her own account's name is hers
    assert Membership.objects.get(organization=organization, user=existing).provisioned_by_scim


def test_users_are_listed_in_pages_and_updated_with_put(idp, organization, owner):
    for n in range(3):
        assert (
            idp.post("Users", {"userName": f"p{n}@example.com", "displayName": f"Person {n}"}).status_code
            == 201
        )
    page = idp.get("Users", startIndex=2, count=2).json()
    assert page["totalResults"] == 4  # the Owner is a member too
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["p0@example.com", "p1@example.com"]
    user_id = page["Resources"][0]["id"]
    response = idp.put(
        f"Users/{user_id}", {"userName": "p0@example.com", "displayName": "Pat Zero", "active": False}
    )
    assert response.status_code == 200, response.content
    assert response.json()["displayName"] == "Pat Zero" and response.json()["active"] is False
    assert idp.get("Users", filter="active eq false").json()["totalResults"] == 1


def test_unsupported_filters_are_refused(idp):
    response = idp.get("Users", filter='userName co "ada"')
    assert response.status_code == 400 and response.json()["scimType"] == "invalidFilter"


def test_groups_follow_okta_and_entra_patches_put_and_delete(idp, organization):
    ids = [idp.post("Users", {"userName": f"g{n}@example.com"}).json()["id"] for n in range(3)]
    group = idp.post("Groups", {"displayName": "Platform", "members": [{"value": ids[0]}]}).json()
    assert idp.get("Groups", filter='displayName eq "platform"').json()["totalResults"] == 1
    path = f"Groups/{group['id']}"
    # Okta: rename with a value object; add several members.
    idp.patch(path, {"op": "replace", "value": {"id": group["id"], "displayName": "Platform Team"}})
    idp.patch(path, {"op": "add", "path": "members", "value": [{"value": ids[1]}, {"value": ids[2]}]})
    team = Team.objects.get(pk=group["id"])
    assert team.name == "Platform Team" and team.members.count() == 3
    # Entra ID: remove one by a filtered path; adding someone already there changes nothing.
    response = idp.patch(
        path,
        {"op": "Remove", "path": f'members[value eq "{ids[0]}"]'},
        {"op": "Add", "path": "members", "value": [{"value": ids[1]}]},
    )
    assert response.status_code == 200, response.content
    assert sorted(m["value"] for m in response.json()["members"]) == sorted(ids[1:])
    # PUT replaces the members.
    response = idp.put(path, {"displayName": "Platform Team", "members": [{"value": ids[0]}]})
    assert [m["value"] for m in response.json()["members"]] == [ids[0]]
    # Someone outside the organization cannot be put in a team.
    response = idp.patch(path, {"op": "add", "path": "members", "value": [{"value": "999999"}]})
    assert response.status_code == 400
    assert idp.delete(path).status_code == 204
    assert not Team.objects.filter(pk=group["id"]).exists()
    assert idp.get(path).status_code == 404


def test_discovery_documents(idp):
    config = idp.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = idp.get("ResourceTypes").json()["Resources"]
    assert {t["endpoint"] for t in types} == {"/Users", "/Groups"}
    schemas = idp.get("Schemas").json()["Resources"]
    assert {s["id"] for s in schemas} == {USER_SCHEMA, "urn:ietf:params:scim:schemas:core:2.0:Group"}


# Tokens ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer atr_scim_wrong", "Bearer atr_pat_notascimtoken", "Basic abc"]
)
def test_without_a_good_token_the_answer_is_401(header, organization):
    client = IdentityProvider(None).client
    response = client.get("/scim/v2/Users", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["schemas"] == [ERROR_SCHEMA] and response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_shown_once_stored_hashed_and_revocable(organization, owner, client):
    from scim.models import ScimToken

    client.force_login(owner)
    page = client.post(f"/orgs/{organization.slug}/settings/scim/", {"name": "Okta"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    token = ScimToken.objects.get(organization=organization)
    secret = page.context["secret"]
    assert secret.startswith("atr_scim_") and secret in page.text
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ScimToken.objects.filter(pk=token.pk).values().first())
    assert "/scim/v2" in page.text  # the base URL to paste into the identity provider

    again = client.get(f"/orgs/{organization.slug}/settings/scim/")
    assert secret not in again.text and token.hint in again.text

    idp = IdentityProvider(secret)
    assert idp.get("Users").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    response = client.post(f"/orgs/{organization.slug}/settings/scim/{token.pk}/revoke/")
    assert response.status_code == 302
    response = idp.get("Users")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    actions = AuditEvent.objects.filter(organization=organization, target_type="scim_token")
    assert set(actions.values_list("action", flat=True)) == {"scim_token.create", "scim_token.revoke"}


def test_a_token_stops_when_its_creator_no_longer_manages_members(
    idp, scim_token, organization, owner, org_admin
):
    from organizations.services import membership_change_role
    from scim.services import scim_token_create

    token, secret = scim_token_create(organization=organization, name="Entra", acting_user=org_admin)
    membership_change_role(
        membership=Membership.objects.get(organization=organization, user=org_admin),
        role="member",
        acting_user=owner,
    )
    assert IdentityProvider(secret).get("Users").status_code == 401


def test_a_token_cannot_deactivate_or_remove_its_own_creator(idp, owner):
    response = idp.patch(f"Users/{owner.pk}", {"op": "replace", "value": {"active": False}})
    assert response.status_code == 403
    assert idp.delete(f"Users/{owner.pk}").status_code == 403


# Tenancy and the settings page's permission --------------------------------------------------------


def test_another_organizations_token_sees_nothing_of_this_one(idp, outsider):
    from organizations.models import Organization
    from scim.services import scim_token_create

    ada_id = idp.post("Users", _ada()).json()["id"]
    group_id = idp.post("Groups", {"displayName": "Research"}).json()["id"]
    other = Organization.objects.get(memberships__user=outsider)
    _, secret = scim_token_create(organization=other, name="Other IdP", acting_user=outsider)
    stranger = IdentityProvider(secret)
    assert stranger.get(f"Users/{ada_id}").status_code == 404
    assert stranger.patch(f"Users/{ada_id}", {"op": "replace", "value": {"active": False}}).status_code == 404
    assert stranger.delete(f"Users/{ada_id}").status_code == 404
    assert stranger.get(f"Groups/{group_id}").status_code == 404
    assert stranger.get("Users", filter='userName eq "ada@example.com"').json()["totalResults"] == 0
    assert stranger.get("Groups").json()["totalResults"] == 0
    assert [r["userName"] for r in stranger.get("Users").json()["Resources"]] == ["outsider@example.com"]
    # Adding this organization's member to the other's team is refused too.
    their_group = stranger.post("Groups", {"displayName": "Theirs"}).json()["id"]
    response = stranger.patch(
        f"Groups/{their_group}", {"op": "add", "path": "members", "value": [{"value": ada_id}]}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("org_admin", 200), ("manager", 403), ("member", 403), ("outsider", 404)],
)
def test_the_scim_settings_page_is_for_those_who_manage_members(
    persona, status, request, organization, client
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/orgs/{organization.slug}/settings/scim/").status_code == status
    if status != 200:
        assert client.post(f"/orgs/{organization.slug}/settings/scim/", {"name": "x"}).status_code == status


def test_an_organization_keeps_an_active_owner(organization, owner, make_user):
    from governance.services import membership_deactivate, membership_remove
    from organizations.errors import ConflictError
    from organizations.services import membership_add

    second = make_user("second-owner@example.com")
    second_membership = membership_add(
        organization=organization, user=second, role="owner", acting_user=owner
    )
    membership_deactivate(membership=second_membership, acting_user=owner)
    own = Membership.objects.get(organization=organization, user=owner)
    with pytest.raises(ConflictError):  # the deactivated Owner cannot act, so this one is the last
        membership_remove(membership=own, acting_user=owner)
    membership_remove(membership=second_membership, acting_user=owner)  # the deactivated one can go
    assert list(Membership.objects.filter(organization=organization).values_list("user", flat=True)) == [
        owner.pk
    ]


def test_identity_providers_need_no_csrf_token_nor_session(scim_token):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/scim/v2/Users",
        data='{"userName": "csrf@example.com"}',
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {scim_token[1]}"},
    )
    assert response.status_code == 201
    assert "sessionid" not in response.cookies


def test_a_group_replaced_by_the_identity_provider_keeps_its_service_accounts(idp, organization, owner):
    from governance.services import team_member_add
    from service_accounts.services import service_account_create

    robot = service_account_create(organization=organization, name="robot", role="member", acting_user=owner)
    ada_id = idp.post("Users", _ada()).json()["id"]
    group = idp.post("Groups", {"displayName": "Research"}).json()
    team = Team.objects.get(pk=group["id"])
    team_member_add(team=team, user=robot.user, acting_user=owner)
    assert idp.get(f"Groups/{team.pk}").json()["members"] == []
    idp.put(f"Groups/{team.pk}", {"displayName": "Research", "members": [{"value": ada_id}]})
    assert set(team.members.values_list("pk", flat=True)) == {robot.user_id, int(ada_id)}


def test_each_token_is_throttled_like_the_organization_api(idp, settings):
    settings.ATRIUM_API_RATE = "2/h"
    assert idp.get("Users").status_code == 200
    assert idp.get("Groups").status_code == 200
    response = idp.get("Users")
    assert response.status_code == 429 and response.json()["schemas"] == [ERROR_SCHEMA]
    assert int(response["Retry-After"]) > 0


def test_entra_id_user_patches_with_attributes_atrium_does_not_keep(idp, organization):
    ada_id = idp.post("Users", _ada()).json()["id"]
    response = idp.patch(
        f"Users/{ada_id}",
        {"op": "Replace", "path": "name.formatted", "value": "Ada King"},
        {"op": "Add", "path": "title", "value": "Countess"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+44 20 0000"},
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "Maths",
        },
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.king@example.com"},
        {"op": "Add", "path": "externalId", "value": "entra-1"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["displayName"] == "Ada King" and body["userName"] == "ada.king@example.com"
    assert body["externalId"] == "entra-1"
    response = idp.patch(f"Users/{ada_id}", {"op": "Replace", "path": "favouriteColour", "value": "green"})
    assert response.status_code == 400 and response.json()["scimType"] == "invalidPath"


def test_a_person_of_several_organizations_keeps_their_own_name_and_address(idp, outsider, organization):
    response = idp.post("Users", {"userName": "outsider@example.com", "displayName": "Out Sider"})
    user_id = response.json()["id"]
    response = idp.patch(
        f"Users/{user_id}",
        {"op": "replace", "value": {"userName": "taken-over@example.com", "displayName": "X"}},
    )
    assert response.status_code == 200
    assert response.json()["userName"] == "outsider@example.com"  # their other organization's address too


def test_an_admin_can_reactivate_by_hand_on_the_members_page(idp, organization, org_admin, client):
    ada_id = idp.post("Users", _ada(active=False)).json()["id"]
    membership = Membership.objects.get(organization=organization, user_id=ada_id)
    assert membership.deactivated_at is not None
    client.force_login(org_admin)
    page = client.get(f"/orgs/{organization.slug}/settings/members/")
    assert "Reactivate Ada Lovelace" in page.text
    url = f"/orgs/{organization.slug}/settings/members/{membership.pk}/deactivate/"
    assert client.post(url, {"reactivate": "1"}).status_code == 302
    membership.refresh_from_db()
    assert membership.deactivated_at is None
    assert client.post(url).status_code == 302
    membership.refresh_from_db()
    assert membership.deactivated_at is not None
    assert idp.get(f"Users/{ada_id}").json()["active"] is False


def test_the_address_of_a_peer_is_not_the_tokens_to_change(organization, owner, org_admin):
    """An Admin's token cannot move another Admin's account to a new address (and so take it over with
    a password reset); a Member's address follows the identity provider."""
    from organizations.services import membership_change_role
    from scim.services import scim_token_create

    _, secret = scim_token_create(organization=organization, name="Okta", acting_user=org_admin)
    admin_idp = IdentityProvider(secret)
    peer_id = admin_idp.post("Users", {"userName": "peer@example.com"}).json()["id"]
    membership_change_role(
        membership=Membership.objects.get(organization=organization, user_id=peer_id),
        role="admin",
        acting_user=owner,
    )
    response = admin_idp.patch(
        f"Users/{peer_id}", {"op": "replace", "path": "userName", "value": "mine@example.com"}
    )
    assert response.status_code == 200 and response.json()["userName"] == "peer@example.com"
    member_id = admin_idp.post("Users", {"userName": "member@example.com"}).json()["id"]
    response = admin_idp.patch(
        f"Users/{member_id}", {"op": "replace", "path": "userName", "value": "renamed@example.com"}
    )
    assert response.json()["userName"] == "renamed@example.com"


def test_a_teams_page_marks_its_deactivated_members(idp, organization, client, owner):
    ada_id = idp.post("Users", _ada()).json()["id"]
    group_id = idp.post("Groups", {"displayName": "Research", "members": [{"value": ada_id}]}).json()["id"]
    idp.patch(f"Users/{ada_id}", {"op": "replace", "value": {"active": False}})
    client.force_login(owner)
    page = client.get(f"/orgs/{organization.slug}/settings/teams/{group_id}/")
    assert page.status_code == 200
    assert "Deactivated" in page.text and "Provisioned by SCIM" in page.text


def test_an_existing_account_is_never_moved_to_another_address(idp, make_user, organization):
    """A person with their own account (a password, or a sign-in) joins through SCIM, but the identity
    provider cannot move it to another address: a password reset there would hand the account over."""
    person = make_user("victim@corp.example", display_name="Victim")
    user_id = idp.post("Users", {"userName": "victim@corp.example"}).json()["id"]
    idp.patch(f"Users/{user_id}", {"op": "replace", "path": "userName", "value": "attacker@evil.example"})
    person.refresh_from_db()
    assert person.email == "victim@corp.example"
    # An account the identity provider made and nobody used yet follows its address.
    made = idp.post("Users", {"userName": "new@corp.example"}).json()["id"]
    idp.patch(f"Users/{made}", {"op": "replace", "path": "userName", "value": "renamed@corp.example"})
    assert idp.get(f"Users/{made}").json()["userName"] == "renamed@corp.example"


def test_a_team_that_gives_an_organization_role_is_not_the_identity_providers(idp, organization, owner):
    from organizations.services import team_update

    user_id = idp.post("Users", {"userName": "g1@example.com"}).json()["id"]
    group = idp.post("Groups", {"displayName": "Admins"}).json()
    team = Team.objects.get(pk=group["id"])
    team_update(team=team, name=team.name, description="", role="admin", acting_user=owner)
    response = idp.patch(
        f"Groups/{group['id']}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
    )
    assert response.status_code == 403 and "add people to it in Atrium" in response.json()["detail"]
    assert not team.members.exists()


def test_active_is_filtered_with_or_without_quotes(idp):
    kept = idp.post("Users", {"userName": "kept@example.com"}).json()["id"]
    idp.post("Users", {"userName": "gone@example.com", "active": False})
    for value in ("true", '"true"', '"True"'):
        listed = idp.get("Users", filter=f"active eq {value}").json()["Resources"]
        assert kept in [user["id"] for user in listed] and len(listed) == 2, value  # with the owner
