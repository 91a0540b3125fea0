"""What SCIM provisioning keeps: the organizations' SCIM tokens. Who was provisioned is kept on the
membership itself (`Membership.provisioned_by_scim`, `scim_external_id`, `deactivated_at`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScimTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class ScimToken(models.Model):
    """The bearer token an identity provider (Okta, Entra ID, …) provisions one organization with.

    Only its SHA-256 is stored; the token is shown once, when it is created. It acts on behalf of the
    Owner or Admin who created it, with their permissions: the services decide, as on the pages, and
    the audit trail names the token beside them. It lives until it is revoked.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="scim_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField("last used from", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScimTokenQuerySet.as_manager()

    # How the audit trail names the kind of credential that acted (organizations.audit).
    audit_actor_type = "scim_token"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "SCIM token"

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @property
    def user_id(self):
        """The user the token acts for (its creator), as the audit trail asks of credentials."""
        return self.created_by_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
