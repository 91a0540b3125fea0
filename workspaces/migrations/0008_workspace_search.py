"""Workspace search that does not scan (workspaces.search).

PostgreSQL: pg_trgm and a GIN trigram index on UPPER(name), UPPER(ID) and UPPER(description), the
expressions Django's `icontains` compares. SQLite: an FTS5 table with the trigram tokenizer (SQLite
3.34 or later), filled from the existing workspaces and kept in step by triggers, so every write path
(services, admin, bulk seeding) keeps it current without remembering to. Each database skips the
other's part.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper

SEARCH_TABLE = "workspaces_workspace_search"

# The FTS row of a workspace is found through its ID's trigrams (IDs have at least three characters
# and never contain a quote), not by scanning the table's unindexed `workspace_id` column.
FTS_ROW_OF_OLD = f"""rowid IN (SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE}
    MATCH '{{slug}} : "' || OLD.slug || '"') AND workspace_id = OLD.id"""

SQLITE_FORWARDS = [
    f"""CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(
        workspace_id UNINDEXED, display_name, slug, description, tokenize='trigram')""",
    f"""INSERT INTO {SEARCH_TABLE} (workspace_id, display_name, slug, description)
        SELECT id, display_name, slug, description FROM workspaces_workspace""",
    f"""CREATE TRIGGER {SEARCH_TABLE}_insert AFTER INSERT ON workspaces_workspace BEGIN
        INSERT INTO {SEARCH_TABLE} (workspace_id, display_name, slug, description)
        VALUES (NEW.id, NEW.display_name, NEW.slug, NEW.description);
    END""",
    f"""CREATE TRIGGER {SEARCH_TABLE}_update AFTER UPDATE OF display_name, slug, description
        ON workspaces_workspace BEGIN
        UPDATE {SEARCH_TABLE} SET display_name = NEW.display_name, slug = NEW.slug,
            description = NEW.description WHERE {FTS_ROW_OF_OLD};
    END""",
    f"""CREATE TRIGGER {SEARCH_TABLE}_delete AFTER DELETE ON workspaces_workspace BEGIN
        DELETE FROM {SEARCH_TABLE} WHERE {FTS_ROW_OF_OLD};
    END""",
]
SQLITE_BACKWARDS = [
    f"DROP TRIGGER IF EXISTS {SEARCH_TABLE}_{event}" for event in ("insert", "update", "delete")
] + [f"DROP TABLE IF EXISTS {SEARCH_TABLE}"]


def sqlite_search_table(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARDS:
            schema_editor.execute(statement)


def drop_sqlite_search_table(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARDS:
            schema_editor.execute(statement)


class AddPostgreSQLIndex(migrations.AddIndex):
    """AddIndex whose index exists on PostgreSQL only (the state has it everywhere, so the model's
    Meta stays the one truth)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0007_access_reviews_and_role_expiry"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        *(
            AddPostgreSQLIndex(
                model_name="workspace",
                index=GinIndex(
                    OpClass(Upper(column), name="gin_trgm_ops"), name=f"workspace_{column}_trgm", fastupdate=False
                ),
            )
            for column in ("display_name", "slug", "description")
        ),
        migrations.RunPython(sqlite_search_table, drop_sqlite_search_table, elidable=False),
    ]
