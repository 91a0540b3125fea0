"""Workspace search: which workspaces a query names, answered from an index on either database.

A query matches a workspace whose name, ID or description contains it, or which carries a label whose
value's name contains it, case-insensitively (Django's `icontains`). From three characters on, an index
finds the candidates and the same `icontains` conditions then decide, so both databases answer exactly
what a scan would:

- PostgreSQL: GIN trigram indexes (pg_trgm) on UPPER(name), UPPER(ID) and UPPER(description), the
  very expressions `icontains` compares there, so the planner ORs three bitmap index scans.
- SQLite: the FTS5 table `workspaces_workspace_search` (trigram tokenizer, kept in step by triggers;
  migration 0008), whose MATCH of the query as a phrase is a superset of `icontains`.

The candidates come as `pk IN (index matches UNION labelled)`, so PostgreSQL joins from them by
primary key. SQLite's planner, without statistics, still walks the organization's index newest first
and looks each row up in that (materialized) set, stopping at a page's worth; a query that matches
little walks the whole organization there. SQLite is the development database; PostgreSQL serves.

Label values are found among the organization's own values (a few hundred at most, whatever the number
of workspaces) and lead to their workspaces through the indexed `WorkspaceLabel.value` key.

Trigrams need three characters, so a one- or two-character query matches the start of the ID or of the
name instead: that is what someone typing "ml" means, and a two-letter substring would match most
workspaces anyway. PostgreSQL answers a prefix from the same trigram indexes (pg_trgm anchors a prefix
to the start of the string); SQLite reads the organization's rows through its organization index.
"""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from organizations.models import DimensionValue, Organization

from .models import Workspace, WorkspaceLabel

MIN_INDEXED_LENGTH = 3
SQLITE_SEARCH_TABLE = "workspaces_workspace_search"


def workspace_search_q(*, organization: Organization, search: str) -> Q:
    """The condition, on `Workspace`, of the workspaces of `organization` that `search` names."""
    search = search.strip()
    if not search:
        return Q()
    if len(search) < MIN_INDEXED_LENGTH:
        return Q(slug__istartswith=search) | Q(display_name__istartswith=search)
    text = (
        Q(display_name__icontains=search)
        | Q(slug__icontains=search.lower())
        | Q(description__icontains=search)
    )
    candidates = Workspace.objects.all()  # the list around it keeps to the organization
    if connection.vendor == "sqlite":
        phrase = '"' + search.replace('"', '""') + '"'
        candidates = candidates.filter(
            pk__in=RawSQL(
                f"SELECT workspace_id FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s",
                [phrase],
            )
        )
    # The values named, as a list: a subquery here leads SQLite's planner to scan every label.
    values = list(
        DimensionValue.objects.filter(
            dimension__organization=organization, label__icontains=search
        ).values_list("pk", flat=True)
    )
    labelled = WorkspaceLabel.objects.filter(value__in=values).values("workspace_id")
    return Q(pk__in=candidates.filter(text).values("pk").union(labelled))
