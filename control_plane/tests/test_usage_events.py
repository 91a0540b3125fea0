"""The workspace server's usage events: counted per workspace, and the first pipeline run ticks the
onboarding checklist by itself."""

import pytest
from django.urls import reverse

from control_plane.models import UsageCount
from workspaces import onboarding
from workspaces.models import OnboardingStep

pytestmark = pytest.mark.django_db


def counts(workspace):
    return dict(UsageCount.objects.filter(workspace=workspace).values_list("feature", "total"))


def test_usage_events_are_counted_per_workspace(zenml, workspace, make_workspace):
    token = zenml.server_token(workspace)
    for feature in ("project", "pipeline", "pipeline", "model"):
        assert zenml.usage_event(token, workspace, feature).status_code == 200
    zenml.usage_event(token, workspace, "model", total=-1)
    zenml.usage_event(token, workspace, "model", total=-1)  # never below zero
    assert counts(workspace) == {"project": 1, "pipeline": 2, "model": 0}
    assert counts(make_workspace("other-ws")) == {}


def test_a_first_pipeline_run_ticks_the_checklist(zenml, workspace):
    token = zenml.server_token(workspace)
    zenml.usage_event(token, workspace, "pipeline")
    assert not OnboardingStep.objects.filter(workspace=workspace, key=onboarding.FIRST_PIPELINE).exists()
    zenml.usage_event(token, workspace, "pipeline_run")
    assert OnboardingStep.objects.filter(workspace=workspace, key=onboarding.FIRST_PIPELINE).exists()
    assert counts(workspace)["pipeline_run"] == 1


def test_the_overview_shows_both_steps_ticked_by_the_server(zenml, client, owner, workspace, logged_in_cli):
    cli, user_token = logged_in_cli
    cli.authorize_server(user_token, workspace)  # the server exchanges the CLI's token
    zenml.usage_event(zenml.server_token(workspace), workspace, "pipeline_run")
    client.force_login(owner)
    page = client.get(reverse("workspaces:overview", args=[workspace.slug])).content.decode()
    assert 'Log in from the command line <span class="visually-hidden">(done)' in page
    assert 'Run a first pipeline <span class="visually-hidden">(done)' in page


def test_usage_events_need_the_servers_token(zenml, workspace, logged_in_cli):
    _, user_token = logged_in_cli
    assert zenml.usage_event(user_token, workspace, "pipeline_run").status_code == 401
    assert counts(workspace) == {}


def test_the_overview_shows_what_the_server_counted(client, owner, workspace):
    from django.urls import reverse

    from control_plane.models import UsageCount

    for feature, total in [("pipeline", 2), ("pipeline_run", 3), ("project", 1)]:
        UsageCount.objects.create(workspace=workspace, feature=feature, total=total)
    client.force_login(owner)
    page = client.get(reverse("workspaces:overview", args=[workspace.slug])).content.decode()
    assert "2 pipelines, 3 runs, 1 project" in page
