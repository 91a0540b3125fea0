"""When access last changed, so that caches of access decisions are never stale.

A ZenML server asks the control plane about 20 role questions per pipeline run (`control_plane/rbac.py`),
so those answers are cached per process; but "a removed member gets nothing from the next call on"
leaves no room for a time-based cache. Instead every write that can change an answer moves the *access
stamp* on: in the writing process at once, and in every other process when the writer's transaction
commits (the one `AccessEpoch` row). A cache entry is valid only under the stamp it was made with, and
a reader takes the stamp (one primary-key read) before it reads anything else, so an entry made from
data older than a change is never read after that change commits.

What moves the stamp: saves and deletes of the models in `ACCESS_MODELS` (signals), changes of team
membership, every change of guardian rows (`permission_sync`, the one writer of them, calls
`access_changed`) and bulk writes of those models through `AccessChangingQuerySet`. Not migrations:
processes restart when they run. A cache also drops entries after a while, as a net for a write path
this list misses.
"""

import threading

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

# Models whose rows decide who may do what: people and their memberships, roles and their guardian rows,
# workspaces (status, labels and the policies of their values), the control plane's credentials.
ACCESS_MODELS = (
    settings.AUTH_USER_MODEL,
    "organizations.Organization",
    "organizations.Membership",
    "organizations.OrganizationUserObjectPermission",
    "organizations.DimensionValue",
    "workspaces.Workspace",
    "workspaces.WorkspaceUserObjectPermission",
    "workspaces.WorkspaceLabel",
    "workspaces.WorkspaceRoleAssignment",
    "workspaces.WorkspaceCustomRole",
    "control_plane.ExternalIdentity",
    "control_plane.AccessToken",
    "control_plane.Device",
    "service_accounts.ServiceAccount",
    "service_accounts.ServiceAccountKey",
)

_local = {"generation": 0}
_lock = threading.Lock()


def access_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Something that can change an access decision was written: this process's caches stop answering
    now, every other process's once the transaction commits."""
    with _lock:
        _local["generation"] += 1
    connection = connections[using]
    if connection.in_atomic_block and any(func is _epoch_bump for _, func, _ in connection.run_on_commit):
        return  # one bump per transaction, however many rows it wrote
    transaction.on_commit(_epoch_bump, using=using)


def _epoch_bump() -> None:
    from .models import AccessEpoch

    if not AccessEpoch.objects.filter(pk=1).update(value=models.F("value") + 1):
        AccessEpoch.objects.get_or_create(pk=1, defaults={"value": 1})


def access_stamp() -> tuple[int, int]:
    """The current stamp: (the committed epoch, this process's own changes). One query."""
    from .models import AccessEpoch

    generation = _local["generation"]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {AccessEpoch._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return (row[0] if row else 0, generation)


class AccessChangingQuerySet(models.QuerySet):
    """For the models in ACCESS_MODELS: bulk writes send no signals, so they move the stamp here."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            access_changed(self.db)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            access_changed(self.db)
        return created

    def bulk_update(self, objs, *args, **kwargs):
        rows = super().bulk_update(objs, *args, **kwargs)
        if rows:
            access_changed(self.db)
        return rows


def _on_write(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    access_changed(using)


def _on_team_membership(sender, action, using=DEFAULT_DB_ALIAS, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        access_changed(using)


def connect() -> None:
    """Called once, when the apps are ready."""
    for label in ACCESS_MODELS:
        model = apps.get_model(label)
        post_save.connect(_on_write, sender=model, dispatch_uid=f"access_changed_save_{label}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"access_changed_delete_{label}")
    team_members = apps.get_model("organizations.Team").members.through
    m2m_changed.connect(_on_team_membership, sender=team_members, dispatch_uid="access_changed_team_members")
