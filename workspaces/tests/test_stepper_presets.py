"""Labels preset through the stepper's query string, as a matrix cell's "New Workspace" link sends them."""

import pytest
from django.urls import reverse

from organizations.models import Dimension
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def stepper_url(organization, step="details"):
    return reverse("workspaces:new", args=[organization.slug]) + f"?step={step}"


def test_preset_labels_are_chosen_in_the_organize_step_and_the_workspace(owner_client, organization):
    new = reverse("workspaces:new", args=[organization.slug])
    response = owner_client.get(new, {"label": ["environment:staging", "project:default", "nope:x"]})
    assert response.status_code == 302 and response["Location"] == stepper_url(organization)

    owner_client.post(stepper_url(organization), {"step": "details", "name": "Preset", "slug": "preset-ws"})
    organize = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert '<option value="staging" selected>' in organize and '<option value="default" selected>' in organize
    assert "field--invalid" not in organize  # not submitted yet: no error shows

    owner_client.post(
        stepper_url(organization, "organize"),
        {"step": "organize", "label_environment": "staging", "label_project": "default", "action": "next"},
    )
    owner_client.post(stepper_url(organization, "access"), {"step": "access", "action": "next"})
    owner_client.post(stepper_url(organization, "review"), {"step": "review", "action": "create"})
    workspace = Workspace.objects.get(slug="preset-ws")
    assert {label.value.value for label in workspace.labels.all()} == {"staging", "default"}


def test_a_required_dimension_left_open_shows_no_error_before_organize_is_submitted(
    owner_client, organization
):
    Dimension.objects.filter(organization=organization, key="data-sensitivity").update(required=True)
    owner_client.get(reverse("workspaces:new", args=[organization.slug]), {"label": "environment:production"})
    owner_client.post(stepper_url(organization), {"step": "details", "name": "Prod", "slug": "prod-ws"})
    organize = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert '<option value="production" selected>' in organize and "field--invalid" not in organize
