"""E-mail the reviewers of every workspace whose access review is overdue, once per due date.

Run it daily (cron, a systemd timer, or the task worker's schedule); a workspace whose reviewers were
already reminded for its current due date is skipped, so running it more often sends nothing twice.
"""

from django.core.management.base import BaseCommand

from workspaces.services import access_review_reminders_send


class Command(BaseCommand):
    help = "E-mail the reviewers of overdue access reviews (at most once per due date)."

    def handle(self, *args, **options):
        sent = access_review_reminders_send()
        self.stdout.write(f"Overdue access reviews reminded: {sent}")
