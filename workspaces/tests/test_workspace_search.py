"""Workspace search (workspaces.search): from an index on either database, with the answers a scan
with `icontains` would give; one or two characters match the start of the ID or the name."""

import pytest
from django.db.models import Q

from organization_api.selectors import workspace_list_filtered
from organizations.access import Access
from organizations.models import DimensionValue, Membership
from workspaces.models import Workspace, WorkspaceLabel
from workspaces.selectors import workspace_list_for_user

pytestmark = pytest.mark.django_db


def scan(organization, search):
    """What the search answered before it had an index: `icontains` over every workspace."""
    return set(
        Workspace.objects.live()
        .filter(organization=organization)
        .filter(
            Q(display_name__icontains=search)
            | Q(slug__icontains=search.lower())
            | Q(description__icontains=search)
            | Q(pk__in=WorkspaceLabel.objects.filter(value__label__icontains=search).values("workspace_id"))
        )
        .values_list("slug", flat=True)
    )


@pytest.fixture
def access(organization, owner):
    return Access(owner, organization, Membership.objects.get(organization=organization, user=owner))


def found(access, search):
    return set(
        workspace_list_for_user(organization=access.organization, access=access, search=search).values_list(
            "slug", flat=True
        )
    )


@pytest.fixture
def workspaces(organization, make_workspace):
    production = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="production"
    )
    return [
        make_workspace("fraud-detection", display_name="Fraud Détection", description="Scores card payments"),
        make_workspace("churn-model", display_name="Churn", description='Who leaves, and why "soon"'),
        make_workspace("ml-platform", display_name="ML Platform", label_values=[production]),
        make_workspace("payments-ml", display_name="Payments", description="100% of the ledger_x"),
    ]


@pytest.mark.parametrize(
    "search",
    ["fraud", "FRAUD", "détection", "tion", "card pay", "l-pla", "ml-", "Production", "duct", "\"soon\"",
     "100%", "ger_x", "payments", "nothing-here", "ents-m", "  churn  "],
)  # fmt: skip
def test_search_answers_what_a_scan_would(access, workspaces, search):
    assert found(access, search) == scan(access.organization, search.strip())


def test_one_or_two_characters_match_the_start_of_the_id_or_the_name(access, workspaces):
    assert found(access, "ml") == {"ml-platform"}  # not payments-ml: "ml" is not where it starts
    assert found(access, "P") == {"payments-ml"}
    assert found(access, "Ch") == {"churn-model"}
    assert found(access, "") == {w.slug for w in workspaces}


def test_the_index_follows_renames_new_descriptions_and_deletions(access, workspaces):
    churn = Workspace.objects.get(slug="churn-model")
    churn.display_name = "Retention"
    churn.description = "Who stays"
    churn.save()
    assert found(access, "retention") == {"churn-model"}
    assert found(access, "stays") == {"churn-model"}
    assert found(access, "leaves") == set()
    Workspace.objects.filter(slug="fraud-detection").delete()
    assert found(access, "fraud") == set()
    assert found(access, "payments") == {"payments-ml"}


def test_the_api_searches_with_the_same_selector(access, workspaces):
    for search in ("card", "production", "ml"):
        api = set(workspace_list_filtered(access=access, search=search).values_list("slug", flat=True))
        assert api == found(access, search)


def test_another_organizations_workspaces_never_match(access, workspaces, make_user):
    from organizations.services import organization_create
    from workspaces.services import workspace_create

    other_owner = make_user("other@example.com")
    other = organization_create(name="Other", acting_user=other_owner)
    workspace_create(organization=other, slug="fraud-other", display_name="Fraud", acting_user=other_owner)
    assert found(access, "fraud") == {"fraud-detection"}
