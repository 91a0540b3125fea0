"""Provisioners for tests: one that always fails, as a real server that won't start would."""

from workspaces.provisioners import Provisioner, ProvisioningError


class FailingProvisioner(Provisioner):
    def start(self, workspace, *, report):
        report("Starting the workspace server")
        raise ProvisioningError("the server did not answer its health check within 30 s")

    def health(self, workspace):
        raise NotImplementedError

    def stop(self, workspace):
        return None
