"""A workspace's labels, edited on its settings page (/w/<id>/settings/): audited, validated, permitted
to those who may change the workspace."""

import pytest
from django.urls import reverse

from organizations.errors import InvalidError, NotFoundError, PermissionDeniedError
from organizations.models import AuditEvent, Dimension, DimensionValue
from organizations.services import dimension_update
from workspaces.services import workspace_labels_update, workspace_role_assign

pytestmark = pytest.mark.django_db


def value(organization, dimension_key, key):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension_key, value=key
    )


def labels_of(workspace):
    return {
        label.dimension.key: label.value.value
        for label in workspace.labels.select_related("dimension", "value")
    }


def settings_url(workspace):
    return reverse("workspaces:settings", args=[workspace.slug])


def test_labels_are_edited_in_the_workspace_settings_and_audited(owner_client, organization, make_workspace):
    workspace = make_workspace(
        "fraud-ws",
        label_values=[
            value(organization, "environment", "staging"),
            value(organization, "project", "default"),
        ],
    )
    page = owner_client.get(settings_url(workspace)).content.decode()
    assert 'id="labels-heading"' in page and '<option value="staging" selected>' in page

    response = owner_client.post(
        settings_url(workspace),
        {
            "form": "labels",
            "label_environment": "production",
            "label_project": "",
            "label_data-sensitivity": "internal",
        },
    )
    assert response.status_code == 302
    assert labels_of(workspace) == {"environment": "production", "data-sensitivity": "internal"}
    event = AuditEvent.objects.get(action="workspace.labels_update")
    assert (event.target_type, event.target_id) == ("workspace", str(workspace.pk))
    assert event.before == {"environment": "staging", "project": "default", "data-sensitivity": None}
    assert event.after == {"environment": "production", "project": None, "data-sensitivity": "internal"}
    page = owner_client.get(response["Location"]).content.decode()
    assert "Labels saved." in page and "chip--red" in page  # production, in the header

    # Saving the same labels again changes nothing and records nothing.
    owner_client.post(
        settings_url(workspace),
        {"form": "labels", "label_environment": "production", "label_data-sensitivity": "internal"},
    )
    assert AuditEvent.objects.filter(action="workspace.labels_update").count() == 1


def test_a_required_dimension_keeps_its_value_and_the_form_keeps_the_entries(
    owner_client, organization, owner, make_workspace
):
    environment = Dimension.objects.get(organization=organization, key="environment")
    workspace = make_workspace("fraud-ws", label_values=[value(organization, "environment", "staging")])
    dimension_update(
        dimension=environment, name="Environment", key="environment", required=True, acting_user=owner
    )
    response = owner_client.post(
        settings_url(workspace), {"form": "labels", "label_environment": "", "label_project": "default"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Choose a value of Environment: it is required." in page
    assert '<option value="default" selected>' in page
    assert labels_of(workspace) == {"environment": "staging"}
    with pytest.raises(InvalidError, match="Choose a value of Environment"):
        workspace_labels_update(workspace=workspace, label_values=[], acting_user=owner)


def test_labels_of_another_organization_or_two_of_one_dimension_are_refused(
    organization, owner, make_workspace, outsider
):
    workspace = make_workspace("fraud-ws")
    foreign = DimensionValue.objects.filter(dimension__organization__slug="other-corp").first()
    with pytest.raises(NotFoundError):
        workspace_labels_update(workspace=workspace, label_values=[foreign], acting_user=owner)
    with pytest.raises(InvalidError, match="not several"):
        workspace_labels_update(
            workspace=workspace,
            label_values=[
                value(organization, "environment", "staging"),
                value(organization, "environment", "production"),
            ],
            acting_user=owner,
        )


def test_only_those_who_may_change_the_workspace_edit_its_labels(
    client, organization, owner, make_workspace, add_member
):
    workspace = make_workspace("fraud-ws")
    developer = add_member("member", "dev@example.com")
    workspace_role_assign(workspace=workspace, user=developer, role="developer", acting_user=owner)
    with pytest.raises(PermissionDeniedError):
        workspace_labels_update(workspace=workspace, label_values=[], acting_user=developer)
    client.force_login(developer)
    response = client.post(settings_url(workspace), {"form": "labels", "label_environment": "production"})
    assert response.status_code == 403 and labels_of(workspace) == {}
    admin = add_member("member", "ws-admin@example.com")
    workspace_role_assign(workspace=workspace, user=admin, role="admin", acting_user=owner)
    workspace_labels_update(workspace=workspace, label_values=[value(organization, "environment", "production")],
                            acting_user=admin)  # fmt: skip
    assert labels_of(workspace) == {"environment": "production"}
