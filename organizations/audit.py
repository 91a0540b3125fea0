"""Writing the audit trail.

Services call `audit_record` inside their own transaction, so an event exists exactly when its
change does. The request's IP address reaches services through a context variable set by
`AuditContextMiddleware`, and so does the API credential a request authenticated with
(`audit_credential`), so services keep taking only `acting_user=`.
"""

from contextvars import ContextVar

from django.conf import settings
from django.db import models

from .models import AuditEvent, Organization

_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)
_request_credential: ContextVar[object | None] = ContextVar("audit_request_credential", default=None)


def audit_credential(credential) -> None:
    """Record that this request acts through `credential` (a personal access token, …), until the
    request ends: its events then name the credential beside its owner. The credential has `pk`,
    `user_id` and `audit_actor_type` ("token", "service_account", "scim_token")."""
    _request_credential.set(credential)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind ATRIUM_TRUSTED_PROXIES proxies, the address the
    outermost trusted proxy saw (the entries a client adds itself to X-Forwarded-For are ignored).
    Used by the audit trail and by login throttling (AXES_CLIENT_IP_CALLABLE)."""
    proxies = getattr(settings, "ATRIUM_TRUSTED_PROXIES", 0)
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(client_ip(request))
        credential_token = _request_credential.set(None)
        try:
            return self.get_response(request)
        finally:
            _request_credential.reset(credential_token)
            _request_ip.reset(token)


class AuditAction(models.TextChoices):
    """Every action the audit trail records: the one registry of their names."""

    ORGANIZATION_CREATE = "organization.create", "Organization created"
    ORGANIZATION_UPDATE = "organization.update", "Organization edited"
    ORGANIZATION_TRANSFER_OWNERSHIP = "organization.transfer_ownership", "Ownership transferred"
    TOKEN_POLICY_UPDATE = "token_policy.update", "Access-token policy changed"
    MEMBERSHIP_CREATE = "membership.create", "Member added"
    MEMBERSHIP_ROLE_CHANGE = "membership.role_change", "Member's role changed"
    MEMBERSHIP_REMOVE = "membership.remove", "Member removed"
    MEMBERSHIP_LEAVE = "membership.leave", "Member left"
    MEMBERSHIP_DEACTIVATE = "membership.deactivate", "Member deactivated"
    MEMBERSHIP_REACTIVATE = "membership.reactivate", "Member reactivated"
    MEMBERSHIP_PROVISIONING_UPDATE = (
        "membership.provisioning_update",
        "Member's identity-provider details changed",
    )
    TEAM_CREATE = "team.create", "Team created"
    TEAM_UPDATE = "team.update", "Team edited"
    TEAM_DELETE = "team.delete", "Team deleted"
    TEAM_MEMBER_ADD = "team.member_add", "Team member added"
    TEAM_MEMBER_REMOVE = "team.member_remove", "Team member removed"
    INVITATION_CREATE = "invitation.create", "Invitation sent"
    INVITATION_RESEND = "invitation.resend", "Invitation resent"
    INVITATION_REVOKE = "invitation.revoke", "Invitation revoked"
    INVITATION_LINK_COPY = "invitation.link_copy", "Invitation link copied"
    INVITATION_ACCEPT = "invitation.accept", "Invitation accepted"
    INVITATION_MAIL_SENT = "invitation.mail_sent", "Invitation e-mail sent"
    INVITATION_MAIL_SKIPPED = "invitation.mail_skipped", "Invitation e-mail not sent"
    WORKSPACE_CREATE = "workspace.create", "Workspace created"
    WORKSPACE_BULK_CREATE = "workspace.bulk_create", "Workspaces created in bulk"
    WORKSPACE_UPDATE = "workspace.update", "Workspace edited"
    WORKSPACE_AVAILABLE = "workspace.available", "Workspace available"
    WORKSPACE_PROVISIONING_FAILED = "workspace.provisioning_failed", "Provisioning failed"
    WORKSPACE_PROVISIONING_RETRY = "workspace.provisioning_retry", "Provisioning retried"
    WORKSPACE_SERVER_FAILED = "workspace.server_failed", "Workspace server kept failing"
    WORKSPACE_DEACTIVATE = "workspace.deactivate", "Workspace deactivated"
    WORKSPACE_REACTIVATE = "workspace.reactivate", "Workspace reactivated"
    WORKSPACE_DELETE = "workspace.delete", "Workspace deleted"
    WORKSPACE_RESTORE = "workspace.restore", "Workspace restored"
    WORKSPACE_PURGE = "workspace.purge", "Deleted workspace purged"
    WORKSPACE_ROLE_ASSIGN = "workspace_role.assign", "Workspace role given"
    WORKSPACE_ROLE_CHANGE = "workspace_role.change", "Workspace role changed"
    WORKSPACE_ROLE_REMOVE = "workspace_role.remove", "Workspace role removed"
    WORKSPACE_ROLE_EXPIRE = "workspace_role.expire", "Workspace role ended (its end date passed)"
    WORKSPACE_REVIEW_CADENCE = "workspace.review_cadence", "Workspace access-review cadence changed"
    ACCESS_REVIEW_COMPLETE = "access_review.complete", "Access review completed"
    ACCESS_REVIEW_REMINDER = "access_review.reminder", "Access review reminder sent"
    ROLE_CREATE = "role.create", "Custom role created"
    ROLE_UPDATE = "role.update", "Custom role changed"
    ROLE_DELETE = "role.delete", "Custom role deleted"
    DIMENSION_VALUES_ADD = "dimension.values_add", "Label values added"  # by seed_demo, before the services
    DIMENSION_CREATE = "dimension.create", "Dimension added"
    DIMENSION_UPDATE = "dimension.update", "Dimension edited"
    DIMENSION_MOVE = "dimension.move", "Dimension moved"
    DIMENSION_DELETE = "dimension.delete", "Dimension removed"
    DIMENSION_VALUE_CREATE = "dimension_value.create", "Label value added"
    DIMENSION_VALUE_UPDATE = "dimension_value.update", "Label value edited"
    DIMENSION_VALUE_MOVE = "dimension_value.move", "Label value moved"
    DIMENSION_VALUE_DELETE = "dimension_value.delete", "Label value removed"
    DIMENSION_VALUE_POLICY = "dimension_value.policy", "Label value's policy changed"
    WORKSPACE_LABELS_UPDATE = "workspace.labels_update", "Workspace labels changed"
    NAMING_CONVENTION_UPDATE = "organization.naming_update", "Naming convention changed"
    DEVICE_APPROVE = "device.approve", "Command-line login approved"
    DEVICE_DENY = "device.deny", "Command-line login denied"
    DEVICE_FIRST_USE = "device.first_use", "Command-line login used"
    DEVICE_REVOKE = "device.revoke", "Command-line device revoked"
    SERVICE_ACCOUNT_CREATE = "service_account.create", "Service account created"
    SERVICE_ACCOUNT_DEACTIVATE = "service_account.deactivate", "Service account deactivated"
    SERVICE_ACCOUNT_REACTIVATE = "service_account.reactivate", "Service account reactivated"
    SERVICE_ACCOUNT_KEY_CREATE = "service_account_key.create", "Service-account API key created"
    SERVICE_ACCOUNT_KEY_ROTATE = "service_account_key.rotate", "Service-account API key rotated"
    SERVICE_ACCOUNT_KEY_REVOKE = "service_account_key.revoke", "Service-account API key revoked"
    SCIM_TOKEN_CREATE = "scim_token.create", "SCIM token created"
    SCIM_TOKEN_REVOKE = "scim_token.revoke", "SCIM token revoked"
    PERSONAL_ACCESS_TOKEN_CREATE = "personal_access_token.create", "Personal access token created"
    PERSONAL_ACCESS_TOKEN_REVOKE = "personal_access_token.revoke", "Personal access token revoked"


# The stable type names of audit targets and principals, by model (`app_label.model_name`).
AUDIT_OBJECT_TYPES = {
    "organizations.organization": "organization",
    "organizations.membership": "membership",
    "organizations.team": "team",
    "organizations.invitation": "invitation",
    "organizations.dimension": "dimension",
    "organizations.dimensionvalue": "label_value",
    "workspaces.workspace": "workspace",
    "workspaces.workspacecustomrole": "custom_role",
    "workspaces.workspaceroleassignment": "role_assignment",
    "workspaces.accessreview": "access_review",
    "accounts.user": "user",
    "control_plane.device": "device",
    "service_accounts.serviceaccount": "service_account",
    "service_accounts.serviceaccountkey": "service_account_key",
    "scim.scimtoken": "scim_token",
    "organization_api.personalaccesstoken": "personal_access_token",
}


def audit_object_type(obj) -> str:
    """The stable type name of a model instance in the audit trail ("team", "custom_role", …)."""
    return AUDIT_OBJECT_TYPES[obj._meta.label_lower]


def audit_record(
    *,
    organization: Organization,
    acting_user,
    action: str,
    target,
    principal=None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one audit event.

    `target` is the changed object, kept as type + id (and its str() as a label for people);
    `principal` is the user or team whose access changed, if any, kept the same way. `acting_user`
    None means the system (a background task) acted. When the request authenticated with an API
    credential of `acting_user` (`audit_credential`), the actor is that credential, on their behalf.
    """
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}: add it to AuditAction.")
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    actor_type = AuditEvent.ActorType.USER if actor else AuditEvent.ActorType.SYSTEM
    credential = _request_credential.get()
    if actor is None or credential is None or credential.user_id != actor.pk:
        credential = None
    else:
        actor_type = credential.audit_actor_type
    return AuditEvent.objects.create(
        organization=organization,
        actor_type=actor_type,
        actor=actor,
        actor_email=actor.email if actor else "",
        actor_credential_id=str(credential.pk) if credential else "",
        actor_credential_label=str(credential)[:200] if credential else "",
        action=action,
        target_type=audit_object_type(target),
        target_id=str(target.pk),
        target_label=str(target)[:200],
        principal_type=audit_object_type(principal) if principal is not None else "",
        principal_id=str(principal.pk) if principal is not None else "",
        principal_label=str(principal)[:200] if principal is not None else "",
        before=before or {},
        after=after or {},
        ip_address=_request_ip.get(),
    )
