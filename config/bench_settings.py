"""Settings for `make bench` (`manage.py bench`): production settings with DEBUG off, on a database
and a workspace-servers directory of their own under `.bench/`, so a benchmark never touches the
development data (`db.sqlite3`, `workspace-servers/`).

Set DATABASE_URL to benchmark another database (e.g. PostgreSQL); it is then seeded, never emptied.
"""

import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent / ".bench"
# Made here, not by the command: Django's checks open the database before any command runs, and on a
# fresh clone SQLite cannot create a file in a directory that does not exist.
BENCH_DIR.mkdir(exist_ok=True)

# Only the benchmark's own SQLite file is emptied before each run; a database named by DATABASE_URL is
# somebody's and is only added to.
BENCH_OWN_DATABASE = not os.environ.get("DATABASE_URL")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
# Always its own: the run stops every server left in it, which must never be somebody else's.
os.environ["ATRIUM_WORKSPACE_SERVERS_DIR"] = str(BENCH_DIR / "workspace-servers")
# A fixed key: the web processes, the worker and the supervisor must agree on it (sessions, tokens, the
# servers' derived secrets), and nothing signed here outlives the run.
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdefghij")
os.environ["DJANGO_DEBUG"] = "0"  # measured as production serves: cached templates, no debug pages
os.environ.setdefault("DJANGO_HTTPS", "0")  # wrk speaks plain HTTP to 127.0.0.1

from config.settings import *  # noqa: E402, F403

ATRIUM_BENCH = True
