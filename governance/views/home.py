"""The organization home, /orgs/<org>/: the organization's workspaces the user may see, as a list, a
board, groups or a matrix over the same filters (`governance.workspace_query`), under a header of
charts and what needs attention."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from config.page_cache import cached_page
from organizations.models import Dimension
from organizations.roles import CREATE_WORKSPACE
from organizations.scoping import organization_view
from workspaces.models import WorkspaceStatus
from workspaces.selectors import workspace_label_counts, workspace_list_for_user

from ..attention import needs_attention
from ..workspace_layouts import (
    counted_from_labels,
    workspace_cards,
    workspace_columns,
    workspace_label_charts,
    workspace_matrix,
)
from ..workspace_query import SORTS, STATUS_ORDER, VIEWS, WORKSPACE_FILTERS, WorkspaceQuery

WORKSPACES_PER_PAGE = 24
# The header's charts: the dimensions with these keys, when the organization still has them.
CHART_DIMENSIONS = ("environment", "data-sensitivity")
# A filtered list counts its rows up to here and then says "10,000+" (counting them all would read
# every row of a large organization on each visit).
COUNT_CAP = 10_000
# The part of the page an htmx request of the views' controls swaps.
BROWSER_TARGET = "workspace-browser"


@cached_page
@organization_view()
def organization_home(request):
    organization, access = request.organization, request.access
    if request.session.get("last_organization") != organization.slug:
        request.session["last_organization"] = organization.slug
    path = request.path
    dimensions = list(Dimension.objects.filter(organization=organization).prefetch_related("values"))
    query = WorkspaceQuery.from_params(request.GET, dimensions)
    visible = workspace_list_for_user(organization=organization, access=access).prefetch_related(None)
    workspaces = query.apply(
        workspace_list_for_user(organization=organization, access=access, search=query.search), access
    ).prefetch_related(None)
    may_create = access.can(f"organizations.{CREATE_WORKSPACE}")
    context = {
        "organization": organization,
        "nav": "workspaces",
        "query": query,
        "search": query.search,
        "dimensions": dimensions,
        "may_create": may_create,
        "controls": _controls(query, dimensions, path),
        # What the search box sends along with `q`, so searching keeps the view and its filters.
        "state_params": [(k, v) for k, v in query.params() if k not in {"q", "page"}],
        # A chip of the filter menu was clicked: the menu stays open after the swap.
        "filters_open": bool(request.htmx and (request.htmx.trigger or "").startswith("filter-")),
    }
    # What the person sees, counted in all and by label value without counting rows (kept counts).
    counts = workspace_label_counts(organization=organization, access=access, pairs=query.view == "matrix")
    if query.view == "list":
        # The page's IDs first (read in index order, or sorted on plain columns), then only its rows
        # with their labels: a sort never computes labels for every matching workspace.
        ordered = workspaces.order_by(*query.ordering).values_list("pk", flat=True)
        page = Paginator(ordered, WORKSPACES_PER_PAGE)
        page.count = counted_from_labels(query, counts)
        if page.count is None:  # other filters: count the rows, up to a cap
            page.count = workspaces.order_by().values("pk")[: COUNT_CAP + 1].count()
            if page.count > COUNT_CAP:
                page.count, context["count_capped"] = COUNT_CAP, True
        page = page.get_page(query.page or None)
        page.object_list = workspace_cards(list(page.object_list), dimensions)
        context["page"] = page
        context["sort_links"] = _sort_links(query, path)
    elif query.view in {"board", "group"}:
        context["groups"] = workspace_columns(
            workspaces=workspaces,
            query=query,
            dimensions=dimensions,
            path=path,
            counts=None if query.is_filtered else counts,
        )
        context["total"] = sum(group.count for group in context["groups"])
    else:
        context["matrix"] = workspace_matrix(
            workspaces=workspaces,
            query=query,
            dimensions=dimensions,
            path=path,
            new_workspace_url=reverse("workspaces:new", args=[organization.slug]) if may_create else "",
            counts=None if query.is_filtered else counts,
        )
        context["total"] = sum(row.count for row in context["matrix"].rows)
    # The names of workspaces the person may open are links; the others say whom to ask (one query).
    access.prefetch(_shown(context))

    partial = (
        request.htmx and request.htmx.target == BROWSER_TARGET and not request.htmx.history_restore_request
    )
    if not partial:
        charted = [d for key in CHART_DIMENSIONS for d in dimensions if d.key == key]
        # The header is not swapped with the views, so its links start from an unfiltered list.
        blank = WorkspaceQuery(dimensions=query.dimensions)
        context["charts"] = workspace_label_charts(
            counts=counts,
            dimensions=charted,
            query=blank,
            path=path,
        )
        context["attention"] = needs_attention(
            workspaces=visible, access=access, home_path=path, dimensions=dimensions
        )
        # Nothing to chart and nothing to do: the empty state below says it all.
        context["show_summary"] = bool(context["attention"]) or any(c.total for c in context["charts"])
    context["is_partial"] = partial
    template = "organizations/home.html" + (f"#{BROWSER_TARGET}" if partial else "")
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _controls(query: WorkspaceQuery, dimensions: list[Dimension], path: str) -> dict:
    """Every link of the views' controls, ready to render: views, dimensions to arrange by, sorts and
    the filter chips (each one toggles itself), and the active filters with the link that removes each."""
    values = {(d.key, v.value): (d, v) for d in dimensions for v in d.values.all()}
    active = []
    for key, value in query.labels:
        dimension, dimension_value = values[(key, value)]
        active.append(
            {
                "label": f"{dimension.name}: {dimension_value.label}",
                "color": dimension_value.color,
                "url": query.toggle_label(key, value).url(path),
            }
        )
    for key in query.nolabels:
        active.append(
            {
                "label": f"{query.dimensions[key].name}: none",
                "color": "grey",
                "url": query.toggle_nolabel(key).url(path),
            }
        )
    for status in query.statuses:
        active.append(
            {
                "label": f"Status: {WorkspaceStatus(status).label}",
                "color": f"status-{status}",
                "url": query.toggle_status(status).url(path),
            }
        )
    for key in query.only:
        active.append(
            {
                "label": WORKSPACE_FILTERS[key].label,
                "color": "accent",
                "url": query.toggle_only(key).url(path),
            }
        )
    return {
        "views": [
            {
                "key": key,
                "label": label,
                "url": query.change(view=key).url(path),
                "current": key == query.view,
            }
            for key, label in VIEWS
        ],
        "by": [
            {"label": d.name, "url": query.change(by=d.key).url(path), "current": d.key == query.by}
            for d in dimensions
        ],
        "rows": [
            {
                "label": d.name,
                "url": query.change(rows=d.key, cols=query.cols if d.key != query.cols else query.rows).url(
                    path
                ),
                "current": d.key == query.rows,
            }
            for d in dimensions
        ],
        "cols": [
            {
                "label": d.name,
                "url": query.change(cols=d.key, rows=query.rows if d.key != query.rows else query.cols).url(
                    path
                ),
                "current": d.key == query.cols,
            }
            for d in dimensions
        ],
        "sorts": [
            {"label": label, "url": query.change(sort=key).url(path), "current": key == query.sort}
            for key, (label, _) in SORTS.items()
        ],
        "chips": {
            "status": [
                {
                    "label": WorkspaceStatus(s).label,
                    "url": query.toggle_status(s).url(path),
                    "on": s in query.statuses,
                    "color": f"status-{s}",
                    "id": f"filter-status-{s}",
                }
                for s in STATUS_ORDER
            ],
            "only": [
                {
                    "label": f.label,
                    "url": query.toggle_only(f.key).url(path),
                    "on": f.key in query.only,
                    "id": f"filter-only-{f.key}",
                }
                for f in WORKSPACE_FILTERS.values()
            ],
            "dimensions": [
                {
                    "name": d.name,
                    "values": [
                        {
                            "label": v.label,
                            "color": v.color,
                            "url": query.toggle_label(d.key, v.value).url(path),
                            "on": (d.key, v.value) in query.labels,
                            "id": f"filter-label-{d.key}-{v.value}",
                        }
                        for v in d.values.all()
                    ]
                    + [
                        {
                            "label": "None",
                            "color": "grey",
                            "url": query.toggle_nolabel(d.key).url(path),
                            "on": d.key in query.nolabels,
                            "id": f"filter-nolabel-{d.key}",
                        }
                    ],
                }
                for d in dimensions
            ],
        },
        "active": active,
        "clear_url": query.cleared().url(path),
    }


def _sort_links(query: WorkspaceQuery, path: str) -> dict:
    """The list's sortable headers: for each column, the link that sorts by it (or reverses it) and
    its aria-sort."""
    links = {}
    for column, ascending in (("name", "name"), ("status", "status"), ("created", "created")):
        descending = f"-{ascending}"
        if query.sort == ascending:
            links[column] = {"url": query.change(sort=descending).url(path), "aria": "ascending"}
        elif query.sort == descending:
            links[column] = {"url": query.change(sort=ascending).url(path), "aria": "descending"}
        else:
            first = descending if column == "created" else ascending
            links[column] = {"url": query.change(sort=first).url(path), "aria": "none"}
    return links


def _shown(context) -> list:
    """The workspaces the page shows, whichever the view."""
    if "page" in context:
        return list(context["page"].object_list)
    if "groups" in context:
        return [workspace for group in context["groups"] for workspace in group.workspaces]
    return [workspace for line in context["matrix"].cells for cell in line for workspace in cell.workspaces]
