"""The workspace-server supervisor as an operator sees it: servers that start, report in and turn their
workspace available, come back after a crash, give up with a reason, sleep when idle and wake on use,
stay under the cap, stop with their workspace, and survive the supervisor's own restart.

The servers are real processes of a stand-in script (fake_zenml_server.py) that start in milliseconds;
the clock is the supervisor's fake one, moved past back-offs and idle periods."""

import os
import signal
from pathlib import Path

import pytest
from django.core.management import call_command

from organizations.models import AuditEvent
from workspaces.models import ServerState, Workspace, WorkspaceServer, WorkspaceStatus
from workspaces.server_processes import is_server_process
from workspaces.server_secrets import ENROLLMENT, JWT_KEY, server_secret
from workspaces.services import workspace_deactivate, workspace_provision, workspace_reactivate
from workspaces.services.servers import workspace_server_used
from workspaces.supervisor import Supervisor
from workspaces.tests.fake_zenml_server import VERSION

pytestmark = pytest.mark.django_db(transaction=True)  # the control plane answers from another thread


def provisioned(make_workspace, slug):
    """A new workspace after its provisioning task ran: its server is asked for, not yet started."""
    workspace = make_workspace(slug)
    workspace_provision(workspace_pk=workspace.pk)
    return Workspace.objects.get(pk=workspace.pk)


def server_of(workspace) -> WorkspaceServer:
    return WorkspaceServer.objects.select_related("workspace").get(workspace=workspace)


def status_of(workspace) -> str:
    return Workspace.objects.get(pk=workspace.pk).status


def directory_of(workspace, settings) -> Path:
    return Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR) / str(workspace.pk)


def running(workspace):
    return lambda: server_of(workspace).state == ServerState.RUNNING


def audit_actions(workspace) -> list[str]:
    events = AuditEvent.objects.filter(target_id=str(workspace.pk)).order_by("created_at", "id")
    return list(events.values_list("action", flat=True))


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if item)


def test_a_new_workspace_becomes_available_once_its_server_reported_in(
    make_workspace, supervisor, control_plane, tick_until, settings
):
    workspace = provisioned(make_workspace, "real-server")
    assert status_of(workspace) == WorkspaceStatus.PENDING
    assert server_of(workspace).state == ServerState.QUEUED

    tick_until(supervisor, lambda: status_of(workspace) == WorkspaceStatus.AVAILABLE, what="available")

    workspace.refresh_from_db()
    server = server_of(workspace)
    assert server.state == ServerState.RUNNING and server.reported_at and server.last_health_at
    assert server.version == VERSION and workspace.server_version == VERSION
    assert workspace.server_url == f"http://127.0.0.1:{server.port}"
    assert ("PATCH", "/workspace_status") in control_plane.calls
    assert audit_actions(workspace) == ["workspace.create", "workspace.available"]

    # A clean environment: what ZenML needs, nothing of the site's.
    environment = environment_of(server.pid)
    assert "DJANGO_SECRET_KEY" not in environment and "DATABASE_URL" not in environment
    assert set(environment) - {"PATH", "HOME", "PYTHONUNBUFFERED"} == {
        name for name in environment if name.startswith("ZENML_")
    }
    directory = directory_of(workspace, settings)
    assert environment["HOME"] == str(directory)
    assert environment["ZENML_STORE_URL"] == f"sqlite:///{directory}/zenml.db"
    assert environment["ZENML_SERVER_DEPLOYMENT_TYPE"] == "cloud"
    assert environment["ZENML_SERVER_JWT_SECRET_KEY"] == server_secret(server, JWT_KEY)
    assert environment["ZENML_SERVER_PRO_OAUTH2_CLIENT_SECRET"] == server_secret(server, ENROLLMENT)
    assert environment["ZENML_SERVER_PRO_API_URL"] == f"{control_plane.base_url}/zenml-api"
    assert environment["ZENML_SERVER_PRO_DASHBOARD_URL"] == control_plane.base_url
    assert environment["ZENML_SERVER_PRO_WORKSPACE_ID"] == str(workspace.pk)
    assert environment["ZENML_SERVER_PRO_WORKSPACE_NAME"] == "real-server"
    assert environment["ZENML_SERVER_PRO_ORGANIZATION_ID"] == str(workspace.organization_id)


def test_a_killed_server_is_restarted_after_a_back_off(make_workspace, supervisor, clock, tick_until):
    workspace = provisioned(make_workspace, "crashy")
    tick_until(supervisor, running(workspace))
    first = server_of(workspace)

    os.kill(first.pid, signal.SIGKILL)
    tick_until(supervisor, lambda: server_of(workspace).state == ServerState.BACKING_OFF)
    waiting = server_of(workspace)
    assert waiting.pid is None and waiting.crashes == 1
    assert "exited with code -9" in waiting.last_error
    assert (waiting.restart_at - clock()).total_seconds() == 2
    supervisor.tick()
    assert server_of(workspace).state == ServerState.BACKING_OFF  # not before its time

    clock.advance(seconds=2)
    tick_until(supervisor, running(workspace))
    again = server_of(workspace)
    assert again.pid != first.pid and again.restarts == 1 and again.port == first.port
    assert status_of(workspace) == WorkspaceStatus.AVAILABLE  # it stayed usable throughout


def test_a_server_that_keeps_crashing_turns_its_workspace_failed_with_the_reason(
    make_workspace, supervisor, clock, tick_until, settings
):
    workspace = make_workspace("doomed")
    directory_of(workspace, settings).mkdir(parents=True)
    (directory_of(workspace, settings) / "crash").touch()  # the stand-in exits with code 3 at start
    workspace_provision(workspace_pk=workspace.pk)

    delays = []
    for attempt in range(1, 3):
        tick_until(supervisor, lambda n=attempt: server_of(workspace).crashes == n)
        server = server_of(workspace)
        assert server.state == ServerState.BACKING_OFF
        delays.append((server.restart_at - clock()).total_seconds())
        assert "restarting in" in Workspace.objects.get(pk=workspace.pk).status_reason
        clock.advance(seconds=delays[-1])
    tick_until(supervisor, lambda: status_of(workspace) == WorkspaceStatus.FAILED, what="failed")

    assert delays == [2, 4]  # exponential back-off
    workspace.refresh_from_db()
    assert workspace.status_reason == (
        "The workspace server stopped 3 times in a row; the last time it exited with code 3."
    )
    server = server_of(workspace)
    assert server.state == ServerState.STOPPED and server.pid is None
    assert "told to crash at start" in server.last_error  # the log's words, for operators only
    assert audit_actions(workspace)[-1] == "workspace.provisioning_failed"
    clock.advance(minutes=10)
    supervisor.tick()
    assert server_of(workspace).state == ServerState.STOPPED  # a failed workspace is left alone


def test_a_server_that_cannot_reach_the_control_plane_says_so(
    make_workspace, server_settings, clock, tick_until, settings
):
    settings.ATRIUM_BASE_URL = "http://127.0.0.1:9"  # nothing listens: Atrium's control plane is down
    settings.ATRIUM_SERVER_MAX_CRASHES = 1
    supervisor = Supervisor(clock=clock)
    workspace = provisioned(make_workspace, "unenrolled")

    tick_until(supervisor, lambda: status_of(workspace) == WorkspaceStatus.FAILED)
    assert Workspace.objects.get(pk=workspace.pk).status_reason == (
        "The workspace server stopped: it exited with code 3 because it "
        "could not log in to Atrium's control plane."
    )


def test_a_server_that_stops_answering_is_restarted(make_workspace, supervisor, clock, tick_until, settings):
    workspace = provisioned(make_workspace, "stuck")
    tick_until(supervisor, running(workspace))
    first = server_of(workspace).pid
    (directory_of(workspace, settings) / "hang").touch()  # /health answers 503 from now on

    tick_until(supervisor, lambda: server_of(workspace).state == ServerState.BACKING_OFF)
    assert "stopped answering its health checks (/health answered 503)" in server_of(workspace).last_error
    assert not is_server_process(first, directory_of(workspace, settings))


def test_an_idle_server_is_stopped_and_comes_back_on_demand(
    make_workspace, supervisor, clock, tick_until, settings
):
    workspace = provisioned(make_workspace, "sleepy")
    tick_until(supervisor, running(workspace))
    first = server_of(workspace).pid

    clock.advance(minutes=29)
    supervisor.tick()
    assert server_of(workspace).state == ServerState.RUNNING
    clock.advance(minutes=2)
    supervisor.tick()

    server = server_of(workspace)
    assert server.state == ServerState.IDLE and server.pid is None
    assert not is_server_process(first, directory_of(workspace, settings))
    assert status_of(workspace) == WorkspaceStatus.AVAILABLE  # asleep, still the user's workspace

    workspace_server_used(workspace)  # e.g. `zenml login sleepy` looks the workspace up
    assert server_of(workspace).state == ServerState.QUEUED
    tick_until(supervisor, running(workspace))
    assert server_of(workspace).pid != first and server_of(workspace).crashes == 0


def test_a_server_used_while_it_is_stopped_for_idleness_starts_again(
    make_workspace, supervisor, clock, tick_until
):
    workspace = provisioned(make_workspace, "just-in-time")
    tick_until(supervisor, running(workspace))
    clock.advance(minutes=31)
    server = server_of(workspace)
    assert supervisor.is_idle(server)

    workspace_server_used(workspace)  # the CLI looks it up between the supervisor's decision and its write
    supervisor.stop([(server, ServerState.IDLE)])

    assert server_of(workspace).state == ServerState.QUEUED
    tick_until(supervisor, running(workspace))


def test_a_workspace_provisioned_without_a_server_gets_one_when_first_used(
    make_workspace, supervisor, tick_until, settings
):
    settings.ATRIUM_PROVISIONER = settings.EMBEDDED_PROVISIONER  # as seed_demo provisions the demo data
    workspace = provisioned(make_workspace, "demo-data")
    assert workspace.status == WorkspaceStatus.AVAILABLE and workspace.server_url == "/w/demo-data/api/v1"
    settings.ATRIUM_PROVISIONER = settings.ZENML_PROVISIONER

    supervisor.tick()
    assert server_of(workspace).state == ServerState.IDLE  # asleep until someone needs it
    workspace_server_used(workspace)
    tick_until(supervisor, running(workspace))

    workspace.refresh_from_db()
    assert workspace.server_url == f"http://127.0.0.1:{server_of(workspace).port}"
    assert workspace.server_version == VERSION


def test_the_cap_on_running_servers_holds(make_workspace, supervisor, tick_until, settings, owner):
    settings.ATRIUM_MAX_RUNNING_SERVERS = 2
    first, second, third = (provisioned(make_workspace, slug) for slug in ("cap-one", "cap-two", "cap-three"))

    tick_until(supervisor, lambda: all(running(w)() for w in (first, second)))
    for _ in range(3):
        supervisor.tick()
    assert server_of(third).state == ServerState.QUEUED
    assert WorkspaceServer.objects.filter(state__in=[ServerState.STARTING, ServerState.RUNNING]).count() == 2
    third.refresh_from_db()
    assert third.status == WorkspaceStatus.PENDING
    assert third.status_reason == "Waiting for room: 2 workspace servers run, the most allowed"

    workspace_deactivate(workspace=first, acting_user=owner)
    tick_until(supervisor, lambda: status_of(third) == WorkspaceStatus.AVAILABLE)
    assert server_of(first).state == ServerState.STOPPED


def test_servers_start_a_few_at_a_time(make_workspace, supervisor, tick_until):
    supervisor.max_concurrent_starts = 1
    first, second = provisioned(make_workspace, "one-at"), provisioned(make_workspace, "a-time")

    supervisor.tick()
    assert [server_of(w).state for w in (first, second)] == [ServerState.STARTING, ServerState.QUEUED]
    tick_until(supervisor, lambda: running(first)() and running(second)())


def test_deactivate_stops_the_server_and_reactivate_starts_it(
    make_workspace, supervisor, tick_until, settings, owner
):
    workspace = provisioned(make_workspace, "on-off")
    tick_until(supervisor, running(workspace))
    pid = server_of(workspace).pid

    workspace_deactivate(workspace=workspace, acting_user=owner)
    tick_until(supervisor, lambda: server_of(workspace).state == ServerState.STOPPED)
    assert server_of(workspace).pid is None
    assert not is_server_process(pid, directory_of(workspace, settings))

    workspace_reactivate(workspace=Workspace.objects.get(pk=workspace.pk), acting_user=owner)
    workspace_provision(workspace_pk=workspace.pk)  # what the background task does
    tick_until(supervisor, lambda: status_of(workspace) == WorkspaceStatus.AVAILABLE)
    assert server_of(workspace).pid != pid


def test_after_its_own_restart_the_supervisor_re_adopts_live_servers_and_restarts_vanished_ones(
    make_workspace, supervisor, clock, tick_until, settings
):
    kept, lost = provisioned(make_workspace, "kept"), provisioned(make_workspace, "lost")
    tick_until(supervisor, lambda: running(kept)() and running(lost)())
    kept_pid, lost_pid = server_of(kept).pid, server_of(lost).pid
    del supervisor  # the supervisor stops; its servers run on in their own sessions
    os.kill(lost_pid, signal.SIGKILL)  # and one of them dies meanwhile

    successor = Supervisor(clock=clock)
    tick_until(successor, lambda: running(lost)() and server_of(lost).pid != lost_pid)

    assert server_of(kept).pid == kept_pid and server_of(kept).state == ServerState.RUNNING
    assert server_of(kept).restarts == 0
    assert server_of(lost).crashes == 0  # not the server's fault: restarted without counting a crash


def test_a_server_whose_workspace_is_gone_is_stopped(make_workspace, supervisor, tick_until, settings):
    workspace = provisioned(make_workspace, "gone")
    tick_until(supervisor, running(workspace))
    pid, directory = server_of(workspace).pid, directory_of(workspace, settings)

    Workspace.objects.filter(pk=workspace.pk).delete()
    Supervisor(clock=supervisor.clock).tick()  # a supervisor sweeps orphans on its first round

    assert not is_server_process(pid, directory)


def test_the_command_has_nothing_to_supervise_with_the_embedded_provisioner(capsys):
    call_command("run_workspace_servers")
    assert "nothing to supervise" in capsys.readouterr().out


def test_a_reactivation_while_the_server_is_being_stopped_starts_it_again(
    make_workspace, supervisor, tick_until, owner
):
    """The supervisor decided to stop the server (deactivated), and the workspace was reactivated
    before the stop was recorded: the new start request wins instead of leaving it pending forever."""
    workspace = provisioned(make_workspace, "flip-flop")
    tick_until(supervisor, running(workspace))
    workspace_deactivate(workspace=workspace, acting_user=owner)
    decided = server_of(workspace)  # what the supervisor read when it decided to stop it
    workspace_reactivate(workspace=Workspace.objects.get(pk=workspace.pk), acting_user=owner)
    workspace_provision(workspace_pk=workspace.pk)
    supervisor.stop([(decided, ServerState.STOPPED)])
    assert server_of(workspace).state == ServerState.QUEUED
    tick_until(supervisor, lambda: status_of(workspace) == WorkspaceStatus.AVAILABLE)


hook_calls: list[tuple[str, str]] = []
hook_failures: list[str] = []


def setup_hook(workspace, url):
    if hook_failures:
        raise ConnectionError(hook_failures.pop())
    hook_calls.append(("setup", workspace.slug))


def watch_hook(workspace, url):
    hook_calls.append(("watch", url))


def test_a_failed_setup_is_retried_while_the_server_runs_and_watch_hooks_follow_it(
    make_workspace, supervisor, clock, tick_until, settings
):
    hook_calls.clear()
    hook_failures[:] = ["the server was still migrating"]
    settings.ATRIUM_SERVER_UP_HOOKS = [f"{__name__}.setup_hook"]
    settings.ATRIUM_SERVER_WATCH_HOOKS = [f"{__name__}.watch_hook"]
    settings.ATRIUM_SERVER_WATCH_SECONDS = 3
    workspace = provisioned(make_workspace, "hooked")
    tick_until(supervisor, running(workspace), what="running")
    assert hook_calls == []  # the setup failed once; the server stays up all the same

    supervisor.tick()
    url = f"http://127.0.0.1:{server_of(workspace).port}"
    assert hook_calls == [("setup", "hooked"), ("watch", url)]
    supervisor.tick()  # within ATRIUM_SERVER_WATCH_SECONDS: nothing more
    assert len(hook_calls) == 2
    clock.advance(seconds=3)
    supervisor.tick()
    assert [call[0] for call in hook_calls] == ["setup", "watch", "watch"]  # set up once, watched again
