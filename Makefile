# `make run` imports and scans Django's newest feature release from PyPI on the
# embedded default and serves the dashboard on http://127.0.0.1:8000/ while the
# feature releases since 3.0 are imported and scanned in the background;
# `make test` lints and runs the whole suite.
# Both install what they need into .venv first: requirements-dev.txt, which
# is the application's requirements.txt (all the image installs) and the
# test and lint tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian 12's own python3 (3.11.2), whose tarfile has no extraction filters:
# `make test-system-python` runs the archive and import tests on it, in a
# venv of its own with the runtime requirements and pytest.
SYSTEM_PYTHON ?= /usr/bin/python3
SYSTEM_VENV := .venv-debian
SYSTEM_PYTHON_TESTS := tests/tracker/test_sdist.py tests/tracker/test_importer.py \
	tests/tracker/test_import_errors.py tests/tracker/test_sdist_download.py
# The pipeline tests on real services (PostgreSQL, Redis, Celery workers).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/asyncdash
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: venv run demo-projects test lint browser nginx test-system-python

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(SYSTEM_VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(SYSTEM_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(SYSTEM_VENV)
	$(SYSTEM_VENV)/bin/python -m pip install --disable-pip-version-check \
		-r requirements.txt -c requirements-dev.txt pytest pytest-django
	touch $@

# Served by nginx in front of gunicorn (manage.py serve), as in Compose: slow
# clients wait in nginx, not on gunicorn's threads. The newest feature release
# is imported and scanned first and the site served at once; the others are
# imported and scanned in the background meanwhile (serve --catch-up-since).
RUN_SINCE ?= 3.0
RUN_BIND ?= 127.0.0.1:8000
run: venv nginx
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py import_releases --newest
	$(BIN)/python manage.py scan --newest
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "asyncdash: the dashboard is on http://$(RUN_BIND)/ (Ctrl-C stops it)"
	$(BIN)/python manage.py serve --bind $(RUN_BIND) --catch-up-since $(RUN_SINCE)

# Two more projects beside Django, two releases each from PyPI (about a
# minute): httpcore (unasync-generated _sync/ from _async/) and psycopg
# (generated cursor.py from cursor_async.py...). `make run` then shows them.
demo-projects: venv
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py add_project httpcore --pypi httpcore --since 1.0 --exists-ok \
		--config analyzers/data/projects/httpcore.toml
	$(BIN)/python manage.py import_releases --project httpcore 1.0.8 1.0.9
	$(BIN)/python manage.py scan --project httpcore --since 1.0.8
	$(BIN)/python manage.py add_project psycopg --pypi psycopg --since 3.3 --exists-ok \
		--config analyzers/data/projects/psycopg.toml
	$(BIN)/python manage.py import_releases --project psycopg 3.3.8 3.3.9
	$(BIN)/python manage.py scan --project psycopg --since 3.3.8

# The browser test drives Debian's Chromium (Playwright cannot download its
# own here); installed with apt-get when missing.
browser:
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's nginx, for `make run` and the slow-client tests; installed with
# apt-get when missing (its service is not started: serve runs its own).
nginx:
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends nginx; }

lint: venv
	$(BIN)/ruff check .

test: venv browser nginx
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not services"
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest -m services

test-system-python: $(SYSTEM_VENV)/.installed
	$(SYSTEM_VENV)/bin/python -c 'import sys, tarfile; print("system python", \
		sys.version.split()[0], "extraction filters:", hasattr(tarfile, "data_filter"))'
	$(SYSTEM_VENV)/bin/python -m pytest -m "not services" $(SYSTEM_PYTHON_TESTS)
