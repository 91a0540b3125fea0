"""The one permission helper: every view, template and API endpoint asks `Access` what a user may do.

An `Access` belongs to one user in one organization. It reads the guardian object permissions that
role assignments produced (see `permission_sync`), once per object and request, and applies the
organization-wide rules:
- holders of `organizations.administer_all_workspaces` hold every permission on every workspace of
  the organization;
- a *protected* workspace (one of its labels' values is protected: `workspaces.policies`) is seen only
  by those with a role on it and organization Admins (not by Managers and Viewers through their
  organization role); only its Admins and organization Admins manage its members and roles, or delete it;
  and only the workspace roles its policies allow can be granted there;
- a deactivated membership (an identity provider deactivated the person through SCIM) is no
  membership: the user may do nothing at all, everywhere at once, until it is reactivated.
Teams are flattened into per-user rows, so group permissions are never consulted. Workspaces are
duck-typed (`administered_by_organization_admins`, `is_protected`, `admin_permissions`,
`admin_only_when_protected`, `grantable_role_keys`), so this module never imports `workspaces`.
"""

from django.db.models import Model

from .errors import NotFoundError, PermissionDeniedError
from .models import Membership, Organization, OrganizationUserObjectPermission
from .roles import ADMINISTER_ALL_WORKSPACES, LIST_ALL_WORKSPACES, ORGANIZATION_ROLES

# Held on a workspace by everyone who may open it; see `Access.can_see`.
VIEW_WORKSPACE_PERMISSION = "workspaces.view_workspace"
MANAGE_WORKSPACE_LIFECYCLE = "manage_workspace_lifecycle"


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
            .filter(user=user, organization__slug=slug, deactivated_at__isnull=True)
            .first()
        )
        return cls(user, membership.organization, membership) if membership else None

    @property
    def is_member(self) -> bool:
        """Does the user belong to the organization? A deactivated membership does not count."""
        return self.membership is not None and self.membership.deactivated_at is None

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
        held = self._codenames(obj)
        if codename not in held:
            return False
        if codename in getattr(obj, "admin_only_when_protected", ()) and self.is_protected(obj):
            return obj.admin_permissions <= held
        return True

    @staticmethod
    def is_protected(obj) -> bool:
        return bool(getattr(obj, "is_protected", False))

    def administers(self, workspace) -> bool:
        """Is the user an Admin of the workspace: an organization-wide admin, or holding every permission
        of the workspace Admin role there (their own role or a team's)?"""
        held = self.workspace_permissions(workspace)
        return held is None or workspace.admin_permissions <= held

    def may_delete_workspace(self, workspace) -> bool:
        """May the user delete the workspace (the danger zone, with its typed ID)? `manage_workspace_lifecycle`
        there; a protected workspace needs its Admin or an organization Admin on top."""
        if not self.can(f"workspaces.{MANAGE_WORKSPACE_LIFECYCLE}", workspace):
            return False
        return not self.is_protected(workspace) or self.administers(workspace)

    def may_review_access(self, workspace) -> bool:
        """May the user review who has access to the workspace (its Admins and organization Admins)?"""
        return self.is_member and self.can_see(workspace) and self.administers(workspace)

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
        user holds on that workspace (custom roles included, whatever their base role). On a protected
        workspace only its Admins (and organization Admins) grant, change or take away roles."""
        held = self.workspace_permissions(workspace)
        if held is None:
            return True
        if self.is_protected(workspace) and not workspace.admin_permissions <= held:
            return False
        return definition.permissions <= held

    @staticmethod
    def policy_allows_role(definition, workspace) -> bool:
        """Do the workspace's policies let this role be granted there (custom roles as their base role)?"""
        allowed = getattr(workspace, "grantable_role_keys", None)
        if allowed is None:
            return True
        return (
            getattr(definition, "base_role", None) in allowed or getattr(definition, "key", None) in allowed
        )

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
        a role on it (own or a team's), or an organization role that administers every workspace, or
        one that lists every workspace, unless the workspace is protected."""
        if self.can(VIEW_WORKSPACE_PERMISSION, workspace):
            return True
        return self.can_list_all_workspaces() and not self.is_protected(workspace)

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
