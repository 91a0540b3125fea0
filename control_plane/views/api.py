"""The ZenML-compatible control plane ("ZenML Pro API"): exactly the calls an unmodified ZenML 0.98
server and `zenml` CLI make, in the shapes they expect (see docs/zenml-control-plane.md).

Machine endpoints: no session, no CSRF; each authenticates its caller by a Bearer token (a workspace
server's or a user's) or, for `auth/login`, by the OAuth grant it posts. The rules live in the
services, `selectors` and `rbac`; these views only translate.
"""

import ipaddress
import json
import logging
import time
import uuid
from functools import wraps
from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.site import site_url
from organizations.audit import client_ip
from organizations.errors import NotFoundError, PermissionDeniedError
from service_accounts.keys import looks_like_api_key
from workspaces.models import ZENML_VERSION, WorkspaceServer
from workspaces.provisioners import get_provisioner
from workspaces.services.servers import workspace_server_reported_in, workspace_server_used

from .. import services
from ..decision_cache import decider_for, role_question_context
from ..errors import OAuthError
from ..models import TokenKind
from ..rbac import Decider, resource_parse
from ..selectors import (
    access_token_get,
    token_organization_id,
    workspace_by_name_or_id,
    workspaces_for_lookup,
)
from ..tokens import SERVER_TOKEN_LIFETIME, USER_TOKEN_LIFETIME, bearer_token

logger = logging.getLogger(__name__)

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_CREDENTIALS_GRANT = "client_credentials"
API_KEY_GRANT = "zenml-pro-api-key"  # Atrium's name for the CLI's `password=ZENPROKEY_…` login


def machine_endpoint(*methods):
    """A control-plane endpoint: CSRF-exempt (no cookies are involved), only `methods`."""

    def decorator(view):
        return csrf_exempt(require_http_methods(list(methods))(view))

    return decorator


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _oauth_error(error: OAuthError) -> JsonResponse:
    return JsonResponse({"error": error.code, "error_description": error.description}, status=error.status)


# When this process last told the supervisor that a workspace's server is busy (see below).
_busy_noted: dict[object, float] = {}
BUSY_NOTE_SECONDS = 30


def _note_server_busy(workspace) -> None:
    """A server calling us (role checks, usage events) is in use, so not idle; noted at most every
    BUSY_NOTE_SECONDS per process, so role checks stay free of the extra write."""
    now = time.monotonic()
    if now - _busy_noted.get(workspace.pk, float("-inf")) >= BUSY_NOTE_SECONDS:
        _busy_noted[workspace.pk] = now
        workspace_server_used(workspace)


def server_authenticated(view):
    """Require a workspace server's token; puts it on `request.server_token`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = access_token_get(bearer_token(request), kind=TokenKind.SERVER)
        if token is None:
            return _error(401, "Invalid or expired token.")
        request.server_token = token
        _note_server_busy(token.workspace)
        return view(request, *args, **kwargs)

    return wrapper


def role_question(view):
    """`server_authenticated` for the role questions (`rbac/*`), asked about 20 times per pipeline run:
    the token and the deciders come from this process's memory while access has not changed
    (`decision_cache`); puts the token on `request.server_token` and the stamp on `request.access_stamp`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        stamp, token = role_question_context(bearer_token(request))
        if token is None:
            return _error(401, "Invalid or expired token.")
        request.server_token = token
        request.access_stamp = stamp
        _note_server_busy(token.workspace)
        return view(request, *args, **kwargs)

    return wrapper


def _decider(request, external_id) -> Decider:
    return decider_for(external_id, workspace=request.server_token.workspace, stamp=request.access_stamp)


def user_authenticated(view):
    """Require a user's token (or a service account's API key itself, which ZenML servers pass on
    verbatim); puts it on `request.user_token`. A deactivated user gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        value = bearer_token(request)
        if looks_like_api_key(value):
            token = services.api_key_as_token(api_key=value, ip_address=client_ip(request))
        else:
            token = access_token_get(value, kind=TokenKind.USER)
        if token is None:
            return _error(401, "Invalid or expired token.")
        if not token.user.is_active:
            return _error(403, "This account is deactivated.")
        request.user_token = token
        return view(request, *args, **kwargs)

    return wrapper


def user_or_service_authenticated(view):
    """A user's token, or Atrium's own service token for one workspace (`service_token_issue`: how
    Atrium logs in to a workspace server to set it up); puts it on `request.user_token`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        service = access_token_get(bearer_token(request), kind=TokenKind.SERVICE)
        if service is not None:
            request.user_token = service
            return view(request, *args, **kwargs)
        return user_authenticated(view)(request, *args, **kwargs)

    return wrapper


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


# --- auth ---------------------------------------------------------------------------------------


@machine_endpoint("POST")
def login(request):
    """`POST auth/login`: client credentials for workspace servers, the device code for the CLI, a
    service account's API key (`password=ZENPROKEY_…`, also sent as the Bearer) for `--api-key`."""
    grant_type = request.POST.get("grant_type", "")
    if not grant_type and request.POST.get("device_code"):
        grant_type = DEVICE_CODE_GRANT
    api_key = request.POST.get("password", "") or bearer_token(request)
    if grant_type in {"", "password"} and looks_like_api_key(api_key):
        grant_type = API_KEY_GRANT
    try:
        if grant_type == API_KEY_GRANT:
            value, _ = services.api_key_token_issue(api_key=api_key, ip_address=client_ip(request))
            return JsonResponse(
                {
                    "access_token": value,
                    "token_type": "bearer",
                    "expires_in": int(USER_TOKEN_LIFETIME.total_seconds()),
                }
            )
        if grant_type == CLIENT_CREDENTIALS_GRANT:
            value, _ = services.server_token_issue(
                client_id=request.POST.get("client_id", ""),
                client_secret=request.POST.get("client_secret", ""),
            )
            return JsonResponse(
                {
                    "access_token": value,
                    "token_type": "bearer",
                    "expires_in": int(SERVER_TOKEN_LIFETIME.total_seconds()),
                }
            )
        if grant_type == DEVICE_CODE_GRANT:
            try:
                client_id = uuid.UUID(request.POST.get("client_id", ""))
            except ValueError:
                raise OAuthError("invalid_request", "client_id must be a UUID.") from None
            value, token = services.device_token_exchange(
                client_id=client_id, device_code=request.POST.get("device_code", "")
            )
            return JsonResponse(
                {
                    "access_token": value,
                    "token_type": "bearer",
                    "expires_in": int(USER_TOKEN_LIFETIME.total_seconds()),
                    "device_id": str(token.device_id),
                    "device_metadata": {"tenant_id": str(token.device.workspace_id)},
                }
            )
        raise OAuthError("unsupported_grant_type", f"Unsupported grant type {grant_type!r}.")
    except OAuthError as error:
        return _oauth_error(error)


@machine_endpoint("POST")
def device_authorization(request):
    """`POST auth/device_authorization` (RFC 8628 §3.1–3.2): codes for a CLI that wants to log in."""
    try:
        client_id = uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        return _oauth_error(OAuthError("invalid_request", "client_id must be a UUID."))
    try:
        device_id = uuid.UUID(request.POST["device_id"]) if request.POST.get("device_id") else None
    except ValueError:
        device_id = None
    try:
        device, device_code = services.device_authorization_start(
            client_id=client_id,
            device_id=device_id,
            user_agent=request.headers.get("User-Agent", ""),
            ip_address=_valid_ip(client_ip(request)),
        )
    except OAuthError as error:
        return _oauth_error(error)
    verification_uri = site_url(reverse("control_plane:device_verify"))
    query = urlencode({"device_id": str(device.pk), "user_code": device.user_code})
    return JsonResponse(
        {
            "device_code": device_code,
            "user_code": device.user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?{query}",
            "expires_in": max(int((device.code_expires_at - timezone.now()).total_seconds()), 0),
            "interval": device.interval,
        }
    )


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


# --- workspaces (the CLI) -----------------------------------------------------------------------


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _server_is_up(workspace) -> bool:
    try:
        return workspace.server.is_up
    except WorkspaceServer.DoesNotExist:
        return False


def workspace_read(workspace) -> dict:
    """A workspace as ZenML's `WorkspaceRead` (`zenml/login/pro/workspace/models.py`): `name` is the
    workspace ID people type in `zenml login <id>`."""
    organization = workspace.organization
    try:
        reported_version = workspace.server.version
    except WorkspaceServer.DoesNotExist:
        reported_version = ""
    version = reported_version or workspace.server_version or ZENML_VERSION
    server_url = workspace.server_address
    status = workspace.status
    if status == "available" and get_provisioner().supervised and not _server_is_up(workspace):
        # Idle (stopped for lack of use) or starting again: the CLI waits on "pending" and asks again;
        # the lookup itself woke the server (`workspace_server_used`).
        status = "pending"
    return {
        "id": str(workspace.pk),
        "name": workspace.slug,
        "display_name": workspace.display_name,
        "description": workspace.description or None,
        "organization": {
            "id": str(organization.pk),
            "name": organization.name,
            "description": organization.description or None,
            "created": _iso(organization.created_at),
            "updated": _iso(organization.created_at),
        },
        "desired_state": workspace.desired_state,
        "state_reason": workspace.status_reason,
        "status": status,
        "zenml_service": {
            "configuration": {"version": version},
            "status": {"server_url": server_url, "version": version} if server_url else None,
        },
    }


@machine_endpoint("GET")
@user_authenticated
def workspace_detail(request, workspace_id):
    """`GET workspaces/{id}`: one workspace the token's user may see (else 404)."""
    workspace = workspace_by_name_or_id(str(workspace_id))
    user = request.user_token.user
    visible = workspaces_for_lookup(
        user=user,
        name=workspace.slug if workspace else "",
        organization_id=token_organization_id(request.user_token),
    )
    if workspace is None or workspace not in visible:
        return _error(404, "No such workspace.")
    workspace_server_used(workspace)
    return JsonResponse(workspace_read(workspace))


def _int_param(request, name: str, default: int, maximum: int) -> int:
    try:
        return max(0, min(int(request.GET.get(name, default)), maximum))
    except ValueError:
        return default


@machine_endpoint("GET")
@user_authenticated
def workspace_list(request):
    """`GET workspaces?workspace_name=…|url=…&member_only=…&offset=…&limit=…`: a bare JSON array of
    the workspaces the token's user may see (member_only changes nothing: nobody sees others')."""
    name, url = request.GET.get("workspace_name", ""), request.GET.get("url", "")
    found = workspaces_for_lookup(
        user=request.user_token.user,
        name=name,
        url=url,
        organization_id=token_organization_id(request.user_token),
    )
    offset = _int_param(request, "offset", 0, 10**6)
    limit = _int_param(request, "limit", 20, 1000)
    page = found[offset : offset + limit]
    if name or url:
        for workspace in page:
            workspace_server_used(workspace)
    return JsonResponse([workspace_read(workspace) for workspace in page], safe=False)


# --- the workspace server's calls -----------------------------------------------------------------


@machine_endpoint("PATCH")
@server_authenticated
def workspace_status(request):
    """`PATCH workspace_status`: the server says it is up (headers zenml-server-id/-version/-url)."""
    workspace = request.server_token.workspace
    server_id = request.headers.get("zenml-server-id", "")
    if server_id and server_id != str(workspace.pk):
        return _error(403, "This token belongs to another workspace's server.")
    workspace_server_reported_in(
        workspace=workspace,
        version=request.headers.get("zenml-server-version", ""),
        server_url=request.headers.get("zenml-server-url", ""),
    )
    return JsonResponse({})


@machine_endpoint("GET")
@user_or_service_authenticated
def authorize_server(request):
    """`GET users/authorize_server?server_id=<workspace uuid>`: who the Bearer's user is to that
    workspace's server (ZenML's `ExternalUserModel`). 401 bad token, 403 may not open, 404 unknown."""
    try:
        workspace = services.server_workspace_for(request.GET.get("server_id", ""))
        if request.user_token.kind == TokenKind.SERVICE:
            return JsonResponse(
                services.service_identity_authorize(token=request.user_token, workspace=workspace)
            )
        return JsonResponse(services.server_user_authorize(token=request.user_token, workspace=workspace))
    except NotFoundError:
        return _error(404, "Unknown workspace server.")
    except PermissionDeniedError as error:
        return _error(403, error.message)


@machine_endpoint("POST")
@role_question
def rbac_check_permissions(request):
    """`POST rbac/check_permissions?user_id=&action=` with a JSON list of resource strings."""
    resources = _json_body(request)
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        return _error(422, "The body must be a JSON list of resource strings.")
    decider = _decider(request, request.GET.get("user_id", ""))
    return JsonResponse(decider.check(resources, request.GET.get("action", "")))


@machine_endpoint("GET")
@role_question
def rbac_allowed_resource_ids(request):
    """`GET rbac/allowed_resource_ids?user_id=&resource=&action=`: Atrium grants per workspace, so the
    answer is all (`full_access`) or none, never a list of ids."""
    decider = _decider(request, request.GET.get("user_id", ""))
    full = decider.full_access(request.GET.get("resource", ""), request.GET.get("action", ""))
    return JsonResponse({"full_access": full, "ids": []})


@machine_endpoint("POST")
@role_question
def rbac_resource_members(request):
    """`POST rbac/resource_members`: someone shares one resource with a user or a team.

    Atrium grants access per workspace, not per resource. Sharing is accepted when it changes
    nothing (the sharer may share, and the user may already do every shared action there); otherwise
    it is refused with a 403 that says to give a workspace role instead.
    """
    body = _json_body(request)
    if not isinstance(body, dict):
        return _error(422, "The body must be a JSON object.")
    workspace = request.server_token.workspace
    resource = resource_parse(str(body.get("resource", "")))
    actions = body.get("actions") or []
    sharer = _decider(request, body.get("sharing_user_id", ""))
    if resource is None or not sharer.allows(resource.type, "share"):
        return _error(403, "You may not share this resource.")
    if body.get("user_id") and not body.get("team_id"):
        member = _decider(request, body["user_id"])
        if all(isinstance(a, str) and member.allows(resource.type, a) for a in actions):
            return JsonResponse({})
    logger.info("Refused sharing %s in workspace %s: access is per workspace.", resource, workspace.pk)
    return _error(
        403,
        "Atrium gives access per workspace: give them a role on the workspace instead of sharing one resource.",
    )


@machine_endpoint("DELETE")
@server_authenticated
def rbac_resources(request):
    """`DELETE rbac/resources?resources=…`: resources were deleted. Atrium keeps nothing per resource."""
    return JsonResponse({})


@machine_endpoint("GET")
@server_authenticated
def entitlement(request, organization_id, feature):
    """`GET organizations/{org_id}/entitlement/{feature}`: Atrium sets no quotas, so always 200."""
    return JsonResponse({"feature": feature, "entitled": True})


@machine_endpoint("POST")
@server_authenticated
def usage_event(request):
    """`POST usage-event {"organization_id","feature","total": ±1,"metadata"}`: counted per workspace
    (the token's, whatever the body names)."""
    body = _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("feature"), str):
        return _error(422, "The body must name a feature.")
    try:
        delta = int(body.get("total", 0))
    except (TypeError, ValueError):
        return _error(422, "total must be an integer.")
    services.usage_event_record(
        workspace=request.server_token.workspace, feature=body["feature"], delta=max(-1, min(delta, 1))
    )
    return JsonResponse({})
