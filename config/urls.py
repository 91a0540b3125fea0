from django.contrib import admin
from django.urls import include, path

from organizations import views as organization_views

from . import views

urlpatterns = [
    path("", organization_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("orgs/", include("organizations.urls")),
    path("", include("workspaces.urls")),
    path("admin/", admin.site.urls),
]
