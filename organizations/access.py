"""The one permission helper: every view, template and API endpoint asks `Access` what a user may do.

An `Access` belongs to one user in one organization. It reads the guardian object permissions that
the role assignments produced (see `permission_sync`), caching them for the request, and it applies the
single organization-wide rule: holders of `organizations.administer_all_workspaces` hold every
permission on every workspace of the organization.
"""

from guardian.core import ObjectPermissionChecker

from .models import Membership, Organization
from .roles import ADMINISTER_ALL_WORKSPACES, LIST_ALL_WORKSPACES


class Access:
    def __init__(self, user, organization: Organization, membership: Membership | None):
        self.user = user
        self.organization = organization
        self.membership = membership
        self._checker = ObjectPermissionChecker(user)

    @classmethod
    def for_user(cls, user, organization: Organization) -> "Access":
        membership = None
        if user.is_authenticated:
            membership = Membership.objects.filter(user=user, organization=organization).first()
        return cls(user, organization, membership)

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    def can(self, perm: str, obj=None) -> bool:
        """May the user do `perm` ("app_label.codename") on `obj` (the organization by default)?"""
        if not self.is_member or not self.user.is_active:
            return False
        _, codename = perm.split(".", 1)
        if obj is None or obj == self.organization:
            return self._checker.has_perm(codename, self.organization)
        if getattr(obj, "organization_id", None) != self.organization.pk:
            return False
        if self._checker.has_perm(ADMINISTER_ALL_WORKSPACES, self.organization):
            return True
        return self._checker.has_perm(codename, obj)

    def can_list_all_workspaces(self) -> bool:
        return self.can(f"organizations.{LIST_ALL_WORKSPACES}")

    def prefetch(self, objects) -> None:
        """Load the permissions of many objects in one go, so a list asks no query per row."""
        objects = list(objects)
        if objects and self.is_member:
            self._checker.prefetch_perms(objects)
