"""The SCIM 2.0 service provider at /scim/v2/ (RFC 7644): Users are the members of the token's
organization, Groups its teams.

Every request is authenticated by an organization's SCIM token alone (`Authorization: Bearer
atr_scim_…`; no session, no CSRF: browsers never send it by themselves), throttled per token like
the organization API, and answered in SCIM's JSON, errors included. The views only translate: every
change is a service in `scim.services`, which goes through the pages' own services.
"""

import json
import math
from functools import wraps

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from config.site import site_url
from organization_api.throttling import CredentialRateThrottle
from organizations.audit import audit_credential, client_ip
from organizations.errors import (
    ConflictError,
    InvalidError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)

from . import services
from .filters import GROUP_FILTERS, USER_FILTERS, FilterError, filter_apply
from .patches import (
    PatchError,
    group_changes_from_patch,
    member_ids,
    user_changes_from_patch,
    user_changes_from_resource,
)
from .representations import (
    MAX_RESULTS,
    error_body,
    group_resource,
    list_response,
    resource_types,
    schemas,
    service_provider_config,
    user_display_name,
    user_resource,
)
from .selectors import scim_member_get, scim_member_list, scim_team_get, scim_team_list, scim_teams_by_user
from .tokens import looks_like_scim_token

CONTENT_TYPE = "application/scim+json"


class ScimError(Exception):
    def __init__(
        self, status: int, detail: str, scim_type: str | None = None, *, retry_after: int | None = None
    ):
        super().__init__(detail)
        self.status, self.detail, self.scim_type, self.retry_after = status, detail, scim_type, retry_after


def scim_response(body, status: int = 200) -> HttpResponse:
    if body is None:
        return HttpResponse(status=status)
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def _error_response(error: ScimError) -> HttpResponse:
    response = scim_response(error_body(error.status, error.detail, error.scim_type), error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _refusal(refusal: ServiceError) -> ScimError:
    if isinstance(refusal, NotFoundError):
        return ScimError(404, refusal.message)
    if isinstance(refusal, PermissionDeniedError):
        return ScimError(403, refusal.message)
    if isinstance(refusal, ConflictError):
        return ScimError(409, refusal.message, "uniqueness")
    if isinstance(refusal, InvalidError):
        return ScimError(400, refusal.message, "invalidValue")
    return ScimError(400, refusal.message)


def _authenticate(request):
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ScimError(
            401, "Authenticate with Authorization: Bearer atr_scim_… (the organization's SCIM token)."
        )
    secret = secret.strip()
    if not looks_like_scim_token(secret):
        raise ScimError(401, "Bad credentials: not a SCIM token.")
    try:
        token = services.scim_token_use(secret, ip_address=client_ip(request))
    except services.ScimTokenRefused as refusal:
        raise ScimError(401, refusal.message) from refusal
    # What the organization API's throttle and the audit trail read of an authenticated request.
    request.auth, request.api_credential = token.created_by, token
    audit_credential(token)
    throttle = CredentialRateThrottle()
    if not throttle.allow_request(request):
        wait = math.ceil(throttle.wait() or 1)
        raise ScimError(429, f"Too many requests: try again in {wait} s.", retry_after=wait)
    return token


def scim_endpoint(methods: tuple[str, ...]):
    """Decorate a SCIM view `view(request, token, *args)`: authenticate, allow `methods`, answer errors
    in SCIM's error schema."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                token = _authenticate(request)
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                return view(request, token, *args, **kwargs)
            except ScimError as error:
                return _error_response(error)
            except FilterError as error:
                return _error_response(ScimError(400, error.message, "invalidFilter"))
            except PatchError as error:
                return _error_response(ScimError(400, error.message, error.scim_type))
            except ServiceError as refusal:
                return _error_response(_refusal(refusal))

        wrapper.access_scope = "scim"  # authenticated by its SCIM token, not by organization_view
        return wrapper

    return decorator


def _base_url() -> str:
    return site_url("/scim/v2")


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from error
    if not isinstance(body, dict):
        raise ScimError(400, "The body is a JSON object.", "invalidSyntax")
    return body


def _page(request, queryset) -> tuple[list, int, int]:
    """SCIM's index-based pages: `startIndex` (1-based) and `count` (at most MAX_RESULTS)."""
    try:
        start = max(int(request.GET.get("startIndex", 1)), 1)
        count = min(max(int(request.GET.get("count", MAX_RESULTS)), 0), MAX_RESULTS)
    except ValueError as error:
        raise ScimError(400, "startIndex and count are numbers.", "invalidValue") from error
    total = queryset.count()
    return list(queryset[start - 1 : start - 1 + count]), total, start


def _user_json(membership) -> dict:
    teams = scim_teams_by_user(organization=membership.organization, user_ids=[membership.user_id])
    return user_resource(membership, base_url=_base_url(), teams=teams[membership.user_id])


def _membership(token, user_id):
    membership = scim_member_get(organization=token.organization, user_id=user_id)
    if membership is None:
        raise ScimError(404, f"No user {user_id} in this organization.")
    return membership


def _team(token, group_id):
    team = scim_team_get(organization=token.organization, team_id=group_id)
    if team is None:
        raise ScimError(404, f"No group {group_id} in this organization.")
    return team


@scim_endpoint(("GET", "POST"))
def users(request, token):
    organization = token.organization
    if request.method == "POST":
        body = _body(request)
        changes = user_changes_from_resource(body)
        if not changes.user_name:
            raise ScimError(400, "userName (the person's e-mail address) is required.", "invalidValue")
        membership = services.scim_user_create(
            organization=organization,
            user_name=changes.user_name,
            display_name=user_display_name(body),
            external_id=changes.external_id or "",
            active=changes.active is not False,
            acting_user=token.created_by,
        )
        return scim_response(_user_json(membership), 201)
    queryset = filter_apply(
        scim_member_list(organization=organization), request.GET.get("filter"), USER_FILTERS
    )
    memberships, total, start = _page(request, queryset)
    teams = scim_teams_by_user(organization=organization, user_ids=[m.user_id for m in memberships])
    resources = [user_resource(m, base_url=_base_url(), teams=teams[m.user_id]) for m in memberships]
    return scim_response(list_response(resources, total=total, start_index=start))


@scim_endpoint(("GET", "PUT", "PATCH", "DELETE"))
def user(request, token, user_id: str):
    membership = _membership(token, user_id)
    if request.method == "DELETE":
        services.scim_user_remove(membership=membership, acting_user=token.created_by)
        return scim_response(None, 204)
    if request.method in ("PUT", "PATCH"):
        body = _body(request)
        if request.method == "PUT":
            changes = user_changes_from_resource(body)
        else:
            changes = user_changes_from_patch(body, current_display_name=membership.user.display_name)
        services.scim_user_update(membership=membership, changes=changes, acting_user=token.created_by)
        membership = _membership(token, user_id)
    return scim_response(_user_json(membership))


@scim_endpoint(("GET", "POST"))
def groups(request, token):
    organization = token.organization
    if request.method == "POST":
        body = _body(request)
        if not str(body.get("displayName") or "").strip():
            raise ScimError(400, "displayName (the team's name) is required.", "invalidValue")
        team = services.scim_group_create(
            organization=organization,
            display_name=str(body["displayName"]),
            member_ids=member_ids(body.get("members")),
            acting_user=token.created_by,
        )
        return scim_response(group_resource(_team(token, team.pk), base_url=_base_url()), 201)
    queryset = filter_apply(
        scim_team_list(organization=organization), request.GET.get("filter"), GROUP_FILTERS
    )
    teams, total, start = _page(request, queryset)
    resources = [group_resource(team, base_url=_base_url()) for team in teams]
    return scim_response(list_response(resources, total=total, start_index=start))


@scim_endpoint(("GET", "PUT", "PATCH", "DELETE"))
def group(request, token, group_id: str):
    team = _team(token, group_id)
    if request.method == "DELETE":
        services.scim_group_delete(team=team, acting_user=token.created_by)
        return scim_response(None, 204)
    if request.method == "PUT":
        body = _body(request)
        services.scim_group_update(
            team=team,
            acting_user=token.created_by,
            display_name=str(body["displayName"]) if body.get("displayName") else None,
            member_ids=member_ids(body.get("members")),
        )
    elif request.method == "PATCH":
        changes = group_changes_from_patch(_body(request))
        services.scim_group_update(
            team=team,
            acting_user=token.created_by,
            display_name=changes.display_name,
            member_ids=changes.member_ids,
            add_ids=changes.add_ids,
            remove_ids=changes.remove_ids,
        )
    return scim_response(group_resource(_team(token, group_id), base_url=_base_url()))


@scim_endpoint(("GET",))
def service_provider_config_view(request, token):
    return scim_response(service_provider_config(base_url=_base_url()))


@scim_endpoint(("GET",))
def resource_types_view(request, token, name: str = ""):
    types = resource_types(base_url=_base_url())
    if name:
        found = next((t for t in types if t["id"] == name), None)
        if found is None:
            raise ScimError(404, f"No resource type {name}.")
        return scim_response(found)
    return scim_response(list_response(types, total=len(types), start_index=1))


@scim_endpoint(("GET",))
def schemas_view(request, token, schema_id: str = ""):
    documents = schemas(base_url=_base_url())
    if schema_id:
        found = next((s for s in documents if s["id"] == schema_id), None)
        if found is None:
            raise ScimError(404, f"No schema {schema_id}.")
        return scim_response(found)
    return scim_response(list_response(documents, total=len(documents), start_index=1))
