"""`manage.py sync_permissions`: rebuild every guardian row from the role assignments, report the drift.

Role assignments (memberships, teams, workspace role assignments) are the truth; the guardian rows
only follow them. Services keep them in step, so a healthy installation reports no drift. Something
else (a manual database edit, a restored backup, a bug) may leave rows missing or stray: this command
finds them, fixes them and says where. `--dry-run` only reports.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from organizations.models import Organization
from organizations.permission_sync import sync_organization_permissions
from workspaces.models import Workspace
from workspaces.permission_sync import sync_workspace_permissions


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


class Command(BaseCommand):
    help = "Rebuild the permission rows of every organization and workspace from role assignments."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report the drift without fixing it (rolled back)."
        )

    def handle(self, *args, dry_run=False, **options):
        verb = "would fix" if dry_run else "fixed"
        targets = [
            ("organization", Organization.objects.order_by("slug"), sync_organization_permissions),
            ("workspace", Workspace.objects.order_by("slug"), sync_workspace_permissions),
        ]
        total, checked = 0, {}
        for kind, objects, sync in targets:
            checked[kind] = 0
            for obj in list(objects):
                checked[kind] += 1
                with transaction.atomic():  # one object at a time: no long lock on a big installation
                    fixed = sync(obj)
                    if dry_run:
                        transaction.set_rollback(True)
                if fixed:
                    total += fixed
                    self.stdout.write(f"{verb} {_rows(fixed)} on {kind} {obj.slug}")
        summary = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in checked.items()) + " checked"
        if total:
            self.stdout.write(self.style.WARNING(f"Total: {verb} {_rows(total)} ({summary})."))
        else:
            self.stdout.write(self.style.SUCCESS(f"No drift: every permission row matches ({summary})."))
