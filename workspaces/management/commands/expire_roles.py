"""End the workspace roles whose last day has passed, and warn holders of roles ending within a week.

Run it daily (cron, a systemd timer, or the task worker's schedule); running it more often is harmless:
each role ends once and each warning goes once.
"""

from django.core.management.base import BaseCommand

from workspaces.services import workspace_role_expiry_warnings_send, workspace_roles_expire


class Command(BaseCommand):
    help = "End workspace roles given until a date that has passed; e-mail a warning a week before."

    def handle(self, *args, **options):
        ended = workspace_roles_expire()
        warned = workspace_role_expiry_warnings_send()
        self.stdout.write(f"Roles ended: {ended}; expiry warnings sent: {warned}")
