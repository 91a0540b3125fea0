"""`manage.py purge_deleted_workspaces`: remove for good the workspaces deleted longer ago than the grace
period (run it daily, e.g. from cron). Their IDs stay taken."""

from django.core.management.base import BaseCommand

from workspaces.services.deletion import restore_days, workspace_purge_expired


class Command(BaseCommand):
    help = (
        "Remove for good every workspace deleted more than ATRIUM_WORKSPACE_RESTORE_DAYS (30) days ago: "
        "its roles, labels, server records and server files. Each purge is audited; IDs are never freed."
    )

    def handle(self, *args, **options):
        purged = workspace_purge_expired()
        for slug in purged:
            self.stdout.write(f"Purged {slug}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(purged)} workspace{'s' if len(purged) != 1 else ''} deleted more than "
                f"{restore_days()} days ago purged."
            )
        )
