from django.urls import path

from .views import audit
from .views import core as views

# Included with governance's routes under the "organizations" namespace (see config/urls.py).

urlpatterns = [
    path("new/", views.organization_create, name="create"),
    path("<slug:org_slug>/settings/", views.organization_settings, name="settings"),
    # Audit log
    path("<slug:org_slug>/settings/audit/", audit.audit_log, name="audit"),
]
