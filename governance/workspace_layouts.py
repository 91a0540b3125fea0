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
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from control_plane.models import UsageCount, UsageDay
from organizations.models import Dimension, DimensionValue, Membership
from workspaces.models import Workspace, WorkspaceLabel, WorkspaceRoleAssignment
from workspaces.policies import with_policy_marks
from workspaces.selectors import LabelCounts

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


def workspace_cards(pks: list, dimensions: list[Dimension]) -> list:
    """The workspaces `pks` names, in that order, with what a card or a row shows (policy marks, label
    values): one query."""
    cards = with_label_ids(with_policy_marks(Workspace.objects.filter(pk__in=pks).only(*CARD_FIELDS)))
    loaded = {workspace.pk: workspace for workspace in cards} if pks else {}
    return attach_label_values([loaded[pk] for pk in pks if pk in loaded], dimensions)


def _dimension_values(dimension: Dimension) -> list[DimensionValue]:
    values = list(dimension.values.all())
    for value in values:
        value.dimension = dimension  # the one instance, so chips ask no query for its name
    return values


def _value_in(dimension: Dimension, workspace: str = "pk"):
    """The pk of the value in `dimension` of the workspace `workspace` names (NULL: none), as an
    expression of a row (a workspace's, or a row pointing at one), read from the unique label index."""
    return Subquery(
        WorkspaceLabel.objects.filter(workspace=OuterRef(workspace), dimension=dimension)
        .order_by()  # no join for the Meta ordering: at most one row
        .values("value_id")[:1]
    )


def _among(workspaces: QuerySet):
    """A row's workspace (`workspace_id`) is one of `workspaces`: checked per row by its primary key,
    where `IN (workspaces)` would first list all of them (100,000 entries for a large organization)."""
    return Exists(workspaces.prefetch_related(None).order_by().filter(pk=OuterRef("workspace_id")))


def _counts(workspaces: QuerySet, dimensions: list[Dimension]) -> dict[tuple, int]:
    """How many of `workspaces` hold each combination of values of `dimensions` (a value pk or None per
    dimension): one GROUP BY over them, for filtered views (unfiltered ones read the kept counts)."""
    keys = {f"value_{i}": _value_in(d) for i, d in enumerate(dimensions)}
    rows = (
        workspaces.prefetch_related(None)
        .order_by()
        .annotate(**keys)
        .values(*keys)
        .annotate(n=Count("pk"))
        .values_list(*keys, "n")
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def _people(workspaces: QuerySet, groups: dict) -> dict:
    """{key: distinct people with a role on one of `workspaces` that holds the value, directly or
    through a team} for `groups` ({key: (dimension, value pk or None)}): one query, a count per group
    over the organization's members, each asking whether one role of theirs is there (their few
    roles, found by index), so the cost follows the people, not the workspaces."""
    if not groups:
        return {}
    aggregates = {}
    for i, (dimension, value_pk) in enumerate(groups.values()):
        labels = WorkspaceLabel.objects.filter(workspace=OuterRef("workspace_id"), dimension=dimension)
        holding = Exists(labels.filter(value_id=value_pk)) if value_pk else ~Exists(labels)
        roles = WorkspaceRoleAssignment.objects.order_by().filter(holding, _among(workspaces))
        own, teams = roles.filter(user=OuterRef("user_id")), roles.filter(team__members=OuterRef("user_id"))
        aggregates[f"group_{i}"] = Count("pk", filter=Q(Exists(own)) | Q(Exists(teams)))
    organization_id = next(iter(groups.values()))[0].organization_id
    counted = Membership.objects.filter(organization_id=organization_id).aggregate(**aggregates)
    return {key: counted[f"group_{i}"] for i, key in enumerate(groups)}


def _runs(workspaces: QuerySet, dimensions: list[Dimension]) -> dict[tuple, int]:
    """{combination of values (as `_counts`): pipeline runs of the last RUNS_DAYS days} over the
    workspaces whose server ever reported runs (one query, from their usage rows); a combination
    missing here has no such workspace."""
    since = timezone.localdate() - timedelta(days=RUNS_DAYS - 1)
    recent = (
        UsageDay.objects.filter(workspace=OuterRef("workspace_id"), feature=RUNS_FEATURE, day__gte=since)
        .order_by()
        .values("workspace_id")
        .annotate(runs=Sum("total"))
        .values("runs")
    )
    keys = {f"value_{i}": _value_in(d, "workspace_id") for i, d in enumerate(dimensions)}
    rows = (
        UsageCount.objects.filter(_among(workspaces), feature=RUNS_FEATURE)
        .annotate(**keys)
        .values(*keys)
        .annotate(runs=Sum(Coalesce(Subquery(recent), 0)))
        .values_list(*keys, "runs")
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def _sum_runs(runs: dict[tuple, int], matches) -> int | None:
    reported = [count for key, count in runs.items() if matches(key)]
    return sum(reported) if reported else None


def _load(
    workspaces: QuerySet,
    query: WorkspaceQuery,
    dimensions: list[Dimension],
    grouped: list[Dimension],
    wanted: list[tuple[WorkspaceGroup, tuple, int]],
) -> None:
    """Give each group of `wanted` (group, its values in `grouped`, how many) its first workspaces in the
    query's order: one query in all, each group's picked by its own indexed `LIMIT` subquery."""
    condition = Q()
    for _, key, limit in wanted:
        held = workspaces.prefetch_related(None)
        for dimension, value_pk in zip(grouped, key, strict=True):
            holds = WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), dimension=dimension)
            held = held.filter(Exists(holds.filter(value_id=value_pk)) if value_pk else ~Exists(holds))
        condition |= Q(pk__in=held.order_by(*query.ordering).values("pk")[:limit])
    if not wanted:
        return
    cards = with_label_ids(with_policy_marks(Workspace.objects.filter(condition).only(*CARD_FIELDS)))
    loaded = attach_label_values(list(cards.order_by(*query.ordering)), dimensions)
    by_key = defaultdict(list)
    for workspace in loaded:
        held = {value.dimension_id: value.pk for value in workspace.label_values}
        by_key[tuple(held.get(d.pk) for d in grouped)].append(workspace)
    for group, key, _ in wanted:
        group.workspaces = by_key[key]


def workspace_columns(
    *,
    workspaces: QuerySet,
    query: WorkspaceQuery,
    dimensions: list[Dimension],
    path: str,
    counts: LabelCounts | None = None,
    limit=COLUMN_LIMIT,
) -> list[WorkspaceGroup]:
    """The board's columns (and the group-by's groups): one per value of `query.by` in order, then
    "no value", each with its first `limit` workspaces in the query's order. `counts` (what
    `workspace_label_counts` answers), when `workspaces` are all the person sees, saves counting them."""
    dimension = query.dimensions[query.by]
    values = _dimension_values(dimension)
    if counts is not None:
        held = {(v.pk,): counts.of(v) for v in values}
        counted = {**held, (None,): counts.total - sum(held.values())}
    else:
        counted = _counts(workspaces, [dimension])
    runs = _runs(workspaces, [dimension])
    shown = [value for value in [*values, None] if counted.get((_pk(value),))]
    people = _people(workspaces, {(_pk(value),): (dimension, _pk(value)) for value in shown})
    groups, wanted = [], []
    for value in [*values, None]:
        key = (_pk(value),)
        group = WorkspaceGroup(value=value, count=counted.get(key, 0), members=people.get(key, 0))
        group.runs = _sum_runs(runs, lambda k, key=key: k == key)
        group.rest_url = query.narrowed_to(dimension.key, value.value if value else None).url(path)
        if group.count:
            wanted.append((group, key, limit))
        groups.append(group)
    _load(workspaces, query, dimensions, [dimension], wanted)
    return groups


def workspace_matrix(
    *,
    workspaces: QuerySet,
    query: WorkspaceQuery,
    dimensions: list[Dimension],
    path: str,
    new_workspace_url: str = "",
    counts: LabelCounts | None = None,
    limit=CELL_LIMIT,
) -> WorkspaceMatrix:
    """The matrix of `query.rows` × `query.cols`: a cell per pair of values, each with its first `limit`
    workspaces; "no value" rows and columns only when some workspace has no value there. A cell's
    `new_url` opens the stepper with its values preset (when `new_workspace_url` is given). `counts`
    (with pairs), when `workspaces` are all the person sees, saves counting them."""
    row_dimension, col_dimension = query.dimensions[query.rows], query.dimensions[query.cols]
    both = [row_dimension, col_dimension]
    if counts is not None and row_dimension != col_dimension:
        counted = _cells_from(counts, *both)
    else:
        counted = _counts(workspaces, both)
    runs = _runs(workspaces, both)
    held = {(side, key[side]) for key in counted for side in (0, 1)}
    people = _people(workspaces, {(side, pk): (both[side], pk) for side, pk in held})

    def axis(dimension, side):
        values = _dimension_values(dimension)
        if any(key[side] is None for key in counted):
            values.append(None)
        groups = []
        for value in values:
            group = WorkspaceGroup(value=value, members=people.get((side, _pk(value)), 0))
            group.count = sum(n for key, n in counted.items() if key[side] == _pk(value))
            group.runs = _sum_runs(runs, lambda key, value=value: key[side] == _pk(value))
            group.rest_url = query.narrowed_to(dimension.key, value.value if value else None).url(path)
            groups.append(group)
        return groups

    rows, cols = axis(row_dimension, 0), axis(col_dimension, 1)
    wanted, cells = [], []
    for row in rows:
        line = []
        for col in cols:
            key = (_pk(row.value), _pk(col.value))
            cell = WorkspaceGroup(value=None, count=counted.get(key, 0))
            if cell.count:
                wanted.append((cell, key, limit))
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
    _load(workspaces, query, dimensions, both, wanted)
    return WorkspaceMatrix(row_dimension, col_dimension, rows=rows, cols=cols, cells=cells)


def _cells_from(counts: LabelCounts, row_dimension: Dimension, col_dimension: Dimension) -> dict[tuple, int]:
    """The matrix's counts (as `_counts`) from counts by value and by pair of values: a value without
    a partner in the other dimension is what its count leaves; neither, what the total leaves."""
    rows, cols = list(row_dimension.values.all()), list(col_dimension.values.all())
    cells = {(r.pk, c.pk): counts.of_pair(r, c) for r in rows for c in cols}
    for r in rows:
        cells[(r.pk, None)] = counts.of(r) - sum(cells[(r.pk, c.pk)] for c in cols)
    for c in cols:
        cells[(None, c.pk)] = counts.of(c) - sum(cells[(r.pk, c.pk)] for r in rows)
    with_a_row_value = sum(counts.of(r) for r in rows)
    cells[(None, None)] = counts.total - with_a_row_value - sum(cells[(None, c.pk)] for c in cols)
    return {key: n for key, n in cells.items() if n > 0}


def _pk(value):
    return value.pk if value is not None else None


def counted_from_labels(query: WorkspaceQuery, counts: LabelCounts) -> int | None:
    """How many workspaces `query` lists, from `counts` alone, when it filters by nothing but values of
    one dimension (a chart's bar, a column's "Show all"); None when only the rows can say."""
    keys = {key for key, _ in query.labels} | set(query.nolabels)
    if query.statuses or query.only or query.search or len(keys) > 1:
        return None
    if not keys:
        return counts.total
    dimension = query.dimensions[keys.pop()]
    chosen = {value for _, value in query.labels}
    held = {v.value: counts.of(v) for v in dimension.values.all()}
    unlabelled = counts.total - sum(held.values()) if query.nolabels else 0
    return unlabelled + sum(n for value, n in held.items() if value in chosen)


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
    *, counts: LabelCounts, dimensions: list[Dimension], query: WorkspaceQuery, path: str
) -> list[Chart]:
    """For each of `dimensions`: how many workspaces hold each value, and how many none, from `counts`
    (`workspace_label_counts`: no query here). Each bar links to the list of its workspaces."""
    charts = []
    for dimension in dimensions:
        bars = [
            ChartBar(v.label, v.color, counts.of(v), query.narrowed_to(dimension.key, v.value).url(path))
            for v in dimension.values.all()
        ]
        unlabelled = counts.total - sum(bar.count for bar in bars)
        if unlabelled > 0:
            bars.append(
                ChartBar("No value", "none", unlabelled, query.narrowed_to(dimension.key, None).url(path))
            )
        top = max((bar.count for bar in bars), default=0)
        for bar in bars:
            bar.width = round(100 * bar.count / top) if top else 0
        charts.append(Chart(dimension=dimension, bars=bars, total=counts.total))
    return charts
