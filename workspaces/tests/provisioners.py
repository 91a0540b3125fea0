"""Provisioners for tests: one that always fails, as a real server that won't start would, and one whose
workspace is deactivated while it runs."""

from workspaces.provisioners import Provisioner, ProvisioningError


class FailingProvisioner(Provisioner):
    def start(self, workspace, *, report):
        report("Starting the workspace server")
        raise ProvisioningError("the server did not answer its health check within 30 s")

    def health(self, workspace):
        raise NotImplementedError

    def stop(self, workspace):
        return None


class DeactivatedMidwayProvisioner(Provisioner):
    """Its workspace's creator deactivates the workspace between two phases, as a person may while a
    worker provisions it. Records the workspaces it was asked to stop."""

    stopped: list = []

    def start(self, workspace, *, report):
        from workspaces.services import workspace_deactivate

        report("Creating the workspace's credentials")
        workspace_deactivate(workspace=workspace, acting_user=workspace.created_by)
        report("Starting the workspace server")
        raise AssertionError("provisioning went on after the workspace was deactivated")

    def health(self, workspace):
        raise NotImplementedError

    def stop(self, workspace):
        self.stopped.append(workspace.slug)
