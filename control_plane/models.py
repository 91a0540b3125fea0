"""What the ZenML-compatible control plane keeps: who a user is to ZenML, the command-line devices
people approved, the short-lived tokens it issued, and the usage counts workspace servers report.

Codes and tokens are never stored as given out: a device code is kept as its SHA-256 digest, and a
token is a signed envelope around the id of its `AccessToken` row (see `control_plane.tokens`), so a
database dump holds nothing that logs anyone in.
"""

import uuid

from django.conf import settings
from django.db import models

from workspaces.models import Workspace


class ExternalIdentity(models.Model):
    """The stable UUID a ZenML server knows an Atrium user by (ZenML's `external_user_id`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="zenml_identity"
    )
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "external identities"

    def __str__(self):
        return f"{self.user} ({self.external_id})"


class DeviceStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    REVOKED = "revoked", "Revoked"


class Device(models.Model):
    """A `zenml` command line that asked to log in (RFC 8628's device authorization).

    `id` is ZenML's `device_id`: the CLI sends it back on its next login, so one machine stays one
    row, put back into `pending` with fresh codes each time.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.UUIDField(help_text="The ZenML client's own id (its global configuration's user id).")
    device_code_digest = models.CharField(max_length=64, db_index=True)
    user_code = models.CharField(max_length=9, db_index=True)
    status = models.CharField(max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.PENDING)
    hostname = models.CharField(max_length=200, blank=True)
    os = models.CharField("operating system", max_length=100, blank=True)
    python_version = models.CharField(max_length=40, blank=True)
    zenml_version = models.CharField("ZenML version", max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="devices"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="devices"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    code_expires_at = models.DateTimeField()
    interval = models.PositiveIntegerField(default=5, help_text="Seconds the CLI waits between polls.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        host = self.hostname or "an unnamed host"
        return f"zenml CLI on {host}" + (f" ({self.os})" if self.os else "")


# Atrium's own identity on every workspace server (a ZenML service account with this external id).
ATRIUM_SERVICE_ID = uuid.UUID("6d7a3e1c-3f2b-5a8e-9c41-a7e1c0de5e01")


class TokenKind(models.TextChoices):
    USER = "user", "User"
    SERVER = "server", "Workspace server"
    SERVICE = "service", "Atrium itself, towards one workspace's server"


class AccessToken(models.Model):
    """One token the control plane gave out: a user's (from an approved device) or a workspace
    server's (client credentials). Checked on every call, so revoking it, its device, the user's
    membership or the user takes effect on the next call."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    workspace = models.ForeignKey(
        Workspace,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The server's workspace (server tokens only).",
    )
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    service_account_key = models.ForeignKey(
        "service_accounts.ServiceAccountKey",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The API key this token was exchanged for (a service account's token): it dies with it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    first_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="user", user__isnull=False, workspace__isnull=True)
                    | models.Q(kind__in=["server", "service"], user__isnull=True, workspace__isnull=False)
                ),
                name="access_token_one_holder",
            )
        ]

    def __str__(self):
        holder = self.user if self.kind == TokenKind.USER else self.workspace
        return f"{self.get_kind_display()} token of {holder}"


class UsageCount(models.Model):
    """How many of one kind of resource (ZenML's reportable features: project, pipeline,
    pipeline_run, model) a workspace's server created, less those it deleted."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="usage_counts")
    feature = models.CharField(max_length=40)
    total = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["feature"]
        constraints = [models.UniqueConstraint(fields=["workspace", "feature"], name="usage_count_unique")]

    def __str__(self):
        return f"{self.workspace}: {self.total} {self.feature}"


class UsageDay(models.Model):
    """How many of one kind of resource a workspace's server created on one day (deletions are not
    subtracted), so the organization home can show runs of the last week; rows older than
    `control_plane.services.usage.USAGE_DAYS_KEPT` are purged as new events arrive."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="usage_days")
    feature = models.CharField(max_length=40)
    day = models.DateField()
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "feature"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "feature", "day"], name="usage_day_unique")
        ]
        indexes = [models.Index(fields=["day"], name="usage_day_day")]

    def __str__(self):
        return f"{self.workspace}: {self.total} {self.feature} on {self.day}"
