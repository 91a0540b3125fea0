"""/api/v1/organizations: the caller's organizations; create one; read and edit one."""

from ninja import Router, Status

from governance.selectors import dimension_list_with_usage
from organizations.services import organization_create, organization_update

from ..models import TokenPolicy
from ..representations import dimension_value_json, organization_json
from ..schemas import (
    DimensionOut,
    OrganizationCreateIn,
    OrganizationOut,
    OrganizationPatchIn,
    TokenPolicyIn,
    TokenPolicyOut,
)
from ..selectors import membership_list_for_user
from ..services import token_policy_update
from .common import ERRORS, WRITE_ERRORS, organization_access

router = Router(tags=["organizations"])


@router.get("/organizations", response={200: list[OrganizationOut], **ERRORS})
def organization_list(request):
    """The organizations the caller is a member of, by name, with their role in each."""
    return [
        organization_json(membership.organization, role=membership.role)
        for membership in membership_list_for_user(user=request.auth)
    ]


@router.post("/organizations", response={201: OrganizationOut, **WRITE_ERRORS})
def organization_post(request, payload: OrganizationCreateIn):
    """Create an organization; the caller becomes its Owner."""
    organization = organization_create(
        name=payload.name, description=payload.description, acting_user=request.auth
    )
    return Status(201, organization_json(organization, role="owner"))


@router.get("/organizations/{org}", response={200: OrganizationOut, **ERRORS})
def organization_get(request, org: str):
    access = organization_access(request, org)
    return organization_json(access.organization, role=access.membership.role)


@router.patch("/organizations/{org}", response={200: OrganizationOut, **WRITE_ERRORS})
def organization_patch(request, org: str, payload: OrganizationPatchIn):
    """Edit the name or description; the slug never changes here."""
    access = organization_access(request, org)
    organization = access.organization
    organization = organization_update(
        organization=organization,
        name=organization.name if payload.name is None else payload.name,
        description=organization.description if payload.description is None else payload.description,
        acting_user=request.auth,
    )
    return organization_json(organization, role=access.membership.role)


@router.get("/organizations/{org}/token-policy", response={200: TokenPolicyOut, **ERRORS})
def token_policy_get(request, org: str):
    """The organization's maximum lifetime of the personal access tokens that may act in it."""
    access = organization_access(request, org)
    policy = TokenPolicy.objects.filter(organization=access.organization).first()
    return {"max_token_lifetime_days": policy.max_lifetime_days if policy else None}


@router.patch("/organizations/{org}/token-policy", response={200: TokenPolicyOut, **WRITE_ERRORS})
def token_policy_patch(request, org: str, payload: TokenPolicyIn):
    """Set (or, with null, lift) the maximum; tokens that outlive it are refused here from their next call."""
    access = organization_access(request, org)
    policy = token_policy_update(
        organization=access.organization,
        max_lifetime_days=payload.max_token_lifetime_days,
        acting_user=request.auth,
    )
    return {"max_token_lifetime_days": policy.max_lifetime_days}


@router.get("/organizations/{org}/dimensions", response={200: list[DimensionOut], **ERRORS})
def dimension_list(request, org: str):
    """The dimensions workspaces are labelled by, with their values, in order: what `labels` of a
    workspace and the `label` filter accept. Any member may read them (the workspace list shows them);
    each value comes with its policy (protected, review cadence, grantable roles), which
    `PATCH …/dimensions/{key}/values/{value}` changes; the dimensions themselves are changed on the
    dimensions page, by those who manage policies."""
    access = organization_access(request, org)
    return [
        {
            "key": dimension.key,
            "name": dimension.name,
            "required": dimension.required,
            "follows_teams": dimension.follows_teams,
            "values": [dimension_value_json(value) for value in dimension.values.all()],
        }
        for dimension in dimension_list_with_usage(organization=access.organization)
    ]
