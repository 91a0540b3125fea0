"""Workspace pages: the stepper inside an organization, and each workspace's own pages under /w/<id>/."""

from django.urls import path

from . import views

app_name = "workspaces"

urlpatterns = [
    path("orgs/<slug:org_slug>/workspaces/new/", views.workspace_new, name="new"),
    path("orgs/<slug:org_slug>/workspaces/new/check-id/", views.workspace_id_check_view, name="check_id"),
    path("orgs/<slug:org_slug>/workspaces/new/discard/", views.workspace_new_discard, name="new_discard"),
    path("w/<str:workspace_slug>/", views.workspace_overview, name="overview"),
    path("w/<str:workspace_slug>/status/", views.workspace_status, name="status"),
    path("w/<str:workspace_slug>/retry/", views.workspace_retry, name="retry"),
    path("w/<str:workspace_slug>/settings/", views.workspace_settings, name="settings"),
]
