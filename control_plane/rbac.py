"""Every role decision a workspace's ZenML server asks for, answered from Atrium's workspace roles.

A ZenML server in cloud mode asks the control plane (`rbac/*`) whether a user may do an action on a
resource. This module is the one place that turns such a question into a cell of Atrium's workspace
role matrix (`workspaces/roles.py`) and asks the permission helper
(`Access.for_user(user, workspace.organization).can("workspaces.<action>_<resource>", workspace)`),
so predefined roles, custom roles, teams and organization-wide admins all count, exactly as they do
on Atrium's own pages. Anything not in the tables below is denied and logged.

Resource strings are ZenML's `[<project uuid>:]<type>[/<resource uuid>]`. Atrium grants roles per
workspace, not per project or per resource, so the project and the resource id do not change the
answer: a user may do an action on every resource of a type, or on none (`allowed_resource_ids`
answers `full_access` and never a list). ZenML itself lets a resource's owner do anything with it
without asking (hard-coded in the server), which matches Atrium's "creators keep full rights on
theirs".

ZenML resource type → Atrium matrix resource

    ======================  ===================  ==================================================
    ZenML type              Atrium resource      why
    ======================  ===================  ==================================================
    pipeline                pipelines
    pipeline_build          pipelines            a build belongs to a pipeline
    pipeline_deployment     pipelines            a snapshot; every run creates one
    deployment              pipelines            a pipeline served as an endpoint
    schedule                pipelines            when a pipeline runs
    code_repository         pipelines            where pipeline code comes from
    tag                     pipelines            labels on pipelines, runs, artifacts, models
    pipeline_run            runs
    run_metadata            runs                 metadata logged by runs and steps
    run_template            templates
    trigger                 templates            starts runs from templates on events
    webhook                 templates            the event source of triggers
    stack                   stacks
    stack_component         components
    flavor                  components           the kinds of stack components
    service_connector       service_connectors
    secret                  service_connectors   credentials, like connectors
    model                   models
    model_version           models
    service                 models               model servers started by deployers
    artifact                artifacts
    artifact_version        artifacts
    service_account         members              an identity in the workspace
    project                 workspace_settings   (read: anyone who may open the workspace)
    ======================  ===================  ==================================================

ZenML action → Atrium matrix action

    ======================  ===================  ==================================================
    ZenML action            Atrium action        why
    ======================  ===================  ==================================================
    create                  create
    read                    read
    update                  update
    delete                  delete
    share                   share
    read_secret_value       update               only who may change a credential may read it
    client                  create               use a connector's credentials: who may create
                                                 connectors (not Viewers)
    promote                 update               moving a model version to a stage
    prune                   delete               deleting unused artifacts in bulk
    backup_restore          delete               a restore overwrites, like a delete
    ======================  ===================  ==================================================

One exception: reading a project needs only `workspaces.view_workspace` (anyone who may open the
workspace, a Stack Admin included), since no ZenML command works without its project.
"""

import logging
import uuid
from dataclasses import dataclass

from organizations.access import VIEW_WORKSPACE_PERMISSION, Access
from organizations.models import Membership
from workspaces.roles import ACTION_KEYS, RESOURCE_KEYS, cell

from .models import ATRIUM_SERVICE_ID

logger = logging.getLogger(__name__)

RESOURCE_TYPES: dict[str, str] = {
    "pipeline": "pipelines",
    "pipeline_build": "pipelines",
    "pipeline_deployment": "pipelines",
    "deployment": "pipelines",
    "schedule": "pipelines",
    "code_repository": "pipelines",
    "tag": "pipelines",
    "pipeline_run": "runs",
    "run_metadata": "runs",
    "run_template": "templates",
    "trigger": "templates",
    "webhook": "templates",
    "stack": "stacks",
    "stack_component": "components",
    "flavor": "components",
    "service_connector": "service_connectors",
    "secret": "service_connectors",
    "model": "models",
    "model_version": "models",
    "service": "models",
    "artifact": "artifacts",
    "artifact_version": "artifacts",
    "service_account": "members",
    "project": "workspace_settings",
}
ACTIONS: dict[str, str] = {
    "create": "create",
    "read": "read",
    "update": "update",
    "delete": "delete",
    "share": "share",
    "read_secret_value": "update",
    "client": "update",  # a connector's client carries its credentials: for those who may change it
    "promote": "update",
    "prune": "delete",
    "backup_restore": "delete",
}
# (ZenML type, ZenML action) → permission, where the tables above do not apply.
EXCEPTIONS: dict[tuple[str, str], str] = {("project", "read"): VIEW_WORKSPACE_PERMISSION}

assert set(RESOURCE_TYPES.values()) <= set(RESOURCE_KEYS) and set(ACTIONS.values()) <= set(ACTION_KEYS)


@dataclass(frozen=True)
class Resource:
    """One parsed ZenML resource string."""

    type: str
    id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None


def resource_parse(value: str) -> Resource | None:
    """`[<project uuid>:]<type>[/<uuid>]` → Resource, or None when it is not one."""
    project, _, rest = value.rpartition(":")
    resource_type, _, resource_id = rest.partition("/")
    try:
        return Resource(
            type=resource_type,
            id=uuid.UUID(resource_id) if resource_id else None,
            project_id=uuid.UUID(project) if project else None,
        )
    except ValueError:
        return None


def permission_for(resource_type: str, action: str) -> str | None:
    """The Atrium permission ("workspaces.read_pipelines") that a ZenML action on a type needs, or
    None when the pair is not mapped (and so always denied)."""
    if (resource_type, action) in EXCEPTIONS:
        return EXCEPTIONS[(resource_type, action)]
    if resource_type not in RESOURCE_TYPES or action not in ACTIONS:
        return None
    return f"workspaces.{cell(RESOURCE_TYPES[resource_type], ACTIONS[action])}"


class Decider:
    """Answers one request's role questions for one user in one workspace, with one `Access` (the
    user's permissions there are read once, whatever the number of resources asked about)."""

    def __init__(self, *, access: Access | None, workspace, service: bool = False):
        self.workspace = workspace
        self.access = access
        self.service = service
        self._answers: dict[tuple[str, str], bool] = {}

    @classmethod
    def for_external_id(cls, external_id: str, *, workspace) -> "Decider":
        """The decider for the user ZenML knows by `external_id` (anything unknown is denied all).
        The user and their membership come in one query."""
        try:
            external_id = uuid.UUID(str(external_id))
        except ValueError:
            return cls(access=None, workspace=workspace)
        if external_id == ATRIUM_SERVICE_ID:  # Atrium setting the server up: everything
            return cls(access=None, workspace=workspace, service=True)
        membership = (
            Membership.objects.select_related("user")
            .active()  # a member deactivated through SCIM is denied at the server's next check
            .filter(organization_id=workspace.organization_id, user__zenml_identity__external_id=external_id)
            .first()
        )
        if membership is None:
            return cls(access=None, workspace=workspace)
        return cls(access=Access(membership.user, workspace.organization, membership), workspace=workspace)

    def allows(self, resource_type: str, action: str) -> bool:
        key = (resource_type, action)
        if key not in self._answers:
            permission = permission_for(resource_type, action)
            if permission is None:
                logger.warning(
                    "ZenML asked about an unmapped resource type or action (%s, %s) in workspace %s: denied.",
                    resource_type,
                    action,
                    self.workspace.pk,
                )
            self._answers[key] = self.service or bool(
                permission and self.access is not None and self.access.can(permission, self.workspace)
            )
        return self._answers[key]

    def check(self, resources: list[str], action: str) -> dict[str, bool]:
        """ZenML's `check_permissions`: each resource string, allowed or not."""
        answers = {}
        for value in resources:
            resource = resource_parse(value)
            if resource is None:
                logger.warning("ZenML sent a malformed resource %r: denied.", value)
            answers[value] = resource is not None and self.allows(resource.type, action)
        return answers

    def full_access(self, resource: str, action: str) -> bool:
        """ZenML's `list_allowed_resource_ids`: may the user `action` every resource of the type?"""
        parsed = resource_parse(resource)
        return parsed is not None and self.allows(parsed.type, action)
