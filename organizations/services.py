"""Every change to organizations, their members and their dimensions: one function per action.

Each function is atomic and writes its audit event in the same transaction.
"""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .audit import audit_record
from .dimensions import DEFAULT_DIMENSIONS
from .models import Dimension, DimensionValue, Membership, Organization
from .permission_sync import sync_organization_permissions
from .roles import OrganizationRoleKey

RESERVED_ORGANIZATION_SLUGS = frozenset({"new", "settings", "api", "admin"})


def _available_organization_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "org"
    if base in RESERVED_ORGANIZATION_SLUGS:
        base = f"{base}-org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def dimensions_create_defaults(*, organization: Organization) -> None:
    for position, (key, name, values) in enumerate(DEFAULT_DIMENSIONS):
        dimension = Dimension.objects.create(organization=organization, key=key, name=name, position=position)
        DimensionValue.objects.bulk_create(
            DimensionValue(dimension=dimension, value=value, label=label, color=color, position=i)
            for i, (value, label, color) in enumerate(values)
        )


@transaction.atomic
def organization_create(*, name: str, acting_user, description: str = "") -> Organization:
    """Create an organization whose Owner is `acting_user`, with the default dimensions."""
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a slug taken meanwhile only retries this insert
                organization = Organization.objects.create(
                    name=name.strip(), slug=_available_organization_slug(name), description=description
                )
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("Could not find a free URL key for the organization.")
    Membership.objects.create(organization=organization, user=acting_user, role=OrganizationRoleKey.OWNER)
    dimensions_create_defaults(organization=organization)
    sync_organization_permissions(organization, user_ids=[acting_user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="organization.create",
        target=organization,
        after={"name": organization.name, "slug": organization.slug},
    )
    return organization


@transaction.atomic
def membership_add(*, organization: Organization, user, role: str, acting_user) -> Membership:
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    sync_organization_permissions(organization, user_ids=[user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="membership.create",
        target=membership,
        after={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, description: str, acting_user
) -> Organization:
    before = {"name": organization.name, "description": organization.description}
    organization.name, organization.description = name.strip(), description.strip()
    organization.save(update_fields=["name", "description"])
    after = {"name": organization.name, "description": organization.description}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action="organization.update",
            target=organization,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return organization
