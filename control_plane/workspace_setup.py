"""What Atrium itself does on a workspace's server: set it up (its first project) and watch it (the
onboarding checklist's "Register a stack").

A ZenML server in cloud mode starts without a project, and `zenml login` then leaves the command line
with none active ("No project is currently set as active"). When the supervisor sees a server come up
it calls `workspace_first_project_create` (a hook named in `ATRIUM_SERVER_UP_HOOKS`, so `workspaces`
does not import this app): Atrium logs in to the server with a short-lived service token (the server
asks `users/authorize_server`, which answers with Atrium's service account) and creates the project
the overview's login command sets active. Creating it again is harmless.
"""

import json
import logging
import urllib.error
import urllib.parse

from workspaces import onboarding
from workspaces.models import FIRST_PROJECT, OnboardingStep
from workspaces.services import onboarding_step_complete

from .workspace_api import call, service_jwt, service_jwt_forget

logger = logging.getLogger(__name__)

# Onboarding steps of ZenML (`zenml.enums.OnboardingStep`) that mean a stack was registered.
STACK_STEPS = frozenset(
    {"stack_with_remote_orchestrator_created", "stack_with_remote_artifact_store_created"}
)
WATCH_TIMEOUT_SECONDS = 3  # the supervisor waits for this; a slow server is asked again next round


def workspace_first_project_create(workspace, server_url: str) -> bool:
    """Make sure the workspace's server has its first project; returns True when it was created now."""
    base = server_url.rstrip("/")
    token = service_jwt(workspace, base)
    query = urllib.parse.urlencode({"name": FIRST_PROJECT})
    if call("GET", f"{base}/api/v1/projects?{query}", token=token).get("items"):
        return False
    body = {"name": FIRST_PROJECT, "display_name": "Default", "description": "Created by Atrium."}
    try:
        call("POST", f"{base}/api/v1/projects", token=token, data=json.dumps(body).encode(),
              content_type="application/json")  # fmt: skip
    except urllib.error.HTTPError as error:
        if error.code == 409:  # created meanwhile
            return False
        raise
    logger.info("Created the first project %r on the server of %s", FIRST_PROJECT, workspace.slug)
    return True


def workspace_onboarding_pull(workspace, server_url: str) -> bool:
    """Tick "Register a stack" once the server knows a stack besides its default one; returns True
    when it ticked now. Called by the supervisor every few seconds while the server runs
    (`ATRIUM_SERVER_WATCH_HOOKS`), so the checklist follows within seconds.

    Read as Atrium's service identity: the server's onboarding state (`GET /api/v1/onboarding_state`)
    names only stacks with a remote orchestrator or artifact store, so a stack registered from the
    default components (the checklist's own command) is seen in the stack list instead."""
    if OnboardingStep.objects.filter(workspace=workspace, key=onboarding.REGISTER_STACK).exists():
        return False
    base = server_url.rstrip("/")
    token = service_jwt(workspace, base, timeout=WATCH_TIMEOUT_SECONDS)
    try:
        steps = set(
            call("GET", f"{base}/api/v1/onboarding_state", token=token, timeout=WATCH_TIMEOUT_SECONDS)
        )
        if not steps & STACK_STEPS:
            stacks = call("GET", f"{base}/api/v1/stacks?size=1", token=token, timeout=WATCH_TIMEOUT_SECONDS)
            if stacks.get("total", 0) < 2:  # every server has its "default" stack
                return False
    except urllib.error.HTTPError as error:
        if error.code == 401:
            service_jwt_forget(workspace)  # log in afresh next round
        raise
    onboarding_step_complete(workspace=workspace, key=onboarding.REGISTER_STACK)
    logger.info("A stack was registered on the server of %s", workspace.slug)
    return True
