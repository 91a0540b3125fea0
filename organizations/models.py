import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .roles import ORGANIZATION_PERMISSIONS, ORGANIZATION_ROLES, OrganizationRoleKey

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens.",
)


class Organization(models.Model):
    """A company or group that owns workspaces. Its slug is the URL key (/orgs/<slug>/)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("organization name", max_length=100)
    slug = models.SlugField("URL key", max_length=60, unique=True, validators=[slug_validator])
    description = models.TextField(blank=True)
    workspace_naming_pattern = models.CharField(
        "workspace naming convention",
        max_length=200,
        blank=True,
        help_text="A regular expression every new workspace ID must match.",
    )
    workspace_naming_description = models.CharField(max_length=200, blank=True)
    access_review_days = models.PositiveIntegerField("default access-review cadence (days)", default=90)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = ORGANIZATION_PERMISSIONS

    def __str__(self):
        return self.name


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class Membership(models.Model):
    """A user's place in an organization, with exactly one organization role."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        max_length=20, choices=OrganizationRoleKey.choices, default=OrganizationRoleKey.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=OrganizationRoleKey.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def organization_role(self):
        return ORGANIZATION_ROLES[self.role]


class Team(models.Model):
    """A group of members that receives roles like a person does."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="team_name_unique_in_organization")
        ]

    def __str__(self):
        return self.name


class Dimension(models.Model):
    """A way to group an organization's workspaces (environment, project, ...)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="dimension_unique_key")]

    def __str__(self):
        return self.name


class DimensionValue(models.Model):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="values")
    value = models.SlugField(max_length=60)
    label = models.CharField(max_length=60)
    color = models.CharField(max_length=20, default="grey")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]
        constraints = [models.UniqueConstraint(fields=["dimension", "value"], name="dimension_value_unique")]

    def __str__(self):
        return self.label


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("Audit events are append-only and cannot be updated.")

    def delete(self):
        raise ValidationError("Audit events are append-only and cannot be deleted.")


class AuditEvent(models.Model):
    """One recorded change. Append-only: saving an existing event or deleting one raises."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="audit_org_time")]

    def __str__(self):
        return f"{self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Audit events are append-only and cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only and cannot be deleted.")
