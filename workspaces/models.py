import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower, Upper
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from config.site import site_url
from organizations.models import Dimension, DimensionValue, Organization, Team

from .identifiers import WORKSPACE_ID_PATTERN, validate_workspace_id
from .roles import WORKSPACE_PERMISSIONS, WORKSPACE_ROLES, WorkspaceRoleKey, permissions_for_matrix

# Where the ZenML-compatible control plane is served on this site (the `zenml` CLI's "Pro API").
ZENML_CONTROL_PLANE_PATH = "/zenml-api"
# The project a workspace server gets when it first comes up, set active by the login command.
FIRST_PROJECT = "default"
# The ZenML release workspaces run (requirements-zenml.txt pins it); the CLI should match it.
ZENML_VERSION = "0.98.0"


class WorkspaceStatus(models.TextChoices):
    NOT_INITIALIZED = "not_initialized", "Not initialized"
    PENDING = "pending", "Pending"
    AVAILABLE = "available", "Available"
    FAILED = "failed", "Failed"
    DEACTIVATED = "deactivated", "Deactivated"
    DELETED = "deleted", "Deleted"


class DesiredState(models.TextChoices):
    AVAILABLE = "available", "Available"
    DEACTIVATED = "deactivated", "Deactivated"
    DELETED = "deleted", "Deleted"


class WorkspaceIdChangeError(ValidationError):
    pass


class WorkspaceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if "slug" in kwargs:
            raise WorkspaceIdChangeError("A workspace ID can never change.")
        return super().update(**kwargs)

    def live(self):
        """Workspaces that have not been deleted."""
        return self.exclude(status=WorkspaceStatus.DELETED)

    def with_id(self, workspace_id: str):
        """The workspace with this ID, compared as the unique index `workspace_id_unique_ci` stores it
        (LOWER), so the lookup is that index's, not a scan of every workspace."""
        return self.alias(id_lower=Lower("slug")).filter(id_lower=str(workspace_id).lower())


class Workspace(models.Model):
    """An isolated environment of an organization.

    `slug` is the workspace ID of PRODUCT.md §3: chosen once, globally unique case-insensitively,
    never changed and never reused. `id` is the UUID a workspace server knows the workspace by.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workspaces")
    slug = models.CharField("workspace ID", max_length=50, validators=[validate_workspace_id])
    display_name = models.CharField("name", max_length=100)
    description = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    readme = models.TextField(
        "README", blank=True, help_text="Markdown.", max_length=50000, validators=[MaxLengthValidator(50000)]
    )
    status = models.CharField(
        max_length=20, choices=WorkspaceStatus.choices, default=WorkspaceStatus.NOT_INITIALIZED
    )
    desired_state = models.CharField(
        max_length=20, choices=DesiredState.choices, default=DesiredState.AVAILABLE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    server_url = models.URLField(blank=True)
    server_version = models.CharField("ZenML version", max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    provisioning_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the worker that claimed this round of provisioning."
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was deleted; restorable until the grace period ends."
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Access reviews (workspaces.policies): the due date follows the cadence and the last review.
    access_review_days = models.PositiveIntegerField(
        "own access-review cadence (days)",
        null=True,
        blank=True,
        help_text="Stricter than its labels' cadences if shorter; empty: its labels' (or the organization's).",
    )
    access_reviewed_at = models.DateTimeField(null=True, blank=True)
    access_review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    access_review_reminded_for = models.DateTimeField(
        null=True, blank=True, help_text="The due date whose reminder was sent (one per due date)."
    )

    objects = WorkspaceQuerySet.as_manager()

    # Organization Owners and Admins hold every permission on every workspace (organizations.access).
    administered_by_organization_admins = True
    # On a protected workspace, only those who hold all of these (its Admins, and organization Admins)
    # may do what `admin_only_when_protected` names (organizations.access): manage its members and
    # roles, and change its settings and labels (so nobody else can take its protection away).
    admin_permissions = WORKSPACE_ROLES[WorkspaceRoleKey.ADMIN].permissions
    admin_only_when_protected = frozenset({"manage_workspace_members", "change_workspace"})

    class Meta:
        ordering = ["-created_at"]
        permissions = WORKSPACE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(Lower("slug"), name="workspace_id_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(slug__regex=WORKSPACE_ID_PATTERN), name="workspace_id_format"
            ),
        ]
        indexes = [
            # The home's sorts, whole (tie-breaker included), so a page is read in index order and
            # stops after its rows instead of sorting every workspace of the organization.
            models.Index(fields=["organization", "-created_at", "slug"], name="workspace_org_newest"),
            models.Index(fields=["organization", "display_name", "slug"], name="workspace_org_name"),
            # "Needs attention" starts from the few failed and overdue workspaces, not from all of them.
            models.Index(fields=["organization", "status"], name="workspace_org_status"),
            models.Index(fields=["organization", "access_review_due_at"], name="workspace_org_review_due"),
            # Search (workspaces.search): trigram indexes on the very expressions `icontains` compares
            # on PostgreSQL, UPPER(column). Created on PostgreSQL only (migration 0008); SQLite searches
            # its FTS5 table instead. No fast-update pending list: after a bulk seeding it would be read
            # in full by every search (and priced so high the planner scans) until a vacuum.
            *(
                GinIndex(
                    OpClass(Upper(column), name="gin_trgm_ops"),
                    name=f"workspace_{column}_trgm",
                    fastupdate=False,
                )
                for column in ("display_name", "slug", "description")
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_slug", None)
        if not self._state.adding and stored is not None and stored != self.slug:
            raise WorkspaceIdChangeError("A workspace ID can never change.")
        super().save(*args, **kwargs)
        self._stored_slug = self.slug

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        instance._stored_slug = instance.__dict__.get("slug")
        return instance

    @cached_property
    def policy(self):
        """The `WorkspacePolicy` its labels' values make (workspaces.policies): from prefetched labels,
        or one query."""
        from .policies import workspace_policy

        return workspace_policy(self)

    @property
    def is_protected(self) -> bool:
        """Does any of its labels' values make it protected? Lists annotate it (`policies.with_policy_marks`)
        or prefetch the labels, so that no row asks."""
        annotated = self.__dict__.get("protected_annotation")
        return annotated if annotated is not None else self.policy.protected

    @property
    def grantable_role_keys(self) -> frozenset[str] | None:
        """The workspace roles its policies let be granted (custom roles by base role); None: all."""
        return self.policy.grantable_roles

    @property
    def review_overdue(self) -> bool:
        return self.access_review_due_at is not None and self.access_review_due_at <= timezone.now()

    @property
    def is_provisioning(self) -> bool:
        return self.status in {WorkspaceStatus.NOT_INITIALIZED, WorkspaceStatus.PENDING}

    @property
    def is_usable(self) -> bool:
        """Can people connect to it and work in it now (not provisioning, failed or deactivated)?"""
        return self.status == WorkspaceStatus.AVAILABLE

    @property
    def url(self) -> str:
        """The workspace's absolute URL, at the address the site is served at (config.site)."""
        return site_url(reverse("workspaces:overview", args=[self.slug]))

    @property
    def login_command(self) -> str:
        """What a person types to connect the `zenml` command line: the workspace ID, and the address
        of this site's ZenML-compatible control plane (ZenML's "Pro API"), where the CLI asks for it."""
        return (
            f"export ZENML_PRO_API_URL={site_url(ZENML_CONTROL_PLANE_PATH)}\n"
            f"zenml login {self.slug} --project {FIRST_PROJECT}"
        )

    @property
    def connect_commands(self) -> list[tuple[str, str]]:
        """The overview's connect steps, one command each: install the CLI, point it at Atrium, log in."""
        export, login = self.login_command.split("\n")
        return [
            ("Install the ZenML command line", f'pip install "zenml=={ZENML_VERSION}"'),
            ("Point it at this Atrium", export),
            ("Log in to this workspace", login),
        ]

    @property
    def server_address(self) -> str:
        """The workspace server's absolute URL. A provisioner may store a path on this site
        (the embedded one does: it runs without a request), which is resolved here, when shown."""
        if self.server_url.startswith("/"):
            return site_url(self.server_url)
        return self.server_url


class WorkspaceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Workspace, on_delete=models.CASCADE)


class WorkspaceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Workspace, on_delete=models.CASCADE)


class RetiredWorkspaceId(models.Model):
    """An ID whose workspace row is gone; kept so that the ID is never handed out again."""

    slug = models.CharField(max_length=50, unique=True)
    retired_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.slug


class WorkspaceLabel(models.Model):
    """A workspace's value for one grouping dimension (at most one per dimension)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="labels")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="+")
    value = models.ForeignKey(DimensionValue, on_delete=models.CASCADE, related_name="workspace_labels")

    class Meta:
        ordering = ["dimension__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dimension"], name="workspace_label_one_per_dimension"
            )
        ]

    def __str__(self):
        return f"{self.dimension.name}: {self.value.label}"

    def clean(self):
        if self.value.dimension_id != self.dimension_id:
            raise ValidationError("That value belongs to another dimension.")


class WorkspaceCustomRole(models.Model):
    """An organization's own workspace role: a predefined role's matrix, adjusted."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workspace_roles")
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    base_role = models.CharField(max_length=20, choices=WorkspaceRoleKey.choices)
    cells = models.JSONField("permissions", default=list, help_text="Matrix cells such as read_pipelines.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="workspace_custom_role_unique_name")
        ]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        return self.name

    @property
    def rank(self) -> int:
        return WORKSPACE_ROLES[self.base_role].rank

    @property
    def matrix(self) -> frozenset[str]:
        return frozenset(self.cells)

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_for_matrix(self.matrix)


class WorkspaceRoleAssignment(models.Model):
    """Binds a user or a team to a workspace role (predefined or custom).

    Assignments are the truth; guardian rows follow them (see permission_sync).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="role_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="workspace_roles",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="workspace_roles"
    )
    role = models.CharField(max_length=20, choices=WorkspaceRoleKey.choices, blank=True)
    custom_role = models.ForeignKey(
        WorkspaceCustomRole, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(
        "until", null=True, blank=True, help_text="The last day the role holds; it then ends by itself."
    )
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        # "Roles about to expire" and the daily expiry start from the few roles with an end date, not
        # from every assignment of the organization.
        indexes = [
            models.Index(
                fields=["expires_on"],
                name="role_assignment_expires_on",
                condition=models.Q(expires_on__isnull=False),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False)
                ),
                name="workspace_role_assignment_one_principal",
            ),
            models.CheckConstraint(
                condition=(
                    (models.Q(custom_role__isnull=True) & ~models.Q(role=""))
                    | (models.Q(custom_role__isnull=False) & models.Q(role=""))
                ),
                name="workspace_role_assignment_one_role",
            ),
            models.UniqueConstraint(
                fields=["workspace", "user"],
                condition=models.Q(user__isnull=False),
                name="workspace_role_unique_user",
            ),
            models.UniqueConstraint(
                fields=["workspace", "team"],
                condition=models.Q(team__isnull=False),
                name="workspace_role_unique_team",
            ),
        ]

    def __str__(self):
        return f"{self.user or self.team} is {self.role_definition.label} of {self.workspace}"

    @property
    def role_definition(self):
        """The predefined `WorkspaceRole` or the `WorkspaceCustomRole`: both have label, rank, permissions."""
        return self.custom_role if self.custom_role_id else WORKSPACE_ROLES[self.role]

    @property
    def principal(self):
        return self.user or self.team

    @property
    def base_role_key(self) -> str:
        """The predefined role it is, or a custom role's base role (what grant policies name)."""
        return self.custom_role.base_role if self.custom_role_id else self.role


class WorkspaceServerSecret(models.Model):
    """The credentials a workspace server signs its tokens with; created by the provisioner."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="server_secret")
    jwt_secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"server secret of {self.workspace}"


class ServerState(models.TextChoices):
    """Where a workspace's server process is in its life (see workspaces/supervisor.py)."""

    STOPPED = "stopped", "Stopped"  # no process, and none wanted (not provisioned, deactivated, failed)
    QUEUED = "queued", "Queued"  # wanted: the supervisor starts it when there is room
    STARTING = "starting", "Starting"  # launched; not yet reported in and answering /health
    RUNNING = "running", "Running"  # reported in and answering /health
    BACKING_OFF = "backing_off", "Waiting to restart"  # it stopped unexpectedly; restarts at restart_at
    IDLE = "idle", "Idle"  # stopped for lack of use; queued again when someone uses the workspace


class WorkspaceServer(models.Model):
    """The actual state of a workspace's server process, as the supervisor and the server report it.

    The workspace's `status` and `desired_state` say what should be; this says what is. The secrets a
    server needs (its JWT key, its enrollment secret) are never stored: they are derived from the
    site's SECRET_KEY and `secret_salt` (see `workspaces.server_secrets`), so a new salt rotates them.
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="server")
    secret_salt = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=ServerState.choices, default=ServerState.STOPPED)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When a start was last asked for.")
    crashes = models.PositiveIntegerField(default=0, help_text="Unexpected stops in a row.")
    restart_at = models.DateTimeField(null=True, blank=True, help_text="When a crashed server restarts.")
    stopped_at = models.DateTimeField(null=True, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True, unique=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    version = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True, help_text="The server's last status report.")
    last_health_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    restarts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"server of {self.workspace}"

    @property
    def is_up(self) -> bool:
        """Has the server reported in since it was started, and answered its last health check?"""
        return self.state == ServerState.RUNNING


class OnboardingStep(models.Model):
    """One onboarding checklist item that a real event completed (see workspaces/onboarding.py)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="onboarding_steps")
    key = models.CharField(max_length=40)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="onboarding_step_unique")]

    def __str__(self):
        return f"{self.workspace}: {self.key}"


@receiver(post_delete, sender=Workspace)
def _retire_workspace_id(sender, instance, **kwargs):
    # A workspace row removed outright (e.g. by a cascade) must still never free its ID.
    RetiredWorkspaceId.objects.get_or_create(slug=instance.slug.lower())


class AccessReview(models.Model):
    """One completed access review of a workspace: who reviewed, and the evidence (every role holder,
    their role, who granted it and when, their last activity, and the decision with its reason), kept
    as it was at completion so later changes never alter it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="access_reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_email = models.CharField(max_length=254)
    completed_at = models.DateTimeField(default=timezone.now)
    was_due_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    cadence_days = models.PositiveIntegerField()
    kept = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    evidence = models.JSONField(default=list)

    class Meta:
        ordering = ["-completed_at", "-id"]

    def __str__(self):
        return f"access review of {self.workspace} on {self.completed_at:%Y-%m-%d}"


class LiveWorkspaceCount(models.Model):
    """How many live (not deleted) workspaces an organization has (`value` None), or hold one label
    value: the roll-ups the organization home's charts and columns read instead of counting up to
    100,000 rows per visit.

    Kept by database triggers (migration 0010) on every write path — services, bulk creation, cascades,
    the admin, raw SQL — in the writer's own transaction, so they are exact; Django never writes them.
    A row is made by a trigger when its organization or value is made."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    value = models.OneToOneField(
        DimensionValue, null=True, blank=True, on_delete=models.CASCADE, related_name="live_workspace_count"
    )
    # No CHECK (count >= 0): a drift must never make a workspace's own write fail.
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(value__isnull=True),
                name="live_workspace_count_total",
            )
        ]

    def __str__(self):
        return f"{self.count} live workspaces"


class LabelPairCount(models.Model):
    """How many live workspaces hold both of two label values (of two dimensions; `low` has the lower
    pk): the matrix view's cells, read instead of grouping every workspace. Kept by database triggers
    (migration 0012) as `LiveWorkspaceCount` is; a pair gets its row when a workspace first holds it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    low = models.ForeignKey(DimensionValue, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(DimensionValue, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)  # no CHECK: see LiveWorkspaceCount

    class Meta:
        constraints = [models.UniqueConstraint(fields=["low", "high"], name="label_pair_count_unique")]

    def __str__(self):
        return f"{self.count} live workspaces"
