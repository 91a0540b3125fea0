from functools import wraps

from django.urls import path

from . import views
from .api import api


def _api_view(view):
    """What ninja's views lack: a 405 in the API's error shape (ninja answers plain text), and the
    caller's rate limit in GitHub's X-RateLimit-* headers."""

    @wraps(view)  # keeps ninja's csrf_exempt: cookie-authenticated writes are checked by the API itself
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            response = views.api_method_not_allowed(request, allowed=response["Allow"])
        if rate_limit := getattr(request, "rate_limit", None):
            limit, remaining, reset = rate_limit
            response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"] = str(limit), str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response

    return wrapper


_api_patterns, _app_name, _namespace = api.urls
for _pattern in _api_patterns:
    _pattern.callback = _api_view(_pattern.callback)

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
