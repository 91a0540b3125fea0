"""What an identity provider reads through SCIM, always within the token's organization: its members
(as SCIM Users; service accounts are not people an identity provider knows, so they are left out) and
its teams (as SCIM Groups)."""

from django.db.models import QuerySet

from organizations.models import Membership, Organization, Team

from .models import ScimToken


def scim_token_list(*, organization: Organization) -> QuerySet[ScimToken]:
    return ScimToken.objects.filter(organization=organization).select_related("created_by")


def scim_token_get(*, organization: Organization, token_id: int) -> ScimToken | None:
    return ScimToken.objects.filter(organization=organization, pk=token_id).first()


def scim_member_list(*, organization: Organization) -> QuerySet[Membership]:
    """The organization's people, oldest first (a stable order for SCIM's index-based pages)."""
    return (
        Membership.objects.filter(organization=organization, user__is_service_account=False)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def scim_member_get(*, organization: Organization, user_id: str) -> Membership | None:
    """The membership of the user with this SCIM id in the organization; None for anyone else's."""
    if not str(user_id).isdigit():
        return None
    return scim_member_list(organization=organization).filter(user_id=int(user_id)).first()


def scim_teams_by_user(*, organization: Organization, user_ids) -> dict[int, list[Team]]:
    """Each user's teams in the organization, for the `groups` of many Users in one query."""
    teams: dict[int, list[Team]] = {user_id: [] for user_id in user_ids}
    rows = Team.members.through.objects.filter(team__organization=organization, user_id__in=list(teams))
    for row in rows.select_related("team").order_by("team__name"):
        teams[row.user_id].append(row.team)
    return teams


def scim_team_list(*, organization: Organization) -> QuerySet[Team]:
    return (
        Team.objects.filter(organization=organization)
        .order_by("created_at", "pk")
        .prefetch_related("members")
    )


def scim_team_get(*, organization: Organization, team_id: str) -> Team | None:
    if not str(team_id).isdigit():
        return None
    return scim_team_list(organization=organization).filter(pk=int(team_id)).first()
