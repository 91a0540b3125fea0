"""Workspace pages: the stepper and custom roles inside an organization, and each workspace's own
pages under /w/<id>/."""

from django.urls import path

from .views import access_reviews, deletion, members, roles
from .views import core as views

app_name = "workspaces"

urlpatterns = [
    path("orgs/<slug:org_slug>/workspaces/new/", views.workspace_new, name="new"),
    path("orgs/<slug:org_slug>/workspaces/new/check-id/", views.workspace_id_check_view, name="check_id"),
    path("orgs/<slug:org_slug>/workspaces/new/discard/", views.workspace_new_discard, name="new_discard"),
    # Custom workspace roles, managed at the organization level
    path("orgs/<slug:org_slug>/settings/roles/", roles.role_list, name="roles"),
    path("orgs/<slug:org_slug>/settings/roles/<int:role_id>/", roles.role_detail, name="role"),
    path("orgs/<slug:org_slug>/settings/roles/<int:role_id>/cell/", roles.role_cell, name="role_cell"),
    path("orgs/<slug:org_slug>/settings/roles/<int:role_id>/delete/", roles.role_delete, name="role_delete"),
    # Deleted workspaces, restorable for a grace period
    path(
        "orgs/<slug:org_slug>/settings/deleted-workspaces/",
        deletion.deleted_workspace_list,
        name="deleted_list",
    ),
    path(
        "orgs/<slug:org_slug>/settings/deleted-workspaces/<str:workspace_slug>/restore/",
        deletion.deleted_workspace_restore,
        name="deleted_restore",
    ),
    # A workspace's own pages
    path("w/<str:workspace_slug>/", views.workspace_overview, name="overview"),
    path("w/<str:workspace_slug>/status/", views.workspace_status, name="status"),
    path("w/<str:workspace_slug>/onboarding/", views.workspace_onboarding, name="onboarding"),
    path("w/<str:workspace_slug>/retry/", views.workspace_retry, name="retry"),
    path("w/<str:workspace_slug>/deactivate/", views.workspace_deactivate, name="deactivate"),
    path("w/<str:workspace_slug>/reactivate/", views.workspace_reactivate, name="reactivate"),
    path("w/<str:workspace_slug>/settings/", views.workspace_settings, name="settings"),
    path("w/<str:workspace_slug>/settings/delete/", deletion.workspace_delete, name="delete"),
    path("w/<str:workspace_slug>/settings/members/", members.member_list, name="members"),
    path("w/<str:workspace_slug>/settings/members/teams/", members.member_teams, name="members_teams"),
    path("w/<str:workspace_slug>/settings/members/assign/", members.member_assign, name="member_assign"),
    path(
        "w/<str:workspace_slug>/settings/members/<int:assignment_id>/",
        members.member_change,
        name="member_change",
    ),
    path(
        "w/<str:workspace_slug>/settings/members/<int:assignment_id>/remove/",
        members.member_remove,
        name="member_remove",
    ),
    path(
        "w/<str:workspace_slug>/settings/access-review/", access_reviews.access_review, name="access_review"
    ),
    path(
        "w/<str:workspace_slug>/settings/access-review/cadence/",
        access_reviews.access_review_cadence,
        name="access_review_cadence",
    ),
    path(
        "w/<str:workspace_slug>/settings/access-review/<int:review_id>/evidence.<str:fmt>",
        access_reviews.access_review_evidence,
        name="access_review_evidence",
    ),
]
