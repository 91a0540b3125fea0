"""Pages inside a workspace that read from its ZenML server (pipelines, runs, a run's steps, stacks,
API docs), the "Register a stack" tick read from the server, and the overview's connect commands.

A stand-in server in a thread answers like ZenML 0.98's REST API: it exchanges the Bearer token Atrium
sends at `POST /api/v1/login` for a workspace JWT, and then serves only callers holding one. The real
server is exercised end to end by e2e/test_zenml_contract.py.
"""

import http.server
import json
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from control_plane.models import TokenKind
from control_plane.selectors import access_token_get
from control_plane.workspace_setup import workspace_onboarding_pull
from workspaces import onboarding
from workspaces.models import OnboardingStep, ServerState, WorkspaceServer, WorkspaceStatus
from workspaces.services import workspace_role_assign
from workspaces.services.servers import workspace_server_ensure

pytestmark = pytest.mark.django_db

RUN_ID = "0b7c5f7e-6a8e-4c47-9d3c-3f4a9f0d1e21"
PIPELINE_ID = "a1e0f2c4-2b1d-4e55-8a9f-6c3b7d1e2f40"
FORBIDDEN_RUN_ID = "ffffffff-0000-4000-8000-000000000403"


def _run(status="completed"):
    return {
        "id": RUN_ID,
        "name": "first_pipeline-2026_12_01-18_00_00_000000",
        "body": {"status": status, "created": "2026-12-01T18:00:00", "status_reason": None},
        "metadata": {"start_time": "2026-12-01T18:00:01", "end_time": "2026-12-01T18:00:07"},
        "resources": {"pipeline": {"id": PIPELINE_ID, "name": "first_pipeline"}, "user": {"name": "dev"}},
    }


def _page(items):
    return {"index": 1, "max_size": 20, "total_pages": 1, "total": len(items), "items": items}


class StandInServer(http.server.ThreadingHTTPServer):
    """A ZenML server's REST API, as much of it as the pages read."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.exchanged: list[str] = []  # the control-plane tokens Atrium exchanged
        self.jwts: set[str] = set()
        self.requests: list[str] = []
        self.stacks = [
            {"id": str(uuid.uuid4()), "name": "default", "body": {"created": "2026-12-01T17:00:00"}}
        ]
        self.onboarding_state = ["project_created"]

    @property
    def port(self):
        return self.server_address[1]


class StandInHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def bearer(self):
        return self.headers.get("Authorization", "").removeprefix("Bearer ")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/api/v1/login":
            return self.answer(404, {"detail": ["KeyError", "no such endpoint"]})
        self.server.exchanged.append(self.bearer())
        jwt = f"jwt-{len(self.server.exchanged)}"
        self.server.jwts.add(jwt)
        return self.answer(200, {"access_token": jwt, "token_type": "bearer"})

    def do_GET(self):
        parts = urlsplit(self.path)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.server.requests.append(self.path)
        if self.bearer() not in self.server.jwts:
            return self.answer(401, {"detail": ["AuthorizationException", "Authentication error"]})
        path = parts.path
        if path == "/api/v1/projects":
            return self.answer(200, _page([{"name": "default"}, {"name": "research"}]))
        if path == "/api/v1/pipelines":
            return self.answer(
                200,
                _page(
                    [
                        {
                            "id": PIPELINE_ID,
                            "name": "first_pipeline",
                            "body": {"created": "2026-12-01T17:59:00"},
                            "resources": {"latest_run_id": RUN_ID, "latest_run_status": "completed"},
                        }
                    ]
                    if params.get("project") == "default"
                    else []
                ),
            )
        if path == "/api/v1/runs":
            return self.answer(200, _page([_run()] if params.get("project") == "default" else []))
        if path == f"/api/v1/runs/{FORBIDDEN_RUN_ID}":
            return self.answer(403, {"detail": ["IllegalOperationError", "Insufficient permissions to READ"]})
        if path == f"/api/v1/runs/{RUN_ID}":
            return self.answer(200, _run())
        if path == f"/api/v1/runs/{RUN_ID}/steps":
            steps = [
                {"name": "load", "body": {"status": "completed", "start_time": "2026-12-01T18:00:02"}},
                {"name": "total", "body": {"status": "failed", "start_time": "2026-12-01T18:00:05"}},
            ]
            return self.answer(200, _page(steps))
        if path.startswith("/api/v1/runs/"):
            return self.answer(404, {"detail": ["KeyError", "No run with this ID"]})
        if path == "/api/v1/stacks":
            return self.answer(200, _page(self.server.stacks))
        if path == "/api/v1/onboarding_state":
            return self.answer(200, self.server.onboarding_state)
        return self.answer(404, {"detail": ["KeyError", "no such endpoint"]})


@pytest.fixture
def stand_in(settings):
    server = StandInServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ATRIUM_PROVISIONER = settings.ZENML_PROVISIONER
    cache.clear()
    yield server
    server.shutdown()
    server.server_close()
    cache.clear()


@pytest.fixture
def running_workspace(workspace, stand_in):
    workspace.status = WorkspaceStatus.AVAILABLE
    workspace.save(update_fields=["status"])
    server = workspace_server_ensure(workspace)
    WorkspaceServer.objects.filter(pk=server.pk).update(state=ServerState.RUNNING, port=stand_in.port)
    return workspace


@pytest.fixture
def viewer_client(client, make_user, organization, owner, running_workspace):
    from organizations.services import membership_add

    viewer = make_user("vera@example.com", "Vera Viewer")
    membership_add(organization=organization, user=viewer, role="member", acting_user=owner)
    workspace_role_assign(workspace=running_workspace, user=viewer, role="viewer", acting_user=owner)
    client.force_login(viewer)
    client.viewer = viewer
    return client


def test_the_runs_page_reads_the_server_as_the_viewer(viewer_client, running_workspace, stand_in):
    response = viewer_client.get(reverse("control_plane:runs", args=[running_workspace.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "first_pipeline-2026_12_01-18_00_00_000000" in page and "Completed" in page
    assert "first_pipeline" in page and "6 s" in page
    # The server was asked with a token of the viewer's own, so its role checks are the viewer's.
    token = access_token_get(stand_in.exchanged[0], kind=TokenKind.USER)
    assert token is not None and token.user == viewer_client.viewer
    # The first project Atrium creates is shown by default, and the project can be switched.
    assert any("project=default" in request for request in stand_in.requests if "/runs" in request)
    assert 'name="project"' in page and ">research</option>" in page
    other = viewer_client.get(
        reverse("control_plane:runs", args=[running_workspace.slug]), {"project": "research"}
    )
    assert "No run in project research yet" in other.content.decode()


def test_the_workspace_token_is_reused_not_exchanged_again(viewer_client, running_workspace, stand_in):
    for name in ("control_plane:runs", "control_plane:pipelines", "control_plane:stacks"):
        assert viewer_client.get(reverse(name, args=[running_workspace.slug])).status_code == 200
    assert len(stand_in.exchanged) == 1


def test_an_expired_workspace_token_is_exchanged_again(viewer_client, running_workspace, stand_in):
    url = reverse("control_plane:runs", args=[running_workspace.slug])
    viewer_client.get(url)
    stand_in.jwts.clear()  # the server no longer accepts it
    response = viewer_client.get(url)
    assert response.status_code == 200 and "first_pipeline" in response.content.decode()
    assert len(stand_in.exchanged) == 2


def test_a_run_shows_its_steps(viewer_client, running_workspace):
    response = viewer_client.get(reverse("control_plane:run", args=[running_workspace.slug, RUN_ID]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "load" in page and "total" in page and "Failed" in page and "Steps" in page


def test_a_run_the_server_does_not_know_is_not_found(viewer_client, running_workspace):
    missing = uuid.uuid4()
    response = viewer_client.get(reverse("control_plane:run", args=[running_workspace.slug, missing]))
    assert response.status_code == 404


def test_the_servers_refusal_is_shown_in_its_own_words(viewer_client, running_workspace):
    response = viewer_client.get(
        reverse("control_plane:run", args=[running_workspace.slug, FORBIDDEN_RUN_ID])
    )
    assert response.status_code == 200
    assert "The workspace's server refused: Insufficient permissions to READ" in response.content.decode()


def test_pipelines_link_to_their_runs(viewer_client, running_workspace):
    page = viewer_client.get(
        reverse("control_plane:pipelines", args=[running_workspace.slug])
    ).content.decode()
    assert "first_pipeline" in page and f"?pipeline={PIPELINE_ID}" in page
    assert reverse("control_plane:run", args=[running_workspace.slug, RUN_ID]) in page


def test_stacks_list_their_components(viewer_client, running_workspace, stand_in):
    stand_in.stacks.append(
        {
            "id": str(uuid.uuid4()),
            "name": "my-stack",
            "body": {"created": "2026-12-01T18:10:00"},
            "metadata": {
                "components": {
                    "orchestrator": [{"name": "default", "body": {"flavor_name": "local"}}],
                    "artifact_store": [{"name": "default", "body": {"flavor_name": "local"}}],
                }
            },
        }
    )
    page = viewer_client.get(reverse("control_plane:stacks", args=[running_workspace.slug])).content.decode()
    assert "my-stack" in page and "Orchestrator:" in page and "Artifact store:" in page and "(local)" in page


def test_a_stopped_server_shows_starting_and_is_woken(viewer_client, running_workspace):
    WorkspaceServer.objects.filter(workspace=running_workspace).update(state=ServerState.IDLE)
    url = reverse("control_plane:runs", args=[running_workspace.slug])
    response = viewer_client.get(url)
    page = response.content.decode()
    assert "Starting the workspace's server…" in page and 'hx-trigger="every 2s"' in page
    assert WorkspaceServer.objects.get(workspace=running_workspace).state == ServerState.QUEUED
    # Once it is up, the polled fragment fills in and polls no more.
    WorkspaceServer.objects.filter(workspace=running_workspace).update(state=ServerState.RUNNING)
    fragment = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "first_pipeline" in fragment and "every 2s" not in fragment and "<html" not in fragment


def test_a_deactivated_workspace_says_why_there_is_nothing(viewer_client, running_workspace, stand_in):
    running_workspace.status = WorkspaceStatus.DEACTIVATED
    running_workspace.save(update_fields=["status"])
    page = viewer_client.get(reverse("control_plane:runs", args=[running_workspace.slug])).content.decode()
    assert "The workspace is deactivated" in page and not stand_in.requests


def test_without_zenml_servers_the_pages_say_so(client, owner, workspace, settings):
    settings.ATRIUM_PROVISIONER = settings.EMBEDDED_PROVISIONER
    client.force_login(owner)
    page = client.get(reverse("control_plane:pipelines", args=[workspace.slug])).content.decode()
    assert "runs workspaces without ZenML servers" in page


def test_api_docs_lead_to_the_servers_own_docs(viewer_client, running_workspace, settings):
    running_workspace.server_url = "https://ws.example.com/ml-team"
    running_workspace.save(update_fields=["server_url"])
    response = viewer_client.get(reverse("control_plane:api_docs", args=[running_workspace.slug]))
    assert response.status_code == 302 and response["Location"] == "https://ws.example.com/ml-team/docs"
    WorkspaceServer.objects.filter(workspace=running_workspace).update(state=ServerState.IDLE)
    waiting = viewer_client.get(reverse("control_plane:api_docs", args=[running_workspace.slug]))
    assert waiting.status_code == 200 and "Starting the workspace's server…" in waiting.content.decode()


def test_outsiders_cannot_read_the_server_through_atrium(client, outsider, running_workspace, stand_in):
    client.force_login(outsider)
    assert client.get(reverse("control_plane:runs", args=[running_workspace.slug])).status_code == 404
    assert not stand_in.exchanged


def test_a_registered_stack_ticks_the_checklist(running_workspace, stand_in):
    url = f"http://127.0.0.1:{stand_in.port}"
    assert workspace_onboarding_pull(running_workspace, url) is False
    assert not OnboardingStep.objects.filter(
        workspace=running_workspace, key=onboarding.REGISTER_STACK
    ).exists()
    stand_in.stacks.append({"id": str(uuid.uuid4()), "name": "my-stack", "body": {}})
    assert workspace_onboarding_pull(running_workspace, url) is True
    assert OnboardingStep.objects.filter(workspace=running_workspace, key=onboarding.REGISTER_STACK).exists()
    asked = len(stand_in.requests)
    assert workspace_onboarding_pull(running_workspace, url) is False
    assert len(stand_in.requests) == asked  # done once: the server is not asked again


def test_a_remote_stack_in_the_onboarding_state_ticks_it_too(running_workspace, stand_in):
    stand_in.onboarding_state = ["project_created", "stack_with_remote_orchestrator_created"]
    assert workspace_onboarding_pull(running_workspace, f"http://127.0.0.1:{stand_in.port}") is True
    token = access_token_get(stand_in.exchanged[0], kind=TokenKind.SERVICE)
    assert token is not None and token.workspace == running_workspace  # read as Atrium, not a person


def test_the_overview_keeps_asking_for_server_ticks_without_a_reload(owner_client, running_workspace):
    overview = owner_client.get(
        reverse("workspaces:overview", args=[running_workspace.slug])
    ).content.decode()
    poll = reverse("workspaces:onboarding", args=[running_workspace.slug])
    assert f'hx-get="{poll}?done=0"' in overview
    unchanged = owner_client.get(poll, {"done": "0"}, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204  # htmx leaves the panel (and an open command) alone
    OnboardingStep.objects.create(workspace=running_workspace, key=onboarding.CLI_LOGIN)
    changed = owner_client.get(poll, {"done": "0"}, headers={"HX-Request": "true"}).content.decode()
    assert "1 of 5 done" in changed and f'hx-get="{poll}?done=1"' in changed


def test_the_overview_shows_each_connect_command_with_a_copy_button(owner_client, running_workspace):
    page = owner_client.get(reverse("workspaces:overview", args=[running_workspace.slug])).content.decode()
    for command in (
        "pip install &quot;zenml==0.98.0&quot;",
        "export ZENML_PRO_API_URL=http://testserver/zenml-api",
        f"zenml login {running_workspace.slug} --project default",
    ):
        assert f'data-copy="{command}"' in page
