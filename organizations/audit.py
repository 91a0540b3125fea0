"""Writing the audit trail.

Services call `audit_record` inside their own transaction, so an event exists exactly when its
change does. The request's IP address reaches services through a context variable set by
`AuditContextMiddleware`, so services keep taking only `acting_user=`.
"""

from contextvars import ContextVar

from django.conf import settings

from .models import AuditEvent, Organization

_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


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
