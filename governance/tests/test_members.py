import pytest
from django.urls import reverse

from accounts.models import User
from organizations.models import AuditEvent, Membership, Team
from organizations.permission_sync import sync_organization_permissions

pytestmark = pytest.mark.django_db


def _url(name, organization, *args):
    return reverse(f"organizations:{name}", args=[organization.slug, *args])


def _membership(organization, user):
    return Membership.objects.get(organization=organization, user=user)


def _role_of(organization, user):
    return _membership(organization, user).role


@pytest.fixture
def admin(add_member):
    return add_member("admin", "admin@example.com")


@pytest.fixture
def member(add_member):
    return add_member("member", "member@example.com")


def test_members_page_lists_members_with_their_roles(owner_client, organization, admin, member):
    page = owner_client.get(_url("members", organization)).content.decode()
    assert "Olivia Owner" in page and "owner@example.com" in page and "(you)" in page
    assert "admin@example.com" in page and "member@example.com" in page
    assert "3 members" in page
    # The owner may change the others' roles (a select per row, with every role up to Owner) but not their own.
    assert f'id="role-{_membership(organization, admin).pk}"' in page
    assert f'id="role-{_membership(organization, member).pk}"' in page
    assert (
        f'id="role-{_membership(organization, organization.memberships.get(role="owner").user).pk}"'
        not in page
    )
    assert '<option value="owner"' in page
    assert "Transfer ownership" in page and "Remove member" in page and "Leave organization" in page
    assert '<dialog class="confirm" id="confirm-remove-' in page


def test_a_member_sees_the_list_without_management_controls(client, organization, member):
    client.force_login(member)
    page = client.get(_url("members", organization)).content.decode()
    assert "Olivia Owner" in page and "Owner" in page and "Member" in page
    assert "<select" not in page and "Remove member" not in page and "Transfer ownership" not in page
    assert "Invite people" not in page
    assert "Leave organization" in page


def test_search_filters_by_name_or_email(owner_client, organization, admin, member):
    found = owner_client.get(_url("members", organization), {"q": "ADMIN@"}).content.decode()
    assert "admin@example.com" in found and "member@example.com" not in found
    by_name = owner_client.get(_url("members", organization), {"q": "olivia"}).content.decode()
    assert "owner@example.com" in by_name and "admin@example.com" not in by_name
    partial = owner_client.get(
        _url("members", organization),
        {"q": "nobody"},
        headers={"HX-Request": "true", "HX-Target": "member-list"},
    ).content.decode()
    assert partial.lstrip().startswith('<section id="member-list"') and "No member matches" in partial


def test_a_team_that_gives_a_higher_role_is_shown(owner_client, organization, member):
    team = Team.objects.create(organization=organization, name="Platform", role="admin")
    team.members.add(member)
    sync_organization_permissions(organization, user_ids=[member.pk])
    page = owner_client.get(_url("members", organization)).content.decode()
    assert "Admin via team" in page and "Platform" in page


def test_changing_a_role_with_a_plain_post(owner_client, organization, member):
    membership = _membership(organization, member)
    response = owner_client.post(
        _url("member_role", organization, membership.pk), {"role": "manager"}, follow=True
    )
    assert _role_of(organization, member) == "manager"
    assert "Role of member@example.com changed to Manager." in response.content.decode()
    event = AuditEvent.objects.get(action="membership.role_change")
    assert event.before == {"role": "member"} and event.after == {"role": "manager"}


def test_changing_a_role_with_htmx_returns_the_row(owner_client, organization, member):
    membership = _membership(organization, member)
    response = owner_client.post(
        _url("member_role", organization, membership.pk), {"role": "viewer"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="member-{membership.pk}"')
    assert '<option value="viewer" selected>' in html
    assert "changed to Viewer" in response["HX-Trigger"]
    assert _role_of(organization, member) == "viewer"


def test_a_refused_htmx_change_shows_the_reason_in_the_row(client, organization, admin, owner):
    client.force_login(admin)
    membership = _membership(organization, owner)
    response = client.post(
        _url("member_role", organization, membership.pk), {"role": "member"}, headers={"HX-Request": "true"}
    )
    # An Admin sees no select on the Owner's row, but a forged request is refused all the same.
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert "You cannot change the role of someone above you." in response.content.decode()
    assert _role_of(organization, owner) == "owner"


@pytest.mark.parametrize(
    ("actor_role", "target", "role", "message"),
    [
        ("admin", "self", "member", "You cannot change your own role."),
        ("admin", "member", "owner", "Only Owners can make someone an Owner."),
        ("admin", "owner", "admin", "You cannot change the role of someone above you."),
        ("owner", "self", "admin", "You cannot change your own role."),
    ],
)
def test_role_rules_are_refused_with_a_message(
    client, organization, owner, add_member, member, actor_role, target, role, message
):
    actor = owner if actor_role == "owner" else add_member(actor_role, "actor@example.com")
    target_user = {"self": actor, "member": member, "owner": owner}[target]
    before = _role_of(organization, target_user)
    client.force_login(actor)
    response = client.post(
        _url("member_role", organization, _membership(organization, target_user).pk),
        {"role": role},
        follow=True,
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert _role_of(organization, target_user) == before


def test_nobody_grants_above_their_own_role(client, organization, add_member, member):
    # Someone whose team makes them an organization Admin manages members, but only up to their own role.
    team_admin = add_member("member", "team-admin@example.com")
    team = Team.objects.create(organization=organization, name="People ops", role="admin")
    team.members.add(team_admin)
    sync_organization_permissions(organization, user_ids=[team_admin.pk])
    client.force_login(team_admin)
    response = client.post(
        _url("member_role", organization, _membership(organization, member).pk),
        {"role": "manager"},
        follow=True,
    )
    assert "You cannot grant a role above your own (Member)." in response.content.decode()
    assert _role_of(organization, member) == "member"


def test_the_last_owner_can_neither_leave_nor_be_removed(client, owner_client, organization, owner, admin):
    own = _membership(organization, owner)
    response = owner_client.post(_url("member_remove", organization, own.pk), follow=True)
    assert "The last Owner cannot leave or be removed" in response.content.decode()
    client.force_login(admin)
    response = client.post(_url("member_remove", organization, own.pk), follow=True)
    assert "The last Owner cannot leave or be removed" in response.content.decode()
    assert _role_of(organization, owner) == "owner"


def test_an_owner_among_several_can_be_demoted(owner_client, organization, add_member):
    second = add_member("owner", "second-owner@example.com")
    owner_client.post(
        _url("member_role", organization, _membership(organization, second).pk), {"role": "admin"}
    )
    assert _role_of(organization, second) == "admin"


def test_transfer_ownership(owner_client, organization, owner, admin):
    target = _membership(organization, admin)
    response = owner_client.post(_url("ownership_transfer", organization, target.pk), follow=True)
    assert _role_of(organization, admin) == "owner" and _role_of(organization, owner) == "admin"
    page = response.content.decode()
    assert "admin@example.com is now an Owner of Acme ML. Your role is now Admin." in page
    assert "Transfer ownership" not in page  # an Admin cannot hand ownership over
    assert AuditEvent.objects.filter(action="organization.transfer_ownership").exists()


def test_only_owners_transfer_ownership(client, organization, admin, member):
    client.force_login(admin)
    response = client.post(_url("ownership_transfer", organization, _membership(organization, member).pk))
    assert response.status_code == 403 and _role_of(organization, member) == "member"


def test_removing_a_member(owner_client, organization, member):
    membership = _membership(organization, member)
    response = owner_client.post(_url("member_remove", organization, membership.pk), follow=True)
    assert "member@example.com was removed from Acme ML." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove", before__user="member@example.com").exists()


def test_a_member_can_leave_but_not_remove_others(client, organization, member, admin):
    client.force_login(member)
    response = client.post(_url("member_remove", organization, _membership(organization, admin).pk))
    assert response.status_code == 403
    response = client.post(
        _url("member_remove", organization, _membership(organization, member).pk), follow=True
    )
    assert "You left Acme ML." in response.content.decode()
    assert not Membership.objects.filter(organization=organization, user=member).exists()
    assert AuditEvent.objects.filter(action="membership.leave").exists()


def test_members_without_manage_members_cannot_change_roles(client, organization, add_member, member):
    manager = add_member("manager", "manager@example.com")
    client.force_login(manager)
    url = _url("member_role", organization, _membership(organization, member).pk)
    assert client.post(url, {"role": "viewer"}).status_code == 403
    assert _role_of(organization, member) == "member"


def test_actions_are_post_only(owner_client, organization, member):
    membership = _membership(organization, member)
    for name in ("member_role", "member_remove", "ownership_transfer"):
        assert owner_client.get(_url(name, organization, membership.pk)).status_code == 405


def test_outsiders_get_404(client, organization, outsider, member):
    client.force_login(outsider)
    membership = _membership(organization, member)
    assert client.get(_url("members", organization)).status_code == 404
    for name in ("member_role", "member_remove", "ownership_transfer"):
        assert client.post(_url(name, organization, membership.pk), {"role": "admin"}).status_code == 404
    assert _role_of(organization, member) == "member"


def test_a_membership_of_another_organization_is_not_found(owner_client, organization, outsider):
    foreign = Membership.objects.get(user=outsider)
    response = owner_client.post(_url("member_role", organization, foreign.pk), {"role": "member"})
    assert response.status_code == 404


@pytest.mark.parametrize("count", [3, 300])
def test_members_page_answers_in_bounded_queries(
    owner_client, organization, count, password, django_assert_max_num_queries
):
    users = User.objects.bulk_create(
        User(email=f"bulk{i:03d}@example.com", display_name=f"Bulk {i}") for i in range(count - 1)
    )
    Membership.objects.bulk_create(
        Membership(organization=organization, user=u, role="member") for u in users
    )
    team = Team.objects.create(organization=organization, name="Everyone", role="viewer")
    team.members.add(*users)
    with django_assert_max_num_queries(15):
        response = owner_client.get(_url("members", organization))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<tr id="member-') == min(count, 50)
    assert f"{count} members" in page
    assert "Viewer via team" in page
