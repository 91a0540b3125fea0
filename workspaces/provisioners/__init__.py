"""Provisioners start, watch and stop the server behind a workspace.

`get_provisioner()` returns the one named by the ATRIUM_PROVISIONER setting. Callers only ever use the
`Provisioner` interface, so a provisioner that runs a real ZenML server per workspace (or targets
Kubernetes) fits without changing them.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Health, Provisioner, ProvisioningError, ServerInfo

__all__ = ["Health", "Provisioner", "ProvisioningError", "ServerInfo", "get_provisioner"]


def get_provisioner() -> Provisioner:
    return import_string(settings.ATRIUM_PROVISIONER)()
