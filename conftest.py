"""Shared test fixtures, the one place personas are defined: the named personas of STYLE.md (owner,
org_admin, manager, viewer, member, outsider) in one organization, small factories for users and
workspaces, and `persona_world`, every persona of the authorization matrices (pages and services)
with the objects they act on."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; live_server ORM access needs this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def password():
    return "correct-horse-battery-9"


@pytest.fixture
def make_user(db, password):
    from accounts.models import User

    counter = {"n": 0}

    def make(email=None, display_name=""):
        counter["n"] += 1
        return User.objects.create_user(
            email=email or f"user{counter['n']}@example.com", password=password, display_name=display_name
        )

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com", "Olivia Owner")


@pytest.fixture
def organization(owner):
    from organizations.services import organization_create

    return organization_create(name="Acme ML", acting_user=owner)


@pytest.fixture
def add_member(organization, owner, make_user):
    from organizations.services import membership_add

    def add(role, email=None):
        user = make_user(email)
        membership_add(organization=organization, user=user, role=role, acting_user=owner)
        return user

    return add


@pytest.fixture
def org_admin(add_member):
    return add_member("admin", "org-admin@example.com")


@pytest.fixture
def manager(add_member):
    return add_member("manager", "manager@example.com")


@pytest.fixture
def viewer(add_member):
    return add_member("viewer", "viewer@example.com")


@pytest.fixture
def member(add_member):
    return add_member("member", "member@example.com")


@pytest.fixture
def outsider(make_user):
    """A user of another organization."""
    from organizations.services import organization_create

    user = make_user("outsider@example.com")
    organization_create(name="Other Corp", acting_user=user)
    return user


@pytest.fixture
def make_workspace(organization, owner):
    from workspaces.services import workspace_create

    def make(slug, *, by=None, **kwargs):
        return workspace_create(
            organization=organization,
            slug=slug,
            display_name=kwargs.pop("display_name", slug.replace("-", " ").title()),
            acting_user=by or owner,
            **kwargs,
        )

    return make


@pytest.fixture
def run_tasks():
    """Run every queued background task to the end, as `manage.py db_worker --batch` does (invitation
    e-mails, provisioning). The worker closes the database connection, so a test that uses this needs
    `@pytest.mark.django_db(transaction=True)`."""
    from django.core.management import call_command

    def run():
        call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)

    return run


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# Everyone the authorization matrices try, from no access to full access. "team_developer" holds
# Developer on the workspace only through a team.
PERSONAS = [
    "anonymous",
    "outsider",
    "org_member",
    "org_viewer",
    "org_manager",
    "ws_viewer",
    "ws_contributor",
    "ws_developer",
    "team_developer",
    "ws_admin",
    "org_admin",
    "owner",
]
_WORKSPACE_PERSONA_ROLES = {
    "ws_viewer": "viewer",
    "ws_contributor": "contributor",
    "ws_developer": "developer",
    "ws_admin": "admin",
}


@pytest.fixture
def persona_world(
    make_user, organization, owner, org_admin, manager, viewer, member, outsider, make_workspace
):
    """Every persona in `PERSONAS` (a user each; None for anonymous) around the workspace "matrix-ws",
    plus what the matrices act on: a plain member `target` with Viewer on the workspace, a team
    without roles, a pending invitation, a custom role, and the "environment" dimension with its
    "staging" value, which the workspace holds. Built through the services."""
    from types import SimpleNamespace

    from governance.services import invitation_create, team_member_add
    from organizations.models import DimensionValue
    from organizations.services import team_create
    from workspaces.services import custom_role_create, workspace_role_assign

    add = lambda role, email: _member(organization, owner, make_user(email), role)  # noqa: E731
    users = {
        "anonymous": None,
        "outsider": outsider,
        "org_member": member,
        "org_viewer": viewer,
        "org_manager": manager,
        "org_admin": org_admin,
        "owner": owner,
    }
    for persona in [*_WORKSPACE_PERSONA_ROLES, "team_developer"]:
        users[persona] = add("member", f"{persona.replace('_', '-')}@example.com")
    staging = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )
    workspace = make_workspace("matrix-ws", label_values=[staging])
    for persona, role in _WORKSPACE_PERSONA_ROLES.items():
        workspace_role_assign(workspace=workspace, user=users[persona], role=role, acting_user=owner)
    developers = team_create(organization=organization, name="Developers", acting_user=owner)
    team_member_add(team=developers, user=users["team_developer"], acting_user=owner)
    workspace_role_assign(workspace=workspace, team=developers, role="developer", acting_user=owner)
    users = {persona: users[persona] for persona in PERSONAS}  # in order, from least to most access
    target = add("member", "target@example.com")
    target_assignment = workspace_role_assign(
        workspace=workspace, user=target, role="viewer", acting_user=owner
    )
    return SimpleNamespace(
        users=users,
        organization=organization,
        workspace=workspace,
        target=target,
        target_membership=target.memberships.get(organization=organization),
        target_assignment=target_assignment,
        team=team_create(organization=organization, name="Matrix Team", acting_user=owner),
        invitation=invitation_create(
            organization=organization, email="invitee@example.com", role="member", acting_user=owner
        ),
        custom_role=custom_role_create(
            organization=organization, name="Matrix Role", base_role="viewer", acting_user=owner
        ),
        dimension=staging.dimension,
        dimension_value=staging,
    )


def _member(organization, owner, user, role):
    from organizations.services import membership_add

    membership_add(organization=organization, user=user, role=role, acting_user=owner)
    return user
