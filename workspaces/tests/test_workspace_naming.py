"""The naming convention where workspaces are created: the stepper's live check, its explanations and
suggested ID at every step, and enforcement by the services (not by the templates)."""

import pytest
from django.urls import reverse

from organizations.errors import InvalidError
from organizations.models import DimensionValue
from organizations.services import naming_convention_update, team_create
from workspaces.models import Workspace
from workspaces.services import WorkspaceSpec, workspace_create, workspace_create_bulk

pytestmark = pytest.mark.django_db

CONVENTION = "{team}-{environment}-{name}"


@pytest.fixture
def platform(organization, owner):
    team_create(organization=organization, name="Platform", acting_user=owner)
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="team", value="platform"
    )


@pytest.fixture
def staging(organization):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )


def set_convention(organization, owner, *, enforced, convention=CONVENTION):
    naming_convention_update(
        organization=organization,
        convention=convention,
        description="Team, environment, then what it is for",
        enforced=enforced,
        acting_user=owner,
    )


def stepper_url(organization, step):
    return reverse("workspaces:new", args=[organization.slug]) + f"?step={step}"


def post_step(client, organization, step, **data):
    return client.post(stepper_url(organization, step), {"step": step, **data})


def check_id(client, organization, **params):
    return client.get(reverse("workspaces:check_id", args=[organization.slug]), params).content.decode()


# --- The services enforce ----------------------------------------------------------------------------


def test_an_enforced_convention_refuses_an_id_that_breaks_it_and_suggests_one(
    organization, owner, platform, staging
):
    set_convention(organization, owner, enforced=True)
    with pytest.raises(InvalidError) as refused:
        workspace_create(
            organization=organization,
            slug="churn-model",
            display_name="Churn model",
            label_values=[platform, staging],
            acting_user=owner,
        )
    assert refused.value.field == "slug"
    assert "breaks the naming convention {team}-{environment}-{name}" in refused.value.message
    assert "Should start with “platform-staging-”" in refused.value.message
    assert "Try “platform-staging-churn-model”" in refused.value.message
    assert not Workspace.objects.filter(slug="churn-model").exists()

    workspace = workspace_create(
        organization=organization,
        slug="platform-staging-churn",
        display_name="Churn",
        label_values=[platform, staging],
        acting_user=owner,
    )
    assert workspace.slug == "platform-staging-churn"


def test_an_enforced_convention_needs_the_labels_it_names(organization, owner, staging):
    set_convention(organization, owner, enforced=True)
    with pytest.raises(InvalidError) as refused:
        workspace_create(
            organization=organization,
            slug="x-staging-y",
            display_name="X",
            label_values=[staging],
            acting_user=owner,
        )
    assert refused.value.field == "slug" and "needs a value of Team" in refused.value.message


def test_an_advisory_convention_lets_any_id_through(organization, owner):
    set_convention(organization, owner, enforced=False)
    assert workspace_create(
        organization=organization, slug="free-style", display_name="Free", acting_user=owner
    )


def test_bulk_creation_is_refused_whole_when_one_id_breaks_an_enforced_convention(
    organization, owner, platform, staging
):
    set_convention(organization, owner, enforced=True)
    good = WorkspaceSpec(slug="platform-staging-a", display_name="A", label_values=(platform, staging))
    bad = WorkspaceSpec(slug="platform-b", display_name="B", label_values=(platform, staging))
    with pytest.raises(InvalidError) as refused:
        workspace_create_bulk(organization=organization, specs=[good, bad], acting_user=owner)
    assert "“platform-b” breaks the naming convention" in refused.value.message
    assert not Workspace.objects.filter(slug__in=["platform-staging-a", "platform-b"]).exists()
    assert workspace_create_bulk(organization=organization, specs=[good], acting_user=owner) == 1


# --- The stepper explains and suggests -----------------------------------------------------------------


def test_without_a_convention_the_live_check_is_unchanged(owner_client, organization):
    text = check_id(owner_client, organization, slug="anything-goes")
    assert "id-check--available" in text and "naming-check" not in text


def test_the_live_check_explains_the_convention_before_labels_are_chosen(
    owner_client, organization, owner, platform
):
    set_convention(organization, owner, enforced=False)
    text = check_id(owner_client, organization, slug="churn-model")
    assert "id-check--available" in text  # the ID itself is fine
    assert 'id="naming-check"' in text and 'hx-swap-oob="true"' in text
    assert "{team}-{environment}-{name}" in text and "Team, environment, then what it is for" in text
    assert "the Team key, “-”, the Environment key, “-”, then a name of your own" in text
    assert "Choose the labels in the next step for a suggested ID" in text

    fits = check_id(owner_client, organization, slug="platform-staging-churn")
    assert "naming-check--fits" in fits
    assert "if you choose Team “Platform” and Environment “Staging” in the Organize step" in fits


def test_the_labels_an_id_fits_are_preselected_in_the_organize_step(
    owner_client, organization, owner, platform
):
    set_convention(organization, owner, enforced=False)
    post_step(
        owner_client, organization, "details", name="Churn", slug="platform-staging-churn", action="next"
    )
    page = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert '<option value="platform" selected>' in page and '<option value="staging" selected>' in page


def test_the_organize_step_rechecks_with_the_labels_and_suggests_a_conforming_id(
    owner_client, organization, owner, platform
):
    set_convention(organization, owner, enforced=False)
    post_step(
        owner_client,
        organization,
        "details",
        name="Churn model",
        slug="churn-model",
        slug_edited="True",
        action="next",
    )
    # While the labels are being chosen, the line follows the form (the labels in the query): a wrapper
    # that is never swapped listens, so a change during a swap is not lost.
    organize = owner_client.get(stepper_url(organization, "organize")).content.decode()
    assert 'class="naming-live"' in organize and 'hx-trigger="change from:closest form"' in organize
    live = check_id(
        owner_client,
        organization,
        part="naming",
        slug="churn-model",
        label_team="platform",
        label_environment="staging",
    )
    assert "id-check" not in live.replace("naming-check", "")
    assert (
        "Should start with “platform-staging-” (the Team key of “Platform”, then the Environment key of"
        in live
    )
    assert "platform-staging-churn-model" in live and 'value="use-suggestion"' in live
    assert "hx-trigger" not in live  # the line only: the Organize step's wrapper around it keeps listening

    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="next",
    )
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "Should start with “platform-staging-”" in review and "platform-staging-churn-model" in review

    # "Use this ID" takes the suggestion, without JavaScript too.
    response = post_step(owner_client, organization, "review", action="use-suggestion")
    assert response.status_code == 302 and response["Location"].endswith("?step=review")
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "Follows the naming convention." in review and 'value="use-suggestion"' not in review
    post_step(owner_client, organization, "review", action="create")
    assert Workspace.objects.filter(slug="platform-staging-churn-model").exists()


def test_a_taken_suggestion_is_not_offered_a_free_one_is(
    owner_client, organization, owner, platform, staging
):
    set_convention(organization, owner, enforced=False)
    workspace_create(
        organization=organization,
        slug="platform-staging-churn",
        display_name="First",
        label_values=[platform, staging],
        acting_user=owner,
    )
    post_step(owner_client, organization, "details", name="Churn", slug="churn", action="next")
    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="next",
    )
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "platform-staging-churn-2" in review


def test_use_this_id_in_the_details_step_replaces_what_was_typed(owner_client, organization, owner, platform):
    set_convention(organization, owner, enforced=False)
    post_step(owner_client, organization, "details", name="Churn", slug="churn", action="next")
    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="back",
    )
    response = owner_client.post(
        stepper_url(organization, "details"),
        {"step": "details", "name": "Churn", "slug": "churn-v2", "action": "use-suggestion"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert 'value="platform-staging-churn-v2"' in page and "Follows the naming convention." in page


def test_an_enforced_convention_refuses_at_create_with_a_field_error(
    owner_client, organization, owner, platform
):
    set_convention(organization, owner, enforced=True)
    post_step(
        owner_client, organization, "details", name="Churn", slug="churn", slug_edited="True", action="next"
    )
    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="next",
    )
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert "Naming convention (required)" in review
    response = post_step(owner_client, organization, "review", action="create")
    page = response.content.decode()
    assert response.status_code == 200 and "field--invalid" in page
    assert "“churn” breaks the naming convention" in page and "Try “platform-staging-churn”" in page
    assert not Workspace.objects.filter(slug="churn").exists()


def test_an_id_only_suggested_from_the_name_becomes_the_conforming_one(
    owner_client, organization, owner, platform
):
    set_convention(organization, owner, enforced=False)
    # The ID came from the name (the person never edited it): after the labels, it follows the convention.
    post_step(owner_client, organization, "details", name="Churn model", slug="churn-model", action="next")
    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="next",
    )
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert (
        "platform-staging-churn-model" in review
        and "made from the labels to follow the naming convention" in review
    )
    assert "Follows the naming convention." in review

    # An ID the person typed is theirs: it is only explained and a suggestion offered.
    owner_client.post(reverse("workspaces:new_discard", args=[organization.slug]))
    post_step(
        owner_client,
        organization,
        "details",
        name="Churn",
        slug="my-churn",
        slug_edited="True",
        action="next",
    )
    post_step(
        owner_client,
        organization,
        "organize",
        label_team="platform",
        label_environment="staging",
        action="next",
    )
    review = owner_client.get(stepper_url(organization, "review")).content.decode()
    assert (
        '<span class="mono">my-churn</span>' in review and "Should start with “platform-staging-”" in review
    )
