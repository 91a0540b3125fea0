"""The organization home's views (list, board, group, matrix), its filters and query string, its
roll-ups, its header (charts, "needs attention") and its query budgets."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from control_plane.models import UsageCount, UsageDay
from governance.services.teams import team_member_add
from governance.workspace_layouts import COLUMN_LIMIT
from governance.workspace_query import WorkspaceQuery
from organizations.models import DimensionValue
from organizations.services.teams import team_create
from workspaces.models import Workspace, WorkspaceLabel, WorkspaceRoleAssignment, WorkspaceStatus
from workspaces.services import workspace_role_assign

pytestmark = pytest.mark.django_db


def value(organization, dimension, key):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension, value=key
    )


def home(client, organization, **params):
    response = client.get(reverse("organizations:home", args=[organization.slug]), params)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, start: str, end: str) -> str:
    """The part of `html` from the first `start` to the next `end` after it."""
    begin = html.index(start)
    return html[begin : html.index(end, begin + len(start))]


def board_column(html: str, title: str) -> str:
    """The HTML of the board column headed `title`."""
    columns = html.split('<section class="board__column"')[1:]
    return next(c for c in columns if re.search(rf"</span>{re.escape(title)} <span class=\"count\"", c))


@pytest.fixture
def labelled(organization, make_workspace):
    """A staging and a production workspace of project Default, and one without labels."""
    default = value(organization, "project", "default")
    staging = make_workspace(
        "churn-staging", label_values=[value(organization, "environment", "staging"), default]
    )
    production = make_workspace(
        "churn-prod",
        display_name="Churn production",
        label_values=[value(organization, "environment", "production"), default],
    )
    bare = make_workspace("scratchpad")
    return staging, production, bare


def test_board_shows_a_column_per_environment_value_and_unassigned(owner_client, organization, labelled):
    html = home(owner_client, organization, view="board")
    assert "churn-staging" in board_column(html, "Staging")
    assert "Churn production" in board_column(html, "Production")
    assert "scratchpad" in board_column(html, "Unassigned")
    assert "No workspaces" in board_column(html, "Development")


def test_board_by_another_dimension(owner_client, organization, labelled):
    html = home(owner_client, organization, view="board", by="project")
    default = board_column(html, "Default")
    assert "churn-staging" in default and "churn-prod" in default and "scratchpad" not in default


def test_group_view_groups_in_collapsible_details_with_counts(owner_client, organization, labelled):
    html = home(owner_client, organization, view="group", by="environment")
    assert html.count('<details class="group" open>') == 3  # staging, production, unassigned; not the empty
    staging = section(html, "Staging <span", "</details>")
    assert (
        'aria-label="1 workspace"' in staging and "churn-staging" in staging and "churn-prod" not in staging
    )


def test_matrix_lists_workspaces_per_cell_and_empty_cells_invite_a_new_workspace(
    owner_client, organization, labelled
):
    html = home(owner_client, organization, view="matrix", rows="project", cols="environment")
    assert "Project" in section(html, 'class="matrix__corner"', "</td>")
    default_row = section(html, "Default <span", "</tr>")
    cells = default_row.split('<td class="matrix__cell">')[1:]
    assert "+ New Workspace" in cells[0] and "churn-staging" in cells[1] and "Churn production" in cells[2]
    new = reverse("workspaces:new", args=[organization.slug])
    assert f'href="{new}?label=project%3Adefault&amp;label=environment%3Adevelopment"' in cells[0]
    assert "No value" in html  # the unlabelled workspace has a row and a column of its own


def test_matrix_offers_no_new_workspace_to_who_may_not_create(client, organization, labelled, viewer):
    client.force_login(viewer)
    html = home(client, organization, view="matrix")
    assert "New Workspace" not in html and "Churn Staging" in html  # listed (as text: no role there)


def test_a_column_shows_its_first_workspaces_and_links_to_all(owner_client, organization, owner):
    staging = value(organization, "environment", "staging")
    _bulk(organization, owner, COLUMN_LIMIT + 3, labels=lambda i: [staging])
    html = home(owner_client, organization, view="board")
    column = board_column(html, "Staging")
    assert column.count('class="ws-card"') == COLUMN_LIMIT
    assert f"Show all {COLUMN_LIMIT + 3}" in column
    assert 'href="/orgs/acme-ml/?label=environment%3Astaging"' in column
    listed = home(owner_client, organization, label="environment:staging")
    assert f"{COLUMN_LIMIT + 3} workspaces" in listed


def test_roll_ups_count_workspaces_people_with_a_role_and_reported_runs(
    owner_client, organization, owner, labelled, add_member
):
    staging, production, _ = labelled
    teammate, other = add_member("member", "teammate@example.com"), add_member("member", "other@example.com")
    team = team_create(organization=organization, name="Churners", acting_user=owner)
    team_member_add(team=team, user=teammate, acting_user=owner)
    team_member_add(team=team, user=other, acting_user=owner)
    workspace_role_assign(workspace=production, team=team, role="developer", acting_user=owner)
    workspace_role_assign(workspace=production, user=teammate, role="viewer", acting_user=owner)
    UsageCount.objects.create(workspace=production, feature="pipeline_run", total=142)
    today = timezone.localdate()
    for days_ago, total in [(0, 30), (6, 12), (7, 100)]:  # the last is a week old: not counted
        UsageDay.objects.create(
            workspace=production, feature="pipeline_run", day=today - timedelta(days=days_ago), total=total
        )
    html = home(owner_client, organization, view="board")
    production_column = board_column(html, "Production")
    # The owner (Admin as creator), the teammate (directly and through the team) and the other: 3 people.
    assert "3 members" in production_column and "42 runs in 7 days" in production_column
    assert "1 member<" in board_column(html, "Staging") and "no runs reported" in board_column(
        html, "Staging"
    )


def test_label_filters_widen_within_a_dimension_and_narrow_across(owner_client, organization, labelled):
    both = home(owner_client, organization, label=["environment:staging", "environment:production"])
    assert "churn-staging" in both and "churn-prod" in both and "scratchpad" not in both
    narrowed = home(owner_client, organization, label=["environment:staging", "project:default"])
    assert "churn-staging" in narrowed and "churn-prod" not in narrowed
    none = home(owner_client, organization, nolabel="environment")
    assert "scratchpad" in none and "churn-staging" not in none
    assert "Environment: none" in none  # the active filter's chip


def test_status_filter_and_its_chip(owner_client, organization, labelled):
    staging, _, _ = labelled
    Workspace.objects.filter(pk=staging.pk).update(status=WorkspaceStatus.FAILED)
    html = home(owner_client, organization, status="failed")
    assert "churn-staging" in section(html, 'id="workspace-browser"', "</section>\n")
    assert "churn-prod" not in section(html, 'id="workspace-browser"', "</section>\n")
    assert "Status: Failed" in html and "Clear filters" in html


def test_i_have_a_role_keeps_the_workspaces_with_a_role_of_mine_or_my_teams(
    client, organization, owner, labelled, add_member
):
    staging, production, bare = labelled
    manager = add_member("manager", "lister@example.com")
    team = team_create(organization=organization, name="Ops", acting_user=owner)
    team_member_add(team=team, user=manager, acting_user=owner)
    workspace_role_assign(workspace=staging, user=manager, role="viewer", acting_user=owner)
    workspace_role_assign(workspace=production, team=team, role="viewer", acting_user=owner)
    client.force_login(manager)
    everything = home(client, organization)
    assert "scratchpad" in everything  # a manager sees every workspace in the list
    mine = home(client, organization, only="mine")
    assert "churn-staging" in mine and "churn-prod" in mine and "scratchpad" not in mine


def test_review_overdue_and_protected_chips_keep_what_they_name(owner_client, organization, labelled):
    staging, production, bare = labelled
    assert production.is_protected and not staging.is_protected  # environment = production, by default
    Workspace.objects.filter(pk=staging.pk).update(access_review_due_at=timezone.now() - timedelta(days=1))
    Workspace.objects.filter(pk=bare.pk).update(access_review_due_at=timezone.now() + timedelta(days=30))
    html = home(owner_client, organization)
    chips = section(html, 'id="filter-only-overdue"', "</a>") + section(
        html, 'id="filter-only-protected"', "</a>"
    )
    assert "Review overdue" in chips and "Protected" in chips
    browser = lambda html: html[html.index('id="workspace-browser"') :]  # noqa: E731
    overdue = browser(home(owner_client, organization, only="overdue"))
    assert "churn-staging" in overdue and "churn-prod" not in overdue and "scratchpad" not in overdue
    for view in ("list", "board", "matrix"):
        protected = browser(home(owner_client, organization, only="protected", view=view))
        assert (
            "churn-prod" in protected and "churn-staging" not in protected and "scratchpad" not in protected
        )
    both = home(owner_client, organization, only=["overdue", "protected"])
    assert "churn-" not in browser(both) and "scratchpad" not in browser(both)


def test_search_matches_label_values(owner_client, organization, labelled):
    html = home(owner_client, organization, q="producti")
    assert "churn-prod" in html and "churn-staging" not in html


def test_a_member_sees_only_their_workspaces_in_every_view(client, organization, owner, labelled, member):
    staging, _, _ = labelled
    workspace_role_assign(workspace=staging, user=member, role="viewer", acting_user=owner)
    client.force_login(member)
    for view in ("list", "board", "group", "matrix"):
        html = home(client, organization, view=view)
        assert "churn-staging" in html and "churn-prod" not in html and "scratchpad" not in html, view
    assert "Production 0" not in home(client, organization)  # the header counts only what they see


def test_the_query_string_round_trips_and_drops_what_names_nothing(organization):
    from django.http import QueryDict

    dimensions = list(organization.dimensions.prefetch_related("values"))
    asked = QueryDict(
        "view=matrix&rows=project&cols=project&label=environment:staging&label=bogus:x&status=failed"
        "&status=nope&only=mine&only=unknown&q=churn&sort=name&page=3"
    )
    query = WorkspaceQuery.from_params(asked, dimensions)
    assert (query.view, query.rows, query.cols) == ("matrix", "project", "environment")  # never x itself
    assert query.labels == (("environment", "staging"),) and query.statuses == ("failed",)
    assert query.only == ("mine",) and query.search == "churn" and query.sort == "name"
    url = query.url("/orgs/acme-ml/")
    assert url == (
        "/orgs/acme-ml/?view=matrix&rows=project&cols=environment&label=environment%3Astaging"
        "&status=failed&only=mine&q=churn&sort=name"
    )  # the page belongs to the list view only
    assert WorkspaceQuery.from_params(QueryDict(url.split("?")[1]), dimensions) == query.change(page="")
    assert WorkspaceQuery.from_params(QueryDict(""), dimensions).url("/x/") == "/x/"


def test_list_is_sortable_by_name_status_and_created(owner_client, organization, make_workspace):
    make_workspace("bravo-ws", display_name="Bravo")
    make_workspace("alpha-ws", display_name="Alpha")
    Workspace.objects.filter(slug="alpha-ws").update(status=WorkspaceStatus.AVAILABLE)
    newest = home(owner_client, organization)
    assert newest.index("alpha-ws") < newest.index("bravo-ws")
    by_name = home(owner_client, organization, sort="-name")
    assert by_name.index("bravo-ws") < by_name.index("alpha-ws")
    assert 'aria-sort="descending"><a href="/orgs/acme-ml/?sort=name"' in by_name
    by_status = home(owner_client, organization, sort="status")  # pending (needs a look) before available
    assert by_status.index("bravo-ws") < by_status.index("alpha-ws")


def test_htmx_swaps_the_views_and_the_search_box_state(owner_client, organization, labelled):
    response = owner_client.get(
        reverse("organizations:home", args=[organization.slug]),
        {"view": "board", "label": "project:default"},
        headers={"HX-Request": "true", "HX-Target": "workspace-browser"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="workspace-browser"') and "board__column" in html
    state = section(html, 'id="workspace-query-state"', "</div>")
    assert 'hx-swap-oob="true"' in state and 'name="view" value="board"' in state
    assert 'name="label" value="project:default"' in state
    assert "Needs attention" not in html  # the header is not part of the swap
    assert "HX-Request" in response["Vary"]


def test_filter_chips_link_to_the_state_with_each_filter_toggled(owner_client, organization, labelled):
    html = home(owner_client, organization, view="board", label="environment:staging")
    chip = section(html, 'id="filter-label-environment-staging"', "</a>")
    assert 'href="/orgs/acme-ml/?view=board&amp;by=environment"' in chip and 'aria-current="true"' in chip
    chip = section(html, 'id="filter-label-environment-production"', "</a>")
    assert "label=environment%3Astaging&amp;label=environment%3Aproduction" in chip


def test_header_charts_and_needs_attention(owner_client, organization, labelled):
    staging, _, _ = labelled
    Workspace.objects.filter(pk=staging.pk).update(
        status=WorkspaceStatus.FAILED, status_reason="The server did not answer its health check."
    )
    html = home(owner_client, organization)
    chart = section(html, 'id="chart-environment"', "</section>")
    assert re.search(r"Staging</span><svg[^>]*>.*?</svg><span class=\"bar-chart__count\">1<", chart)
    assert "No value" in chart and "style=" not in chart
    assert 'href="/orgs/acme-ml/?label=environment%3Astaging"' in chart
    assert 'id="chart-data-sensitivity"' in html
    attention = section(html, 'id="attention-heading"', "</section>")
    assert "Provisioning failed" in attention and "did not answer its health check" in attention
    assert reverse("workspaces:overview", args=["churn-staging"]) in attention


def chart_counts(html: str, dimension: str) -> dict:
    chart = section(html, f'id="chart-{dimension}"', "</section>")
    pattern = r"([\w ]+)</span><svg[^>]*>.*?</svg><span class=\"bar-chart__count\">(\d+)<"
    return {label.strip(): int(count) for label, count in re.findall(pattern, chart)}


def test_header_charts_count_only_what_the_person_sees(client, organization, owner, labelled, viewer, member):
    """The charts read kept counts; a Viewer's leave out protected workspaces without a role of theirs,
    a Member's count only the workspaces they hold a role on."""
    staging, production, _ = labelled
    DimensionValue.objects.filter(pk=value(organization, "environment", "production").pk).update(
        protected=True
    )
    client.force_login(owner)
    assert chart_counts(home(client, organization), "environment") == {
        "Development": 0, "Staging": 1, "Production": 1, "No value": 1
    }  # fmt: skip
    client.force_login(viewer)
    assert chart_counts(home(client, organization), "environment") == {
        "Development": 0, "Staging": 1, "Production": 0, "No value": 1
    }  # fmt: skip
    workspace_role_assign(workspace=production, user=viewer, role="viewer", acting_user=owner)
    assert chart_counts(home(client, organization), "environment")["Production"] == 1
    client.force_login(member)
    workspace_role_assign(workspace=staging, user=member, role="developer", acting_user=owner)
    assert chart_counts(home(client, organization), "environment") == {
        "Development": 0, "Staging": 1, "Production": 0
    }  # fmt: skip


def test_list_counts_come_from_kept_counts_or_stop_at_a_cap(
    owner_client, organization, labelled, monkeypatch
):
    """A label filter's count is read from the kept counts; other filters count rows up to a cap and
    then say "N+" instead of reading every row."""
    monkeypatch.setattr("governance.views.home.COUNT_CAP", 2)
    assert "3 workspaces" in home(owner_client, organization)
    assert "1 workspace<" in home(owner_client, organization, label="environment:staging")
    assert "2 workspaces" in home(
        owner_client, organization, nolabel="environment", label="environment:staging"
    )
    assert "2+ workspaces" in home(owner_client, organization, status="pending")
    assert "1 workspace matching" in home(owner_client, organization, q="scratch")


@pytest.mark.parametrize("persona", ["owner", "viewer", "member"])
def test_matrix_cells_from_kept_counts_equal_a_count_of_the_rows(
    request, organization, owner, make_workspace, labelled, persona
):
    """The unfiltered matrix reads kept counts by value and pair (less what a Viewer may not see, or
    only a Member's roles); they must equal grouping the very workspaces the person sees."""
    from governance.workspace_layouts import workspace_matrix
    from organizations.access import Access
    from organizations.models import Dimension
    from workspaces.selectors import workspace_label_counts, workspace_list_for_user

    staging, production, bare = labelled
    make_workspace("fraud-prod", label_values=[value(organization, "environment", "production")])
    make_workspace("fraud-sensitive", label_values=[value(organization, "data-sensitivity", "confidential")])
    DimensionValue.objects.filter(pk=value(organization, "environment", "production").pk).update(
        protected=True
    )
    user = request.getfixturevalue(persona)
    for workspace in (production, bare) if user != owner else ():
        workspace_role_assign(workspace=workspace, user=user, role="viewer", acting_user=owner)
    access = Access.for_user(user, organization)
    dimensions = list(Dimension.objects.filter(organization=organization).prefetch_related("values"))
    query = WorkspaceQuery.from_params(QueryDict("view=matrix&rows=environment&cols=project"), dimensions)
    visible = workspace_list_for_user(organization=organization, access=access)

    def cells(counts):
        matrix = workspace_matrix(
            workspaces=visible, query=query, dimensions=dimensions, path="/", counts=counts
        )
        return [[cell.count for cell in line] for line in matrix.cells], [row.count for row in matrix.rows]

    kept = cells(workspace_label_counts(organization=organization, access=access, pairs=True))
    assert kept == cells(None)
    assert sum(kept[1]) == visible.count()


def test_nothing_needs_attention(owner_client, organization, labelled):
    assert "Nothing needs attention." in home(owner_client, organization)


# --- Query budgets --------------------------------------------------------------------------------


def _bulk(organization, owner, count, *, labels, start=0):
    """`count` available workspaces, numbered from `start`, each with the labels `labels(i)` gives (two
    bulk inserts)."""
    workspaces = Workspace.objects.bulk_create(
        Workspace(
            organization=organization,
            slug=f"bulk-{i:05d}",
            display_name=f"Bulk {i}",
            status=WorkspaceStatus.AVAILABLE,
            created_by=owner,
        )
        for i in range(start, start + count)
    )
    WorkspaceLabel.objects.bulk_create(
        WorkspaceLabel(workspace=w, dimension_id=v.dimension_id, value=v)
        for i, w in enumerate(workspaces, start)
        for v in labels(i)
    )
    return workspaces


@pytest.fixture
def four_labels(organization, owner):
    """One value of each of the four default dimensions, by workspace number (the team's from a team)."""
    team_create(organization=organization, name="Data Science", acting_user=owner)
    team_create(organization=organization, name="Platform", acting_user=owner)
    dimensions = list(organization.dimensions.prefetch_related("values"))
    values = [list(d.values.all()) for d in dimensions]
    assert len(values) == 4 and all(values)
    return lambda i: [options[i % len(options)] for options in values]


@pytest.mark.parametrize(
    "params",
    [
        {"view": "board"},
        {"view": "group", "by": "project"},
        {"view": "matrix"},
        {"view": "board", "label": "environment:staging", "only": "mine", "q": "bulk"},
        {"view": "list", "sort": "status"},
        {"view": "matrix", "only": ["overdue", "protected"]},
        {"view": "board", "convention": "{environment}-{name}"},
    ],
    ids=["board", "group", "matrix", "filtered-board", "list", "overdue-protected-matrix", "convention"],
)
def test_views_answer_in_the_same_bounded_queries_over_20_and_2000_workspaces(
    client, organization, owner, add_member, four_labels, params, django_assert_max_num_queries
):
    params = dict(params)
    # With a naming convention, "needs attention" checks every ID against it: still no query per row.
    organization.workspace_naming_pattern = params.pop("convention", "")
    organization.save(update_fields=["workspace_naming_pattern"])
    member = add_member("member", "ws-member@example.com")  # sees only the workspaces of their roles
    url = reverse("organizations:home", args=[organization.slug])
    counts = {}
    made = []
    for size in (20, 2000):
        made += _bulk(organization, owner, size - len(made), start=len(made), labels=four_labels)
        WorkspaceRoleAssignment.objects.bulk_create(
            WorkspaceRoleAssignment(workspace=w, user=member, role="viewer") for w in made[-5:]
        )
        UsageCount.objects.bulk_create(
            UsageCount(workspace=w, feature="pipeline_run", total=3)
            for w in made[len(made) - size // 2 :][:50]
        )
        UsageDay.objects.bulk_create(
            UsageDay(
                workspace=w, feature="pipeline_run", day=timezone.localdate() - timedelta(days=d), total=1
            )
            for w in made[len(made) - size // 2 :][:50]
            for d in (0, 3, 10)
        )
        for user in (owner, member):
            client.force_login(user)
            client.get(url, params)  # the session's first write and the content types are not the view's
            with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(16):
                response = client.get(url, params)
            assert response.status_code == 200
            counts[(user.email, size)] = len(queries)
    for user in (owner, member):
        assert counts[(user.email, 20)] == counts[(user.email, 2000)], counts


def test_an_organization_without_dimensions_gets_the_list(owner_client, organization, make_workspace):
    make_workspace("lonely-ws")
    organization.dimensions.all().delete()
    html = home(owner_client, organization, view="board", label="environment:staging")
    assert "lonely-ws" in html and 'aria-current="page">List<' in html


def test_an_empty_organization_shows_no_header_only_the_empty_state(owner_client, organization):
    html = home(owner_client, organization)
    assert "No workspaces yet" in html and "Needs attention" not in html and "bar-chart" not in html
