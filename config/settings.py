"""Atrium settings.

Everything that differs between a laptop and a production host is read from the environment:
DATABASE_URL, DJANGO_DEBUG, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DJANGO_HTTPS and the
e-mail settings (EMAIL_BACKEND, EMAIL_HOST, ...). The defaults are safe for production
(DEBUG off, HTTPS on, DJANGO_SECRET_KEY required); `make run` switches DEBUG on for local use.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# A development key is only acceptable with DEBUG on: anyone who knows the key can forge sessions
# and password-reset links. Without DJANGO_SECRET_KEY and DEBUG off the key stays empty: commands that
# sign nothing (check, makemigrations, migrate) still run, but the site refuses to start
# (config.wsgi / config.asgi: `config.startup`), and anything that signs fails.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-atrium-local-development-key-do-not-deploy"


ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# The public base URL of this Atrium installation (e.g. https://atrium.example.com) for the absolute
# links in pages and e-mails. Unset, each link uses the address its request came in on (config/site.py).
ATRIUM_BASE_URL = os.environ.get("ATRIUM_BASE_URL", "").strip().rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # pg_trgm indexes for workspace search; harmless on SQLite
    "guardian",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "axes",
    "accounts",
    "organizations",
    "workspaces",
    "governance",
    "control_plane",
    "organization_api",
    "service_accounts",
    "scim",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxVaryMiddleware",
    "config.site.SiteURLMiddleware",
    "organizations.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "workspaces.middleware.WorkspaceRoleExpiryMiddleware",
]
# How often (seconds, per process) a request first ends the workspace roles past their last day.
ATRIUM_ROLE_EXPIRY_CHECK_SECONDS = 60
# How often (seconds, per process) the workspaces' housekeeping is queued for the task worker.
ATRIUM_HOUSEKEEPING_SECONDS = 3600

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "organizations.context_processors.navigation",
                "governance.context_processors.org_admin_link",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # Kept open between requests, as on PostgreSQL: opening a SQLite file (and its pragmas) costs more
    # than a role check's whole answer (docs/benchmark.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 60

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered pages (config/page_cache.py): about 30–100 KB each, so a few hundred per process.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 400},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures lock the e-mail/IP pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form posts the e-mail as "username"
# Failures count per account whatever the letter case of the e-mail typed.
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "organizations.audit.client_ip"

# How many reverse proxies stand in front of Atrium (0: clients connect directly). Behind them, the
# client address comes from X-Forwarded-For for the audit trail and login throttling.
ATRIUM_TRUSTED_PROXIES = int(os.environ.get("ATRIUM_TRUSTED_PROXIES", "0"))
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# HTTPS hardening is on whenever DEBUG is off, unless DJANGO_HTTPS=0 (e.g. behind a plain-HTTP test server).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# X-Forwarded-Proto is believed only when a proxy of ours sets it; without one, any client could send
# it and make a plain-HTTP request pass for HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ATRIUM_TRUSTED_PROXIES > 0 else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# E-mail (Django 6.1 mailers): printed to the console while DEBUG is on; otherwise sent over SMTP
# to EMAIL_HOST (default localhost:25, like Django's own default).
if DEBUG and not os.environ.get("EMAIL_HOST"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            },
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Atrium <atrium@localhost>")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ATRIUM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Workspace servers (docs/workspace-servers.md). ZenML lives in its own virtualenv (`make zenml`), so
# its dependencies never constrain the site's.
ATRIUM_ZENML_VENV = Path(os.environ.get("ATRIUM_ZENML_VENV", BASE_DIR / ".venv-zenml"))
ZENML_PROVISIONER = "workspaces.provisioners.zenml.ZenMLProvisioner"
# Called by the supervisor when a workspace's server comes up (workspace, server URL).
ATRIUM_SERVER_UP_HOOKS = ["control_plane.workspace_setup.workspace_first_project_create"]
# Called by the supervisor every ATRIUM_SERVER_WATCH_SECONDS for each running server (same arguments).
ATRIUM_SERVER_WATCH_HOOKS = ["control_plane.workspace_setup.workspace_onboarding_pull"]
ATRIUM_SERVER_WATCH_SECONDS = float(os.environ.get("ATRIUM_SERVER_WATCH_SECONDS", "3"))
EMBEDDED_PROVISIONER = "workspaces.provisioners.embedded.EmbeddedProvisioner"
# The provisioner that starts, watches and stops workspace servers (see workspaces/provisioners/): a real
# ZenML server per workspace when ZenML is installed, else the embedded stand-in.
ZENML_INSTALLED = (ATRIUM_ZENML_VENV / ".installed").exists()  # written by `make zenml` once pip succeeded
ATRIUM_PROVISIONER = os.environ.get("ATRIUM_PROVISIONER") or (
    ZENML_PROVISIONER if ZENML_INSTALLED else EMBEDDED_PROVISIONER
)
# Each workspace server's directory (its SQLite store, ZenML config and log) is <this>/<workspace UUID>.
ATRIUM_WORKSPACE_SERVERS_DIR = Path(
    os.environ.get("ATRIUM_WORKSPACE_SERVERS_DIR", BASE_DIR / "workspace-servers")
)
# The command that runs one server, "{port}" replaced; None: uvicorn from ATRIUM_ZENML_VENV (tests use a
# stand-in script).
ATRIUM_WORKSPACE_SERVER_COMMAND = None
ATRIUM_SERVER_PORTS = os.environ.get("ATRIUM_SERVER_PORTS", "8231-8999")  # servers listen on 127.0.0.1
# The address users and the CLI reach a server at ({port}, {workspace_id} = the slug, {uuid}); behind a
# reverse proxy e.g. https://{workspace_id}.ws.example.com.
ATRIUM_SERVER_URL_TEMPLATE = os.environ.get("ATRIUM_SERVER_URL_TEMPLATE", "http://127.0.0.1:{port}")
ATRIUM_SERVER_IDLE_MINUTES = float(os.environ.get("ATRIUM_SERVER_IDLE_MINUTES", "30"))
ATRIUM_MAX_RUNNING_SERVERS = int(os.environ.get("ATRIUM_MAX_RUNNING_SERVERS", "8"))
ATRIUM_SERVER_MAX_CRASHES = int(os.environ.get("ATRIUM_SERVER_MAX_CRASHES", "5"))
ATRIUM_SERVER_START_TIMEOUT_SECONDS = float(os.environ.get("ATRIUM_SERVER_START_TIMEOUT_SECONDS", "90"))
ATRIUM_SERVER_RESTART_BACKOFF_SECONDS = float(os.environ.get("ATRIUM_SERVER_RESTART_BACKOFF_SECONDS", "2"))
ATRIUM_SERVER_HEALTH_SECONDS = float(os.environ.get("ATRIUM_SERVER_HEALTH_SECONDS", "10"))

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
ATRIUM_EMBEDDED_PHASE_SECONDS = float(os.environ.get("ATRIUM_EMBEDDED_PHASE_SECONDS", "0.8"))
