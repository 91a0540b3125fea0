"""What changed, and since when: the stamps that keep caches exact.

Two caches answer from memory instead of reading the database: the role answers given to workspace
servers (`control_plane/decision_cache.py`, about 20 questions per pipeline run) and rendered pages
(`config/page_cache.py`). Neither may answer from before a change ("a removed member gets nothing from
the next call on"), so neither trusts time. Each keys its entries by a *stamp* instead:

- the **access stamp** moves on every write to a table that decides who may do what (`ACCESS_MODELS`,
  their guardian rows, team memberships);
- the **data stamp** moves on every write to any table but the few in `UNWATCHED_TABLES` (sessions,
  login attempts, the task queue, the servers' heartbeats, the stamps themselves).

A stamp is (the committed epoch, this process's own writes). Every INSERT, UPDATE and DELETE Django
sends passes `_watch` (an execute wrapper on every connection, so saves, bulk writes, `update()` and
raw SQL alike): the process's own count moves at once, and the epoch row (`ChangeEpoch`) once the
writer's transaction commits, which every other process reads. A reader takes the stamp (one query)
before it reads anything else, so an entry made from data older than a committed change is never
read after it.
"""

import re
import threading

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.signals import connection_created

ACCESS = "access"
DATA = "data"

# Models whose rows decide who may do what: people and their memberships, roles and their guardian rows,
# workspaces (status, labels and the policies of their values), the control plane's credentials.
ACCESS_MODELS = (
    settings.AUTH_USER_MODEL,
    "organizations.Organization",
    "organizations.Membership",
    "organizations.Team",
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
# Writes that change nothing a page shows or shows only as "when" (heartbeats, last use), and
# bookkeeping of the framework; a page showing them may be up to `page_cache.ENTRY_SECONDS` old.
UNWATCHED_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "django_tasks_database_dbtaskresult",
        "organization_api_idempotencykey",
        "workspaces_workspaceserver",
    }
)
_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[\"`]?(\w+)", re.I
)

_generations = {ACCESS: 0, DATA: 0}
_lock = threading.Lock()
_tables: dict[str, frozenset[str]] = {}


def _access_tables() -> frozenset[str]:
    if "access" not in _tables:
        names = set()
        for label in ACCESS_MODELS:
            model = apps.get_model(label)
            names.add(model._meta.db_table)
            names.update(
                field.remote_field.through._meta.db_table for field in model._meta.local_many_to_many
            )
        _tables["access"] = frozenset(names)
    return _tables["access"]


def _epoch_table() -> str:
    return apps.get_model("organizations", "ChangeEpoch")._meta.db_table


def written(table: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """A write to `table`: move the stamps it concerns (this process's at once, the epochs on commit)."""
    if table == _epoch_table():
        return
    kinds = [
        kind
        for kind, concerned in ((ACCESS, table in _access_tables()), (DATA, table not in UNWATCHED_TABLES))
        if concerned
    ]
    if not kinds:
        return
    with _lock:
        for kind in kinds:
            _generations[kind] += 1
    connection = connections[using]
    for kind in kinds:
        bump = _BUMPS[kind]
        if connection.in_atomic_block and any(func is bump for _, func, _ in connection.run_on_commit):
            continue  # one bump per transaction, however many rows it wrote
        transaction.on_commit(bump, using=using)


def _epoch_bump(key: str) -> None:
    # One statement, no transaction of its own: in autocommit this runs inside `_watch`, while the
    # write that caused it may still have a cursor open. The migration made the rows.
    ChangeEpoch = apps.get_model("organizations", "ChangeEpoch")
    try:
        ChangeEpoch.objects.filter(key=key).update(value=models.F("value") + 1)
    except DatabaseError:
        if _epoch_table() in connections[DEFAULT_DB_ALIAS].introspection.table_names():
            raise
        # A database being migrated, before the migration that makes the epochs: nothing caches yet.


def _access_bump() -> None:
    _epoch_bump(ACCESS)


def _data_bump() -> None:
    _epoch_bump(DATA)


_BUMPS = {ACCESS: _access_bump, DATA: _data_bump}


def stamps() -> dict[str, tuple[int, int]]:
    """{"access": stamp, "data": stamp}, a stamp being (committed epoch, this process's writes). One
    query."""
    generations = dict(_generations)  # taken before the epochs: a write meanwhile moves the stamp on
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT key, value FROM {_epoch_table()}")
        epochs = dict(cursor.fetchall())
    if len(epochs) < len(_BUMPS):  # a flushed database: the rows come back, the count starts again
        ChangeEpoch = apps.get_model("organizations", "ChangeEpoch")
        ChangeEpoch.objects.bulk_create([ChangeEpoch(key=key) for key in _BUMPS], ignore_conflicts=True)
    return {kind: (epochs.get(kind, 0), generations[kind]) for kind in (ACCESS, DATA)}


def access_stamp() -> tuple[int, int]:
    return stamps()[ACCESS]


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql[:1] in "IUDRiudr " or sql[:1] == "\n":
        match = _WRITE.match(sql)
        if match:
            written(match.group(1), context["connection"].alias)
    return result


def _watch_connection(connection) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def connect() -> None:
    """Called once, when the apps are ready: every connection, open or future, is watched."""
    connection_created.connect(
        lambda sender, connection, **kwargs: _watch_connection(connection),
        weak=False,
        dispatch_uid="organizations_changes_watch",
    )
    for connection in connections.all(initialized_only=True):
        _watch_connection(connection)
