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
# Writes that change nothing a page shows or that are the framework's bookkeeping.
UNWATCHED_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accessattemptexpiration",
        "axes_accessfailurelog",
        "axes_accesslog",
        "django_tasks_database_dbtaskresult",
        "organization_api_idempotencykey",
        "organization_api_requestcount",
    }
)
# Updates of only these columns are heartbeats and last uses, shown (if at all) as "when": they move no
# stamp, so a server's health checks and each API call do not empty the caches. A page showing them
# may be up to `page_cache.ENTRY_SECONDS` old.
UNWATCHED_COLUMNS = {
    "workspaces.WorkspaceServer": {"last_health_at", "last_used_at", "crashes"},
    "organization_api.PersonalAccessToken": {"last_used_at", "last_used_ip"},
    "service_accounts.ServiceAccountKey": {"last_used_at", "last_used_ip"},
    "scim.ScimToken": {"last_used_at", "last_used_ip"},
    settings.AUTH_USER_MODEL: {"last_login"},
}
# Every statement Django writes data with starts so (its own SQL, on every backend it supports). Raw SQL
# must too, through Django's cursor: a write this does not match moves no stamp.
_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[\"`]?(\w+)", re.I
)
_SET_COLUMNS = re.compile(r"[\"`](\w+)[\"`]\s*=")

_generations = {ACCESS: 0, DATA: 0}
_lock = threading.Lock()
_tables: dict[str, object] = {}


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


def _heartbeat_columns() -> dict[str, frozenset[str]]:
    if "heartbeats" not in _tables:
        _tables["heartbeats"] = {
            apps.get_model(label)._meta.db_table: frozenset(columns)
            for label, columns in UNWATCHED_COLUMNS.items()
        }
    return _tables["heartbeats"]


def _is_heartbeat(table: str, sql: str) -> bool:
    """An UPDATE of `table` that sets only columns of UNWATCHED_COLUMNS?"""
    columns = _heartbeat_columns().get(table)
    if not columns or sql.lstrip()[:6].upper() != "UPDATE":
        return False
    set_clause = re.split(r"\sWHERE\s", sql.split(" SET ", 1)[-1], maxsplit=1, flags=re.I)[0]
    return set(_SET_COLUMNS.findall(set_clause)) <= columns


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
        # Robust: the data is committed whatever happens to the bump; a failed one is logged, and this
        # process's own count has moved already. Other processes then drop their entries by age.
        transaction.on_commit(bump, using=using, robust=True)


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
        if match and not _is_heartbeat(match.group(1), sql):
            written(match.group(1), context["connection"].alias)
    return result


def _watch_connection(connection) -> None:
    # First in line: `connection.execute_wrapper()` blocks remove the last wrapper when they end.
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)


def connect() -> None:
    """Called once, when the apps are ready: every connection, open or future, is watched."""
    connection_created.connect(
        lambda sender, connection, **kwargs: _watch_connection(connection),
        weak=False,
        dispatch_uid="organizations_changes_watch",
    )
    for connection in connections.all(initialized_only=True):
        _watch_connection(connection)
