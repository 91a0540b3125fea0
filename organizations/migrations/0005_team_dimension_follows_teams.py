"""The *team* dimension's values become the organization's real teams.

For each organization's `team` dimension: a value whose key or name matches a team becomes that team's
value; a team without one gets one; a value matching no team that workspaces hold becomes a team of
its name (so no workspace loses its label); a value matching no team that nobody holds is removed.
"""

from django.db import migrations
from django.utils.text import slugify


def _free_key(taken: set[str], name: str) -> str:
    base = (slugify(name) or "team")[:50].strip("-") or "team"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key


def forwards(apps, schema_editor):
    Dimension = apps.get_model("organizations", "Dimension")
    Team = apps.get_model("organizations", "Team")
    WorkspaceLabel = apps.get_model("workspaces", "WorkspaceLabel")
    for dimension in Dimension.objects.filter(key="team"):
        dimension.follows_teams = True
        dimension.save(update_fields=["follows_teams"])
        teams = list(Team.objects.filter(organization_id=dimension.organization_id))
        values = list(dimension.values.all())
        taken = {value.value for value in values}
        unmatched_teams = []
        for team in teams:
            match = next(
                (
                    v
                    for v in values
                    if v.team_id is None and (v.value == slugify(team.name) or v.label.lower() == team.name.lower())
                ),
                None,
            )
            if match is None:
                unmatched_teams.append(team)
                continue
            match.team, match.label = team, team.name
            match.save(update_fields=["team", "label"])
        top = max((v.position for v in values), default=-1)
        for team in unmatched_teams:
            top += 1
            dimension.values.create(
                value=_free_key(taken, team.name), label=team.name, color="grey", position=top, team=team
            )
        for value in values:
            if value.team_id is not None:
                continue
            if WorkspaceLabel.objects.filter(value=value).exists():
                value.team = Team.objects.create(organization_id=dimension.organization_id, name=value.label)
                value.save(update_fields=["team"])
            else:
                value.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0004_dimensions_managed"),
        ("workspaces", "0005_workspace_server_state"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
