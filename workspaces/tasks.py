from django.tasks import task


@task()
def provision_workspace(workspace_pk: str) -> str:
    from .services import workspace_provision

    workspace = workspace_provision(workspace_pk=workspace_pk)
    return workspace.status if workspace else "missing"


@task()
def workspace_housekeeping() -> str:
    """What must happen by itself, whatever cron does: end roles past their last day, warn holders of
    roles ending within a week, remind reviewers of overdue access reviews (each once), purge
    workspaces deleted longer ago than the restore period, forget the API's past request counts and
    refresh SQLite's statistics. Queued at most hourly per web process (`workspaces.middleware`); the
    management commands do the same from cron."""
    from organization_api.throttling import request_counts_purge

    from .services import (
        access_review_reminders_send,
        workspace_role_expiry_warnings_send,
        workspace_roles_expire,
    )
    from .services.deletion import workspace_purge_expired

    ended = workspace_roles_expire()
    warned = workspace_role_expiry_warnings_send()
    reminded = access_review_reminders_send()
    purged = len(workspace_purge_expired())
    request_counts_purge()
    database_statistics_refresh()
    return f"roles ended {ended}, warned {warned}, reviews reminded {reminded}, workspaces purged {purged}"


def database_statistics_refresh() -> None:
    """Let SQLite's planner know the tables' sizes and spreads (ANALYZE; about 2 s in the task worker at
    100,000 workspaces and a million audit events, once an hour), as PostgreSQL's autovacuum does by
    itself: without them it reads every workspace where an index finds the few failed or overdue ones.
    A sample (`analysis_limit`) is not enough for that plan."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
