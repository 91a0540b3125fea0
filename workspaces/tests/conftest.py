"""Fixtures for the workspace-server tests: the `zenml` provisioner running a stand-in server script,
a stand-in control plane, and a supervisor on a clock the test moves."""

import contextlib
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from workspaces.server_processes import is_server_process, recorded_pid

FAKE_SERVER = Path(__file__).with_name("fake_zenml_server.py")


class FakeClock:
    """Starts at the real time; moves only when told (sleeping through a back-off or an idle hour)."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def server_settings(settings, tmp_path):
    settings.ATRIUM_PROVISIONER = settings.ZENML_PROVISIONER
    settings.ATRIUM_WORKSPACE_SERVERS_DIR = tmp_path / "servers"
    settings.ATRIUM_WORKSPACE_SERVER_COMMAND = [sys.executable, str(FAKE_SERVER), "--port", "{port}"]
    settings.ATRIUM_SERVER_PORTS = "20000-29999"
    settings.ATRIUM_SERVER_HEALTH_SECONDS = 0  # every tick
    settings.ATRIUM_SERVER_RESTART_BACKOFF_SECONDS = 2
    settings.ATRIUM_SERVER_MAX_CRASHES = 3
    settings.ATRIUM_SERVER_START_TIMEOUT_SECONDS = 20
    settings.ATRIUM_SERVER_IDLE_MINUTES = 30
    settings.ATRIUM_MAX_RUNNING_SERVERS = 8
    yield settings
    # Whatever a test left running dies with it (only if the pid is still that server: pids are reused).
    for directory in Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR).glob("*"):
        pid = recorded_pid(directory)
        if is_server_process(pid, directory):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def control_plane(settings):
    from workspaces.tests.control_plane_stub import ControlPlaneStub

    with ControlPlaneStub() as stub:
        settings.ATRIUM_BASE_URL = stub.base_url
        yield stub


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def supervisor(server_settings, control_plane, clock):
    from workspaces.supervisor import Supervisor

    return Supervisor(clock=clock)


@pytest.fixture
def tick_until():
    """Tick `supervisor` until `condition()` holds (real time passes: servers start for real)."""

    def tick_until(supervisor, condition, *, timeout=15.0, what="the condition"):
        deadline = time.monotonic() + timeout
        while True:
            supervisor.tick()
            if condition():
                return
            if time.monotonic() > deadline:
                from workspaces.models import WorkspaceServer

                states = list(WorkspaceServer.objects.values("workspace__slug", "state", "pid", "last_error"))
                raise AssertionError(f"{what} did not happen within {timeout} s; servers: {states}")
            time.sleep(0.05)

    return tick_until
