"""The workspace server's usage events: counted per workspace, and the first pipeline run ticks the
onboarding checklist by itself."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from control_plane.models import UsageCount, UsageDay
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


def days(workspace):
    return dict(UsageDay.objects.filter(workspace=workspace).values_list("day", "total"))


def test_created_pipeline_runs_are_counted_per_day_and_old_days_purged(zenml, workspace, make_workspace):
    today = timezone.localdate()
    other = make_workspace("other-ws")
    UsageDay.objects.create(workspace=other, feature="pipeline_run", day=today - timedelta(days=31), total=9)
    UsageDay.objects.create(workspace=other, feature="pipeline_run", day=today - timedelta(days=30), total=4)
    token = zenml.server_token(workspace)
    for _ in range(3):
        zenml.usage_event(token, workspace, "pipeline_run")
    zenml.usage_event(token, workspace, "pipeline_run", total=-1)  # a deleted run was still run that day
    zenml.usage_event(token, workspace, "pipeline")  # only runs are dated
    assert counts(workspace) == {"pipeline_run": 2, "pipeline": 1}
    assert days(workspace) == {today: 3}
    # The day's first event swept the days past 30 of every workspace.
    assert days(other) == {today - timedelta(days=30): 4}


def test_the_organization_home_rolls_up_the_runs_of_the_last_7_days(zenml, client, owner, workspace):
    today = timezone.localdate()
    zenml.usage_event(zenml.server_token(workspace), workspace, "pipeline_run")
    UsageDay.objects.create(
        workspace=workspace, feature="pipeline_run", day=today - timedelta(days=6), total=2
    )
    UsageDay.objects.create(
        workspace=workspace, feature="pipeline_run", day=today - timedelta(days=7), total=50
    )
    client.force_login(owner)
    home = reverse("organizations:home", args=[workspace.organization.slug])
    assert "3 runs in 7 days" in client.get(home, {"view": "board"}).content.decode()
    UsageDay.objects.filter(workspace=workspace, day__gt=today - timedelta(days=7)).delete()
    # Quiet for a week, but it has reported: 0, not "no runs reported" (which the empty columns show).
    assert "0 runs in 7 days" in client.get(home, {"view": "board"}).content.decode()
    UsageCount.objects.filter(workspace=workspace).delete()
    assert "runs in 7 days" not in client.get(home, {"view": "board"}).content.decode()
