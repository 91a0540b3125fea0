"""Writing the audit trail.

Services call `audit_record` inside their own transaction, so an event exists exactly when its
change does. The request's IP address reaches services through a context variable set by
`AuditContextMiddleware`, so services keep taking only `acting_user=`.
"""

from contextvars import ContextVar

from .models import AuditEvent, Organization

_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)


def audit_record(
    *,
    organization: Organization,
    acting_user,
    action: str,
    target,
    target_type: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one audit event. `target` is the changed object (its pk and str() are kept)."""
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        actor_email=actor.email if actor else "",
        action=action,
        target_type=target_type or target._meta.model_name,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        before=before or {},
        after=after or {},
        ip_address=_request_ip.get(),
    )
