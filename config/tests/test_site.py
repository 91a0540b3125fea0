"""config.site: absolute links use ATRIUM_BASE_URL, else the request's own address, else a fallback."""

from config.site import FALLBACK_BASE_URL, site_base_url, site_url


def test_outside_a_request_the_fallback_is_where_runserver_listens(settings):
    settings.ATRIUM_BASE_URL = ""
    assert site_url("/w/ws/") == FALLBACK_BASE_URL + "/w/ws/" == "http://127.0.0.1:8000/w/ws/"
    with site_base_url("http://127.0.0.1:8302"):
        assert site_url("/accounts/login/") == "http://127.0.0.1:8302/accounts/login/"
    assert site_url() == FALLBACK_BASE_URL


def test_the_configured_base_url_wins_everywhere(settings):
    settings.ATRIUM_BASE_URL = "https://atrium.example.com"
    assert site_url("/w/ws/") == "https://atrium.example.com/w/ws/"
    with site_base_url("http://localhost:8302"):
        assert site_url() == "https://atrium.example.com"
