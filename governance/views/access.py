"""Who has access to what: people (or teams) × workspaces, each cell the effective role and its source.

Open to whoever may read the audit log: the page answers an auditor's first question, and tells no more
than the audit trail already does. The state lives in the query string (`show`, `q`, `label`, `page`,
`wpage`), so a filtered view can be shared; `?format=csv` streams the whole filtered set instead of a
page.
"""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from config.page_cache import cached_page
from organizations.roles import VIEW_AUDIT_LOG
from organizations.scoping import organization_view

from ..access_matrix import (
    access_matrix_dimensions,
    access_matrix_export_rows,
    access_matrix_label_values,
    access_matrix_people,
    access_matrix_people_rows,
    access_matrix_team_rows,
    access_matrix_teams,
    access_matrix_workspaces,
)

PEOPLE_PER_PAGE = 50
WORKSPACES_PER_PAGE = 25
TEMPLATE = "organizations/access.html"
CSV_COLUMNS = [
    "principal type", "principal id", "name", "e-mail", "organization role", "workspace id",
    "workspace name", "role", "source", "via", "other sources",
]  # fmt: skip


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a stream."""

    def write(self, value):
        return value


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting like a formula; a leading quote keeps it text.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _csv_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row, workspace, cell in rows:
        grant = cell.effective
        yield writer.writerow(
            [
                row.kind,
                row.key,
                _csv_cell(row.name),
                _csv_cell(row.detail) if row.kind == "person" else "",
                row.organization_role,
                workspace.slug,
                _csv_cell(workspace.display_name),
                _csv_cell(grant.role),
                grant.source,
                _csv_cell(grant.via),
                _csv_cell("; ".join(other.description for other in cell.others)),
            ]
        )


@cached_page
@organization_view(permission=f"organizations.{VIEW_AUDIT_LOG}")
def access_matrix(request):
    organization, access = request.organization, request.access
    show = "teams" if request.GET.get("show") == "teams" else "people"
    search = request.GET.get("q", "").strip()[:100]
    dimensions = access_matrix_dimensions(organization=organization)
    label_values = access_matrix_label_values(dimensions, request.GET.getlist("label"))
    workspaces = access_matrix_workspaces(organization=organization, access=access, label_values=label_values)
    people = access_matrix_people(organization=organization, search=search if show == "people" else "")
    teams = access_matrix_teams(organization=organization, search=search if show == "teams" else "")
    if request.GET.get("format") == "csv":
        rows = access_matrix_export_rows(
            organization=organization,
            memberships=people if show == "people" else people.none(),
            teams=teams if show == "teams" else teams.none(),
            workspaces=workspaces,
        )
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv")
        filename = f"access-{organization.slug}-{timezone.now():%Y%m%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    workspace_page = Paginator(workspaces, WORKSPACES_PER_PAGE).get_page(request.GET.get("wpage"))
    principals = people if show == "people" else teams
    principal_page = Paginator(principals, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    page_workspaces = list(workspace_page.object_list)
    if show == "people":
        rows = access_matrix_people_rows(
            organization=organization, memberships=principal_page.object_list, workspaces=page_workspaces
        )
    else:
        rows = access_matrix_team_rows(teams=principal_page.object_list, workspaces=page_workspaces)
    chosen = {f"{value.dimension.key}:{value.value}" for value in label_values}
    context = {
        "organization": organization,
        "nav": "access",
        "access_url": reverse("organizations:access", args=[organization.slug]),
        "show": show,
        "search": search,
        "dimensions": dimensions,
        "chosen_labels": chosen,
        "filtered": bool(search or label_values),
        "workspace_page": workspace_page,
        "principal_page": principal_page,
        "workspaces": page_workspaces,
        "rows": rows,
    }
    template = TEMPLATE
    if request.htmx and request.htmx.target == "access-results":
        template += "#access-results"
    return render(request, template, context)
