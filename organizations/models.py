import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .dimensions import LABEL_COLORS
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
    description = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    workspace_naming_pattern = models.CharField(
        "workspace naming convention",
        max_length=200,
        blank=True,
        help_text="In the safe syntax of organizations.naming, e.g. {team}-{environment}-{name}; "
        "never a regular expression.",
    )
    workspace_naming_description = models.CharField(max_length=200, blank=True)
    workspace_naming_enforced = models.BooleanField(
        "naming convention enforced",
        default=False,
        help_text="Refuse new workspace IDs that break the convention (otherwise only warn).",
    )
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


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Memberships that give access: not deactivated (by an identity provider, through SCIM)."""
        return self.filter(deactivated_at__isnull=True)


class Membership(models.Model):
    """A user's place in an organization, with exactly one organization role.

    A deactivated membership (`deactivated_at`) stays, with its role, workspace roles and team places,
    but gives no access at all: `Access` treats its user as an outsider, and the guardian rows are
    withdrawn, until it is reactivated. Identity providers deactivate members through SCIM; the
    global `User.is_active` is not touched, since the person may belong to other organizations.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        max_length=20, choices=OrganizationRoleKey.choices, default=OrganizationRoleKey.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)
    provisioned_by_scim = models.BooleanField("provisioned by SCIM", default=False)
    # The identity provider's own id of the person (SCIM `externalId`), kept as it was sent.
    scim_external_id = models.CharField("SCIM external ID", max_length=255, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

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

    @property
    def is_deactivated(self) -> bool:
        return self.deactivated_at is not None


class Team(models.Model):
    """A group of members that receives roles like a person does."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    role = models.CharField(
        "organization role",
        max_length=20,
        choices=[c for c in OrganizationRoleKey.choices if c[0] != OrganizationRoleKey.OWNER],
        blank=True,
        help_text="An organization role every member of the team receives (on top of their own).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="team_name_unique_in_organization")
        ]

    def __str__(self):
        return self.name


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class Invitation(models.Model):
    """An e-mailed, single-use invitation to join an organization with a role.

    Only a hash of the token is stored; the link in the e-mail carries the token itself. Expired is
    derived from `expires_at`, so an invitation needs no job to expire.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=OrganizationRoleKey.choices)
    workspace_roles = models.JSONField(
        default=list, blank=True, help_text='[{"workspace": uuid, "role": key}]'
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.organization}"

    @property
    def effective_status(self) -> str:
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status

    def get_effective_status_display(self) -> str:
        return InvitationStatus(self.effective_status).label


class InvitationMailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"  # the invitation was no longer pending when its turn came


class InvitationMail(models.Model):
    """One invitation e-mail: queued by a person's action, sent by a background task.

    These rows are what invitation e-mails are throttled by (per organization, and per address in an
    organization, per hour). The task is handed only a row's id: it makes the invitation's link when it
    sends the mail, so the link's token is never stored anywhere but in the mail.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="mails")
    email = models.EmailField()
    # The address the site was served at when the mail was queued: the task, which has no request,
    # builds the link with it (config.site).
    site_address = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=InvitationMailStatus.choices, default=InvitationMailStatus.QUEUED
    )
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["organization", "queued_at"], name="invitation_mail_org_time"),
            models.Index(fields=["email", "queued_at"], name="invitation_mail_address_time"),
        ]

    def __str__(self):
        return f"Invitation e-mail to {self.email} ({self.get_status_display().lower()})"


class Dimension(models.Model):
    """A way to group an organization's workspaces (environment, project, ...).

    `key` names it in URLs and filters (`label=<key>:<value>`) and `name` is what people read; both are
    unique in the organization, the name case-insensitively. A dimension that `follows_teams` (the
    *team* dimension, at most one per organization) has the organization's teams as its values: they
    are created, renamed and removed with the teams, never by hand. A `required` dimension must be
    given a value in the New Workspace stepper and in a workspace's settings.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    required = models.BooleanField("required in the stepper", default=False)
    follows_teams = models.BooleanField("values are the organization's teams", default=False)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="dimension_unique_key"),
            models.UniqueConstraint("organization", Lower("name"), name="dimension_unique_name"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(follows_teams=True),
                name="dimension_one_team_dimension",
            ),
        ]

    def __str__(self):
        return self.name


class DimensionValue(models.Model):
    """One value of a dimension, with a colour from the fixed palette (`dimensions.LABEL_COLORS`).

    `value` is its key (in URLs and filters), `label` what people read; both unique in the dimension,
    the label case-insensitively. A value of the team dimension belongs to its `team`.
    """

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="values")
    value = models.SlugField("key", max_length=60)
    label = models.CharField("name", max_length=100)
    color = models.CharField("colour", max_length=20, choices=LABEL_COLORS, default="grey")
    position = models.PositiveIntegerField(default=0)
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="dimension_value"
    )
    # Policies (organizations.policies): they apply to every workspace holding the value, read when asked.
    protected = models.BooleanField(
        default=False,
        help_text="Workspaces holding it are protected: only their Admins and organization Admins grant "
        "roles there, and organization Managers and Viewers see them only with a role on them.",
    )
    review_cadence_days = models.PositiveIntegerField(
        "access-review cadence (days)",
        null=True,
        blank=True,
        help_text="Workspaces holding it are reviewed at least this often. Empty: no cadence of its own.",
    )
    grantable_roles = models.JSONField(
        "workspace roles that may be granted",
        default=list,
        blank=True,
        help_text="Predefined workspace role keys (custom roles count as their base role). Empty: all.",
    )

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "value"], name="dimension_value_unique"),
            models.UniqueConstraint("dimension", Lower("label"), name="dimension_value_unique_label"),
        ]

    def __str__(self):
        return self.label


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("Audit events are append-only and cannot be updated.")

    def delete(self):
        raise ValidationError("Audit events are append-only and cannot be deleted.")


class AuditEvent(models.Model):
    """One recorded change. Append-only: saving an existing event or deleting one raises.

    Who acted is a reference (`actor_type` + the user; when they acted through an API credential, as
    `token`, that credential's id and label too, so one leaked token's doings can be listed), what
    changed is `target_type` + `target_id`, and for access changes whose access changed is
    `principal_type` + `principal_id`: all joinable, none by display name. The labels are what people
    read, as they were at the time.
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        TOKEN = "token", "Personal access token"
        SERVICE_ACCOUNT = "service_account", "Service account"
        SCIM_TOKEN = "scim_token", "SCIM token"
        SYSTEM = "system", "System"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="audit_events")
    actor_type = models.CharField(max_length=20, choices=ActorType.choices, default=ActorType.USER)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_credential_id = models.CharField(max_length=64, blank=True)
    actor_credential_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200)
    principal_type = models.CharField(max_length=40, blank=True)
    principal_id = models.CharField(max_length=64, blank=True)
    principal_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit log pages by cursor on (created_at, id): the index answers order and tie-break.
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_time_id"),
            models.Index(fields=["organization", "actor", "-created_at"], name="audit_org_actor_time"),
            models.Index(
                fields=["organization", "principal_type", "principal_id", "-created_at"],
                name="audit_org_principal_time",
            ),
            models.Index(fields=["organization", "target_type", "target_id"], name="audit_org_target"),
            # The action filter's choices: one index seek per distinct action (selectors.audit_action_list).
            models.Index(fields=["organization", "action"], name="audit_org_action"),
        ]

    def __str__(self):
        return f"{self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Audit events are append-only and cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only and cannot be deleted.")

    @property
    def target_type_label(self) -> str:
        """The target's type in words ("custom role", "role assignment")."""
        return self.target_type.replace("_", " ")


class ChangeEpoch(models.Model):
    """How many committed transactions changed access (`key` "access") or any data shown on pages
    ("data"), so far: caches in every process compare it before they answer (`organizations.changes`)."""

    key = models.CharField(max_length=20, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.key} epoch {self.value}"
