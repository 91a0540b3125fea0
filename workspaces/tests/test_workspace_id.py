"""The workspace ID rules of PRODUCT.md §3, enforced by the model and the database."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from workspaces import services
from workspaces.identifiers import suggest_workspace_id
from workspaces.models import Workspace, WorkspaceIdChangeError
from workspaces.selectors import IdCheck, workspace_id_check
from workspaces.services import workspaces as workspace_creation

pytestmark = pytest.mark.django_db


def test_ids_are_unique_case_insensitively_in_the_database(make_workspace, organization):
    make_workspace("churn-model")
    with pytest.raises(IntegrityError), transaction.atomic():
        Workspace.objects.create(organization=organization, slug="Churn-Model", display_name="x")


def test_database_refuses_a_malformed_id(organization):
    with pytest.raises(IntegrityError), transaction.atomic():
        Workspace.objects.create(organization=organization, slug="-bad--id-", display_name="x")


def test_the_id_never_changes(make_workspace):
    workspace = make_workspace("stable-id")
    workspace.slug = "other-id"
    with pytest.raises(WorkspaceIdChangeError):
        workspace.save()
    reloaded = Workspace.objects.get(pk=workspace.pk)
    with pytest.raises(WorkspaceIdChangeError):
        Workspace.objects.filter(pk=reloaded.pk).update(slug="other-id")
    assert Workspace.objects.get(pk=workspace.pk).slug == "stable-id"


def test_a_deleted_workspace_keeps_its_id_reserved(make_workspace):
    workspace = make_workspace("gone-soon")
    Workspace.objects.filter(pk=workspace.pk).delete()
    assert workspace_id_check("gone-soon").state == "taken"
    with pytest.raises(ValidationError, match="belonged to a workspace that was deleted"):
        make_workspace("gone-soon")


@pytest.mark.parametrize(
    "word", ["new", "settings", "api", "admin", "static", "docs", "login", "logout", "www"]
)
def test_reserved_words_are_refused(make_workspace, word):
    assert workspace_id_check(word).state == "reserved"
    with pytest.raises(ValidationError):
        make_workspace(word)


def test_suggestions_follow_the_rules():
    assert suggest_workspace_id("ML Platform (prod)") == "ml-platform-prod"
    assert suggest_workspace_id("  42 Ünïcode Team  ") == "unicode-team"
    assert len(suggest_workspace_id("x" * 80)) == 50


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creations_make_one_workspace_and_one_clear_error(organization, owner, monkeypatch):
    """Both requests pass the availability check before either commits; the database decides."""
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrent transactions need PostgreSQL (SQLite serializes writers).")
    monkeypatch.setattr(workspace_creation, "workspace_id_check", lambda slug: IdCheck("available", ""))
    first_inserted = threading.Event()
    outcomes = {}

    def create(name, hold):
        try:
            with transaction.atomic():
                services.workspace_create(
                    organization=organization, slug="race-id", display_name=name, acting_user=owner
                )
                if hold:
                    first_inserted.set()
                    time.sleep(0.5)  # keep the row uncommitted while the other insert waits on it
            outcomes[name] = "created"
        except ValidationError as error:
            outcomes[name] = " ".join(error.messages)
        finally:
            first_inserted.set()
            connection.close()

    first = threading.Thread(target=create, args=("first", True))
    first.start()
    first_inserted.wait(5)
    second = threading.Thread(target=create, args=("second", False))
    second.start()
    first.join(10)
    second.join(10)

    assert outcomes["first"] == "created"
    assert "already taken" in outcomes["second"]
    assert Workspace.objects.filter(slug="race-id").count() == 1


def test_the_stepper_shows_a_taken_id_from_a_late_race_as_a_message(owner_client, organization, monkeypatch):
    from django.urls import reverse

    url = reverse("workspaces:new", args=[organization.slug])
    owner_client.post(
        url + "?step=details", {"step": "details", "name": "Race", "slug": "late-race", "action": "next"}
    )

    def lose_the_race(**kwargs):
        raise ValidationError(
            {"slug": "“late-race” is already taken. IDs are unique across Atrium and never reused."}
        )

    monkeypatch.setattr(services, "workspace_create", lose_the_race)
    response = owner_client.post(url + "?step=review", {"step": "review", "action": "create"})
    assert response.status_code == 200
    assert "already taken" in response.content.decode() and 'value="Race"' in response.content.decode()


def test_the_site_admin_shows_the_id_read_only(client, make_user, make_workspace):
    workspace = make_workspace("admin-shown")
    operator = make_user("operator@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    page = client.get(f"/admin/workspaces/workspace/{workspace.pk}/change/").content.decode()
    assert "admin-shown" in page and 'name="slug"' not in page
