"""The live workspace counts (`LiveWorkspaceCount`, `LabelPairCount`) the organization home reads:
after every kind of write — create, bulk create, relabel, delete, restore, purge, a value or dimension
removed, raw SQL — they equal a recount of the rows."""

from datetime import timedelta
from itertools import combinations

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from governance.services import dimension_delete, dimension_value_delete
from organizations.models import DimensionValue
from organizations.services import dimension_value_create
from workspaces.models import LabelPairCount, LiveWorkspaceCount, Workspace, WorkspaceLabel, WorkspaceStatus
from workspaces.services import (
    WorkspaceSpec,
    workspace_create_bulk,
    workspace_delete,
    workspace_labels_update,
    workspace_restore,
)
from workspaces.services.deletion import workspace_purge_expired

pytestmark = pytest.mark.django_db
LIVE_STATUSES = [status for status in WorkspaceStatus.values if status != WorkspaceStatus.DELETED]


def value(organization, dimension_key, key):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension_key, value=key
    )


def kept(organization) -> dict:
    """The counts as kept: {None: live workspaces, value pk: live workspaces holding it}; and (a test of
    its own, so every step checks it) the pair counts equal a recount."""
    pairs = {
        (low, high): n
        for low, high, n in LabelPairCount.objects.filter(organization=organization).values_list(
            "low_id", "high_id", "count"
        )
        if n
    }
    assert pairs == recounted_pairs(organization)
    return dict(LiveWorkspaceCount.objects.filter(organization=organization).values_list("value_id", "count"))


def recounted_pairs(organization) -> dict:
    held = {}
    for workspace_id, value_id in WorkspaceLabel.objects.filter(
        workspace__organization=organization, workspace__status__in=LIVE_STATUSES
    ).values_list("workspace_id", "value_id"):
        held.setdefault(workspace_id, []).append(value_id)
    pairs = {}
    for values in held.values():
        for low, high in combinations(sorted(values), 2):
            pairs[(low, high)] = pairs.get((low, high), 0) + 1
    return pairs


def recounted(organization) -> dict:
    live = Q(workspace_labels__workspace__status__in=LIVE_STATUSES)
    counts = dict(
        DimensionValue.objects.filter(dimension__organization=organization)
        .annotate(n=Count("workspace_labels", filter=live))
        .values_list("pk", "n")
    )
    counts[None] = Workspace.objects.live().filter(organization=organization).count()
    return counts


def test_counts_follow_every_write(organization, owner, make_workspace, outsider):
    assert kept(organization) == recounted(organization)
    assert kept(organization)[None] == 0
    production, staging = (
        value(organization, "environment", "production"),
        value(organization, "environment", "staging"),
    )

    fraud = make_workspace("fraud-prod", label_values=[production, value(organization, "project", "default")])
    make_workspace("churn-staging", label_values=[staging])
    make_workspace("unlabelled")
    assert kept(organization)[None] == 3 and kept(organization)[production.pk] == 1
    assert kept(organization) == recounted(organization)

    workspace_labels_update(workspace=fraud, label_values=[staging], acting_user=owner)
    assert kept(organization)[production.pk] == 0 and kept(organization)[staging.pk] == 2
    assert kept(organization) == recounted(organization)

    workspace_delete(workspace=fraud, acting_user=owner, typed_id="fraud-prod")
    assert kept(organization)[None] == 2 and kept(organization)[staging.pk] == 1
    assert kept(organization) == recounted(organization)
    workspace_restore(workspace=Workspace.objects.get(pk=fraud.pk), acting_user=owner)
    assert kept(organization)[None] == 3 and kept(organization)[staging.pk] == 2

    # Purged for good while deleted (counted once, when it was deleted), and while live (raw SQL).
    workspace_delete(workspace=Workspace.objects.get(pk=fraud.pk), acting_user=owner, typed_id="fraud-prod")
    Workspace.objects.filter(pk=fraud.pk).update(deleted_at=timezone.now() - timedelta(days=400))
    assert workspace_purge_expired() == ["fraud-prod"]
    assert kept(organization) == recounted(organization)
    churn = Workspace.objects.get(slug="churn-staging")
    churn.delete()
    assert kept(organization)[None] == 1 and kept(organization)[staging.pk] == 0
    assert kept(organization) == recounted(organization)

    # The other organization's counts are its own.
    assert LiveWorkspaceCount.objects.exclude(organization=organization).filter(count__gt=0).count() == 0


def test_counts_follow_bulk_creation_and_removed_values(organization, owner):
    production, staging = (
        value(organization, "environment", "production"),
        value(organization, "environment", "staging"),
    )
    confidential = value(organization, "data-sensitivity", "confidential")
    specs = [
        WorkspaceSpec(
            slug=f"bulk-{n:03d}",
            display_name=f"Bulk {n}",
            label_values=(production if n % 2 else staging, confidential),
        )
        for n in range(40)
    ]
    workspace_create_bulk(organization=organization, specs=specs, acting_user=owner)
    assert kept(organization)[None] == 40 and kept(organization)[production.pk] == 20
    assert kept(organization) == recounted(organization)

    dimension_value_delete(value=production, replacement=staging, acting_user=owner)
    assert kept(organization)[staging.pk] == 40 and production.pk not in kept(organization)
    assert kept(organization) == recounted(organization)

    added = dimension_value_create(dimension=staging.dimension, label="Canary", acting_user=owner)
    assert kept(organization)[added.pk] == 0

    dimension_delete(dimension=confidential.dimension, acting_user=owner)
    assert kept(organization) == recounted(organization)


def test_counts_follow_raw_sql_too(organization, make_workspace):
    """Triggers, not services, keep them: a write that skips Django is counted as well."""
    production = value(organization, "environment", "production")
    workspace = make_workspace("raw-sql")
    workspace_id = Workspace._meta.pk.get_db_prep_value(workspace.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workspaces_workspacelabel (workspace_id, dimension_id, value_id) VALUES (%s, %s, %s)",
            [workspace_id, production.dimension_id, production.pk],
        )
        cursor.execute("UPDATE workspaces_workspace SET status = %s WHERE id = %s", ["deleted", workspace_id])
    assert kept(organization) == recounted(organization)
    assert kept(organization)[None] == 0
    WorkspaceLabel.objects.filter(workspace=workspace).delete()
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.AVAILABLE)
    assert kept(organization)[None] == 1 and kept(organization)[production.pk] == 0
