from django.tasks import task


@task()
def provision_workspace(workspace_pk: str) -> str:
    from .services import workspace_provision

    workspace = workspace_provision(workspace_pk=workspace_pk)
    return workspace.status if workspace else "missing"


@task()
def workspace_housekeeping() -> str:
    """What must happen by itself, whatever cron does: end roles past their last day, warn holders of
    roles ending within a week, remind reviewers of overdue access reviews (each once), and purge
    workspaces deleted longer ago than the restore period. Queued at most hourly per web process
    (`workspaces.middleware`); the management commands do the same from cron."""
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
    return f"roles ended {ended}, warned {warned}, reviews reminded {reminded}, workspaces purged {purged}"
