from django.urls import path

from . import views
from .api import api

# Mounted at /api/ (config.urls): the API's own routes, then a JSON 404 for any other path under it.
api_urlpatterns = [
    path("", api.urls),
    path("<path:rest>", views.api_not_found, name="api_not_found"),
]

# Mounted at /accounts/tokens/.
token_urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
