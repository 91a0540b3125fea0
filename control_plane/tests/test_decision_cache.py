"""Role answers come from memory while access is unchanged, and never outlive a change: the next
question after any change that matters is answered afresh, in this process and in every other."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from control_plane.selectors import external_identity_for
from organizations import changes
from organizations.models import ChangeEpoch, Membership
from workspaces.models import WorkspaceRoleAssignment

pytestmark = pytest.mark.django_db

PROJECT = uuid.uuid4()
PIPELINES = f"{PROJECT}:pipeline"
STACK = f"stack/{uuid.uuid4()}"


@pytest.fixture
def ask(zenml, persona_world):
    """ask(persona, action) → the allowed resources, as the workspace's server asks, twice (so that the
    answer a test looks at after a change is the cached one if the cache were stale)."""
    token = zenml.server_token(persona_world.workspace)

    def check(persona, action, resources=(PIPELINES, STACK)):
        external_id = external_identity_for(persona_world.users[persona]).external_id
        for _ in range(2):
            response = zenml.check_permissions(token, external_id, action, list(resources))
        if response.status_code != 200:
            return response.status_code
        return {resource for resource, allowed in response.json().items() if allowed}

    check.token = token
    return check


def _another_process_committed(change):
    """Run `change` as if another process had made it: this process's own generation does not move,
    only the committed epoch does (as the writer's on-commit bump leaves it)."""
    generations = dict(changes._generations)
    change()
    changes._generations.update(generations)
    changes._access_bump()


def test_an_answer_is_kept_while_nothing_changes(ask, zenml, persona_world):
    developer = external_identity_for(persona_world.users["ws_developer"]).external_id
    assert ask("ws_developer", "create") == {PIPELINES, STACK}
    with CaptureQueriesContext(connection) as queries:
        zenml.check_permissions(ask.token, developer, "create", [PIPELINES])
    assert [q["sql"] for q in queries] == [f"SELECT key, value FROM {ChangeEpoch._meta.db_table}"]


def test_a_removed_member_gets_nothing_from_the_next_call(ask, persona_world):
    from governance.services import membership_remove

    assert ask("ws_developer", "read")
    membership = Membership.objects.get(user=persona_world.users["ws_developer"])
    membership_remove(membership=membership, acting_user=persona_world.users["owner"])
    assert ask("ws_developer", "read") == set()


def test_a_lower_role_and_a_deactivated_user_count_from_the_next_call(ask, persona_world):
    from workspaces.services import workspace_role_assign

    assert ask("ws_developer", "create") == {PIPELINES, STACK}
    workspace_role_assign(
        workspace=persona_world.workspace,
        user=persona_world.users["ws_developer"],
        role="viewer",
        acting_user=persona_world.users["owner"],
    )
    assert ask("ws_developer", "create") == set()
    assert ask("ws_viewer", "read")
    viewer = persona_world.users["ws_viewer"]
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    assert ask("ws_viewer", "read") == set()


def test_leaving_a_team_takes_its_role_away_at_the_next_call(ask, persona_world):
    from governance.services import team_member_remove
    from organizations.models import Team

    assert ask("team_developer", "create") == {PIPELINES, STACK}
    team = Team.objects.get(name="Developers")
    team_member_remove(
        team=team, user=persona_world.users["team_developer"], acting_user=persona_world.users["owner"]
    )
    assert ask("team_developer", "create") == set()


def test_a_deactivated_workspace_or_a_revoked_token_gets_nothing_more(ask, persona_world):
    from control_plane.models import AccessToken
    from workspaces.services import workspace_deactivate

    assert ask("ws_developer", "read")
    AccessToken.objects.filter(workspace=persona_world.workspace).update(revoked_at="2026-01-01T00:00:00Z")
    assert ask("ws_developer", "read") == 401
    AccessToken.objects.filter(workspace=persona_world.workspace).update(revoked_at=None)
    assert ask("ws_developer", "read")
    workspace_deactivate(workspace=persona_world.workspace, acting_user=persona_world.users["owner"])
    assert ask("ws_developer", "read") == 401


def test_a_change_committed_by_another_process_counts_from_the_next_call(ask, persona_world):
    """Web workers, the task worker and the supervisor each keep their own answers: a change
    committed by one reaches the others through the epoch."""
    from workspaces.permission_sync import sync_workspace_permissions

    assert ask("ws_developer", "create") == {PIPELINES, STACK}

    def role_taken_away():
        WorkspaceRoleAssignment.objects.filter(user=persona_world.users["ws_developer"]).delete()
        sync_workspace_permissions(persona_world.workspace)

    _another_process_committed(role_taken_away)
    assert ask("ws_developer", "create") == set()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_moves_the_epoch_once_after_it_commits(persona_world):
    from django.db import transaction

    from workspaces.services import workspace_role_remove

    before = changes.access_stamp()[0]
    developer, owner = persona_world.users["ws_developer"], persona_world.users["owner"]
    with transaction.atomic():
        workspace_role_remove(
            assignment=WorkspaceRoleAssignment.objects.get(user=developer), acting_user=owner
        )
        developer.is_active = False
        developer.save(update_fields=["is_active"])
        assert changes.access_stamp()[0] == before  # other processes see nothing before the commit
    assert changes.access_stamp()[0] == before + 1
