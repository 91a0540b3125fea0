"""Labels you can manage: an organization's dimensions and values, on /orgs/<org>/settings/dimensions/,
through the services behind that page, and the team dimension that follows the teams."""

import pytest
from django.urls import reverse

from governance.services import dimension_delete, dimension_value_delete, team_delete
from organizations.errors import ConflictError, InvalidError, PermissionDeniedError
from organizations.models import AuditEvent, Dimension, DimensionValue
from organizations.services import (
    dimension_create,
    dimension_move,
    dimension_update,
    dimension_value_create,
    dimension_value_move,
    dimension_value_update,
    team_create,
    team_update,
)
from workspaces.models import WorkspaceLabel

pytestmark = pytest.mark.django_db


def dimension(organization, key):
    return Dimension.objects.get(organization=organization, key=key)


def value(organization, dimension_key, key):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension_key, value=key
    )


def labels_of(workspace):
    return {
        label.dimension.key: label.value.value
        for label in workspace.labels.select_related("dimension", "value")
    }


def page_url(organization):
    return reverse("organizations:dimensions", args=[organization.slug])


# --- Services ------------------------------------------------------------------------------------


def test_add_rename_and_remove_a_dimension_with_its_values_audited(organization, owner):
    region = dimension_create(organization=organization, name="  Cloud   region ", acting_user=owner)
    assert (region.name, region.key, region.required) == ("Cloud region", "cloud-region", False)
    assert list(organization.dimensions.values_list("key", flat=True))[-1] == "cloud-region"
    eu = dimension_value_create(dimension=region, label="EU West", color="blue", acting_user=owner)
    assert (eu.value, eu.color) == ("eu-west", "blue")

    dimension_update(dimension=region, name="Region", key="region", required=True, acting_user=owner)
    dimension_value_update(value=eu, label="Europe (west)", key="eu", color="teal", acting_user=owner)
    region.refresh_from_db()
    eu.refresh_from_db()
    assert (region.name, region.key, region.required) == ("Region", "region", True)
    assert (eu.label, eu.value, eu.color) == ("Europe (west)", "eu", "teal")

    dimension_delete(dimension=region, acting_user=owner)
    assert not Dimension.objects.filter(pk=region.pk).exists()
    assert not DimensionValue.objects.filter(pk=eu.pk).exists()

    events = {e.action: e for e in AuditEvent.objects.filter(organization=organization)}
    assert events["dimension.create"].after == {
        "name": "Cloud region",
        "key": "cloud-region",
        "required": False,
    }
    assert events["dimension.update"].before == {
        "name": "Cloud region",
        "key": "cloud-region",
        "required": False,
    }
    assert events["dimension.update"].after == {"name": "Region", "key": "region", "required": True}
    assert events["dimension_value.create"].target_type_label == "label value"
    assert events["dimension_value.update"].after == {"name": "Europe (west)", "key": "eu", "colour": "teal"}
    assert events["dimension.delete"].before["values"] == ["eu"]


def test_names_are_unique_case_insensitively_with_a_clear_error(organization, owner):
    with pytest.raises(ConflictError, match="already has a dimension named “ENVIRONMENT”") as refused:
        dimension_create(organization=organization, name="ENVIRONMENT", acting_user=owner)
    assert refused.value.field == "name"
    environment = dimension(organization, "environment")
    with pytest.raises(ConflictError, match="Environment already has a value named “staging”"):
        dimension_value_create(dimension=environment, label="staging", acting_user=owner)
    with pytest.raises(ConflictError, match="already has the key “staging”") as refused:
        dimension_value_create(dimension=environment, label="Pre-prod", key="staging", acting_user=owner)
    assert refused.value.field == "key"
    with pytest.raises(InvalidError, match="lowercase letters, digits and single hyphens"):
        dimension_create(organization=organization, name="Region", key="Bad Key!", acting_user=owner)
    with pytest.raises(InvalidError, match="Enter a name"):
        dimension_value_create(dimension=environment, label="   ", acting_user=owner)
    with pytest.raises(InvalidError, match="Choose one of the colours"):
        dimension_value_create(dimension=environment, label="Canary", color="#ff0000", acting_user=owner)
    assert dimension_value_create(dimension=environment, label="Canary", acting_user=owner).value == "canary"
    # A name without Latin letters or digits still gets a key.
    assert dimension_value_create(dimension=environment, label="本番", acting_user=owner).value == "value"


def test_reorder_dimensions_and_values(organization, owner):
    order = lambda: list(organization.dimensions.order_by("position", "name").values_list("key", flat=True))  # noqa: E731
    assert order() == ["environment", "project", "team", "data-sensitivity"]
    dimension_move(dimension=dimension(organization, "team"), direction="up", acting_user=owner)
    assert order() == ["environment", "team", "project", "data-sensitivity"]
    dimension_move(
        dimension=dimension(organization, "environment"), direction="up", acting_user=owner
    )  # stays
    assert order() == ["environment", "team", "project", "data-sensitivity"]

    environment = dimension(organization, "environment")
    dimension_value_move(
        value=value(organization, "environment", "production"), direction="up", acting_user=owner
    )
    assert list(environment.values.values_list("value", flat=True)) == [
        "development",
        "production",
        "staging",
    ]
    with pytest.raises(InvalidError):
        dimension_value_move(
            value=value(organization, "environment", "staging"), direction="sideways", acting_user=owner
        )
    moves = AuditEvent.objects.filter(action__in=["dimension.move", "dimension_value.move"])
    assert moves.count() == 2  # the move that changed nothing is not recorded
    assert moves.get(action="dimension_value.move").after == {"position": 2}


def test_removing_a_value_in_use_gives_its_workspaces_the_replacement(organization, owner, make_workspace):
    staging = value(organization, "environment", "staging")
    production = value(organization, "environment", "production")
    one = make_workspace("one-ws", label_values=[staging])
    two = make_workspace("two-ws", label_values=[staging])
    other = make_workspace("other-ws", label_values=[production])

    assert dimension_value_delete(value=staging, replacement=production, acting_user=owner) == 2
    assert labels_of(one) == labels_of(two) == labels_of(other) == {"environment": "production"}
    event = AuditEvent.objects.get(action="dimension_value.delete")
    assert event.before["key"] == "staging"
    assert event.after == {"workspaces_relabelled": 2, "replaced_by": "production"}


def test_removing_a_value_with_none_instead_unlabels_its_workspaces(organization, owner, make_workspace):
    staging = value(organization, "environment", "staging")
    workspace = make_workspace("one-ws", label_values=[staging])
    dimension_value_delete(value=staging, replacement=None, acting_user=owner)
    assert labels_of(workspace) == {}


def test_a_required_dimension_refuses_none_and_foreign_replacements(organization, owner, make_workspace):
    environment = dimension(organization, "environment")
    staging = value(organization, "environment", "staging")
    make_workspace("one-ws", label_values=[staging])
    dimension_update(
        dimension=environment, name="Environment", key="environment", required=True, acting_user=owner
    )
    with pytest.raises(InvalidError, match="Environment is required") as refused:
        dimension_value_delete(value=staging, replacement=None, acting_user=owner)
    assert refused.value.field == "replacement"
    with pytest.raises(InvalidError, match="Choose another value of Environment"):
        dimension_value_delete(
            value=staging, replacement=value(organization, "project", "default"), acting_user=owner
        )
    assert DimensionValue.objects.filter(pk=staging.pk).exists()
    assert not AuditEvent.objects.filter(action="dimension_value.delete").exists()
    # An unused value of a required dimension goes without a replacement.
    dimension_value_delete(value=value(organization, "environment", "development"), acting_user=owner)


def test_a_dimension_without_values_cannot_be_required(organization, owner):
    region = dimension_create(organization=organization, name="Region", acting_user=owner)
    with pytest.raises(InvalidError, match="no values yet") as refused:
        dimension_update(dimension=region, name="Region", key="region", required=True, acting_user=owner)
    assert refused.value.field == "required"


@pytest.mark.parametrize("persona", ["manager", "viewer", "member"])
def test_managers_viewers_and_members_may_not_manage_dimensions(request, organization, persona):
    user = request.getfixturevalue(persona)
    environment = dimension(organization, "environment")
    staging = value(organization, "environment", "staging")
    attempts = [
        lambda: dimension_create(organization=organization, name="Region", acting_user=user),
        lambda: dimension_update(
            dimension=environment, name="Env", key="env", required=False, acting_user=user
        ),
        lambda: dimension_move(dimension=environment, direction="down", acting_user=user),
        lambda: dimension_delete(dimension=environment, acting_user=user),
        lambda: dimension_value_create(dimension=environment, label="Canary", acting_user=user),
        lambda: dimension_value_update(value=staging, label="Stage", key="", color="red", acting_user=user),
        lambda: dimension_value_move(value=staging, direction="up", acting_user=user),
        lambda: dimension_value_delete(value=staging, acting_user=user),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError, match="Only Owners and Admins can manage labels"):
            attempt()
    assert not AuditEvent.objects.filter(action__startswith="dimension").exists()


def test_an_org_admin_may_manage_dimensions(organization, org_admin):
    assert dimension_create(organization=organization, name="Region", acting_user=org_admin).key == "region"


# --- The team dimension ----------------------------------------------------------------------------


def test_the_team_dimensions_values_are_the_teams(organization, owner, make_workspace):
    teams = dimension(organization, "team")
    assert teams.follows_teams and not teams.values.exists()  # a new organization has no teams yet
    platform = team_create(organization=organization, name="ML Platform", acting_user=owner)
    platform_value = teams.values.get()
    assert (platform_value.label, platform_value.value, platform_value.team) == (
        "ML Platform",
        "ml-platform",
        platform,
    )

    team_update(team=platform, name="Platform Engineering", description="", role="", acting_user=owner)
    platform_value.refresh_from_db()
    assert (platform_value.label, platform_value.value) == (
        "Platform Engineering",
        "ml-platform",
    )  # the key stays

    # Their names follow the team; only key and colour are edited on the Labels page.
    with pytest.raises(InvalidError, match="Teams page"):
        dimension_value_create(dimension=teams, label="Free value", acting_user=owner)
    with pytest.raises(InvalidError, match="Teams page"):
        dimension_value_update(value=platform_value, label="Renamed", key="", color="red", acting_user=owner)
    dimension_value_update(value=platform_value, label="", key="platform", color="red", acting_user=owner)
    platform_value.refresh_from_db()
    assert (platform_value.label, platform_value.value, platform_value.color) == (
        "Platform Engineering",
        "platform",
        "red",
    )
    with pytest.raises(InvalidError, match="Teams page"):
        dimension_value_delete(value=platform_value, acting_user=owner)
    with pytest.raises(InvalidError, match="stays"):
        dimension_delete(dimension=teams, acting_user=owner)

    workspace = make_workspace("platform-ws", label_values=[platform_value])
    team_delete(team=platform, acting_user=owner)
    assert not teams.values.exists() and labels_of(workspace) == {}
    assert AuditEvent.objects.get(action="team.delete").before["workspaces_labelled"] == 1


def test_existing_team_labels_survive_the_migration_to_real_teams(organization, owner):
    """The data migration's rule, replayed: a value matching a team is linked, others become teams."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("organizations.migrations.0005_team_dimension_follows_teams")
    teams = dimension(organization, "team")
    Dimension.objects.filter(pk=teams.pk).update(follows_teams=False)
    kept = DimensionValue.objects.create(dimension=teams, value="research", label="Research", position=0)
    DimensionValue.objects.create(dimension=teams, value="unused", label="Unused", position=1)
    from workspaces.services import workspace_create

    workspace = workspace_create(organization=organization, slug="research-ws", display_name="R", label_values=[kept],
                                 acting_user=owner)  # fmt: skip
    data = team_create(
        organization=organization, name="Data", acting_user=owner
    )  # no team dimension: no value
    migration.forwards(apps, None)
    teams.refresh_from_db()
    assert teams.follows_teams
    values = {v.value: v.team.name for v in teams.values.select_related("team")}
    assert values == {"research": "Research", "data": "Data"}
    assert labels_of(workspace) == {"team": "research"}
    assert DimensionValue.objects.get(team=data).label == "Data"


# --- The page --------------------------------------------------------------------------------------


def test_the_page_lists_dimensions_values_and_their_use(owner_client, organization, make_workspace):
    make_workspace("one-ws", label_values=[value(organization, "environment", "staging")])
    page = owner_client.get(page_url(organization)).content.decode()
    assert "<h1>Labels</h1>" in page
    for text in (
        "Environment",
        "Data sensitivity",
        "Highly confidential",
        "chip--amber",
        "1 workspace",
        "Teams page",
    ):
        assert text in page
    assert 'aria-current="page">Labels</a>' in page  # the side navigation


def test_forms_on_the_page_add_edit_and_keep_what_was_typed(owner_client, organization):
    url = page_url(organization)
    response = owner_client.post(url, {"new-dimension-name": "Region", "new-dimension-key": ""})
    region = dimension(organization, "region")
    assert response.status_code == 302 and response["Location"].endswith(f"#dimension-{region.pk}")

    add_url = reverse("organizations:dimension_value_add", args=[organization.slug, region.pk])
    owner_client.post(add_url, {f"new-value-{region.pk}-name": "EU", f"new-value-{region.pk}-color": "blue"})
    assert region.values.get().label == "EU"
    # A duplicate name: the page again, the typed entries kept, the error on the field.
    response = owner_client.post(
        add_url,
        {
            f"new-value-{region.pk}-name": "eu",
            f"new-value-{region.pk}-key": "europe",
            f"new-value-{region.pk}-color": "pink",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Region already has a value named “eu”." in page
    assert 'value="europe"' in page and '<option value="pink" selected>' in page

    edit_url = reverse("organizations:dimension", args=[organization.slug, region.pk])
    response = owner_client.post(
        edit_url, {f"dimension-{region.pk}-name": "Environment", f"dimension-{region.pk}-key": "region"}
    )
    page = response.content.decode()
    assert "already has a dimension named “Environment”" in page
    assert '<details class="disclosure" open>' in page  # the form that failed stays open
    owner_client.post(edit_url, {f"dimension-{region.pk}-name": "Region", f"dimension-{region.pk}-key": "region",
                                 f"dimension-{region.pk}-required": "on"})  # fmt: skip
    region.refresh_from_db()
    assert region.required


def test_move_buttons_work_without_and_with_htmx(owner_client, organization):
    project = dimension(organization, "project")
    url = reverse("organizations:dimension_move", args=[organization.slug, project.pk])
    response = owner_client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert list(organization.dimensions.values_list("key", flat=True))[:2] == ["project", "environment"]
    response = owner_client.post(url, {"direction": "down"}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="dimensions"')
    assert "<html" not in fragment
    assert list(organization.dimensions.values_list("key", flat=True))[:2] == ["environment", "project"]


def test_removing_a_value_in_use_asks_first(owner_client, organization, make_workspace):
    staging = value(organization, "environment", "staging")
    workspace = make_workspace("one-ws", label_values=[staging])
    url = reverse("organizations:dimension_value_remove", args=[organization.slug, staging.pk])
    page = owner_client.get(url).content.decode()
    assert "1 workspace holds this value" in page
    assert (
        "No environment value" in page and ">Production</option>" in page and ">Staging</option>" not in page
    )
    assert DimensionValue.objects.filter(pk=staging.pk).exists()  # asking removes nothing
    response = owner_client.post(url, {"replacement": ""})  # nothing chosen: nothing removed
    assert "Choose what these workspaces get instead" in response.content.decode()
    assert DimensionValue.objects.filter(pk=staging.pk).exists()

    production = value(organization, "environment", "production")
    response = owner_client.post(url, {"replacement": str(production.pk)})
    assert response.status_code == 302
    assert labels_of(workspace) == {"environment": "production"}
    follow = owner_client.get(response["Location"]).content.decode()
    assert "“Staging” removed from Environment. 1 workspace now has “Production”." in follow


def test_the_remove_page_of_a_required_dimension_needs_a_replacement(
    owner_client, organization, owner, make_workspace
):
    environment = dimension(organization, "environment")
    staging = value(organization, "environment", "staging")
    make_workspace("one-ws", label_values=[staging])
    dimension_update(
        dimension=environment, name="Environment", key="environment", required=True, acting_user=owner
    )
    url = reverse("organizations:dimension_value_remove", args=[organization.slug, staging.pk])
    assert "No environment value" not in owner_client.get(url).content.decode()
    response = owner_client.post(url, {"replacement": ""})
    assert response.status_code == 200
    assert (
        "Environment is required: choose the value these workspaces get instead." in response.content.decode()
    )
    assert DimensionValue.objects.filter(pk=staging.pk).exists()


@pytest.mark.parametrize("persona", ["manager", "viewer", "member"])
def test_the_page_is_not_for_managers_viewers_or_members(client, request, organization, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page_url(organization)).status_code == 403
    assert client.post(page_url(organization), {"new-dimension-name": "Region"}).status_code == 403
    assert (
        "settings/dimensions/"
        not in client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    )
    assert not Dimension.objects.filter(key="region").exists()


def test_the_page_answers_in_a_few_queries_however_many_values(owner_client, organization, owner, make_workspace,
                                                               django_assert_max_num_queries):  # fmt: skip
    for d in range(6):
        extra = Dimension.objects.create(
            organization=organization, key=f"extra-{d}", name=f"Extra {d}", position=10 + d
        )
        DimensionValue.objects.bulk_create(
            DimensionValue(dimension=extra, value=f"v-{i}", label=f"Value {i}", position=i) for i in range(40)
        )
    for i in range(5):
        team_create(organization=organization, name=f"Team {i}", acting_user=owner)
    make_workspace("labelled-ws", label_values=[value(organization, "environment", "staging")])
    with django_assert_max_num_queries(12):
        response = owner_client.get(page_url(organization))
    assert response.status_code == 200 and "Value 39" in response.content.decode()
    assert WorkspaceLabel.objects.count() == 1


def test_the_remove_page_can_leave_the_workspaces_without_a_value(owner_client, organization, make_workspace):
    staging = value(organization, "environment", "staging")
    workspace = make_workspace("one-ws", label_values=[staging])
    url = reverse("organizations:dimension_value_remove", args=[organization.slug, staging.pk])
    assert owner_client.post(url, {"replacement": "none"}).status_code == 302
    assert labels_of(workspace) == {} and not DimensionValue.objects.filter(pk=staging.pk).exists()
    assert AuditEvent.objects.get(action="dimension_value.delete").after["replaced_by"] is None
