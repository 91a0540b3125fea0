from django.urls import path

from . import views

# Included under /orgs/ in the "organizations" namespace (config/urls.py).
urlpatterns = [
    path(
        "<slug:org_slug>/settings/service-accounts/",
        views.service_account_list_view,
        name="service_accounts",
    ),
    path(
        "<slug:org_slug>/settings/service-accounts/<int:service_account_id>/",
        views.service_account_detail,
        name="service_account",
    ),
    path(
        "<slug:org_slug>/settings/service-accounts/<int:service_account_id>/deactivate/",
        views.service_account_deactivate,
        name="service_account_deactivate",
    ),
    path(
        "<slug:org_slug>/settings/service-accounts/<int:service_account_id>/keys/<int:key_id>/rotate/",
        views.service_account_key_rotate,
        name="service_account_key_rotate",
    ),
    path(
        "<slug:org_slug>/settings/service-accounts/<int:service_account_id>/keys/<int:key_id>/revoke/",
        views.service_account_key_revoke,
        name="service_account_key_revoke",
    ),
]
