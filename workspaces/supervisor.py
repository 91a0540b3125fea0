"""The workspace-server supervisor: keeps what runs in line with what should run.

`manage.py run_workspace_servers` calls `Supervisor.tick()` about once a second. Each tick reads the
desired state (`Workspace.status` / `desired_state`, and the `WorkspaceServer.state` that provisioning,
use and idleness set) and the actual one (recorded process ids, `/health`), and closes the gap:

- starts queued servers (new, retried, reactivated, or woken by use after an idle stop), oldest request
  first, never more than ATRIUM_MAX_RUNNING_SERVERS at once, and only as many at a time as there are
  cores (at least two);
- makes a workspace `available` once its server has reported in (`reported_at`, cleared at each
  launch, is set again by the server's `PATCH /workspace_status`) and answers `/health`;
- health-checks running servers every ATRIUM_SERVER_HEALTH_SECONDS; a server that exited, stopped
  answering (three checks in a row) or never came up within ATRIUM_SERVER_START_TIMEOUT_SECONDS is
  restarted after an exponential back-off (ATRIUM_SERVER_RESTART_BACKOFF_SECONDS, doubling, at most
  five minutes); after ATRIUM_SERVER_MAX_CRASHES in a row the workspace turns `failed` with the reason;
- stops the servers of deactivated, failed and deleted workspaces, and of workspaces nobody used for
  ATRIUM_SERVER_IDLE_MINUTES (they start again when used: `workspace_server_used`);
- on its own start, re-adopts servers still running from before (the recorded pid is alive, runs in
  the server's directory, and `/health` answers) and restarts the rest; it also stops server processes
  whose workspace is gone.

Why plain processes with recorded pids and not a kept process manager (circus, supervisord): the
desired state already lives in Atrium's database, and everything that decides (queueing under a cap,
idleness, turning a workspace `failed` with a reason, readiness by report-in) is Atrium's policy either
way; a process manager would add a second list of programs to keep in sync with the database, a daemon
to run, watch and upgrade, and either secrets in its configuration files (supervisord's programs are
defined in files, so every server's JWT and enrollment secret would sit on disk) or a ZeroMQ stack in
the site's dependencies (circus). What it would do for us is small: spawn, signal, reap, which is what
`workspaces.server_processes` does in a hundred lines, with the process ids in the database so a
restarted supervisor finds its servers again. The supervisor itself is kept by the host's process
manager (systemd in production, `make run` locally). A Kubernetes backend would replace the process
calls, not this loop (docs/workspace-servers.md).

The clock is a seam (`Supervisor(clock=...)`) so tests can jump past back-offs and idle periods.
"""

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import DesiredState, ServerState, Workspace, WorkspaceServer, WorkspaceStatus
from .provisioners import ServerInfo, get_provisioner
from .server_processes import (
    answers_health,
    free_port,
    is_server_process,
    log_tail,
    parse_port_range,
    recorded_pid,
    terminate,
)
from .server_secrets import new_secret_salt
from .services.lifecycle import workspace_provisioning_progress, workspace_server_failed, workspace_server_up

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
HEALTH_FAILURES_TO_RESTART = 3  # consecutive failed health checks of a live process
STABLE_AFTER = timedelta(minutes=1)  # a server up this long has stopped crashing "in a row"
STOP_GRACE_SECONDS = 10.0  # SIGTERM, then SIGKILL (ZenML stops cleanly in about 1.6 s)
ORPHAN_SWEEP_EVERY = timedelta(minutes=1)
LIVE_STATES = (ServerState.STARTING, ServerState.RUNNING)


# `wants_to_run` as a query on WorkspaceServer.
SHOULD_RUN = Q(workspace__desired_state=DesiredState.AVAILABLE) & Q(
    workspace__status__in=[WorkspaceStatus.PENDING, WorkspaceStatus.AVAILABLE]
)


def wants_to_run(workspace: Workspace) -> bool:
    """May the workspace's server run? (Whether it does also depends on its state: queued, idle…)"""
    return workspace.desired_state == DesiredState.AVAILABLE and workspace.status in {
        WorkspaceStatus.PENDING,
        WorkspaceStatus.AVAILABLE,
    }


class Supervisor:
    # A ZenML server's start is CPU-bound for seconds (imports, database migrations): starting more at
    # once than there are cores only makes every one of them late.
    max_concurrent_starts = max(2, os.cpu_count() or 2)

    def __init__(self, *, provisioner=None, clock: Callable[[], datetime] = timezone.now):
        self.provisioner = provisioner or get_provisioner()
        self.clock = clock
        self.children: dict[int, subprocess.Popen] = {}  # processes this supervisor launched
        self.exit_codes: dict[int, int] = {}
        self.health_failures: dict[int, int] = {}  # server pk → failed checks in a row
        self.checked_at: dict[int, datetime] = {}  # server pk → last health check
        self.watched_at: dict[int, datetime] = {}  # server pk → last run of the watch hooks
        self.unfinished_setup: dict[int, list[str]] = {}  # server pk → up-hooks that failed
        self.adopted = False
        self.swept_at: datetime | None = None
        self.waiting_for_room: set[int] = set()

    # --- The loop --------------------------------------------------------------------------------------

    def run(self, *, interval: float = 1.0, stop_servers_on_exit: bool = False) -> None:
        """Tick until SIGTERM or SIGINT; with `stop_servers_on_exit`, stop every server on the way out
        (`make run` does; in production servers outlive a supervisor restart and are re-adopted)."""
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not stopping:
                close_old_connections()
                try:
                    self.tick()
                except Exception:  # one bad tick (a database hiccup) must not end supervision
                    logger.exception("Supervising workspace servers failed; trying again")
                close_old_connections()
                deadline = time.monotonic() + interval
                while not stopping and time.monotonic() < deadline:
                    time.sleep(min(0.1, interval))
            if stop_servers_on_exit:
                self.stop_everything()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def tick(self) -> None:
        self.reap()
        if not self.adopted:
            self.adopt()
            self.adopted = True
        to_stop: list[tuple[WorkspaceServer, str]] = []
        for server in self.needing_attention():
            if not wants_to_run(server.workspace):
                if server.state != ServerState.STOPPED or server.pid:
                    to_stop.append((server, ServerState.STOPPED))
            elif server.state == ServerState.STARTING:
                self.check_starting(server)
            elif server.state == ServerState.RUNNING:
                if self.is_idle(server):
                    to_stop.append((server, ServerState.IDLE))
                else:
                    self.check_running(server)
        self.stop(to_stop)
        self.start_due()
        now = self.clock()
        if self.swept_at is None or now - self.swept_at >= ORPHAN_SWEEP_EVERY:
            self.record_unserved()
            self.sweep_orphans()
            self.swept_at = now

    def servers(self):
        return WorkspaceServer.objects.select_related("workspace__organization").order_by("pk")

    def needing_attention(self):
        """Servers with a process (or meant to have one), and servers of workspaces that should not run
        but are not recorded stopped: a tick's cost follows the running servers, not all workspaces."""
        return self.servers().filter(
            Q(pid__isnull=False) | Q(state__in=LIVE_STATES) | (~SHOULD_RUN & ~Q(state=ServerState.STOPPED))
        )

    def directory(self, server: WorkspaceServer) -> Path:
        return self.provisioner.directory(server)

    def reap(self) -> None:
        """Collect the exit codes of this supervisor's children that ended (no zombies left)."""
        for pid, process in list(self.children.items()):
            code = process.poll()
            if code is not None:
                self.exit_codes[pid] = code
                del self.children[pid]

    def is_alive(self, server: WorkspaceServer) -> bool:
        self.reap()
        return is_server_process(server.pid, self.directory(server))

    # --- Re-adoption after the supervisor's own restart --------------------------------------------------

    def adopt(self) -> None:
        """Take over what a previous supervisor left: keep live servers, restart the vanished ones."""
        now = self.clock()
        self.record_unserved()
        for server in self.servers().filter(Q(pid__isnull=False) | Q(state__in=LIVE_STATES)):
            workspace = server.workspace
            if not wants_to_run(workspace):
                continue  # the tick stops it
            alive = self.is_alive(server)
            healthy = alive and answers_health(self.provisioner.health_url(server))[0]
            if healthy or (alive and server.state == ServerState.STARTING):
                logger.info(
                    "Re-adopted the server of %s (pid %s, port %s)", workspace.slug, server.pid, server.port
                )
                continue
            if alive:
                terminate([server.pid], grace=STOP_GRACE_SECONDS, reap=self.reap)
            logger.info("The server of %s was not running; restarting it", workspace.slug)
            WorkspaceServer.objects.filter(pk=server.pk).update(
                state=ServerState.QUEUED, queued_at=now, pid=None, stopped_at=now
            )

    def record_unserved(self) -> None:
        """Available workspaces that never had a server here (provisioned by the embedded provisioner,
        e.g. the demo data) get a record as idle servers, so they start when first used."""
        missing = Workspace.objects.filter(
            status=WorkspaceStatus.AVAILABLE, desired_state=DesiredState.AVAILABLE, server__isnull=True
        )
        WorkspaceServer.objects.bulk_create(
            [
                WorkspaceServer(workspace=w, secret_salt=new_secret_salt(), state=ServerState.IDLE)
                for w in missing
            ],
            ignore_conflicts=True,
        )

    def sweep_orphans(self) -> None:
        """Stop server processes whose record is gone or names another process (a deleted workspace)."""
        root = Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR)
        if not root.is_dir():
            return
        recorded = {str(w): pid for w, pid in WorkspaceServer.objects.values_list("workspace_id", "pid")}
        orphans = []
        for directory in root.iterdir():
            pid = recorded_pid(directory)
            if pid and recorded.get(directory.name) != pid and is_server_process(pid, directory):
                logger.warning("Stopping server process %s in %s: no workspace records it", pid, directory)
                orphans.append(pid)
        terminate(orphans, grace=STOP_GRACE_SECONDS, reap=self.reap)

    # --- Watching --------------------------------------------------------------------------------------

    def check_starting(self, server: WorkspaceServer) -> None:
        now = self.clock()
        if not self.is_alive(server):
            self.crashed(server, self.exit_reason(server))
            return
        if server.reported_at is not None:  # cleared at launch: a report from this process
            healthy, why = answers_health(self.provisioner.health_url(server))
            if healthy:
                self.came_up(server)
                return
        if now - server.started_at > timedelta(seconds=settings.ATRIUM_SERVER_START_TIMEOUT_SECONDS):
            terminate([server.pid], grace=0, reap=self.reap)
            seconds = round(settings.ATRIUM_SERVER_START_TIMEOUT_SECONDS)
            what = "answer /health" if server.reported_at else "report in to Atrium and answer /health"
            self.crashed(server, f"it did not {what} within {seconds} s")

    def run_hooks(self, paths, workspace, url: str, *, quiet: bool = False) -> list[str]:
        """What other apps do with a server (dotted paths, called with the workspace and the server's
        local URL): when it comes up (`ATRIUM_SERVER_UP_HOOKS`; e.g. the control plane creates the
        first project) and while it runs (`ATRIUM_SERVER_WATCH_HOOKS`; e.g. the control plane reads its
        onboarding state). A hook that fails is logged and returned; the server stays up."""
        failed = []
        for path in paths:
            try:
                import_string(path)(workspace, url)
            except Exception as error:
                failed.append(path)
                if quiet:  # asked again in a few seconds: no traceback each time
                    logger.warning("%s failed for the server of %s: %s", path, workspace.slug, error)
                else:
                    logger.exception("%s failed for the server of %s", path, workspace.slug)
        return failed

    def watch(self, server: WorkspaceServer) -> None:
        """Every ATRIUM_SERVER_WATCH_SECONDS: retry the up-hooks that failed, then the watch hooks."""
        now = self.clock()
        last = self.watched_at.get(server.pk)
        if last is not None and now - last < timedelta(seconds=settings.ATRIUM_SERVER_WATCH_SECONDS):
            return
        self.watched_at[server.pk] = now
        url = f"http://127.0.0.1:{server.port}"
        if server.pk in self.unfinished_setup:
            failed = self.run_hooks(self.unfinished_setup[server.pk], server.workspace, url, quiet=True)
            if failed:
                self.unfinished_setup[server.pk] = failed
                return  # set up first: the watch hooks may rely on it
            del self.unfinished_setup[server.pk]
        self.run_hooks(getattr(settings, "ATRIUM_SERVER_WATCH_HOOKS", ()), server.workspace, url, quiet=True)

    def came_up(self, server: WorkspaceServer) -> None:
        now = self.clock()
        WorkspaceServer.objects.filter(pk=server.pk, state=ServerState.STARTING).update(
            state=ServerState.RUNNING, last_health_at=now
        )
        self.checked_at[server.pk] = now
        self.health_failures.pop(server.pk, None)
        url = self.provisioner.server_url(server, server.port)
        workspace_server_up(workspace=server.workspace, server=ServerInfo(url=url, version=server.version))
        # Hooks talk to the server on this machine, never through its public address (a proxy).
        up_hooks = getattr(settings, "ATRIUM_SERVER_UP_HOOKS", ())
        if failed := self.run_hooks(up_hooks, server.workspace, f"http://127.0.0.1:{server.port}"):
            self.unfinished_setup[server.pk] = failed  # retried while it runs (`watch`)
        else:
            self.unfinished_setup.pop(server.pk, None)
        logger.info(
            "The server of %s is up at %s (pid %s), %.1f s after its start",
            server.workspace.slug,
            url,
            server.pid,
            (now - server.started_at).total_seconds(),
        )

    def check_running(self, server: WorkspaceServer) -> None:
        now = self.clock()
        if not self.is_alive(server):
            self.crashed(server, self.exit_reason(server))
            return
        self.watch(server)
        last = self.checked_at.get(server.pk)
        if last is not None and now - last < timedelta(seconds=settings.ATRIUM_SERVER_HEALTH_SECONDS):
            return
        self.checked_at[server.pk] = now
        healthy, why = answers_health(self.provisioner.health_url(server))
        if healthy:
            self.health_failures.pop(server.pk, None)
            fields = {"last_health_at": now}
            if server.crashes and server.started_at and now - server.started_at >= STABLE_AFTER:
                fields["crashes"] = 0
            WorkspaceServer.objects.filter(pk=server.pk).update(**fields)
            return
        failures = self.health_failures.get(server.pk, 0) + 1
        self.health_failures[server.pk] = failures
        if failures >= HEALTH_FAILURES_TO_RESTART:
            terminate([server.pid], grace=STOP_GRACE_SECONDS, reap=self.reap)
            self.crashed(server, f"it stopped answering its health checks ({why})")

    def is_idle(self, server: WorkspaceServer) -> bool:
        last = max(filter(None, [server.last_used_at, server.started_at]), default=None)
        return last is not None and self.clock() - last > timedelta(
            minutes=settings.ATRIUM_SERVER_IDLE_MINUTES
        )

    def exit_reason(self, server: WorkspaceServer) -> str:
        process = self.children.get(server.pid) if server.pid else None
        if process is not None:  # it ended between the last reap and the liveness check: collect its code
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1)
            self.reap()
        code = self.exit_codes.pop(server.pid, None) if server.pid else None
        return f"it exited with code {code}" if code is not None else "its process ended"

    def crashed(self, server: WorkspaceServer, reason: str) -> None:
        """The server stopped without being asked: restart it after a back-off, or give up."""
        now = self.clock()
        workspace = server.workspace
        crashes = server.crashes + 1
        tail = log_tail(self.directory(server))
        if "auth token from the Cloud API" in tail:  # ZenML's words when the control plane is unreachable
            reason += " because it could not log in to Atrium's control plane"
        detail = f"{reason}; log: {tail}" if tail else reason
        self.health_failures.pop(server.pk, None)
        self.checked_at.pop(server.pk, None)
        logger.warning("The server of %s stopped (%s), %d in a row", workspace.slug, detail, crashes)
        common = {"pid": None, "crashes": crashes, "last_error": detail[:500], "stopped_at": now}
        if crashes >= settings.ATRIUM_SERVER_MAX_CRASHES:
            if crashes == 1:
                summary = f"The workspace server stopped: {reason}."
            else:
                summary = f"The workspace server stopped {crashes} times in a row; the last time {reason}."
            WorkspaceServer.objects.filter(pk=server.pk).update(state=ServerState.STOPPED, **common)
            # Only our own words reach the page; the log's lines stay in last_error for operators.
            workspace_server_failed(
                workspace=workspace,
                reason=summary,
            )
            return
        delay = min(
            timedelta(seconds=settings.ATRIUM_SERVER_RESTART_BACKOFF_SECONDS * 2 ** (crashes - 1)),
            MAX_BACKOFF,
        )
        WorkspaceServer.objects.filter(pk=server.pk).update(
            state=ServerState.BACKING_OFF, restart_at=now + delay, **common
        )
        workspace_provisioning_progress(
            workspace=workspace,
            phase=f"The server stopped ({reason}); restarting in {delay.total_seconds():.0f} s "
            f"(attempt {crashes + 1} of {settings.ATRIUM_SERVER_MAX_CRASHES})",
        )

    # --- Starting and stopping ---------------------------------------------------------------------------

    def start_due(self) -> None:
        """Launch restarts whose back-off ended, then queued starts (oldest first), within the cap."""
        now = self.clock()
        restarts = self.servers().filter(SHOULD_RUN, state=ServerState.BACKING_OFF, restart_at__lte=now)
        queued = self.servers().filter(SHOULD_RUN, state=ServerState.QUEUED).order_by("queued_at", "pk")
        due = [*restarts.order_by("restart_at"), *queued]
        if not due:
            return
        running = WorkspaceServer.objects.filter(state__in=LIVE_STATES).count()
        starting = WorkspaceServer.objects.filter(state=ServerState.STARTING).count()
        cap = settings.ATRIUM_MAX_RUNNING_SERVERS
        for server in due:
            if starting >= self.max_concurrent_starts:
                break  # the rest start on a later round, their start timeout not yet running
            if running >= cap:
                if server.pk not in self.waiting_for_room:
                    self.waiting_for_room.add(server.pk)
                    logger.info("%s waits: %d servers run, the most allowed", server.workspace.slug, cap)
                    workspace_provisioning_progress(
                        workspace=server.workspace,
                        phase=f"Waiting for room: {cap} workspace servers run, the most allowed",
                    )
                continue
            self.waiting_for_room.discard(server.pk)
            self.start(server)
            running += 1
            starting += 1

    def start(self, server: WorkspaceServer) -> None:
        now = self.clock()
        restart = server.state == ServerState.BACKING_OFF
        live_ports = WorkspaceServer.objects.filter(state__in=LIVE_STATES).exclude(pk=server.pk)
        try:
            port = free_port(
                parse_port_range(settings.ATRIUM_SERVER_PORTS),
                taken=live_ports.exclude(port=None).values_list("port", flat=True),
                preferred=server.port,
            )
            # A stopped server keeps its port only while nobody else needs it.
            WorkspaceServer.objects.filter(port=port).exclude(pk=server.pk).update(port=None)
            WorkspaceServer.objects.filter(pk=server.pk).update(port=port)
            server.port = port
            process = self.provisioner.launch(server, port=port)
        except Exception as error:  # a missing ZenML install, no free port: a failed attempt like a crash
            logger.exception("Could not start the server of %s", server.workspace.slug)
            server.pid = None
            self.crashed(server, f"it could not be started ({error})")
            return
        self.children[process.pid] = process
        fields = {
            "state": ServerState.STARTING,
            "pid": process.pid,
            "started_at": now,
            "reported_at": None,
            "last_error": server.last_error,
        }
        if restart:
            fields["restarts"] = server.restarts + 1
        WorkspaceServer.objects.filter(pk=server.pk).update(**fields)
        logger.info("Started the server of %s on port %s (pid %s)", server.workspace.slug, port, process.pid)
        workspace_provisioning_progress(workspace=server.workspace, phase="Starting the ZenML server")

    def stop(self, stops: list[tuple[WorkspaceServer, str]]) -> None:
        """Stop these servers together (SIGTERM, then SIGKILL after a grace period) and record `state`."""
        if not stops:
            return
        terminate([s.pid for s, _ in stops if self.is_alive(s)], grace=STOP_GRACE_SECONDS, reap=self.reap)
        now = self.clock()
        for server, state in stops:
            why = {
                ServerState.IDLE: "idle",
                ServerState.STOPPED: "its workspace should not run",
            }.get(state, "the supervisor is stopping")
            if server.pid:
                logger.info("Stopped the server of %s (%s)", server.workspace.slug, why)
            self.exit_codes.pop(server.pid, None)
            self.health_failures.pop(server.pk, None)
            self.checked_at.pop(server.pk, None)
            row = WorkspaceServer.objects.filter(pk=server.pk)
            if state == ServerState.IDLE:
                # Used while it was being stopped: queue it again rather than strand a waiting CLI.
                if server.last_used_at:
                    used_meanwhile = row.filter(last_used_at__gt=server.last_used_at)
                else:
                    used_meanwhile = row.filter(last_used_at__isnull=False)
                if used_meanwhile.update(state=ServerState.QUEUED, queued_at=now, pid=None, stopped_at=now):
                    continue
            # Reactivated while it was being stopped: the new start request wins (queue it again).
            requeued = state == ServerState.STOPPED and row.filter(SHOULD_RUN).update(
                state=ServerState.QUEUED, queued_at=now, pid=None, stopped_at=now
            )
            if requeued:
                continue
            row.update(state=state, pid=None, stopped_at=now)

    def stop_everything(self) -> None:
        """Stop every server (on a local `make run`'s exit): running ones start again when used,
        starting ones when the next supervisor starts."""
        stops = []
        for server in self.servers().exclude(pid=None):
            if not wants_to_run(server.workspace):
                stops.append((server, ServerState.STOPPED))
            elif server.state == ServerState.RUNNING and server.workspace.status == WorkspaceStatus.AVAILABLE:
                stops.append((server, ServerState.IDLE))
            else:
                stops.append((server, ServerState.QUEUED))
        self.stop(stops)
        logger.info("Stopped %d workspace server(s)", len(stops))
