"""What the organization API keeps: the personal access tokens people create for it, and the
idempotency keys of the writes it was asked to make at most once."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PersonalAccessTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that still authenticate: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class PersonalAccessToken(models.Model):
    """A token a person creates on /accounts/tokens/ to call the organization API as themselves.

    Only the SHA-256 of the token is stored; the token is shown once, when it is created. `hint` (its
    prefix and first characters) lets people recognise it in lists and in leaked text. It acts with
    exactly its owner's permissions: the services decide, as for the owner's own pages.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_access_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField("last used from", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    # How the audit trail names the kind of credential that acted (organizations.audit).
    audit_actor_type = "token"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @property
    def status(self) -> str:
        """ "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class TokenPolicy(models.Model):
    """An organization's rule for the personal access tokens that act in it: tokens made to live
    longer than `max_lifetime_days` (from creation to expiry) are refused there, as GitHub refuses
    fine-grained tokens that outlive an organization's maximum. No row, or None: no maximum beyond the
    year every token is held to."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="token_policy"
    )
    max_lifetime_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Token policy of {self.organization}"


class IdempotencyKey(models.Model):
    """A write the API performed for an `Idempotency-Key` header, per credential.

    A retry with the same key and the same body gets the stored response again instead of a second
    write; the same key with another body is refused. Keys are kept for `IDEMPOTENCY_KEY_LIFETIME`.
    """

    credential = models.CharField(max_length=80)  # "token:<id>", "service_account:<id>", "session:<user id>"
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=60)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "key"], name="idempotency_key_unique_per_credential"
            )
        ]

    def __str__(self):
        return f"{self.operation} {self.key}"


class RequestCount(models.Model):
    """How many requests one credential made in one throttling window (`throttling.py`): in the
    database, so that every web process counts against the same budget. Rows of past windows are
    deleted by the hourly housekeeping."""

    key = models.CharField(max_length=200, primary_key=True)  # "<credential>:<window>"
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
