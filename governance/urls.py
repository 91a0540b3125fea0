"""Routes of the governance pages, under /orgs/ in the "organizations" namespace (config/urls.py)."""

from django.urls import path

from .views import access, dimensions, home, invitations, members, naming, teams

urlpatterns = [
    path("<slug:org_slug>/", home.organization_home, name="home"),
    # Members
    path("<slug:org_slug>/settings/members/", members.member_list, name="members"),
    path(
        "<slug:org_slug>/settings/members/<int:membership_id>/role/",
        members.member_change_role,
        name="member_role",
    ),
    path(
        "<slug:org_slug>/settings/members/<int:membership_id>/remove/",
        members.member_remove,
        name="member_remove",
    ),
    path(
        "<slug:org_slug>/settings/members/<int:membership_id>/deactivate/",
        members.member_deactivate,
        name="member_deactivate",
    ),
    path(
        "<slug:org_slug>/settings/members/<int:membership_id>/transfer/",
        members.ownership_transfer,
        name="ownership_transfer",
    ),
    # Invitations
    path("<slug:org_slug>/settings/invitations/", invitations.invitation_list, name="invitations"),
    path("<slug:org_slug>/settings/invitations/bulk/", invitations.invitation_bulk, name="invitation_bulk"),
    path(
        "<slug:org_slug>/settings/invitations/<int:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "<slug:org_slug>/settings/invitations/<int:invitation_id>/link/",
        invitations.invitation_link_copy,
        name="invitation_link",
    ),
    path(
        "<slug:org_slug>/settings/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    # Teams
    path("<slug:org_slug>/settings/teams/", teams.team_list, name="teams"),
    path("<slug:org_slug>/settings/teams/<int:team_id>/", teams.team_detail, name="team"),
    path("<slug:org_slug>/settings/teams/<int:team_id>/delete/", teams.team_delete, name="team_delete"),
    path(
        "<slug:org_slug>/settings/teams/<int:team_id>/members/add/",
        teams.team_member_add,
        name="team_member_add",
    ),
    path(
        "<slug:org_slug>/settings/teams/<int:team_id>/members/<int:user_id>/remove/",
        teams.team_member_remove,
        name="team_member_remove",
    ),
    # Who has access to what
    path("<slug:org_slug>/settings/access/", access.access_matrix, name="access"),
    # Labels: dimensions and their values
    path("<slug:org_slug>/settings/dimensions/", dimensions.dimension_list, name="dimensions"),
    path(
        "<slug:org_slug>/settings/dimensions/<int:dimension_id>/",
        dimensions.dimension_edit,
        name="dimension",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/<int:dimension_id>/move/",
        dimensions.dimension_move,
        name="dimension_move",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/<int:dimension_id>/remove/",
        dimensions.dimension_delete,
        name="dimension_delete",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/<int:dimension_id>/values/",
        dimensions.dimension_value_add,
        name="dimension_value_add",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/values/<int:value_id>/",
        dimensions.dimension_value_edit,
        name="dimension_value",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/values/<int:value_id>/move/",
        dimensions.dimension_value_move,
        name="dimension_value_move",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/values/<int:value_id>/policy/",
        dimensions.dimension_value_policy,
        name="dimension_value_policy",
    ),
    path(
        "<slug:org_slug>/settings/dimensions/values/<int:value_id>/remove/",
        dimensions.dimension_value_remove,
        name="dimension_value_remove",
    ),
    # Naming convention of workspace IDs
    path("<slug:org_slug>/settings/naming/", naming.naming_settings, name="naming"),
]
