"""`workspace_create_bulk`: many available workspaces at once, with the rows and the one audit event an
operator would look for, and the refusals of `workspace_create`."""

import pytest
from django.urls import reverse

from organizations.access import Access
from organizations.errors import ConflictError, InvalidError, NotFoundError, PermissionDeniedError
from organizations.models import AuditEvent, DimensionValue
from workspaces.models import (
    RetiredWorkspaceId,
    Workspace,
    WorkspaceLabel,
    WorkspaceRoleAssignment,
    WorkspaceServerSecret,
    WorkspaceStatus,
)
from workspaces.permission_sync import sync_workspace_permissions_bulk
from workspaces.selectors import workspace_list_for_user
from workspaces.services import WorkspaceSpec, workspace_create_bulk
from workspaces.services import workspaces as workspace_services

pytestmark = pytest.mark.django_db


def label(organization, key, value):
    return DimensionValue.objects.get(dimension__organization=organization, dimension__key=key, value=value)


def specs(organization, count, prefix="bulk"):
    production = label(organization, "environment", "production")
    return [
        WorkspaceSpec(
            slug=f"{prefix}-{n:03d}",
            display_name=f"Bulk {n}",
            description="Made in bulk",
            label_values=(production,),
        )
        for n in range(1, count + 1)
    ]


def test_the_workspaces_are_available_labelled_and_administered_by_their_creator(
    organization, manager, client, monkeypatch, settings
):
    monkeypatch.setattr(workspace_services, "BULK_BATCH_SIZE", 2)  # five workspaces: three batches
    created = workspace_create_bulk(
        organization=organization, specs=specs(organization, 5), acting_user=manager
    )

    assert created == 5
    workspaces = Workspace.objects.filter(organization=organization).order_by("slug")
    assert [w.slug for w in workspaces] == [f"bulk-{n:03d}" for n in range(1, 6)]
    for workspace in workspaces:
        assert workspace.status == WorkspaceStatus.AVAILABLE
        assert workspace.status_reason == "The workspace is ready"
        assert workspace.server_url == f"{settings.ATRIUM_BASE_URL}/w/{workspace.slug}/api/v1"
        assert workspace.server_version == "embedded-1"
        assert workspace.created_by == manager
    assert WorkspaceServerSecret.objects.filter(workspace__in=workspaces).count() == 5
    assert set(
        WorkspaceLabel.objects.filter(workspace__in=workspaces).values_list("workspace__slug", "value__value")
    ) == {(f"bulk-{n:03d}", "production") for n in range(1, 6)}
    assert set(
        WorkspaceRoleAssignment.objects.filter(workspace__in=workspaces).values_list("user", "role")
    ) == {(manager.pk, "admin")}
    assert sync_workspace_permissions_bulk(workspaces) == 0  # the guardian rows are already right

    # The Manager opens them through their Admin role (a Manager has no organization-wide rights).
    access = Access.for_user(manager, organization)
    assert {w.slug for w in workspace_list_for_user(organization=organization, access=access)} >= {
        "bulk-001",
        "bulk-005",
    }
    assert access.can("workspaces.manage_workspace_lifecycle", workspaces[4])
    client.force_login(manager)
    overview = client.get(reverse("workspaces:overview", args=["bulk-005"])).content.decode()
    assert "The workspace is ready" in overview

    event = AuditEvent.objects.get(organization=organization, action="workspace.bulk_create")
    assert (event.actor, event.target_type, event.target_id) == (
        manager,
        "organization",
        str(organization.pk),
    )
    assert event.after == {"count": 5, "first": "bulk-001", "last": "bulk-005", "status": "available"}
    assert not AuditEvent.objects.filter(
        action__in=["workspace.create", "workspace.available"], organization=organization
    ).exists()


def test_ids_are_trimmed_and_lowercased_and_an_empty_list_creates_nothing(organization, owner):
    spec = WorkspaceSpec(slug="  Mixed-Case  ", display_name="  Mixed  ")
    assert workspace_create_bulk(organization=organization, specs=[spec], acting_user=owner) == 1
    assert Workspace.objects.filter(slug="mixed-case", display_name="Mixed").exists()

    assert workspace_create_bulk(organization=organization, specs=[], acting_user=owner) == 0
    assert AuditEvent.objects.filter(action="workspace.bulk_create").count() == 1


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (WorkspaceSpec("9lives", "Nine"), InvalidError, "“9lives”: Start with a letter."),
        (WorkspaceSpec("admin", "Admin"), InvalidError, "“admin” is a reserved word"),
        (WorkspaceSpec("bulk-001", "Again"), InvalidError, "“bulk-001” is given twice"),
        (WorkspaceSpec("taken-id", "Taken"), ConflictError, "Already taken: “taken-id”"),
        (WorkspaceSpec("retired-id", "Retired"), ConflictError, "Already taken: “retired-id”"),
        (WorkspaceSpec("long-name", "x" * 101), InvalidError, "at most 100 characters"),
    ],
)
def test_a_bad_spec_refuses_the_whole_batch(organization, owner, make_workspace, bad, error, message):
    make_workspace("taken-id")
    RetiredWorkspaceId.objects.create(slug="retired-id")
    before = Workspace.objects.count()

    with pytest.raises(error, match=message):
        workspace_create_bulk(
            organization=organization, specs=[*specs(organization, 2), bad], acting_user=owner
        )
    assert Workspace.objects.count() == before
    assert not AuditEvent.objects.filter(action="workspace.bulk_create").exists()


def test_a_label_of_another_organization_is_not_found(organization, owner, outsider):
    foreign = DimensionValue.objects.filter(dimension__organization__slug="other-corp").first()
    with pytest.raises(NotFoundError):
        workspace_create_bulk(
            organization=organization,
            specs=[WorkspaceSpec("foreign-label", "Foreign", label_values=(foreign,))],
            acting_user=owner,
        )
    assert not Workspace.objects.filter(slug="foreign-label").exists()


def test_two_values_of_one_dimension_are_refused(organization, owner):
    both = (label(organization, "environment", "production"), label(organization, "environment", "staging"))
    with pytest.raises(InvalidError, match="two labels of one dimension"):
        workspace_create_bulk(
            organization=organization,
            specs=[WorkspaceSpec("twice", "Twice", label_values=both)],
            acting_user=owner,
        )


@pytest.mark.parametrize(
    ("persona", "error"), [("viewer", PermissionDeniedError), ("outsider", NotFoundError)]
)
def test_only_people_who_may_create_workspaces_create_them_in_bulk(request, organization, persona, error):
    with pytest.raises(error):
        workspace_create_bulk(
            organization=organization,
            specs=specs(organization, 1),
            acting_user=request.getfixturevalue(persona),
        )
    assert not Workspace.objects.filter(organization=organization).exists()


def test_refused_when_workspaces_run_on_another_provisioner(organization, owner, settings):
    settings.ATRIUM_PROVISIONER = "workspaces.tests.provisioners.FailingProvisioner"
    with pytest.raises(ConflictError, match="embedded server"):
        workspace_create_bulk(organization=organization, specs=specs(organization, 1), acting_user=owner)
    assert not Workspace.objects.filter(organization=organization).exists()
