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
