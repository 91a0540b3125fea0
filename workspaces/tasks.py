from django.tasks import task


@task()
def provision_workspace(workspace_pk: str) -> str:
    from .services import workspace_provision

    workspace = workspace_provision(workspace_pk=workspace_pk)
    return workspace.status if workspace else "missing"
