"""The control plane's routes: the ZenML-compatible API (mounted at ZENML_CONTROL_PLANE_PATH) and the
command-line login's verification page (an Atrium page)."""

from django.urls import include, path

from workspaces.models import ZENML_CONTROL_PLANE_PATH

from .views import api, devices, pages, workspace_pages

app_name = "control_plane"

api_urlpatterns = [
    path("auth/login", api.login, name="login"),
    path("auth/device_authorization", api.device_authorization, name="device_authorization"),
    path("workspaces", api.workspace_list, name="workspace_list"),
    path("workspaces/<str:workspace_id>", api.workspace_detail, name="workspace_detail"),
    path("workspace_status", api.workspace_status, name="workspace_status"),
    path("users/authorize_server", api.authorize_server, name="authorize_server"),
    path("rbac/check_permissions", api.rbac_check_permissions, name="rbac_check_permissions"),
    path("rbac/allowed_resource_ids", api.rbac_allowed_resource_ids, name="rbac_allowed_resource_ids"),
    path("rbac/resource_members", api.rbac_resource_members, name="rbac_resource_members"),
    path("rbac/resources", api.rbac_resources, name="rbac_resources"),
    path(
        "organizations/<str:organization_id>/entitlement/<str:feature>",
        api.entitlement,
        name="entitlement",
    ),
    path("usage-event", api.usage_event, name="usage_event"),
]

urlpatterns = [
    path(ZENML_CONTROL_PLANE_PATH.strip("/") + "/", include(api_urlpatterns)),
    path("devices/verify/", pages.device_verify, name="device_verify"),
    path("accounts/devices/", devices.device_list, name="devices"),
    path("accounts/devices/<uuid:device_id>/logout/", devices.device_logout, name="device_logout"),
    path("api/auth/login", pages.browser_login, name="browser_login"),
    # Inside a workspace: what its ZenML server holds, read as the viewer
    path("w/<str:workspace_slug>/pipelines/", workspace_pages.pipeline_list, name="pipelines"),
    path("w/<str:workspace_slug>/runs/", workspace_pages.run_list, name="runs"),
    path("w/<str:workspace_slug>/runs/<uuid:run_id>/", workspace_pages.run_detail, name="run"),
    path("w/<str:workspace_slug>/stacks/", workspace_pages.stack_list, name="stacks"),
    path("w/<str:workspace_slug>/docs", workspace_pages.api_docs, name="api_docs"),
]
