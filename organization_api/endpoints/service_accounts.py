"""/api/v1/organizations/{org}/service-accounts: an organization's service accounts and their API keys,
as its settings pages show them (for those who manage members), through the pages' services (create,
deactivate and reactivate; create, rotate and revoke keys), which check again and audit. A new key is
in the answer that made it, and never again."""

from datetime import timedelta

from django.db.models import OuterRef, Subquery
from ninja import Query, Router, Status

from organizations.errors import NotFoundError
from organizations.models import Membership
from organizations.roles import MANAGE_MEMBERS
from service_accounts.selectors import service_account_get, service_account_key_get, service_account_list
from service_accounts.services import (
    service_account_create,
    service_account_deactivate,
    service_account_key_create,
    service_account_key_revoke,
    service_account_key_rotate,
    service_account_reactivate,
)

from ..representations import service_account_json, service_account_key_json
from ..schemas import (
    PageQuery,
    ServiceAccountCreateIn,
    ServiceAccountKeyCreatedOut,
    ServiceAccountKeyCreateIn,
    ServiceAccountKeyPage,
    ServiceAccountKeyRotateIn,
    ServiceAccountOut,
    ServiceAccountPage,
    ServiceAccountPatchIn,
)
from .common import ERRORS, WRITE_ERRORS, offset_page, organization_access

router = Router(tags=["service accounts"])
# What the service accounts pages need to be opened at all, for reads and writes alike.
PERMISSION = f"organizations.{MANAGE_MEMBERS}"


def _manager_access(request, org: str):
    """The caller's access, if they may open the service accounts pages (their `organization_view`
    gate); each write's service then checks again."""
    access = organization_access(request, org)
    access.require(PERMISSION)
    return access


def _with_role(service_accounts):
    """Annotate each service account's organization role (its user's membership), in the list's query."""
    role = Membership.objects.filter(user=OuterRef("user"), organization=OuterRef("organization")).values(
        "role"
    )
    return service_accounts.annotate(role=Subquery(role[:1]))


def _service_account(access, service_account_id: int):
    service_account = service_account_get(
        organization=access.organization, service_account_id=service_account_id
    )
    if service_account is None:
        raise NotFoundError("No such service account.")
    return service_account


def _detail(access, service_account_id: int) -> dict:
    service_account = (
        _with_role(service_account_list(organization=access.organization))
        .filter(pk=service_account_id)
        .first()
    )
    if service_account is None:
        raise NotFoundError("No such service account.")
    return service_account_json(service_account)


def _key(access, service_account_id: int, key_id: int):
    key = service_account_key_get(service_account=_service_account(access, service_account_id), key_id=key_id)
    if key is None:
        raise NotFoundError("No such key.")
    return key


@router.get(
    "/organizations/{org}/service-accounts",
    response={200: ServiceAccountPage, **ERRORS},
    summary="List service accounts",
)
def service_account_list_get(request, org: str, query: Query[PageQuery]):
    """The organization's service accounts by name, active or not, with their organization role; for
    those who manage members, as the service accounts page."""
    access = _manager_access(request, org)
    rows = _with_role(service_account_list(organization=access.organization))
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=service_account_json)


@router.post(
    "/organizations/{org}/service-accounts",
    response={201: ServiceAccountOut, **WRITE_ERRORS},
    summary="Create a service account",
)
def service_account_post(request, org: str, payload: ServiceAccountCreateIn):
    """Create a service account holding an organization role (any but owner, and none above the
    caller's). It has no key yet: POST …/keys gives it one."""
    access = _manager_access(request, org)
    service_account = service_account_create(
        organization=access.organization, name=payload.name, description=payload.description,
        role=payload.role, acting_user=request.auth,
    )  # fmt: skip
    return Status(201, _detail(access, service_account.pk))


@router.get(
    "/organizations/{org}/service-accounts/{service_account_id}",
    response={200: ServiceAccountOut, **ERRORS},
    summary="Read a service account",
)
def service_account_get_one(request, org: str, service_account_id: int):
    """One service account with its organization role, for those who manage members."""
    return _detail(_manager_access(request, org), service_account_id)


@router.patch(
    "/organizations/{org}/service-accounts/{service_account_id}",
    response={200: ServiceAccountOut, **WRITE_ERRORS},
    summary="Deactivate or reactivate a service account",
)
def service_account_patch(request, org: str, service_account_id: int, payload: ServiceAccountPatchIn):
    """Deactivate (`active: false`: its keys stop at their next call) or reactivate (`active: true`: its
    keys neither revoked nor rotated out work again) a service account, as its page's button does. Its
    organization role is changed as any member's, with PATCH …/members/{id}."""
    access = _manager_access(request, org)
    service_account = _service_account(access, service_account_id)
    if payload.active is False:
        service_account_deactivate(service_account=service_account, acting_user=request.auth)
    elif payload.active is True:
        service_account_reactivate(service_account=service_account, acting_user=request.auth)
    return _detail(access, service_account_id)


@router.delete(
    "/organizations/{org}/service-accounts/{service_account_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Deactivate a service account",
)
def service_account_delete(request, org: str, service_account_id: int):
    """Deactivate the service account, as its page does (service accounts are never deleted, so the
    audit trail keeps naming them); PATCH `active: true` brings it back."""
    access = _manager_access(request, org)
    service_account_deactivate(
        service_account=_service_account(access, service_account_id), acting_user=request.auth
    )
    return Status(204, None)


@router.get(
    "/organizations/{org}/service-accounts/{service_account_id}/keys",
    response={200: ServiceAccountKeyPage, **ERRORS},
    summary="List a service account's keys",
)
def service_account_key_list(request, org: str, service_account_id: int, query: Query[PageQuery]):
    """The service account's keys, newest first, revoked and rotated-out ones too (never the keys themselves)."""
    access = _manager_access(request, org)
    service_account = _service_account(access, service_account_id)
    rows = service_account.keys.order_by("-created_at", "-pk")
    return offset_page(
        request, rows, offset=query.offset, limit=query.limit, to_json=service_account_key_json
    )


@router.post(
    "/organizations/{org}/service-accounts/{service_account_id}/keys",
    response={201: ServiceAccountKeyCreatedOut, **WRITE_ERRORS},
    summary="Create a service account key",
)
def service_account_key_post(request, org: str, service_account_id: int, payload: ServiceAccountKeyCreateIn):
    """A new API key for an active service account. `key` is in this answer only: keep it now."""
    access = _manager_access(request, org)
    key, secret = service_account_key_create(
        service_account=_service_account(access, service_account_id),
        name=payload.name,
        acting_user=request.auth,
    )
    return Status(201, service_account_key_json(key, secret=secret))


@router.post(
    "/organizations/{org}/service-accounts/{service_account_id}/keys/{key_id}/rotate",
    response={201: ServiceAccountKeyCreatedOut, **WRITE_ERRORS},
    summary="Rotate a service account key",
)
def service_account_key_rotate_post(
    request, org: str, service_account_id: int, key_id: int, payload: ServiceAccountKeyRotateIn
):
    """Replace an active key by a new one (in this answer only). The old key keeps working for
    `grace_hours` (24 by default, 0–168), so jobs can move over, then stops at its next call."""
    access = _manager_access(request, org)
    key, secret = service_account_key_rotate(
        key=_key(access, service_account_id, key_id), acting_user=request.auth,
        grace_period=timedelta(hours=payload.grace_hours),
    )  # fmt: skip
    return Status(201, service_account_key_json(key, secret=secret))


@router.delete(
    "/organizations/{org}/service-accounts/{service_account_id}/keys/{key_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Revoke a service account key",
)
def service_account_key_delete(request, org: str, service_account_id: int, key_id: int):
    """Revoke a key now: it stops working at its next call. Revoking a revoked key changes nothing."""
    access = _manager_access(request, org)
    service_account_key_revoke(key=_key(access, service_account_id, key_id), acting_user=request.auth)
    return Status(204, None)
