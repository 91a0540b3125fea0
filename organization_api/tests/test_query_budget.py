"""List endpoints ask a fixed number of queries, however many rows there are: the same count over
a few workspaces as over hundreds (with labels), and within a small budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import DimensionValue
from workspaces.services import WorkspaceSpec, workspace_create_bulk

pytestmark = pytest.mark.django_db

BUDGET = 12


def _seed(organization, by, count, start=0):
    values = list(
        DimensionValue.objects.filter(dimension__organization=organization, dimension__key="environment")
    )
    specs = [
        WorkspaceSpec(slug=f"bulk-{n:04d}", display_name=f"Bulk {n}", label_values=(values[n % len(values)],))
        for n in range(start, start + count)
    ]
    workspace_create_bulk(organization=organization, specs=specs, acting_user=by)


def _queries(api, path, **query):
    api.get(path, **query)  # warm: the token's last use is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, **query)
    assert response.status_code == 200
    return len(captured), response.json()


@pytest.mark.parametrize(
    ("persona", "query"),
    [
        ("owner", {}),
        ("manager", {}),
        ("manager", {"member_only": "true"}),
        ("owner", {"label": "environment:staging"}),
    ],
)
def test_workspace_list_queries_do_not_grow_with_rows(request, api_as, organization, persona, query):
    user = request.getfixturevalue(persona)
    api = api_as(user)
    _seed(organization, user, 5)
    few, body = _queries(api, "workspaces", limit=100, **query)
    assert body["items"]
    _seed(organization, user, 300, start=5)
    many, body = _queries(api, "workspaces", limit=100, **query)
    assert len(body["items"]) == 100 and body["items"][0]["labels"]
    assert few == many <= BUDGET, f"{few} queries for a few workspaces, {many} for hundreds"


def test_organization_list_queries_do_not_grow(api_as, make_user):
    from organizations.services import organization_create

    user = make_user("busy@example.com")
    api = api_as(user)
    organization_create(name="One", acting_user=user)
    few, _ = _queries(api, "organizations")
    for n in range(30):
        organization_create(name=f"Org {n}", acting_user=user)
    many, body = _queries(api, "organizations")
    assert len(body) == 31 and few == many <= 4


def _grow(organization, owner, n, start):
    """`n` more members (each in a team, with a workspace role, with a pending invitation sent)."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from organizations.models import Invitation, Membership, Team
    from workspaces.models import Workspace, WorkspaceRoleAssignment

    workspace = Workspace.objects.get(slug="budget-ws")
    users = User.objects.bulk_create(User(email=f"grow{k}@example.com") for k in range(start, start + n))
    Membership.objects.bulk_create(
        Membership(organization=organization, user=u, role="member") for u in users
    )
    teams = Team.objects.bulk_create(
        Team(organization=organization, name=f"Team {k}") for k in range(start, start + n)
    )
    for team, user in zip(teams, users, strict=True):
        team.members.add(user)
    WorkspaceRoleAssignment.objects.bulk_create(
        WorkspaceRoleAssignment(workspace=workspace, user=u, role="viewer") for u in users
    )
    Invitation.objects.bulk_create(
        Invitation(organization=organization, email=f"invitee{k}@example.com", role="member", invited_by=owner,
                   token_hash=f"{k:064d}", expires_at=timezone.now() + timedelta(days=7))
        for k in range(start, start + n)
    )  # fmt: skip
    for k in range(n):  # audit events, through a service
        from organizations.services import organization_update

        organization_update(
            organization=organization, name="Acme ML", description=f"d{start + k}", acting_user=owner
        )


@pytest.mark.parametrize(
    "path",
    ["members", "teams", "invitations", "invitations?status=history", "roles", "role-assignments", "dimensions",
     "role-assignments?workspace=budget-ws", "audit-events"],
)  # fmt: skip
def test_organization_lists_queries_do_not_grow(api_as, owner, organization, make_workspace, path):
    make_workspace("budget-ws")
    api = api_as(owner)
    url = f"organizations/{organization.slug}/{path}"
    url += "&limit=100" if "?" in url else "?limit=100"
    _grow(organization, owner, 3, 0)
    few, _ = _queries(api, url)
    _grow(organization, owner, 150, 3)
    many, body = _queries(api, url)
    assert few == many <= BUDGET, f"{few} queries for a few rows, {many} for many"


def test_access_review_list_queries_do_not_grow(api_as, owner, organization, make_user):
    """As an organization Owner (every workspace) and as a workspace Admin (those they administer)."""
    from organizations.services import membership_add
    from workspaces.models import Workspace
    from workspaces.services import workspace_role_assign

    admin = make_user("reviewer@example.com")
    membership_add(organization=organization, user=admin, role="member", acting_user=owner)
    apis = {"owner": api_as(owner), "workspace admin": api_as(admin)}
    url = f"organizations/{organization.slug}/access-reviews?limit=100"
    counts = {persona: [] for persona in apis}
    for count, start in [(5, 0), (150, 5)]:
        _seed(organization, owner, count, start=start)
        for workspace in Workspace.objects.filter(slug__startswith="bulk-").exclude(
            role_assignments__user=admin
        ):
            workspace_role_assign(workspace=workspace, user=admin, role="admin", acting_user=owner)
        for persona, api in apis.items():
            queries, body = _queries(api, url)
            assert len(body["items"]) == min(count + start, 100)
            counts[persona].append(queries)
    for persona, (few, many) in counts.items():
        assert few == many <= BUDGET, f"{persona}: {few} queries for a few workspaces, {many} for hundreds"


def _grow_service_accounts(organization, owner, n, start):
    """`n` more service accounts (their users and memberships), each with two keys."""
    from accounts.models import User
    from organizations.models import Membership
    from service_accounts.models import ServiceAccount, ServiceAccountKey

    users = User.objects.bulk_create(
        User(email=f"sa-{k}@service-accounts.invalid", is_service_account=True)
        for k in range(start, start + n)
    )
    Membership.objects.bulk_create(
        Membership(organization=organization, user=u, role="member") for u in users
    )
    accounts = ServiceAccount.objects.bulk_create(
        ServiceAccount(organization=organization, user=u, name=f"bot-{k}", created_by=owner)
        for k, u in enumerate(users, start)
    )
    ServiceAccountKey.objects.bulk_create(
        ServiceAccountKey(
            service_account=a, name=f"key {j}", key_hash=f"{a.pk:060d}{j:04d}", hint="ZENPROKEY_x"
        )
        for a in accounts
        for j in range(2)
    )
    return accounts


def test_service_account_lists_queries_do_not_grow(api_as, owner, organization):
    api = api_as(owner)
    first = _grow_service_accounts(organization, owner, 3, 0)[0]
    lists = {
        "accounts": f"organizations/{organization.slug}/service-accounts?limit=100",
        "keys": f"organizations/{organization.slug}/service-accounts/{first.pk}/keys?limit=100",
    }
    few = {name: _queries(api, url)[0] for name, url in lists.items()}
    _grow_service_accounts(organization, owner, 150, 3)
    from service_accounts.models import ServiceAccountKey

    ServiceAccountKey.objects.bulk_create(
        ServiceAccountKey(
            service_account=first, name=f"more {j}", key_hash=f"m{first.pk:058d}{j:05d}", hint="x"
        )
        for j in range(150)
    )
    for name, url in lists.items():
        many, body = _queries(api, url)
        assert len(body["items"]) == 100
        assert few[name] == many <= BUDGET, f"{name}: {few[name]} queries for a few rows, {many} for many"
