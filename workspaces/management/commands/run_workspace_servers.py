"""`manage.py run_workspace_servers`: the supervisor of workspace servers (workspaces/supervisor.py)."""

import fcntl
import logging
import os
from contextlib import nullcontext
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.site import site_base_url
from workspaces.provisioners import get_provisioner
from workspaces.supervisor import Supervisor

logger = logging.getLogger("workspaces.supervisor")


class Command(BaseCommand):
    help = (
        "Start, health-check, restart and stop the workspace servers of the configured provisioner "
        "(ATRIUM_PROVISIONER) until SIGTERM or Ctrl-C. Run exactly one per installation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between two rounds")
        parser.add_argument(
            "--base-url",
            default="",
            help="where this site is served (e.g. http://127.0.0.1:8000), for the servers' control-plane "
            "address; ATRIUM_BASE_URL wins when set",
        )
        parser.add_argument(
            "--stop-servers-on-exit",
            action="store_true",
            help="stop every server when this command ends (make run); without it servers keep running "
            "and the next supervisor re-adopts them",
        )

    def handle(self, *args, interval, base_url, stop_servers_on_exit, **options):
        provisioner = get_provisioner()
        if not provisioner.supervised:
            why = (
                ""
                if settings.ZENML_INSTALLED
                else f" (ZenML is not installed in {settings.ATRIUM_ZENML_VENV}: make zenml)"
            )
            self.stdout.write(
                f"Workspaces use {settings.ATRIUM_PROVISIONER}{why}, which runs no server processes: "
                "there is nothing to supervise."
            )
            return
        root = Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR)
        root.mkdir(parents=True, exist_ok=True)
        with open(root / "supervisor.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                raise CommandError(
                    f"Another run_workspace_servers (pid {lock.read().strip() or '?'}) supervises {root}."
                ) from None
            lock.seek(0)
            lock.truncate()
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            self.stdout.write(
                f"Supervising workspace servers of {type(provisioner).__name__} in {root} "
                f"(at most {settings.ATRIUM_MAX_RUNNING_SERVERS} at once; idle after "
                f"{settings.ATRIUM_SERVER_IDLE_MINUTES:g} min)"
            )
            with site_base_url(base_url) if base_url else nullcontext():
                Supervisor(provisioner=provisioner).run(
                    interval=interval, stop_servers_on_exit=stop_servers_on_exit
                )
