"""What a site operator relies on: health endpoints, production settings, every scoped view guarded."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    assert client.get("/readyz").json() == {"status": "ok"}


def test_check_deploy_is_clean_in_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-secret-" + "x7Qz" * 12,
        "DJANGO_ALLOWED_HOSTS": "atrium.example.com",
    }
    for name in ("DJANGO_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_scoped_route_goes_through_its_scope_guard():
    """A view under /orgs/<org>/ or /w/<id>/ that skipped the guard would leak across organizations."""
    checked = 0
    for route, view in _patterns(get_resolver()):
        if "<slug:org_slug>" in route:
            assert getattr(view, "access_scope", None) == "organization", route
            checked += 1
        elif "<str:workspace_slug>" in route:
            assert getattr(view, "access_scope", None) == "workspace", route
            checked += 1
    assert checked >= 6


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise_with_hashed_names(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    page = client.get("/accounts/login/").content.decode()
    stylesheet = re.search(r'href="(/static/css/atrium\.[0-9a-f]{12}\.css)"', page).group(1)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]


def test_the_client_address_behind_a_trusted_proxy(rf, settings):
    from organizations.audit import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"  # no proxy configured: the header is not trusted
    settings.ATRIUM_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # what our proxy saw, not what the client claimed
