"""Guardian object permissions follow role assignments: these functions rebuild them.

Services that change memberships, teams or role assignments call the `sync_*` functions in the same
transaction. Nothing else writes guardian rows. Each function returns the number of rows it added
or removed, so `manage.py sync_permissions` can report drift.
"""

from collections import defaultdict
from itertools import batched

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from .models import Membership, Organization, OrganizationUserObjectPermission, Team
from .roles import ORGANIZATION_ROLES


def apply_object_permissions(
    *, permission_model, content_object, desired: dict[int, set[str]], user_ids=None
) -> int:
    """Make the guardian rows of `content_object` equal `desired` ({user id: codenames}).

    With `user_ids`, only those users' rows are touched (cheaper after a single change).
    """
    return apply_object_permissions_bulk(
        permission_model=permission_model, desired={content_object.pk: desired}, user_ids=user_ids
    )


def apply_object_permissions_bulk(
    *,
    permission_model,
    desired: dict[object, dict[int, set[str]]],
    user_ids=None,
    batch_size: int = 1000,
) -> int:
    """Make the guardian rows of many objects of one model equal `desired` ({object pk: {user id:
    codenames}}): one read of their current rows, one delete of the stale ones, and the missing ones
    inserted `batch_size` at a time. An object absent from `desired` is left alone; one mapped to no
    users loses every row. With `user_ids`, only those users' rows are touched.

    Callers keep `desired` to a few thousand objects (the current rows of all of them are read at once).
    """
    if not desired:
        return 0
    model = permission_model._meta.get_field("content_object").related_model
    content_type = ContentType.objects.get_for_model(model)
    permission_ids = dict(Permission.objects.filter(content_type=content_type).values_list("codename", "id"))
    rows = permission_model.objects.filter(content_object_id__in=list(desired))
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    current: dict[tuple[object, int], dict[str, int]] = defaultdict(dict)
    for row_id, object_pk, user_id, codename in rows.values_list(
        "id", "content_object_id", "user_id", "permission__codename"
    ):
        current[object_pk, user_id][codename] = row_id

    stale = [
        row_id
        for (object_pk, user_id), granted in current.items()
        for codename, row_id in granted.items()
        if codename not in desired[object_pk].get(user_id, ())
    ]
    missing = (
        permission_model(user_id=user_id, permission_id=permission_ids[codename], content_object_id=object_pk)
        for object_pk, wanted in desired.items()
        for user_id, codenames in wanted.items()
        if user_ids is None or user_id in user_ids
        for codename in codenames
        if codename not in current.get((object_pk, user_id), {})
    )
    if stale:
        permission_model.objects.filter(id__in=stale).delete()
    added = 0
    for batch in batched(missing, batch_size):
        permission_model.objects.bulk_create(batch)
        added += len(batch)
    return len(stale) + added


def organization_permissions_by_user(organization: Organization, user_ids=None) -> dict[int, set[str]]:
    """Each member's organization permissions: their own role's, plus the roles of their teams. A
    deactivated member holds none (their role is kept for when they are reactivated)."""
    memberships = Membership.objects.active().filter(organization=organization)
    if user_ids is not None:
        memberships = memberships.filter(user_id__in=user_ids)
    desired: dict[int, set[str]] = defaultdict(set)
    for user_id, role in memberships.values_list("user_id", "role"):
        desired[user_id] |= ORGANIZATION_ROLES[role].permissions
    team_roles = Team.members.through.objects.filter(team__organization=organization).exclude(team__role="")
    if user_ids is not None:
        team_roles = team_roles.filter(user_id__in=user_ids)
    for user_id, role in team_roles.values_list("user_id", "team__role"):
        if user_id in desired:  # a team grants nothing to someone who has left the organization
            desired[user_id] |= ORGANIZATION_ROLES[role].permissions
    return desired


def sync_organization_permissions(organization: Organization, user_ids=None) -> int:
    return apply_object_permissions(
        permission_model=OrganizationUserObjectPermission,
        content_object=organization,
        desired=organization_permissions_by_user(organization, user_ids),
        user_ids=set(user_ids) if user_ids is not None else None,
    )
