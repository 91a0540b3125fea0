"""The Naming settings page and its service: setting the convention, refusals, the audit trail and
the list of workspaces that do not follow it."""

import pytest
from django.urls import reverse

from organizations.audit import AuditAction
from organizations.errors import InvalidError, PermissionDeniedError
from organizations.models import AuditEvent, DimensionValue, Organization
from organizations.services import naming_convention_update, team_create

pytestmark = pytest.mark.django_db


def naming_url(organization):
    return reverse("organizations:naming", args=[organization.slug])


def value(organization, dimension, key):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension, value=key
    )


def test_an_admin_sets_the_convention_and_it_is_audited(client, organization, org_admin):
    client.force_login(org_admin)
    response = client.post(
        naming_url(organization),
        {"convention": "{environment}-{name}", "description": "Environment first", "enforcement": "enforced"},
    )
    assert response.status_code == 302 and response["Location"] == naming_url(organization)
    organization.refresh_from_db()
    assert organization.workspace_naming_pattern == "{environment}-{name}"
    assert organization.workspace_naming_description == "Environment first"
    assert organization.workspace_naming_enforced
    event = AuditEvent.objects.get(action=AuditAction.NAMING_CONVENTION_UPDATE)
    assert event.actor == org_admin and event.target_type == "organization"
    assert event.before == {"convention": "", "description": "", "enforced": False}
    assert event.after == {
        "convention": "{environment}-{name}",
        "description": "Environment first",
        "enforced": True,
    }

    page = client.get(naming_url(organization)).content.decode()
    assert "Naming convention saved." in page and "Enforced" in page
    assert "development-churn-model" in page  # the example, from the first value of each dimension


def test_a_broken_convention_is_refused_on_its_field_and_what_was_typed_stays(owner_client, organization):
    response = owner_client.post(
        naming_url(organization),
        {"convention": "{teem}-{name}", "description": "Typed description", "enforcement": "enforced"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "“{teem}” is not a dimension key" in page and "{environment}, {project}, {team}" in page
    assert 'value="{teem}-{name}"' in page and 'value="Typed description"' in page
    assert 'value="enforced" id="id_enforcement_1" checked' in page or 'value="enforced"' in page
    organization.refresh_from_db()
    assert organization.workspace_naming_pattern == ""
    assert not AuditEvent.objects.filter(action=AuditAction.NAMING_CONVENTION_UPDATE).exists()


def test_saving_the_same_convention_twice_records_one_event_and_clearing_it_stops_enforcement(
    organization, owner
):
    for _ in range(2):
        naming_convention_update(
            organization=organization,
            convention=" {team}-{name} ",
            description="",
            enforced=True,
            acting_user=owner,
        )
    assert AuditEvent.objects.filter(action=AuditAction.NAMING_CONVENTION_UPDATE).count() == 1
    assert Organization.objects.get(pk=organization.pk).workspace_naming_pattern == "{team}-{name}"
    naming_convention_update(
        organization=organization, convention="", description="", enforced=True, acting_user=owner
    )
    organization.refresh_from_db()
    assert organization.workspace_naming_pattern == "" and not organization.workspace_naming_enforced


def test_the_service_refuses_a_regular_expression_and_people_without_manage_policies(
    organization, owner, manager
):
    with pytest.raises(InvalidError) as refused:
        naming_convention_update(
            organization=organization,
            convention="^[a-z]+$",
            description="",
            enforced=False,
            acting_user=owner,
        )
    assert refused.value.field == "convention" and "can't be part of a workspace ID" in refused.value.message
    with pytest.raises(PermissionDeniedError):
        naming_convention_update(
            organization=organization,
            convention="{name}-x",
            description="",
            enforced=False,
            acting_user=manager,
        )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("org_admin", 200), ("org_manager", 403), ("org_viewer", 403), ("org_member", 403),
     ("ws_admin", 403), ("outsider", 404)],
)  # fmt: skip
def test_only_those_who_manage_policies_open_the_page(client, persona_world, persona, status):
    client.force_login(persona_world.users[persona])
    assert client.get(naming_url(persona_world.organization)).status_code == status
    response = client.post(
        naming_url(persona_world.organization), {"convention": "{name}-x", "enforcement": "advisory"}
    )
    assert response.status_code in ({302} if status == 200 else {status})
    persona_world.organization.refresh_from_db()
    assert persona_world.organization.workspace_naming_pattern == ("{name}-x" if status == 200 else "")


def test_the_side_navigation_links_the_page_for_admins_only(client, organization, owner, manager):
    client.force_login(owner)
    assert (
        naming_url(organization)
        in client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    )
    client.force_login(manager)
    assert (
        naming_url(organization)
        not in client.get(reverse("organizations:home", args=[organization.slug])).content.decode()
    )


def test_the_page_lists_live_workspaces_off_the_convention_with_why(
    owner_client, organization, owner, make_workspace
):
    production = value(organization, "environment", "production")
    make_workspace("production-churn", label_values=[production])
    make_workspace("churn-prod", label_values=[production])
    make_workspace("staging-orphan")  # no environment label at all, though its ID names one
    page = owner_client.get(naming_url(organization)).content.decode()
    assert "Set a convention to see which workspaces follow it." in page

    naming_convention_update(
        organization=organization,
        convention="{environment}-{name}",
        description="",
        enforced=False,
        acting_user=owner,
    )
    page = owner_client.get(naming_url(organization)).content.decode()
    assert "production-churn</a>" not in page
    assert "churn-prod</a>" in page and "Should start with “production-”" in page
    assert "production-churn-prod" in page  # the conforming ID it could have had
    assert "staging-orphan</a>" in page and "Its ID fits, but it has no label of Environment" in page


def test_the_list_is_paginated(owner_client, organization, owner):
    from workspaces.services import WorkspaceSpec, workspace_create_bulk

    specs = [WorkspaceSpec(slug=f"off-{n:03d}", display_name=f"Off {n}") for n in range(30)]
    workspace_create_bulk(organization=organization, specs=specs, acting_user=owner)
    naming_convention_update(
        organization=organization, convention="ml-{name}", description="", enforced=False, acting_user=owner
    )
    first = owner_client.get(naming_url(organization)).content.decode()
    assert "off-000</a>" in first and "off-024</a>" in first and "off-025</a>" not in first
    assert "Page 1 of 2" in first and '<span class="tag">30</span>' in first
    second = owner_client.get(naming_url(organization), {"page": 2}).content.decode()
    assert "off-025</a>" in second and "off-029</a>" in second and "off-000</a>" not in second


def test_a_convention_whose_dimension_disappeared_is_shown_and_not_enforced(
    owner_client, organization, owner
):
    team_create(organization=organization, name="Platform", acting_user=owner)
    naming_convention_update(
        organization=organization,
        convention="{project}-{name}",
        description="",
        enforced=True,
        acting_user=owner,
    )
    Organization.objects.filter(pk=organization.pk).update(workspace_naming_pattern="{region}-{name}")
    page = owner_client.get(naming_url(organization)).content.decode()
    assert (
        "The saved convention no longer fits the labels" in page
        and "“{region}” is not a dimension key" in page
    )


def test_a_dimension_key_change_is_written_into_the_convention(organization, owner):
    from organizations.services import dimension_update

    naming_convention_update(
        organization=organization,
        convention="{environment}-{name}",
        description="",
        enforced=True,
        acting_user=owner,
    )
    environment = organization.dimensions.get(key="environment")
    dimension_update(dimension=environment, name="Stage", key="stage", required=False, acting_user=owner)
    organization.refresh_from_db()
    assert organization.workspace_naming_pattern == "{stage}-{name}"
    event = AuditEvent.objects.filter(action=AuditAction.NAMING_CONVENTION_UPDATE).first()
    assert event.before == {"convention": "{environment}-{name}"} and event.after == {
        "convention": "{stage}-{name}"
    }


def test_a_dimension_the_convention_uses_cannot_be_removed(owner_client, organization, owner):
    from governance.services import dimension_delete
    from organizations.errors import ConflictError

    naming_convention_update(
        organization=organization,
        convention="{environment}-{name}",
        description="",
        enforced=False,
        acting_user=owner,
    )
    environment = organization.dimensions.get(key="environment")
    with pytest.raises(ConflictError) as refused:
        dimension_delete(dimension=environment, acting_user=owner)
    assert "uses {environment}: change it on the Naming page first" in refused.value.message
    assert organization.dimensions.filter(key="environment").exists()


def test_the_convention_is_previewed_as_it_is_typed_without_saving(owner_client, organization):
    url = naming_url(organization)
    line = owner_client.get(url, {"convention": "{environment}-{name}"}, headers={"HX-Request": "true"})
    text = line.content.decode()
    assert text.strip().startswith('<div id="naming-preview"') and "<html" not in text
    assert "The Environment key, “-”, then a name of your own" in text and "development-churn-model" in text
    refused = owner_client.get(
        url, {"convention": "{env}-{name}"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "“{env}” is not a dimension key" in refused
    organization.refresh_from_db()
    assert organization.workspace_naming_pattern == ""
    page = owner_client.get(url).content.decode()
    assert 'hx-get="' + url + '"' in page and 'aria-describedby="id_convention_help naming-preview"' in page
