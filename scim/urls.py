from django.urls import path

from . import pages, views

# Included at /scim/v2/ (config/urls.py). Identity providers send no trailing slash.
scim_urlpatterns = [
    path("Users", views.users, name="scim_users"),
    path("Users/<str:user_id>", views.user, name="scim_user"),
    path("Groups", views.groups, name="scim_groups"),
    path("Groups/<str:group_id>", views.group, name="scim_group"),
    path("ServiceProviderConfig", views.service_provider_config_view, name="scim_service_provider_config"),
    path("ResourceTypes", views.resource_types_view, name="scim_resource_types"),
    path("ResourceTypes/<str:name>", views.resource_types_view, name="scim_resource_type"),
    path("Schemas", views.schemas_view, name="scim_schemas"),
    path("Schemas/<str:schema_id>", views.schemas_view, name="scim_schema"),
]

# Included under /orgs/ in the "organizations" namespace (config/urls.py).
urlpatterns = [
    path("<slug:org_slug>/settings/scim/", pages.scim_settings, name="scim_settings"),
    path(
        "<slug:org_slug>/settings/scim/<int:scim_token_id>/revoke/",
        pages.scim_token_revoke,
        name="scim_token_revoke",
    ),
]
