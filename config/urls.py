from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from governance import urls as governance_urls
from governance.org_admin import org_admin_site
from governance.views import invitations as invitation_views
from organization_api import urls as organization_api_urls
from organizations import urls as organization_urls
from organizations.views import core as organization_views
from scim import urls as scim_urls
from service_accounts import urls as service_account_urls

from . import views

# Django's admin for site operators, named like the owners' panel (governance.org_admin) beside it.
admin.site.site_header = "Atrium · Site administration"
admin.site.site_title = "Atrium site administration"

urlpatterns = [
    path("", organization_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Browsers ask for /favicon.ico whatever the page says; the unhashed name needs no manifest lookup.
    path("favicon.ico", RedirectView.as_view(url="/static/img/atrium.svg"), name="favicon"),
    path("accounts/tokens/", include(organization_api_urls.token_urlpatterns)),
    path("accounts/", include("accounts.urls")),
    # The ZenML-compatible control plane at ZENML_CONTROL_PLANE_PATH, its command-line login page and
    # the browser login a workspace server sends to (/api/auth/login: before the API's JSON 404s).
    path("", include("control_plane.urls")),
    # SCIM 2.0 provisioning for identity providers, authenticated by an organization's SCIM token.
    path("scim/v2/", include(scim_urls.scim_urlpatterns)),
    # The organization API (/api/v1/…) and its docs (/api/docs).
    path("api/", include(organization_api_urls.api_urlpatterns)),
    # Organization pages come from two apps (governance's span workspaces too); one namespace for both.
    path(
        "orgs/",
        include(
            (
                organization_urls.urlpatterns
                + governance_urls.urlpatterns
                + service_account_urls.urlpatterns
                + scim_urls.urlpatterns,
                "organizations",
            )
        ),
    ),
    # The e-mailed link keeps its token in the session and continues at the token-free page.
    path("invitations/accept/", invitation_views.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/", invitation_views.invitation_link, name="invitation_link"),
    # A workspace's Members page invites someone new into the organization (governance spans both).
    path(
        "w/<str:workspace_slug>/settings/members/invite/",
        invitation_views.workspace_member_invite,
        name="workspace_member_invite",
    ),
    path("", include("workspaces.urls")),
    path("admin/", admin.site.urls),
    path("org-admin/", org_admin_site.urls),
]
