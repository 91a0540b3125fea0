"""Pages inside a workspace that read from its ZenML server: pipelines, runs (and a run's steps),
stacks, and the way to the server's own API docs.

Each read goes to the server with the viewer's own workspace token (`control_plane.workspace_api`),
so the server's role checks, which ask Atrium, decide what is shown. While the server is not up the
page says so and polls; it fills in once the server answers.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from workspaces.models import FIRST_PROJECT, WorkspaceServer
from workspaces.scoping import workspace_view

from ..workspace_api import ServerNotUp, ServerRefused, WorkspaceReader, serves_zenml_api

PAGE_SIZE = 20
STEPS_SHOWN = 200

# ZenML's execution statuses, as the badge colour that says the same.
STATUS_BADGES = {
    "completed": "available",
    "cached": "available",
    "failed": "failed",
    "initializing": "pending",
    "provisioning": "pending",
    "running": "pending",
    "retrying": "pending",
    "stopping": "pending",
}


@dataclass
class ServerPage:
    """What a server-backed page shows: its rows, or why there are none yet."""

    state: str = "ready"  # ready | starting | unavailable | no_servers | refused
    message: str = ""
    items: list = field(default_factory=list)
    total: int = 0
    page_number: int = 1
    total_pages: int = 1
    projects: list = field(default_factory=list)
    project: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def polls(self) -> bool:
        return self.state == "starting"


def _when(value) -> datetime | None:
    """A time the server sent; ZenML sends UTC without an offset."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _duration(start, end) -> str:
    if not start or not end:
        return ""
    seconds = max(0, round((end - start).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _run_row(item: dict) -> dict:
    body, metadata, resources = item.get("body", {}), item.get("metadata") or {}, item.get("resources") or {}
    started, ended = _when(metadata.get("start_time")), _when(metadata.get("end_time"))
    pipeline = resources.get("pipeline") or {}
    user = resources.get("user") or {}
    status = body.get("status", "")
    return {
        "id": item.get("id"),
        "name": item.get("name", ""),
        "status": status,
        "badge": STATUS_BADGES.get(status, "deactivated"),
        "pipeline": pipeline.get("name", ""),
        "pipeline_id": pipeline.get("id", ""),
        "user": (user.get("body") or {}).get("full_name") or user.get("name", ""),
        "created": _when(body.get("created")),
        "started": started,
        "duration": _duration(started, ended),
        "reason": body.get("status_reason") or "",
    }


def _step_row(item: dict) -> dict:
    body = item.get("body", {})
    started, ended = _when(body.get("start_time")), _when(body.get("end_time"))
    status = body.get("status", "")
    return {
        "name": item.get("name", ""),
        "status": status,
        "badge": STATUS_BADGES.get(status, "deactivated"),
        "started": started,
        "duration": _duration(started, ended),
    }


def _pipeline_row(item: dict) -> dict:
    body, resources = item.get("body", {}), item.get("resources") or {}
    status = resources.get("latest_run_status") or ""
    return {
        "id": item.get("id"),
        "name": item.get("name", ""),
        "created": _when(body.get("created")),
        "latest_run_id": resources.get("latest_run_id") or "",
        "latest_status": status,
        "badge": STATUS_BADGES.get(status, "deactivated"),
        "description": (item.get("metadata") or {}).get("description") or "",
    }


def _stack_row(item: dict) -> dict:
    components = (item.get("metadata") or {}).get("components") or {}
    return {
        "id": item.get("id"),
        "name": item.get("name", ""),
        "created": _when((item.get("body") or {}).get("created")),
        "components": [
            (
                kind.replace("_", " "),
                component.get("name", ""),
                (component.get("body") or {}).get("flavor_name", ""),
            )
            for kind, listed in sorted(components.items())
            for component in listed
        ],
    }


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _server_page(request, read) -> ServerPage:
    """Run `read(reader, page)` against the workspace's server, or say why it cannot be read now."""
    workspace = request.workspace
    page = ServerPage(page_number=_page_number(request))
    if not serves_zenml_api():
        return ServerPage(state="no_servers")
    if workspace.is_provisioning:
        return ServerPage(state="starting")
    if not workspace.is_usable:
        return ServerPage(state="unavailable")
    try:
        read(WorkspaceReader(workspace, request.user), page)
    except ServerNotUp:
        return ServerPage(state="starting")
    except ServerRefused as refusal:
        if refusal.status == 404:
            raise Http404("Not on this workspace's server.") from refusal
        return ServerPage(state="refused", message=refusal.message)
    return page


def _choose_project(reader: WorkspaceReader, page: ServerPage, requested: str) -> None:
    """The project to show: the one asked for, else the first project Atrium created, else the first."""
    projects = reader.get("/api/v1/projects", sort_by="asc:created", size=100).get("items", [])
    page.projects = [project["name"] for project in projects]
    if requested in page.projects:
        page.project = requested
    elif FIRST_PROJECT in page.projects:
        page.project = FIRST_PROJECT
    else:
        page.project = page.projects[0] if page.projects else ""


def _fill(page: ServerPage, answer: dict, row) -> None:
    page.items = [row(item) for item in answer.get("items", [])]
    page.total = answer.get("total", len(page.items))
    page.total_pages = max(1, answer.get("total_pages", 1))
    page.page_number = min(page.page_number, page.total_pages)


def _render(request, template: str, page: ServerPage, tab: str, **extra):
    workspace = request.workspace
    context = {
        "workspace": workspace,
        "organization": workspace.organization,
        "labels": list(workspace.labels.select_related("dimension", "value")),
        "server_page": page,
        "tab": tab,
        **extra,
    }
    # The "starting…" panel polls the page; it gets only the part that changes.
    return render(request, f"{template}#server-content" if request.htmx else template, context)


@require_GET
@workspace_view()
def pipeline_list(request):
    def read(reader, page):
        _choose_project(reader, page, request.GET.get("project", ""))
        if page.project:
            answer = reader.get(
                "/api/v1/pipelines",
                project=page.project,
                sort_by="desc:created",
                page=page.page_number,
                size=PAGE_SIZE,
                hydrate="true",
            )
            _fill(page, answer, _pipeline_row)

    return _render(request, "control_plane/pipelines.html", _server_page(request, read), "pipelines")


@require_GET
@workspace_view()
def run_list(request):
    pipeline_id = _uuid_or_empty(request.GET.get("pipeline", ""))

    def read(reader, page):
        _choose_project(reader, page, request.GET.get("project", ""))
        if page.project:
            answer = reader.get(
                "/api/v1/runs",
                project=page.project,
                pipeline_id=pipeline_id,
                sort_by="desc:created",
                page=page.page_number,
                size=PAGE_SIZE,
                hydrate="true",
            )
            _fill(page, answer, _run_row)
            if pipeline_id and page.items:
                page.extra["pipeline"] = page.items[0]["pipeline"]

    return _render(
        request, "control_plane/runs.html", _server_page(request, read), "runs", pipeline_id=pipeline_id
    )


@require_GET
@workspace_view()
def run_detail(request, run_id):
    def read(reader, page):
        run = reader.get(f"/api/v1/runs/{run_id}", hydrate="true")
        page.extra["run"] = _run_row(run)
        steps = reader.get(
            f"/api/v1/runs/{run_id}/steps",
            project=run.get("body", {}).get("project_id"),  # the server lists steps within a project
            sort_by="asc:created",
            size=STEPS_SHOWN,
        )
        _fill(page, steps, _step_row)

    return _render(
        request, "control_plane/run_detail.html", _server_page(request, read), "runs", run_id=run_id
    )


@require_GET
@workspace_view()
def stack_list(request):
    def read(reader, page):
        answer = reader.get(
            "/api/v1/stacks", sort_by="asc:created", page=page.page_number, size=PAGE_SIZE, hydrate="true"
        )
        _fill(page, answer, _stack_row)

    return _render(request, "control_plane/stacks.html", _server_page(request, read), "stacks")


@require_GET
@workspace_view()
def api_docs(request):
    """The server's own interactive API docs (FastAPI's Swagger UI), at its public address."""
    workspace = request.workspace
    server = WorkspaceServer.objects.filter(workspace=workspace).first()
    if serves_zenml_api() and workspace.is_usable and server is not None and server.is_up:
        docs = f"{workspace.server_address.rstrip('/')}/docs"
        # The "starting…" panel polls with htmx: the browser itself must go there, not the XHR.
        return HttpResponseClientRedirect(docs) if request.htmx else redirect(docs)
    return _render(
        request, "control_plane/api_docs.html", _server_page(request, lambda reader, page: None), "docs"
    )


def _uuid_or_empty(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""
