"""Middleware that applies to every page of the site."""

from django.utils.cache import patch_vary_headers


class HtmxVaryMiddleware:
    """Adds `Vary: HX-Request` to every HTML response.

    A URL may answer a whole page to a browser and only a fragment to htmx; without the header a
    browser or proxy cache could serve the fragment for a full page load (e.g. after Back) or the
    other way round. Every HTML response gets it, so no view can forget it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["HX-Request"])
        return response
