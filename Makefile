# Atrium: build, run and test entry points.
#   make run    set up .venv and serve http://127.0.0.1:$(PORT) with demo data (SQLite by default)
#   make test   set up .venv and run lint, Django checks and every test (browser tests included)
#   make bench  measure the main pages under gunicorn with wrk, and Create → available (docs/benchmark.md)

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
RUFF  := $(VENV)/bin/ruff
STAMP := $(VENV)/.installed

# ZenML, for the workspace servers, in a venv of its own: its dependencies never constrain the site's.
ZENML_VENV  := .venv-zenml
ZENML_STAMP := $(ZENML_VENV)/.installed

PORT        ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS  ?=

# Interpreter used to create the venv: python3.12 if it runs, else python3 (checked to be 3.12 below).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell if python3.12 -c pass >/dev/null 2>&1; then echo python3.12; else echo python3; fi)
endif

TEST_ENV := DJANGO_SETTINGS_MODULE=config.test_settings
DEV_ENV  := DJANGO_DEBUG=1
# The benchmark's own settings: DEBUG off, its own database and servers directory under .bench/.
BENCH_ENV := DJANGO_SETTINGS_MODULE=config.bench_settings

.PHONY: help install zenml zenml-if-possible run worker servers test bench bench-wrk lint format clean

help:
	@echo "Atrium make targets:"
	@echo "  make run      set up .venv and .venv-zenml, migrate, seed demo data, serve http://127.0.0.1:$(PORT)"
	@echo "                with the task worker and the workspace-server supervisor"
	@echo "                (PORT=8001 to change the port)"
	@echo "  make test     set up .venv and .venv-zenml, then ruff, Django checks and pytest"
	@echo "                (PYTEST_ARGS='...' passes through)"
	@echo "  make bench    seed 1,000 workspaces into .bench/, serve them with gunicorn (DEBUG off), print each"
	@echo "                page's req/s, p50, p99 and share of /healthz under wrk, and the time from Create"
	@echo "                to available with a real ZenML server (docs/benchmark.md; installs wrk as root)"
	@echo "                (BENCH_ARGS='--workspaces 5000 --seconds 10 --no-server' passes through)"
	@echo "  make install  create .venv and install requirements.txt"
	@echo "  make zenml    create .venv-zenml and install requirements-zenml.txt (ZenML, for workspace servers)"
	@echo "  make lint     ruff check + ruff format --check"
	@echo "  make format   ruff format + ruff check --fix"
	@echo "  make worker   run only the background task worker (db_worker)"
	@echo "  make servers  run only the workspace-server supervisor (run_workspace_servers)"
	@echo "  make clean    remove .venv, .venv-zenml, workspace-servers/, db.sqlite3, staticfiles/ and .bench/"

# The venv itself: created with Python 3.12 only.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' 2>/dev/null || { \
	  echo "error: Atrium needs Python 3.12, but '$(PYTHON)' is: $$($(PYTHON) --version 2>&1)" >&2; \
	  echo "       Install Python 3.12 (e.g. 'pyenv install 3.12'; .python-version selects it) or run" >&2; \
	  echo "       'make PYTHON=/path/to/python3.12 ...'." >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

# Dependencies: (re)installed whenever requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' || { \
	  echo "error: $(VENV) is not a Python 3.12 venv ($$($(PY) --version 2>&1)); run 'make clean' first." >&2; \
	  exit 1; }
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt
	@touch $@

install: $(STAMP)

# ZenML's own venv (about a minute and 216 MB); reinstalled whenever requirements-zenml.txt changes.
$(ZENML_STAMP): requirements-zenml.txt
	test -x $(ZENML_VENV)/bin/python || $(PYTHON) -m venv $(ZENML_VENV)
	$(ZENML_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-zenml.txt
	@# A new workspace server copies this store instead of creating its tables (seconds sooner).
	env -i PATH=/usr/bin:/bin $(ZENML_VENV)/bin/python -P workspaces/provisioners/zenml_store_template.py \
	  $(ZENML_VENV)/atrium-store-template.db || echo "*** No store template: new servers create their own." >&2
	@touch $@

zenml: $(ZENML_STAMP)

# run and test go on without ZenML (offline, no PyPI): workspaces then use the embedded provisioner
# and the real-server test is skipped; this says so loudly.
zenml-if-possible:
	@$(MAKE) --no-print-directory zenml || { \
	  echo "*** Installing ZenML into $(ZENML_VENV) failed: workspaces use the embedded provisioner" >&2; \
	  echo "*** (no server processes) and the real-server test is skipped. Retry with 'make zenml'." >&2; }

# The worker runs in its own process group (setsid) so that stopping it also stops the
# autoreloader's child process; the EXIT trap does that when runserver ends (Ctrl-C). The
# workspace-server supervisor likewise; here it also stops its servers when it ends.
run: install zenml-if-possible
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	@export $(DEV_ENV); \
	setsid $(PY) manage.py db_worker --interval 1 & worker=$$!; \
	setsid $(PY) manage.py run_workspace_servers --base-url http://127.0.0.1:$(PORT) --stop-servers-on-exit & \
	servers=$$!; \
	trap 'kill -TERM -- -$$worker -$$servers 2>/dev/null; wait $$worker $$servers 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "Serving http://127.0.0.1:$(PORT)/ (task worker pid $$worker, workspace servers pid $$servers);" \
	  "Ctrl-C stops them all."; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(DEV_ENV) $(PY) manage.py db_worker --interval 1

servers: install zenml
	$(DEV_ENV) $(PY) manage.py run_workspace_servers --base-url http://127.0.0.1:$(PORT)

lint: install
	$(RUFF) check .
	$(RUFF) format --check .

format: install
	$(RUFF) format .
	$(RUFF) check --fix .

test: install zenml-if-possible
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "*** /usr/bin/chromium is missing: the browser (e2e) tests will fail." >&2; \
	  echo "*** To install it, run: apt-get install -y chromium" >&2; \
	fi
	$(RUFF) check .
	$(RUFF) format --check .
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# wrk, the load generator, comes from the system's packages: installed here when that is possible (root
# with apt-get), otherwise the error says how.
bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing wrk: apt-get install -y wrk"; \
	    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; \
	  else \
	    echo "error: make bench needs wrk, the HTTP load generator. Install it, e.g." >&2; \
	    echo "       sudo apt-get install wrk   (Debian, Ubuntu)    or    brew install wrk   (macOS)" >&2; \
	    exit 1; \
	  fi; }

# Without ZenML the run still measures the pages and says why it skipped Create → available.
bench: install zenml-if-possible bench-wrk
	$(BENCH_ENV) $(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(ZENML_VENV) workspace-servers db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm staticfiles .bench
