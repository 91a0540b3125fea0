"""No dead ends: a workspace someone may see listed but not open is never a link that ends on 403."""

import pytest
from django.urls import reverse

from governance.services import team_member_add
from organizations.services import team_create
from workspaces.services import workspace_role_assign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_a_listed_workspace_without_a_role_is_not_a_link(
    client, organization, owner, make_workspace, add_member, role
):
    hidden, mine = make_workspace("churn-model", display_name="Churn model"), make_workspace("fraud")
    person = add_member(role)
    workspace_role_assign(workspace=mine, user=person, role="viewer", acting_user=owner)
    client.force_login(person)
    page = client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    assert "Churn model" in page and "No role here: ask an admin" in page
    assert f'href="/w/{hidden.slug}/"' not in page
    assert f'href="/w/{mine.slug}/"' in page
    assert client.get(f"/w/{hidden.slug}/").status_code == 403  # what the link would have led to


def test_owners_get_a_link_to_every_workspace(owner_client, organization, make_workspace):
    workspace = make_workspace("churn-model")
    page = owner_client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    assert f'href="/w/{workspace.slug}/"' in page and "No role here" not in page


def test_a_team_page_links_only_the_workspaces_its_reader_can_open(
    client, organization, owner, make_workspace, add_member
):
    workspace = make_workspace("churn-model", display_name="Churn model")
    team = team_create(organization=organization, name="Data", acting_user=owner)
    workspace_role_assign(workspace=workspace, team=team, role="developer", acting_user=owner)
    viewer = add_member("viewer")
    client.force_login(viewer)
    page = client.get(reverse("organizations:team", args=[organization.slug, team.pk])).content.decode()
    assert "Churn model" in page and f'href="/w/{workspace.slug}/"' not in page
    team_member_add(team=team, user=viewer, acting_user=owner)
    page = client.get(reverse("organizations:team", args=[organization.slug, team.pk])).content.decode()
    assert f'href="/w/{workspace.slug}/"' in page
