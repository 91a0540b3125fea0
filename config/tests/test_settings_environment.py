"""What an operator sees when starting Atrium with a given environment (config/settings.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**variables: str) -> subprocess.CompletedProcess:
    """Import config.settings in a fresh interpreter whose environment holds no Django or Atrium
    variable except `variables`; it prints the settings the tests look at."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "ATRIUM_")) and name != "DATABASE_URL"
    }
    env.update(variables)
    code = (
        "import json, config.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'proxy_ssl_header': s.SECURE_PROXY_SSL_HEADER}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def _clean_env(**variables: str) -> dict:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "ATRIUM_")) and name != "DATABASE_URL"
    }
    return env | variables


def test_production_refuses_to_start_without_a_secret_key():
    """The WSGI application (what gunicorn loads) will not come up without the key."""
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=_clean_env(), capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr
    assert "export DJANGO_SECRET_KEY=" in result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key():
    """`manage.py check` (and makemigrations, migrate) work on a build machine without the key."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=_clean_env(), capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_starts_without_a_secret_key():
    result = _import_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_production_starts_with_a_secret_key():
    result = _import_settings(DJANGO_SECRET_KEY="a-production-secret-" + "x7Qz" * 12)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, None),
        ({"ATRIUM_TRUSTED_PROXIES": "0"}, None),
        ({"ATRIUM_TRUSTED_PROXIES": "1"}, ["HTTP_X_FORWARDED_PROTO", "https"]),
        ({"ATRIUM_TRUSTED_PROXIES": "2", "DJANGO_HTTPS": "0"}, ["HTTP_X_FORWARDED_PROTO", "https"]),
    ],
)
def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy(variables, expected):
    result = _import_settings(DJANGO_SECRET_KEY="a-production-secret-" + "x7Qz" * 12, **variables)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["proxy_ssl_header"] == expected
