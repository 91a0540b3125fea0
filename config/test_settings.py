"""Settings for the test suite: the production settings with a plain-HTTP test server."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")
os.environ.setdefault("DJANGO_HTTPS", "0")

from config.settings import *  # noqa: F403

# Tests run without collectstatic, so the manifest storage has nothing to look up.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
ATRIUM_EMBEDDED_PHASE_SECONDS = 0
ATRIUM_SERVER_UP_HOOKS = []  # stand-in servers have no API to set up; the contract test turns them on
ATRIUM_SERVER_WATCH_HOOKS = []
# Quick tests need no ZenML: the embedded provisioner, whatever is installed (the supervisor's tests
# choose the zenml one with a stand-in server command).
ATRIUM_PROVISIONER = EMBEDDED_PROVISIONER  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared memory: the browser tests' live server then has connections of its own
    # instead of borrowing the test thread's.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}  # noqa: F405

# Query budgets must not see the once-a-minute role expiry; its own test turns it on.
ATRIUM_ROLE_EXPIRY_CHECK_SECONDS = None
ATRIUM_HOUSEKEEPING_SECONDS = None
