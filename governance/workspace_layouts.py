"""Reads behind the organization home's views: a board's columns, a group-by's groups, a matrix's cells,
each with its roll-ups; the header's charts. Every function answers in a fixed number of queries,
whatever the number of workspaces.

A column, group or cell keeps only its first workspaces (`COLUMN_LIMIT`, `CELL_LIMIT`) as objects;
the rest are counted, and `rest_url` opens them all in the list view.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from control_plane.models import UsageCount, UsageDay
from organizations.models import Dimension, DimensionValue
from workspaces.models import Workspace, WorkspaceLabel, WorkspaceRoleAssignment
from workspaces.policies import with_policy_marks

from .workspace_query import WorkspaceQuery

COLUMN_LIMIT = 12  # workspaces shown in a board column or a group
CELL_LIMIT = 5  # workspaces shown in a matrix cell
RUNS_FEATURE = "pipeline_run"  # the usage a workspace's server reports for its pipeline runs
RUNS_DAYS = 7  # a roll-up's runs are those of the last RUNS_DAYS days, today included
# Only what a card or a row shows: no description or README (large text) for a list.
CARD_FIELDS = (
    "id",
    "organization_id",
    "slug",
    "display_name",
    "status",
    "created_at",
    "access_review_due_at",
)


@dataclass
class WorkspaceGroup:
    """A board column, a group of the group-by view, a matrix row, column or cell."""

    value: DimensionValue | None  # None: the workspaces without a value in the dimension
    count: int = 0
    members: int = 0  # distinct people with a workspace role here (directly or through a team)
    runs: int | None = None  # pipeline runs of the last RUNS_DAYS days; None when no server ever reported
    workspaces: list = field(default_factory=list)  # the first ones, to show
    rest_url: str = ""  # the list view of all of them
    new_url: str = ""  # (matrix cells) the stepper, with both labels preset

    @property
    def hidden_count(self) -> int:
        return self.count - len(self.workspaces)


@dataclass
class WorkspaceMatrix:
    row_dimension: Dimension
    col_dimension: Dimension
    rows: list[WorkspaceGroup]
    cols: list[WorkspaceGroup]
    cells: list[list[WorkspaceGroup]]  # one list per row, a cell per column

    @property
    def lines(self) -> list[tuple[WorkspaceGroup, list[WorkspaceGroup]]]:
        return list(zip(self.rows, self.cells, strict=True))


def with_label_ids(workspaces: QuerySet) -> QuerySet:
    """Annotate each workspace with `label_ids`: its labels' value pks, comma-separated, so a list gets
    its labels in its own query (see `attach_label_values`)."""
    ids = (
        WorkspaceLabel.objects.filter(workspace=OuterRef("pk"))
        .order_by()
        .values("workspace_id")
        .annotate(ids=StringAgg(Cast("value_id", CharField()), delimiter=Value(",")))
        .values("ids")
    )
    return workspaces.annotate(label_ids=Subquery(ids))


def attach_label_values(workspaces: list, dimensions: list[Dimension]) -> list:
    """Give each workspace (annotated by `with_label_ids`) `label_values`: its labels' DimensionValue
    objects in dimension order, one object per value shared by every row (no query)."""
    values = {v.pk: v for d in dimensions for v in d.values.all()}
    position = {d.pk: i for i, d in enumerate(dimensions)}
    for workspace in workspaces:
        held = [values[int(pk)] for pk in (workspace.label_ids or "").split(",") if pk and int(pk) in values]
        workspace.label_values = sorted(held, key=lambda v: position[v.dimension_id])
    return workspaces


def _dimension_values(dimension: Dimension) -> list[DimensionValue]:
    values = list(dimension.values.all())
    for value in values:
        value.dimension = dimension  # the one instance, so chips ask no query for its name
    return values


def _keys_of(workspaces: QuerySet, query: WorkspaceQuery, dimensions: list[Dimension]) -> list[tuple]:
    """(pk, runs, value id per dimension...) of every workspace in `workspaces`, in the query's order."""
    annotations = {
        f"value_{i}": Subquery(
            WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), dimension=dimension).values("value_id")[
                :1
            ]
        )
        for i, dimension in enumerate(dimensions)
    }
    return list(
        workspaces.prefetch_related(None)
        .order_by(*query.ordering)
        .annotate(runs=_recent_runs(), **annotations)
        .values_list("pk", "runs", *annotations)
    )


def _recent_runs():
    """A workspace's pipeline runs of the last `RUNS_DAYS` days, as an expression of its row (so a whole
    list gets them in its own query); None when its server never reported a run."""
    since = timezone.localdate() - timedelta(days=RUNS_DAYS - 1)
    recent = (
        UsageDay.objects.filter(workspace=OuterRef("pk"), feature=RUNS_FEATURE, day__gte=since)
        .order_by()
        .values("workspace_id")
        .annotate(runs=Sum("total"))
        .values("runs")
    )
    reported = UsageCount.objects.filter(workspace=OuterRef("pk"), feature=RUNS_FEATURE)
    return Case(
        When(Exists(reported), then=Coalesce(Subquery(recent), 0)),
        default=None,
        output_field=IntegerField(),
    )


def _people_by_workspace(workspaces: QuerySet) -> dict:
    """Who holds a role on each workspace, directly or through a team: {workspace pk: {user pk}}."""
    people = defaultdict(set)
    assignments = WorkspaceRoleAssignment.objects.filter(
        workspace__in=workspaces.order_by().values("pk")
    ).values_list("workspace_id", "user_id", "team__members")
    for workspace_id, user_id, team_member_id in assignments:
        people[workspace_id].add(user_id or team_member_id)
    for holders in people.values():
        holders.discard(None)  # a team without members
    return people


class _Grouping:
    """Sorts the keys of `_keys_of` into groups, and fills them in once every group is known."""

    def __init__(self, people: dict, runs: dict):
        self.people, self.runs = people, runs
        self.members: dict = defaultdict(list)

    def add(self, key, pk) -> None:
        self.members[key].append(pk)

    def fill(self, group: WorkspaceGroup, key, limit: int) -> list:
        """Count `group`'s workspaces and roll them up; answer the pks it shows."""
        pks = self.members.get(key, [])
        group.count = len(pks)
        group.members = len(set().union(*(self.people.get(pk, ()) for pk in pks)))
        reported = [self.runs[pk] for pk in pks if self.runs.get(pk) is not None]
        group.runs = sum(reported) if reported else None
        return pks[:limit]


def _load(pks_by_group: list[tuple[WorkspaceGroup, list]], dimensions: list[Dimension]) -> None:
    """Fetch the workspaces every group shows (one query in all) and hand them to their groups."""
    wanted = {pk for _, pks in pks_by_group for pk in pks}
    cards = with_policy_marks(Workspace.objects.filter(pk__in=wanted).only(*CARD_FIELDS))
    shown = with_label_ids(cards) if wanted else []
    loaded = {w.pk: w for w in attach_label_values(list(shown), dimensions)}
    for group, pks in pks_by_group:
        group.workspaces = [loaded[pk] for pk in pks if pk in loaded]


def workspace_columns(
    *, workspaces: QuerySet, query: WorkspaceQuery, dimensions: list[Dimension], path: str, limit=COLUMN_LIMIT
) -> list[WorkspaceGroup]:
    """The board's columns (and the group-by's groups): one per value of `query.by` in order, then
    "no value", each with its first `limit` workspaces in the query's order."""
    dimension = query.dimensions[query.by]
    keys = _keys_of(workspaces, query, [dimension])
    grouping = _Grouping(_people_by_workspace(workspaces), {pk: runs for pk, runs, _ in keys})
    for pk, _, value_id in keys:
        grouping.add(value_id, pk)
    shown = []
    groups = []
    for value in [*_dimension_values(dimension), None]:
        group = WorkspaceGroup(value=value)
        shown.append((group, grouping.fill(group, value.pk if value else None, limit)))
        group.rest_url = query.narrowed_to(dimension.key, value.value if value else None).url(path)
        groups.append(group)
    _load(shown, dimensions)
    return groups


def workspace_matrix(
    *,
    workspaces: QuerySet,
    query: WorkspaceQuery,
    dimensions: list[Dimension],
    path: str,
    new_workspace_url: str = "",
    limit=CELL_LIMIT,
) -> WorkspaceMatrix:
    """The matrix of `query.rows` × `query.cols`: a cell per pair of values, each with its first `limit`
    workspaces; "no value" rows and columns only when some workspace has no value there. A cell's
    `new_url` opens the stepper with its values preset (when `new_workspace_url` is given)."""
    row_dimension, col_dimension = query.dimensions[query.rows], query.dimensions[query.cols]
    keys = _keys_of(workspaces, query, [row_dimension, col_dimension])
    grouping = _Grouping(_people_by_workspace(workspaces), {pk: runs for pk, runs, *_ in keys})
    for pk, _, row_id, col_id in keys:
        grouping.add(("row", row_id), pk)
        grouping.add(("col", col_id), pk)
        grouping.add((row_id, col_id), pk)

    def axis(dimension, side):
        values = _dimension_values(dimension)
        if (side, None) in grouping.members:
            values.append(None)
        groups = []
        for value in values:
            group = WorkspaceGroup(value=value)
            grouping.fill(group, (side, value.pk if value else None), 0)
            group.rest_url = query.narrowed_to(dimension.key, value.value if value else None).url(path)
            groups.append(group)
        return groups

    rows, cols = axis(row_dimension, "row"), axis(col_dimension, "col")
    shown, cells = [], []
    for row in rows:
        line = []
        for col in cols:
            cell = WorkspaceGroup(value=None)
            shown.append((cell, grouping.fill(cell, (_pk(row.value), _pk(col.value)), limit)))
            narrowed = query.narrowed_to(row_dimension.key, row.value.value if row.value else None)
            cell.rest_url = narrowed.narrowed_to(
                col_dimension.key, col.value.value if col.value else None
            ).url(path)
            if new_workspace_url:
                preset = [
                    (d.key, v.value) for d, v in ((row_dimension, row.value), (col_dimension, col.value)) if v
                ]
                cell.new_url = new_workspace_url + "?" + urlencode([("label", f"{k}:{v}") for k, v in preset])
            line.append(cell)
        cells.append(line)
    _load(shown, dimensions)
    return WorkspaceMatrix(row_dimension, col_dimension, rows=rows, cols=cols, cells=cells)


def _pk(value):
    return value.pk if value is not None else None


@dataclass
class ChartBar:
    label: str
    color: str
    count: int
    url: str
    width: int = 0  # of the bar, in the chart's units (0–100)


@dataclass
class Chart:
    dimension: Dimension
    bars: list[ChartBar]
    total: int


def workspace_label_charts(
    *, workspaces: QuerySet, dimensions: list[Dimension], query: WorkspaceQuery, path: str
) -> list[Chart]:
    """For each of `dimensions`: how many of `workspaces` hold each value, and how many none (one query
    for every chart). Each bar links to the list of its workspaces."""
    if not dimensions:
        return []
    aggregates = {"total": Count("pk")}
    for dimension in dimensions:
        holds = WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), dimension=dimension)
        aggregates[f"none_{dimension.pk}"] = Count("pk", filter=~Q(Exists(holds)))
        for value in dimension.values.all():
            aggregates[f"value_{value.pk}"] = Count("pk", filter=Q(Exists(holds.filter(value=value))))
    counts = workspaces.prefetch_related(None).order_by().aggregate(**aggregates)
    charts = []
    for dimension in dimensions:
        bars = [
            ChartBar(
                v.label, v.color, counts[f"value_{v.pk}"], query.narrowed_to(dimension.key, v.value).url(path)
            )
            for v in dimension.values.all()
        ]
        if counts[f"none_{dimension.pk}"]:
            bars.append(
                ChartBar("No value", "none", counts[f"none_{dimension.pk}"],
                         query.narrowed_to(dimension.key, None).url(path))
            )  # fmt: skip
        top = max((bar.count for bar in bars), default=0)
        for bar in bars:
            bar.width = round(100 * bar.count / top) if top else 0
        charts.append(Chart(dimension=dimension, bars=bars, total=counts["total"]))
    return charts
