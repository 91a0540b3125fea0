"""Shared test fixtures: the named personas of STYLE.md (owner, org_admin, manager, viewer, member,
outsider) in one organization, and small factories for users and workspaces."""

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
