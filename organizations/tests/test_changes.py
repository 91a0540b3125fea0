"""The change stamps: every write moves them, heartbeats and last uses do not."""

import pytest
from django.db import connection, connections
from django.utils import timezone

from organizations import changes

pytestmark = pytest.mark.django_db


def _moved(write) -> set[str]:
    before = dict(changes._generations)
    write()
    return {kind for kind in before if changes._generations[kind] != before[kind]}


def test_saves_updates_bulk_writes_and_raw_sql_move_the_stamps(organization, owner):
    from organizations.models import Invitation, Membership, Team

    assert _moved(lambda: Team.objects.create(organization=organization, name="Ops")) == {"access", "data"}
    assert _moved(lambda: Membership.objects.filter(user=owner).update(role="owner")) == {"access", "data"}
    assert _moved(lambda: Invitation.objects.filter(organization=organization).update(role="viewer")) == {
        "data"
    }

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE organizations_organization SET description = 'raw' WHERE slug = %s",
                [organization.slug],
            )

    assert _moved(raw) == {"access", "data"}


def test_heartbeats_and_last_uses_move_nothing_but_a_state_change_does(make_workspace, owner):
    from workspaces.models import WorkspaceServer
    from workspaces.services.servers import workspace_server_ensure

    server = workspace_server_ensure(make_workspace("ml-core"))
    rows = WorkspaceServer.objects.filter(pk=server.pk)
    assert _moved(lambda: rows.update(last_health_at=timezone.now(), crashes=0)) == set()
    assert _moved(lambda: type(owner).objects.filter(pk=owner.pk).update(last_login=timezone.now())) == set()
    assert _moved(lambda: rows.update(state="stopped")) == {"data"}
    assert _moved(lambda: rows.update(last_health_at=timezone.now(), last_error="boom")) == {"data"}


def test_the_watch_survives_a_connection_opened_inside_an_execute_wrapper_block():
    """Django's `execute_wrapper()` removes the last wrapper when its block ends: the watch is first."""
    other = connections.create_connection("default")
    try:
        with other.execute_wrapper(
            lambda execute, sql, params, many, context: execute(sql, params, many, context)
        ):
            other.ensure_connection()
        assert changes._watch in other.execute_wrappers
    finally:
        other.close()
