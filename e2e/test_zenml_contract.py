"""The contract with the real ZenML: a ZenML 0.98 server started by the supervisor through the `zenml`
provisioner against a live Atrium, the unmodified `zenml` command line logging in through the device
flow (approved in the browser), a two-step pipeline run, the checklist ticked by the server's own
calls, and a Viewer refused by the server when deleting someone else's pipeline.

Skipped when ZenML's virtualenv is missing (`make zenml`) or Chromium is. About a minute.
"""

import re
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from organizations.models import Membership
from workspaces.models import FIRST_PROJECT, OnboardingStep, Workspace, WorkspaceStatus
from workspaces.onboarding import CHECKLIST, FIRST_PIPELINE_COMMAND, REGISTER_STACK
from workspaces.services import workspace_create, workspace_provision, workspace_role_assign

ZENML_BIN = Path(django_settings.ATRIUM_ZENML_VENV) / "bin"
VERIFY_URL = re.compile(r"(http://\S+/devices/verify/\S*)")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.ZENML_INSTALLED, reason="ZenML is not installed: make zenml"),
]


def checklist_command(key: str) -> str:
    return next(item.command for item in CHECKLIST if item.key == key)


class Terminal:
    """One person's terminal: its own HOME and ZenML configuration, the unmodified `zenml` CLI."""

    def __init__(self, home: Path, control_plane: str):
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = {
            "PATH": f"{ZENML_BIN}:/usr/bin:/bin",
            "HOME": str(home),
            "ZENML_CONFIG_PATH": str(home / "zenml"),
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_PRO_API_URL": control_plane,
        }

    def run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, cwd=self.home, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def login(self, page: Page, command: str, email: str, password: str) -> None:
        """The overview's login command as a person pastes it, approving the device as `email`."""
        log = self.home / "login.log"
        with log.open("w") as out:  # a file, not a pipe: reading it can never block past the deadline
            cli = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.home, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            url, deadline = None, time.monotonic() + 60
            while url is None and time.monotonic() < deadline and cli.poll() is None:
                joined = re.sub(r"\s*\n\s*", "", log.read_text())  # the CLI wraps the long URL over lines
                found = VERIFY_URL.search(joined)
                url = found.group(1) if found and "workspace=" in found.group(1) else None
                time.sleep(0.2)
            assert url, f"zenml login printed no verification URL:\n{log.read_text()}"
            page.context.clear_cookies()
            page.goto(url)
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("Your terminal is logged in")).to_be_visible()
            assert cli.wait(timeout=90) == 0, f"zenml login failed:\n{log.read_text()}"
            assert "Connected to ZenML Pro server" in log.read_text()
        finally:
            if cli.poll() is None:
                cli.kill()


def test_the_zenml_cli_logs_in_runs_a_pipeline_and_atrium_decides_roles(
    page: Page, live_server, settings, tmp_path, owner, organization, make_user, password
):
    from workspaces.supervisor import Supervisor

    settings.ATRIUM_BASE_URL = live_server.url
    settings.ATRIUM_PROVISIONER = settings.ZENML_PROVISIONER
    settings.ATRIUM_WORKSPACE_SERVERS_DIR = tmp_path / "servers"
    settings.ATRIUM_WORKSPACE_SERVER_COMMAND = None  # uvicorn from ZenML's own virtualenv
    settings.ATRIUM_SERVER_PORTS = "31000-31999"
    settings.ATRIUM_SERVER_HEALTH_SECONDS = 5
    settings.ATRIUM_SERVER_UP_HOOKS = ["control_plane.workspace_setup.workspace_first_project_create"]
    settings.ATRIUM_SERVER_WATCH_HOOKS = ["control_plane.workspace_setup.workspace_onboarding_pull"]
    settings.ATRIUM_SERVER_WATCH_SECONDS = 1

    viewer = make_user("viewer@example.com", "Vera Viewer")
    from organizations.services import membership_add

    membership_add(organization=organization, user=viewer, role="member", acting_user=owner)
    workspace = workspace_create(
        organization=organization, slug="real-ws", display_name="Real workspace", acting_user=owner
    )
    workspace_role_assign(workspace=workspace, user=viewer, role="viewer", acting_user=owner)
    workspace_provision(workspace_pk=workspace.pk)

    supervisor = Supervisor()
    try:
        deadline = time.monotonic() + 120
        while Workspace.objects.get(pk=workspace.pk).status != WorkspaceStatus.AVAILABLE:
            assert time.monotonic() < deadline, "the workspace's server did not come up in 120 s"
            supervisor.tick()
            time.sleep(0.2)

        control_plane = f"{live_server.url}/zenml-api"
        owner_terminal = Terminal(tmp_path / "owner", control_plane)
        login_command = Workspace.objects.get(pk=workspace.pk).login_command
        assert login_command.startswith(f"export ZENML_PRO_API_URL={control_plane}\n")
        owner_terminal.login(page, login_command, owner.email, password)
        assert OnboardingStep.objects.filter(workspace=workspace, key="cli_login").exists()

        # The login command of the overview set the project Atrium created: the checklist's "Run a
        # first pipeline" command, exactly as a person pastes it, runs at once.
        run = owner_terminal.run("bash", "-c", FIRST_PIPELINE_COMMAND, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
        assert OnboardingStep.objects.filter(workspace=workspace, key="first_pipeline").exists()

        # The checklist's "Register a stack" command; the supervisor sees the stack on the server.
        registered = owner_terminal.run("bash", "-c", checklist_command(REGISTER_STACK))
        assert registered.returncode == 0, registered.stdout + registered.stderr
        deadline = time.monotonic() + 15
        while not OnboardingStep.objects.filter(workspace=workspace, key=REGISTER_STACK).exists():
            assert time.monotonic() < deadline, "'Register a stack' did not tick within 15 s"
            supervisor.tick()
            time.sleep(0.5)

        # Atrium's pages read the server as the owner: the run, its two steps, the stack.
        page.goto(f"{live_server.url}/w/{workspace.slug}/runs/")
        page.get_by_role("link", name=re.compile(r"^first_pipeline-")).first.click()
        steps = page.get_by_role("region", name="Steps of this run")
        expect(steps.get_by_role("cell", name="load", exact=True)).to_be_visible()
        expect(steps.get_by_role("cell", name="total", exact=True)).to_be_visible()
        expect(steps.get_by_text("Completed")).to_have_count(2)
        page.get_by_role("link", name="Stacks").click()
        expect(page.get_by_role("cell", name="my-stack", exact=True)).to_be_visible()
        page.get_by_role("link", name="Overview").click()
        for item in ("Log in from the command line", "Run a first pipeline", "Register a stack"):
            expect(page.get_by_text(f"{item} (done)")).to_be_attached()

        # The Viewer may look, but the server asks Atrium before deleting someone else's pipeline.
        viewer_terminal = Terminal(tmp_path / "viewer", control_plane)
        viewer_terminal.login(page, login_command, viewer.email, password)
        listed = viewer_terminal.run("zenml", "pipeline", "list")
        assert "first_pipeline" in listed.stdout, listed.stdout + listed.stderr
        deleted = viewer_terminal.run("zenml", "pipeline", "delete", "first_pipeline", "-y")
        assert deleted.returncode != 0
        assert "permission" in (deleted.stdout + deleted.stderr).lower()
        still = owner_terminal.run("zenml", "pipeline", "list")
        assert "first_pipeline" in still.stdout
        assert Membership.objects.filter(user=viewer, organization=organization).exists()

        # A CI job: a service account's key logs the same CLI in without a browser (`--api-key`, a
        # ZENPROKEY_ key typed at the prompt), and its Viewer role is what the server hears.
        from service_accounts.services import service_account_create, service_account_key_create

        account = service_account_create(
            organization=organization, name="CI", role="member", acting_user=owner
        )
        workspace_role_assign(workspace=workspace, user=account.user, role="viewer", acting_user=owner)
        _, key = service_account_key_create(service_account=account, name="GitHub Actions", acting_user=owner)
        assert key.startswith("ZENPROKEY_")
        ci_terminal = Terminal(tmp_path / "ci", control_plane)
        login = subprocess.run(
            ["zenml", "login", workspace.slug, "--project", FIRST_PROJECT, "--api-key"],
            input=f"{key}\n", cwd=ci_terminal.home, env=ci_terminal.env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert login.returncode == 0, login.stdout + login.stderr
        listed = ci_terminal.run("zenml", "pipeline", "list")
        assert "first_pipeline" in listed.stdout, listed.stdout + listed.stderr
        deleted = ci_terminal.run("zenml", "pipeline", "delete", "first_pipeline", "-y")
        assert deleted.returncode != 0 and "permission" in (deleted.stdout + deleted.stderr).lower()
    finally:
        supervisor.stop_everything()
