"""The home's "needs attention" list (governance.attention): overdue access reviews, names off the naming
convention and roles about to expire, each shown only to who may act on it, in a bounded number of
queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.attention import ATTENTION_PROVIDERS, needs_attention
from organizations.access import Access
from organizations.models import DimensionValue, Organization
from workspaces.models import Workspace
from workspaces.selectors import workspace_list_for_user
from workspaces.services import workspace_role_assign

pytestmark = pytest.mark.django_db


def attention_of(client, organization) -> str:
    html = client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    if 'id="attention-heading"' not in html:
        return ""
    begin = html.index('id="attention-heading"')
    return html[begin : html.index("</section>", begin)]


def staging(organization):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )


@pytest.fixture
def workspaces(organization, make_workspace):
    return (
        make_workspace("staging-churn", label_values=[staging(organization)]),
        make_workspace("scratchpad", display_name="Scratch pad"),
    )


def test_overdue_reviews_show_to_the_workspace_admins_with_a_link_to_the_review(
    client, organization, owner, add_member, workspaces
):
    churn, scratchpad = workspaces
    Workspace.objects.filter(pk=scratchpad.pk).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=3)
    )
    admin, developer = add_member("member", "ws-admin@example.com"), add_member("member", "dev@example.com")
    workspace_role_assign(workspace=scratchpad, user=admin, role="admin", acting_user=owner)
    workspace_role_assign(workspace=scratchpad, user=developer, role="developer", acting_user=owner)
    for user in (owner, admin):
        client.force_login(user)
        html = attention_of(client, organization)
        assert "Access reviews overdue" in html and "due 3 days ago" in html
        assert reverse("workspaces:access_review", args=["scratchpad"]) in html
    client.force_login(developer)  # sees the workspace, may not review it
    assert "Access reviews overdue" not in attention_of(client, organization)


def test_names_off_the_convention_show_to_who_may_relabel_them(
    client, organization, owner, add_member, workspaces
):
    Organization.objects.filter(pk=organization.pk).update(workspace_naming_pattern="{environment}-{name}")
    client.force_login(owner)
    html = attention_of(client, organization)
    assert "Names off the convention" in html and "Scratch pad" in html
    assert reverse("workspaces:settings", args=["scratchpad"]) in html
    assert "Staging Churn" not in html  # staging-churn, labelled staging, follows it
    viewer = add_member("viewer", "org-viewer@example.com")  # sees both, administers neither
    client.force_login(viewer)
    assert "Names off the convention" not in attention_of(client, organization)


def test_roles_about_to_expire_show_to_their_holder_and_the_workspace_admins(
    client, organization, owner, add_member, workspaces
):
    churn, scratchpad = workspaces
    today = timezone.localdate()
    holder, bystander = add_member("member", "holder@example.com"), add_member("manager", "mgr@example.com")
    workspace_role_assign(
        workspace=churn,
        user=holder,
        role="viewer",
        expires_on=today + datetime.timedelta(days=3),
        acting_user=owner,
    )
    workspace_role_assign(
        workspace=scratchpad, user=holder, role="viewer", expires_on=today + datetime.timedelta(days=30),
        acting_user=owner,
    )  # fmt: skip
    client.force_login(owner)
    html = attention_of(client, organization)
    assert "Roles about to expire" in html and "role ends in 3 days" in html and "Scratch pad" not in html
    assert reverse("workspaces:members", args=["staging-churn"]) in html
    client.force_login(holder)
    assert "Your Viewer role ends in 3 days" in attention_of(client, organization)
    client.force_login(bystander)  # a manager sees the workspace but administers none
    assert "Roles about to expire" not in attention_of(client, organization)


def test_each_provider_asks_one_query_whatever_the_number_of_workspaces(
    organization, owner, add_member, make_workspace
):
    Organization.objects.filter(pk=organization.pk).update(workspace_naming_pattern="{environment}-{name}")
    organization.refresh_from_db()
    member = add_member("member", "many@example.com")
    counts = []
    for size in (3, 30):
        made = [make_workspace(f"ws-{len(counts)}-{i}") for i in range(size)]
        Workspace.objects.filter(pk__in=[w.pk for w in made]).update(access_review_due_at=timezone.now())
        for workspace in made:
            workspace_role_assign(
                workspace=workspace, user=member, role="admin",
                expires_on=timezone.localdate() + datetime.timedelta(days=2), acting_user=owner,
            )  # fmt: skip
        access = Access.for_user(member, organization)
        access.can_list_all_workspaces()  # the organization's permissions, loaded by the page already
        dimensions = list(organization.dimensions.prefetch_related("values"))
        visible = workspace_list_for_user(organization=organization, access=access)
        with CaptureQueriesContext(connection) as queries:
            sections = needs_attention(
                workspaces=visible, access=access, home_path="/", dimensions=dimensions
            )
        assert any(section.items for section in sections)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= len(ATTENTION_PROVIDERS), counts  # at most one per provider


def test_failed_and_overdue_share_a_query_and_each_shows_its_first_few(
    owner_client, organization, make_workspace
):
    made = [make_workspace(f"late-{i}") for i in range(7)]
    Workspace.objects.filter(pk__in=[w.pk for w in made]).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=1)
    )
    Workspace.objects.filter(slug="late-0").update(status="failed", status_reason="No answer.")
    html = attention_of(owner_client, organization)
    failed = html[html.index("Provisioning failed") : html.index("Access reviews overdue")]
    overdue = html[html.index("Access reviews overdue") :]
    assert "No answer." in failed and "Late 0" not in overdue  # a failed workspace is fixed first
    assert (
        overdue.count('<li class="attention__item') == 5 and 'href="/orgs/acme-ml/?only=overdue"' in overdue
    )
