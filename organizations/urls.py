from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("new/", views.organization_create, name="create"),
    path("<slug:org_slug>/", views.organization_home, name="home"),
    path("<slug:org_slug>/settings/", views.organization_settings, name="settings"),
]
