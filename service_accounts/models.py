"""Service accounts: identities of an organization that are not people (CI jobs, scripts, robots).

Each service account is backed by its own `User` row (`is_service_account`, an unusable password,
an address under `.invalid`), so it holds an organization role, workspace role assignments and team
places exactly like a person, and `Access`, guardian's permissions and the audit trail need nothing
new. It can never sign in to the browser: it authenticates only with its API keys.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class ServiceAccount(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="service_accounts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="service_account_name_unique_in_organization"
            )
        ]

    def __str__(self):
        return self.name


class ServiceAccountKeyQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Keys that still authenticate: not revoked, and not past the end of a rotation's grace."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ServiceAccountKey(models.Model):
    """An API key of a service account (`ZENPROKEY_…`), shown once and stored as its SHA-256.

    A key lives until it is revoked or rotated: rotating makes a successor and gives this key an
    `expires_at`, the end of its grace period, after which it stops working.
    """

    service_account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Set when the key is rotated out.")
    rotated_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_from"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField("last used from", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ServiceAccountKeyQuerySet.as_manager()

    # How the audit trail names the kind of credential that acted (organizations.audit).
    audit_actor_type = "service_account"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.service_account.name}: {self.name} ({self.hint}…)"

    @property
    def user_id(self):
        """The user the key acts as (its service account's), as the audit trail asks of credentials."""
        return self.service_account.user_id

    @property
    def status(self) -> str:
        """ "active", "rotating" (rotated out, still in its grace period), "expired" or "revoked"."""
        now = timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None:
            return "active"
        return "rotating" if self.expires_at > now else "expired"
