import re

import pytest
from django.urls import reverse

from workspaces.models import Workspace, WorkspaceStatus

pytestmark = pytest.mark.django_db


def stepper_url(organization, step):
    return reverse("workspaces:new", args=[organization.slug]) + f"?step={step}"


def post_step(client, organization, step, **data):
    return client.post(stepper_url(organization, step), {"step": step, **data})


def test_walk_through_the_stepper_creates_the_workspace(owner_client, organization, owner, add_member):
    teammate = add_member("member", "teammate@example.com")
    response = post_step(
        owner_client, organization, "details", name="Fraud detection", slug="fraud-detection", action="next"
    )
    assert response.status_code == 302 and response["Location"].endswith("?step=organize")

    page = owner_client.get(stepper_url(organization, "organize"))
    assert "Environment" in page.content.decode() and "Data sensitivity" in page.content.decode()
    post_step(owner_client, organization, "organize", label_environment="production", action="next")

    page = owner_client.get(stepper_url(organization, "access"))
    assert "teammate@example.com" in page.content.decode()
    post_step(owner_client, organization, "access", action="add", member=f"user:{teammate.pk}", role="viewer")
    post_step(owner_client, organization, "access", action="next")

    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "fraud-detection" in review and "Production" in review and "teammate@example.com" in review

    response = post_step(owner_client, organization, "review", action="create")
    workspace = Workspace.objects.get(slug="fraud-detection")
    assert response["Location"] == reverse("workspaces:overview", args=["fraud-detection"])
    assert workspace.status == WorkspaceStatus.PENDING
    assert {label.value.value for label in workspace.labels.all()} == {"production"}
    roles = {a.user.email: a.role for a in workspace.role_assignments.select_related("user")}
    assert roles == {"owner@example.com": "admin", "teammate@example.com": "viewer"}

    overview = owner_client.get(response["Location"]).content.decode()
    assert "Fraud detection" in overview and "appears here as soon as the workspace is ready" in overview
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.AVAILABLE)  # as the worker would
    overview = owner_client.get(response["Location"]).content.decode()
    assert (
        "export ZENML_PRO_API_URL=http://testserver/zenml-api\nzenml login fraud-detection --project default"
        in overview
    )


def test_back_and_validation_errors_keep_every_entry(owner_client, organization, make_workspace):
    make_workspace("taken-id")
    response = post_step(
        owner_client,
        organization,
        "details",
        name="My WS",
        slug="taken-id",
        description="Keep me",
        action="next",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "already taken" in text and "Keep me" in text and 'value="My WS"' in text

    post_step(
        owner_client,
        organization,
        "details",
        name="My WS",
        slug="my-ws",
        description="Keep me",
        action="next",
    )
    post_step(owner_client, organization, "organize", label_environment="staging", action="back")
    details = owner_client.get(stepper_url(organization, "details")).content.decode()
    assert 'value="my-ws"' in details and "Keep me" in details
    organize = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert '<option value="staging" selected>' in organize


def test_blank_id_is_suggested_from_the_name(owner_client, organization):
    post_step(owner_client, organization, "details", name="Churn Model (prod)", slug="", action="next")
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "churn-model-prod" in review


def test_later_steps_need_valid_details(owner_client, organization):
    response = owner_client.get(stepper_url(organization, "review"))
    assert response.status_code == 302 and response["Location"].endswith("?step=details")


def test_htmx_step_swaps_only_the_stepper_and_pushes_the_url(owner_client, organization):
    response = owner_client.post(
        stepper_url(organization, "details"),
        {"step": "details", "name": "A b c", "slug": "abc-ws", "action": "next"},
        headers={"HX-Request": "true"},
    )
    text = response.content.decode()
    assert response["HX-Push-Url"].endswith("?step=organize")
    assert text.lstrip().startswith('<div id="stepper"') and "<html" not in text
    assert 'aria-current="step"' in text


@pytest.mark.parametrize(
    ("slug", "state", "words"),
    [
        ("good-id", "available", "is available"),
        ("Bad_ID", "invalid", "lowercase letters"),
        ("9lives", "invalid", "Start with a letter"),
        ("ab", "invalid", "at least 3"),
        ("ends-", "invalid", "end with a hyphen"),
        ("settings", "reserved", "reserved word"),
        ("taken-one", "taken", "already taken"),
    ],
)
def test_live_id_check_answers_with_a_fragment(
    owner_client, organization, make_workspace, slug, state, words
):
    make_workspace("taken-one")
    response = owner_client.get(reverse("workspaces:check_id", args=[organization.slug]), {"slug": slug})
    text = response.content.decode()
    assert f"id-check--{state}" in text and words in text
    assert "<html" not in text and "stepper" not in text


def test_members_without_create_permission_cannot_open_the_stepper(client, organization, add_member):
    client.force_login(add_member("viewer"))
    assert client.get(stepper_url(organization, "details")).status_code == 403


def test_a_team_can_get_a_role_in_the_stepper(owner_client, organization, owner):
    from organizations.services import team_create

    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    post_step(owner_client, organization, "details", name="Team WS", slug="team-ws", action="next")
    page = owner_client.get(stepper_url(organization, "access")).content.decode()
    assert "Team ML Platform" in page
    post_step(owner_client, organization, "access", action="add", member=f"team:{team.pk}", role="developer")
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "Team ML Platform" in review
    post_step(owner_client, organization, "access", action="remove:team:" + str(team.pk))
    assert "Team ML Platform" not in owner_client.get(stepper_url(organization, "review")).content.decode()
    post_step(owner_client, organization, "access", action="add", member=f"team:{team.pk}", role="developer")
    post_step(owner_client, organization, "review", action="create")
    workspace = Workspace.objects.get(slug="team-ws")
    assert workspace.role_assignments.get(team=team).role == "developer"


def test_typing_is_kept_for_a_reload_before_next(owner_client, organization):
    response = post_step(
        owner_client,
        organization,
        "details",
        name="Half typed",
        slug="half-ty",
        description="wip",
        action="save",
    )
    assert response.status_code == 204
    page = owner_client.get(stepper_url(organization, "details")).content.decode()
    assert 'value="Half typed"' in page and 'value="half-ty"' in page and "wip" in page


def test_custom_roles_can_be_given_in_the_stepper(owner_client, organization, owner, add_member):
    from workspaces.services import custom_role_create

    scientist = custom_role_create(
        organization=organization, name="Data Scientist", base_role="contributor", acting_user=owner
    )
    teammate = add_member("member")
    post_step(owner_client, organization, "details", name="Custom WS", slug="custom-ws", action="next")
    page = owner_client.get(stepper_url(organization, "access")).content.decode()
    assert "Data Scientist" in page
    post_step(
        owner_client,
        organization,
        "access",
        action="add",
        member=f"user:{teammate.pk}",
        role=f"custom:{scientist.pk}",
    )
    assert "Data Scientist" in owner_client.get(stepper_url(organization, "review")).content.decode()
    post_step(owner_client, organization, "review", action="create")
    assignment = Workspace.objects.get(slug="custom-ws").role_assignments.get(user=teammate)
    assert assignment.custom_role == scientist and assignment.role == ""


def _require_environment(organization, owner):
    from organizations.models import Dimension
    from organizations.services import dimension_update

    environment = Dimension.objects.get(organization=organization, key="environment")
    dimension_update(
        dimension=environment, name="Environment", key="environment", required=True, acting_user=owner
    )


def test_a_required_dimension_must_be_given_a_value_before_going_on(owner_client, organization, owner):
    _require_environment(organization, owner)
    post_step(owner_client, organization, "details", name="Churn", slug="churn-ws", action="next")
    page = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert "Required." in page and "Choose…" in page
    assert "it is required" not in page  # no error before the step was even tried

    response = post_step(
        owner_client, organization, "organize", label_environment="", label_project="default"
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Choose a value of Environment: it is required." in page
    assert '<option value="default" selected>' in page  # what was chosen stays

    # Neither a jump ahead nor a direct visit gets past it, with or without htmx.
    for action in ("goto:review", "goto:access"):
        response = post_step(owner_client, organization, "organize", label_environment="", action=action)
        assert response["Location"].endswith("?step=organize")
        page = owner_client.get(response["Location"]).content.decode()
        assert "Choose a value of Environment: it is required." in page
    response = owner_client.get(stepper_url(organization, "review"))
    assert response.status_code == 302 and response["Location"].endswith("?step=organize")
    response = owner_client.post(
        stepper_url(organization, "access"),
        {"step": "access", "action": "next"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Push-Url"].endswith("?step=organize")

    post_step(owner_client, organization, "organize", label_environment="staging", action="next")
    post_step(owner_client, organization, "access", action="next")
    post_step(owner_client, organization, "review", action="create")
    workspace = Workspace.objects.get(slug="churn-ws")
    assert {label.value.value for label in workspace.labels.all()} == {"staging"}


def test_a_dimension_made_required_meanwhile_stops_create_at_organize(owner_client, organization, owner):
    post_step(owner_client, organization, "details", name="Churn", slug="churn-ws", action="next")
    post_step(owner_client, organization, "organize", label_environment="", action="next")
    _require_environment(organization, owner)
    response = post_step(owner_client, organization, "review", action="create")
    assert "Choose a value of Environment: it is required." in response.content.decode()
    assert not Workspace.objects.filter(slug="churn-ws").exists()


def test_the_service_refuses_a_workspace_without_a_required_label(organization, owner):
    from organizations.errors import InvalidError
    from workspaces.services import workspace_create

    _require_environment(organization, owner)
    with pytest.raises(InvalidError, match="Choose a value of Environment") as refused:
        workspace_create(organization=organization, slug="no-env", display_name="No env", acting_user=owner)
    assert refused.value.field == "label_environment"


def test_access_offers_only_the_roles_the_chosen_labels_policies_allow(
    owner_client, organization, owner, add_member
):
    from organizations.models import DimensionValue
    from workspaces.services import custom_role_create

    DimensionValue.objects.filter(dimension__organization=organization, value="production").update(
        grantable_roles=["admin", "viewer"]
    )
    analyst = custom_role_create(
        organization=organization, name="Analyst", base_role="viewer", acting_user=owner
    )
    scientist = custom_role_create(
        organization=organization, name="Data Scientist", base_role="contributor", acting_user=owner
    )
    teammate = add_member("member", "teammate@example.com")
    add_member("member", "other@example.com")  # someone left to add, so the role choice shows
    post_step(owner_client, organization, "details", name="Prod WS", slug="prod-ws", action="next")
    post_step(
        owner_client,
        organization,
        "access",
        action="add",
        member=f"user:{teammate.pk}",
        role=f"custom:{scientist.pk}",
    )

    post_step(owner_client, organization, "organize", label_environment="production", action="next")
    page = owner_client.get(stepper_url(organization, "access")).content.decode()
    offered = set(re.findall(r'<option value="([^"]+)"', page.split('name="role"')[1].split("</select>")[0]))
    assert offered == {"admin", "viewer", f"custom:{analyst.pk}"}
    assert f"custom:{scientist.pk}" not in offered
    assert "Not offered: Developer, Contributor, Stack Admin." in page and "(Environment: Production)" in page
    # Added before production was chosen: marked, and the service would refuse it.
    assert "not allowed by the labels' policies" in page

    post_step(owner_client, organization, "access", action=f"remove:user:{teammate.pk}")
    response = post_step(
        owner_client, organization, "access", action="add", member=f"user:{teammate.pk}", role="developer"
    )
    assert "Select a valid choice" in response.content.decode()
    post_step(owner_client, organization, "access", action="add", member=f"user:{teammate.pk}", role="viewer")
    post_step(owner_client, organization, "review", action="create")
    roles = {a.user.email: a.role for a in Workspace.objects.get(slug="prod-ws").role_assignments.all()}
    assert roles == {"owner@example.com": "admin", "teammate@example.com": "viewer"}

    post_step(owner_client, organization, "details", name="Staging WS", slug="staging-ws", action="next")
    post_step(owner_client, organization, "organize", label_environment="staging", action="next")
    page = owner_client.get(stepper_url(organization, "access")).content.decode()
    assert "Not offered" not in page and f'value="custom:{scientist.pk}"' in page
