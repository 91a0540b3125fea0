"""Creating an organization and editing what it says about itself."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..access import Access
from ..audit import AuditAction, audit_record
from ..dimensions import DEFAULT_DIMENSIONS, DEFAULT_POLICIES
from ..errors import InvalidError, PermissionDeniedError
from ..models import Dimension, DimensionValue, Membership, Organization
from ..permission_sync import sync_organization_permissions
from ..roles import CHANGE_ORGANIZATION, OrganizationRoleKey
from .limits import check_lengths

RESERVED_ORGANIZATION_SLUGS = frozenset({"new", "settings", "api", "admin"})

# Two identical "Create organization" submissions this close together are one intent (a double
# click, a resubmitted form): the second lands on the first.
DUPLICATE_CREATE_WINDOW = timedelta(seconds=10)


def _available_organization_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "org"
    if base in RESERVED_ORGANIZATION_SLUGS:
        base = f"{base}-org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _dimensions_create_defaults(*, organization: Organization) -> None:
    for position, (key, name, values, follows_teams) in enumerate(DEFAULT_DIMENSIONS):
        dimension = Dimension.objects.create(
            organization=organization, key=key, name=name, position=position, follows_teams=follows_teams
        )
        DimensionValue.objects.bulk_create(
            DimensionValue(
                dimension=dimension,
                value=value,
                label=label,
                color=color,
                position=i,
                **DEFAULT_POLICIES.get((key, value), {}),
            )
            for i, (value, label, color) in enumerate(values)
        )


@transaction.atomic
def organization_create(*, name: str, acting_user, description: str = "") -> Organization:
    """Create an organization whose Owner is `acting_user`, with the default dimensions.

    Any signed-in user may create one. The same user submitting the same name twice within
    `DUPLICATE_CREATE_WINDOW` gets the first organization back instead of a second one.
    """
    if getattr(acting_user, "is_service_account", False):
        raise PermissionDeniedError(
            "A service account acts only in its own organization; it cannot create one."
        )
    name, description = name.strip(), description.strip()
    if not name:
        raise InvalidError("Enter a name for the organization.", field="name")
    check_lengths(Organization, name=name, description=description)
    # One creation per user at a time, so two simultaneous submissions see each other.
    get_user_model().objects.select_for_update().filter(pk=acting_user.pk).first()
    recent = (
        Organization.objects.filter(
            name=name,
            memberships__user=acting_user,
            memberships__role=OrganizationRoleKey.OWNER,
            created_at__gte=timezone.now() - DUPLICATE_CREATE_WINDOW,
        )
        .order_by("created_at")
        .first()
    )
    if recent is not None:
        return recent
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a slug taken meanwhile only retries this insert
                organization = Organization.objects.create(
                    name=name, slug=_available_organization_slug(name), description=description
                )
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("Could not find a free URL key for the organization.")
    Membership.objects.create(organization=organization, user=acting_user, role=OrganizationRoleKey.OWNER)
    _dimensions_create_defaults(organization=organization)
    sync_organization_permissions(organization, user_ids=[acting_user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.ORGANIZATION_CREATE,
        target=organization,
        after={"name": organization.name, "slug": organization.slug},
    )
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, description: str, acting_user
) -> Organization:
    Access.for_user(acting_user, organization).require(f"organizations.{CHANGE_ORGANIZATION}")
    name, description = name.strip(), description.strip()
    if not name:
        raise InvalidError("Enter a name for the organization.", field="name")
    check_lengths(Organization, name=name, description=description)
    before = {"name": organization.name, "description": organization.description}
    organization.name, organization.description = name, description
    organization.save(update_fields=["name", "description"])
    after = {"name": organization.name, "description": organization.description}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action=AuditAction.ORGANIZATION_UPDATE,
            target=organization,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return organization
