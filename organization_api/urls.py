from functools import wraps

from django.urls import path

from . import views
from .api import api


def _json_method_not_allowed(view):
    """ninja answers an unknown method with a plain-text 405; give it the API's error shape."""

    @wraps(view)  # keeps ninja's csrf_exempt: cookie-authenticated writes are checked by the API itself
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return views.api_method_not_allowed(request, allowed=response["Allow"])
        return response

    return wrapper


_api_patterns, _app_name, _namespace = api.urls
for _pattern in _api_patterns:
    _pattern.callback = _json_method_not_allowed(_pattern.callback)

# Mounted at /api/ (config.urls): the API's own routes, then a JSON 404 for any other path under it.
api_urlpatterns = [
    path("", (_api_patterns, _app_name, _namespace)),
    path("<path:rest>", views.api_not_found, name="api_not_found"),
]

# Mounted at /accounts/tokens/.
token_urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
