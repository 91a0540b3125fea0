"""Who has access to what (/orgs/<org>/settings/access/): each cell's effective role and its source, the
filters, the CSV export, and a bounded number of queries however large the organization."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import User
from governance.services import team_member_add
from organizations.models import DimensionValue, Membership, Team
from organizations.services import team_create, team_update
from workspaces.models import Workspace, WorkspaceLabel, WorkspaceRoleAssignment, WorkspaceStatus
from workspaces.services import custom_role_create, workspace_delete, workspace_role_assign

pytestmark = pytest.mark.django_db


def _url(organization, **query):
    from urllib.parse import urlencode

    base = reverse("organizations:access", args=[organization.slug])
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def _value(organization, dimension, value):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension, value=value
    )


@pytest.fixture
def world(organization, owner, add_member, make_workspace):
    """Two workspaces (staging, production); Dana holds Developer directly on staging, and Viewer on
    production through the Data team; Vic is an organization Viewer with no workspace role; the Ops team
    gives its members the organization role Admin."""
    staging = make_workspace("web-staging", label_values=[_value(organization, "environment", "staging")])
    production = make_workspace("web-prod", label_values=[_value(organization, "environment", "production")])
    dana = add_member("member", "dana@example.com")
    vic = add_member("viewer", "vic@example.com")
    olga = add_member("member", "olga@example.com")
    add_member("admin", "ada@example.com")
    workspace_role_assign(workspace=staging, user=dana, role="developer", acting_user=owner)
    data = team_create(organization=organization, name="Data", acting_user=owner)
    team_member_add(team=data, user=dana, acting_user=owner)
    workspace_role_assign(workspace=production, team=data, role="viewer", acting_user=owner)
    ops = team_create(organization=organization, name="Ops", acting_user=owner)
    team_update(team=ops, name="Ops", description="", role="admin", acting_user=owner)
    team_member_add(team=ops, user=olga, acting_user=owner)
    return {"staging": staging, "production": production, "dana": dana, "vic": vic, "olga": olga}


def _cell(page: str, title_start: str) -> bool:
    return f'title="{title_start}' in page


def test_each_cell_shows_the_effective_role_and_its_source(owner_client, organization, world):
    page = owner_client.get(_url(organization)).content.decode()
    assert "Who has access to what" in page
    assert page.count('class="access-table__workspace"') == 2
    assert _cell(page, "Developer (direct)")  # Dana on staging
    assert _cell(page, "Viewer (via team Data)")  # Dana on production
    assert _cell(page, "Admin (via organization role Admin)")  # Ada, an organization Admin, everywhere
    # The owner created both workspaces, so is their Admin directly, and through the organization role.
    assert _cell(page, "Admin (direct); also Admin (via organization role Owner)")
    assert _cell(
        page, "Admin (via organization role Admin (team Ops))"
    )  # Olga, through Ops' organization role
    assert 'access-cell--direct"' in page and 'access-cell--team"' in page
    assert 'access-cell--organization"' in page
    # The organization Viewer lists workspaces but holds no role in them: no access in any cell.
    vic_row = page.split("vic@example.com", 1)[1].split("</tr>", 1)[0]
    assert vic_row.count("No access") == 2


def test_the_highest_source_wins_and_the_others_are_kept(owner_client, organization, world, owner):
    workspace_role_assign(
        workspace=world["production"], user=world["dana"], role="contributor", acting_user=owner
    )
    page = owner_client.get(_url(organization, q="dana")).content.decode()
    assert _cell(page, "Contributor (direct); also Viewer (via team Data)")


def test_a_custom_role_shows_by_its_name(owner_client, organization, world, owner):
    auditor = custom_role_create(
        organization=organization, name="Auditor", base_role="viewer", acting_user=owner
    )
    WorkspaceRoleAssignment.objects.filter(workspace=world["staging"], user=world["dana"]).update(
        role="", custom_role=auditor
    )
    assert _cell(owner_client.get(_url(organization, q="dana")).content.decode(), "Auditor (direct)")


def test_teams_have_their_own_rows(owner_client, organization, world):
    page = owner_client.get(_url(organization, show="teams")).content.decode()
    data_row = page.split('access-table__name">Data<', 1)[1].split("</tr>", 1)[0]
    assert "1 member" in data_row and _cell(data_row, "Viewer (direct)") and data_row.count("No access") == 1
    ops_row = page.split('access-table__name">Ops<', 1)[1].split("</tr>", 1)[0]
    assert ops_row.count('title="Admin (via organization role Admin)"') == 2


def test_search_by_person_and_filter_by_label(owner_client, organization, world):
    page = owner_client.get(_url(organization, q="dana")).content.decode()
    assert "dana@example.com" in page and "vic@example.com" not in page
    assert "1 person × 2 workspaces match the filters" in page

    page = owner_client.get(_url(organization, label="environment:production")).content.decode()
    assert "web-prod" in page and "web-staging" not in page
    assert '<option value="environment:production" selected>' in page

    both = owner_client.get(_url(organization, label=["environment:production", "environment:staging"]))
    assert "web-prod" in both.content.decode() and "web-staging" in both.content.decode()
    nothing = owner_client.get(_url(organization, q="nobody-by-that-name")).content.decode()
    assert "Nothing matches these filters." in nothing


def test_the_filters_swap_only_the_matrix_for_htmx(owner_client, organization, world):
    response = owner_client.get(
        _url(organization, q="dana"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="access-results"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="access-results"') and "<html" not in page


def test_deleted_workspaces_are_not_listed(owner_client, organization, world, owner):
    workspace_delete(workspace=world["staging"], typed_id="web-staging", acting_user=owner)
    page = owner_client.get(_url(organization)).content.decode()
    assert "web-staging" not in page and "web-prod" in page


def test_csv_export_streams_every_filtered_row(owner_client, organization, world):
    response = owner_client.get(_url(organization, format="csv"))
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith(f'attachment; filename="access-{organization.slug}-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_key = {(row["e-mail"], row["workspace id"]): row for row in rows}
    assert by_key[("dana@example.com", "web-staging")]["role"] == "Developer"
    assert by_key[("dana@example.com", "web-staging")]["source"] == "direct"
    production = by_key[("dana@example.com", "web-prod")]
    assert (production["role"], production["source"], production["via"]) == ("Viewer", "team", "Data")
    admin = by_key[("ada@example.com", "web-prod")]
    assert (admin["role"], admin["source"], admin["via"]) == ("Admin", "organization", "Admin")
    owner = by_key[("owner@example.com", "web-prod")]
    assert owner["source"] == "direct" and owner["other sources"] == "Admin (via organization role Owner)"
    assert not any(row["e-mail"] == "vic@example.com" for row in rows)  # no access: no row
    assert all(row["principal type"] == "person" for row in rows)

    filtered = owner_client.get(_url(organization, format="csv", label="environment:staging"))
    rows = list(csv.DictReader(io.StringIO(b"".join(filtered.streaming_content).decode())))
    assert {row["workspace id"] for row in rows} == {"web-staging"}

    teams = owner_client.get(_url(organization, format="csv", show="teams"))
    rows = list(csv.DictReader(io.StringIO(b"".join(teams.streaming_content).decode())))
    assert {(row["name"], row["workspace id"], row["role"]) for row in rows} == {
        ("Data", "web-prod", "Viewer"),
        ("Ops", "web-prod", "Admin"),
        ("Ops", "web-staging", "Admin"),
    }


@pytest.mark.parametrize("persona", ["manager", "viewer", "member"])
def test_only_those_who_read_the_audit_log_see_it(client, organization, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(_url(organization)).status_code == 403
    assert client.get(_url(organization, format="csv")).status_code == 403
    assert (
        'href="/orgs/acme-ml/settings/access/"'
        not in client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    )


def _large_organization(organization, people: int, workspaces: int):
    """`people` members and `workspaces` labelled workspaces, each person with a direct role on a few
    workspaces and, through one of ten teams, on a few more (bulk-inserted: the page is under test)."""
    users = User.objects.bulk_create(User(email=f"p{i:04d}@example.com") for i in range(people))
    Membership.objects.bulk_create(
        Membership(organization=organization, user=u, role="member") for u in users
    )
    spaces = Workspace.objects.bulk_create(
        Workspace(
            organization=organization,
            slug=f"ws-{i:04d}",
            display_name=f"Workspace {i}",
            status=WorkspaceStatus.AVAILABLE,
        )
        for i in range(workspaces)
    )
    values = [_value(organization, "environment", v) for v in ("development", "staging", "production")]
    WorkspaceLabel.objects.bulk_create(
        WorkspaceLabel(workspace=w, dimension_id=values[i % 3].dimension_id, value=values[i % 3])
        for i, w in enumerate(spaces)
    )
    teams = Team.objects.bulk_create(Team(organization=organization, name=f"Team {i}") for i in range(10))
    Team.members.through.objects.bulk_create(
        Team.members.through(team=teams[i % 10], user=u) for i, u in enumerate(users)
    )
    assignments = [
        WorkspaceRoleAssignment(workspace=spaces[n], user=u, role="developer")
        for i, u in enumerate(users)
        for n in {(i * 7 + k) % workspaces for k in range(3)}
    ]
    assignments += [
        WorkspaceRoleAssignment(workspace=spaces[n], team=team, role="viewer")
        for t, team in enumerate(teams)
        for n in {(t * 11 + k) % workspaces for k in range(5)}
    ]
    WorkspaceRoleAssignment.objects.bulk_create(assignments)


@pytest.mark.parametrize(("people", "workspaces"), [(5, 3), (300, 100)])
def test_the_matrix_answers_in_bounded_queries(
    owner_client, organization, people, workspaces, django_assert_max_num_queries
):
    _large_organization(organization, people, workspaces)
    with django_assert_max_num_queries(15):
        response = owner_client.get(_url(organization))
    page = response.content.decode()
    assert page.count('class="access-table__workspace"') == min(workspaces, 25)
    assert page.count('<th scope="row"') == min(people + 1, 50)
    with django_assert_max_num_queries(15):
        response = owner_client.get(_url(organization, label="environment:staging", page=2, wpage=2))
    assert response.status_code == 200
    with django_assert_max_num_queries(15):
        response = owner_client.get(_url(organization, show="teams"))
    assert response.status_code == 200


def test_the_export_of_a_large_organization_stays_in_few_queries(
    owner_client, organization, django_assert_max_num_queries
):
    _large_organization(organization, 300, 100)
    with django_assert_max_num_queries(15):
        response = owner_client.get(_url(organization, format="csv"))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # Each person: their 3 direct roles and their team's 5 (where they differ); the owner: all 100.
    expected = sum(
        len({(i * 7 + k) % 100 for k in range(3)} | {((i % 10) * 11 + k) % 100 for k in range(5)})
        for i in range(300)
    )
    assert len(rows) == 1 + expected + 100
    assert sum(1 for row in rows[1:] if row[3] == "owner@example.com") == 100


def test_protected_and_review_overdue_workspaces_carry_their_marks(owner_client, organization, world):
    from django.utils import timezone

    Workspace.objects.filter(pk=world["staging"].pk).update(access_review_due_at=timezone.now())
    page = owner_client.get(_url(organization)).content.decode()
    headers = page[page.index("<thead") : page.index("</thead>")]
    production = headers[headers.index("web-prod") :]
    assert "mark--protected" in production.split("</th>")[0]
    staging = headers[headers.index("web-staging") :]
    assert "mark--protected" not in staging.split("</th>")[0]
    assert (
        "Review overdue" in staging.split("</th>")[0] and "Review overdue" not in production.split("</th>")[0]
    )
