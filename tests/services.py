"""Tests on real services: PostgreSQL, Redis, Celery worker processes.

`make test` runs the `services` tests with DATABASE_URL and REDIS_URL set;
elsewhere they skip, saying what they need, and fail under CI=true. The
fixtures are registered in `tests/conftest.py`.
"""

import os
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from tracker.models import Project, Scan
from tracker.scanning import requests
from tracker.scanning.workers import WorkerProcess, worker_env

IN_CI = os.environ.get("CI", "").lower() in {"1", "true"}
VISIBILITY_TIMEOUT = 30  # seconds: a killed worker's tasks come back soon


@pytest.fixture
def real_services():
    """PostgreSQL and Redis, or a skip (a failure under CI) saying so."""
    missing = []
    if connection.vendor != "postgresql":
        missing.append("DATABASE_URL=postgres://... (PostgreSQL)")
    if not django_settings.REDIS_URL:
        missing.append("REDIS_URL=redis://...")
    if missing:
        message = f"needs real services: set {' and '.join(missing)}; make test does"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()
    yield
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()


def database_url() -> str:
    db = connection.settings_dict  # the test database the suite runs in
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def start_worker(tmp_path, data_dir):
    """Start a worker process (two prefork children) on the test database."""
    workers = []

    def start(**extra_env) -> WorkerProcess:
        env = worker_env(
            database_url=database_url(),
            redis_url=django_settings.REDIS_URL,
            data_dir=data_dir,
            CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
            CELERY_TASK_TIME_LIMIT=VISIBILITY_TIMEOUT - 5,
            CELERY_UNACKED_RESTORE_INTERVAL=1,
            **extra_env,
        )
        workers.append(WorkerProcess(env=env, log=tmp_path / "worker.log"))
        return workers[-1].wait_ready()

    yield start
    for worker in workers:
        worker.stop()


def wait_done(scan: Scan, timeout: float = 90) -> Scan:
    """The scan once it is done or failed; an AssertionError if it never ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.status not in Scan.ACTIVE:
            return scan
        time.sleep(0.2)
    raise AssertionError(f"scan {scan.pk} still {scan.status} after {timeout} s")


def request(project: Project, version: str) -> Scan:
    target = requests.Target(version=version, ref=version)
    return requests.scans_request(project=project, targets=[target])[0]
