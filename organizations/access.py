"""The one permission helper: every view, template and API endpoint asks `Access` what a user may do.

An `Access` belongs to one user in one organization. It reads the guardian object permissions that
role assignments produced (see `permission_sync`), once per object and request, and applies the one
organization-wide rule: holders of `organizations.administer_all_workspaces` hold every permission
on every workspace of the organization. Teams are flattened into per-user rows, so group
permissions are never consulted.
"""

from django.db.models import Model

from .errors import NotFoundError, PermissionDeniedError
from .models import Membership, Organization, OrganizationUserObjectPermission
from .roles import ADMINISTER_ALL_WORKSPACES, LIST_ALL_WORKSPACES, ORGANIZATION_ROLES

# Held on a workspace by everyone who may open it; see `Access.can_see`.
VIEW_WORKSPACE_PERMISSION = "workspaces.view_workspace"


def _permission_model_for(obj: Model):
    from guardian.utils import get_user_obj_perms_model

    return get_user_obj_perms_model(obj)


class Access:
    def __init__(self, user, organization: Organization, membership: Membership | None):
        self.user = user
        self.organization = organization
        self.membership = membership
        self._granted: dict[tuple[type, object], frozenset[str]] = {}

    @classmethod
    def for_user(cls, user, organization: Organization) -> "Access":
        membership = None
        if user.is_authenticated:
            membership = Membership.objects.filter(user=user, organization=organization).first()
        return cls(user, organization, membership)

    @classmethod
    def for_organization_slug(cls, user, slug: str) -> "Access | None":
        """The user's access to the organization at `slug`, or None when they are not a member (one query)."""
        membership = (
            Membership.objects.select_related("organization")
            .filter(user=user, organization__slug=slug)
            .first()
        )
        return cls(user, membership.organization, membership) if membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    def _codenames(self, obj) -> frozenset[str]:
        key = (type(obj), obj.pk)
        if key not in self._granted:
            model = (
                OrganizationUserObjectPermission if obj == self.organization else _permission_model_for(obj)
            )
            rows = model.objects.filter(user=self.user, content_object=obj)
            self._granted[key] = frozenset(rows.values_list("permission__codename", flat=True))
        return self._granted[key]

    def can(self, perm: str, obj=None) -> bool:
        """May the user do `perm` ("app_label.codename") on `obj` (the organization by default)?"""
        if not self.is_member or not self.user.is_active:
            return False
        _, codename = perm.split(".", 1)
        if obj is None or obj == self.organization:
            return codename in self._codenames(self.organization)
        if getattr(obj, "organization_id", None) != self.organization.pk:
            return False
        if getattr(
            obj, "administered_by_organization_admins", False
        ) and ADMINISTER_ALL_WORKSPACES in self._codenames(self.organization):
            return True
        return codename in self._codenames(obj)

    def may_grant_organization_role(self, role_key: str) -> bool:
        """Nobody grants (or takes away) a role above their own; Owner is the top, so only Owners
        make Owners."""
        if not self.is_member or role_key not in ORGANIZATION_ROLES:
            return False
        return ORGANIZATION_ROLES[role_key].rank <= self.membership.organization_role.rank

    def workspace_permissions(self, workspace) -> frozenset[str] | None:
        """Every workspace permission the user holds there; None means all (organization-wide admins)."""
        if not self.is_member or workspace.organization_id != self.organization.pk:
            return frozenset()
        if ADMINISTER_ALL_WORKSPACES in self._codenames(self.organization):
            return None
        return self._codenames(workspace)

    def may_grant_workspace_role(self, definition, workspace) -> bool:
        """Nobody grants above their own: a role is grantable when every permission it gives is one the
        user holds on that workspace (custom roles included, whatever their base role)."""
        held = self.workspace_permissions(workspace)
        return held is None or definition.permissions <= held

    def can_on_resource(self, action: str, resource_type: str, resource) -> bool:
        """May the user `action` ("update") this workspace resource? Creators keep full rights on theirs."""
        if not self.is_member:
            return False
        if getattr(resource, "created_by_id", None) == self.user.pk:
            return True
        return self.can(f"workspaces.{action}_{resource_type}", resource.workspace)

    def can_list_all_workspaces(self) -> bool:
        return self.can(f"organizations.{LIST_ALL_WORKSPACES}")

    def can_see(self, workspace) -> bool:
        """Is the workspace visible to the user at all (listed or openable)? The one visibility rule:
        a role on it (own or a team's), or an organization role that lists or administers every
        workspace."""
        return self.can(VIEW_WORKSPACE_PERMISSION, workspace) or self.can_list_all_workspaces()

    def require(self, perm: str, obj=None, *, message: str = "") -> None:
        """Refuse unless the user may do `perm` on `obj` (the organization by default).

        Someone outside the organization, or who cannot even see the workspace, gets NotFoundError (so
        nothing leaks its existence); a member without the permission gets PermissionDeniedError.
        """
        if not self.is_member or not self.user.is_active:
            raise NotFoundError("No such organization.")
        if obj is not None and obj != self.organization:
            if getattr(obj, "organization_id", None) != self.organization.pk:
                raise NotFoundError("Not found.")
            if hasattr(obj, "administered_by_organization_admins") and not self.can_see(obj):
                raise NotFoundError("No such workspace.")
        if not self.can(perm, obj):
            raise PermissionDeniedError(message or "You don't have permission to do that.")

    def prefetch(self, objects) -> None:
        """Load the permissions of many objects of one kind in one query, so lists ask none per row."""
        objects = [obj for obj in objects if (type(obj), obj.pk) not in self._granted]
        if not objects or not self.is_member:
            return
        if getattr(objects[0], "administered_by_organization_admins", False) and (
            ADMINISTER_ALL_WORKSPACES in self._codenames(self.organization)
        ):
            return  # `can` answers for every workspace without asking its rows
        model = _permission_model_for(objects[0])
        granted: dict[object, set[str]] = {obj.pk: set() for obj in objects}
        rows = model.objects.filter(user=self.user, content_object__in=objects)
        for pk, codename in rows.values_list("content_object_id", "permission__codename"):
            granted[pk].add(codename)
        for obj in objects:
            self._granted[(type(obj), obj.pk)] = frozenset(granted[obj.pk])
