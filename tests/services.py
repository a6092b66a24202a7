"""Tests on real services: PostgreSQL, Redis, Celery worker processes.

`make test` runs the `services` tests with DATABASE_URL and REDIS_URL set;
elsewhere they skip, saying what they need, and fail under CI=true. The
fixtures are registered in `tests/conftest.py`.
"""

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from tracker.config.celery import app as celery_app
from tracker.models import Project, Scan
from tracker.scanning import requests
from tracker.scanning.workers import WorkerProcess, worker_env

IN_CI = os.environ.get("CI", "").lower() in {"1", "true"}
VISIBILITY_TIMEOUT = 30  # seconds: a killed worker's tasks come back soon


def _skip_or_fail(message: str) -> None:
    """Skip saying what the test needs; under CI=true, fail instead."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def import_releases_or_skip(*versions: str, project: str = "django") -> None:
    """`manage.py import_releases` from PyPI; offline, a skip saying what
    it needs, but under CI=true the import's own error."""
    from django.core.management import call_command

    try:
        call_command("import_releases", *versions, project=project)
    except Exception as exc:  # noqa: BLE001 (offline: the download's error)
        if IN_CI:
            raise
        pytest.skip(
            f"needs PyPI access to download {project} {', '.join(versions)}: {exc}"
        )


@pytest.fixture
def real_services():
    """PostgreSQL and Redis, or a skip (a failure under CI) saying so."""
    missing = []
    if connection.vendor != "postgresql":
        missing.append("DATABASE_URL=postgres://... (PostgreSQL)")
    if not django_settings.REDIS_URL:
        missing.append("REDIS_URL=redis://...")
    if missing:
        _skip_or_fail(
            f"needs real services: set {' and '.join(missing)}; make test does"
        )
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()
    yield
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

    def start(*, beat: bool = False, **extra_env) -> WorkerProcess:
        env = worker_env(
            database_url=database_url(),
            redis_url=django_settings.REDIS_URL,
            data_dir=data_dir,
            **{
                "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT,
                "CELERY_TASK_TIME_LIMIT": VISIBILITY_TIMEOUT - 5,
                # A file's wall-clock deadline (5 x 3 s) must fit in that.
                "ASYNCDASH_SECONDS_PER_FILE": 3,
                "CELERY_UNACKED_RESTORE_INTERVAL": 1,
                **extra_env,
            },
        )
        workers.append(WorkerProcess(env=env, log=tmp_path / "worker.log", beat=beat))
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


class RedisServer:
    """A private `redis-server` on a free loopback port, persisting every write
    (append-only file, fsync always) in its own folder, so it can be restarted
    under a worker without touching anyone else's Redis."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.folder), "--appendonly", "yes",
            "--appendfsync", "always", "--save", "",
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    message = f"redis-server did not start: {self.log()}"
                    raise RuntimeError(message) from exc
                time.sleep(0.05)

    def stop(self) -> None:
        """SHUTDOWN (SIGTERM): the append-only file is complete on disk."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def _celery_reconnect() -> None:
    """Drop the test process's broker pools and result backend, so the next
    task sent uses the configuration just changed.

    Celery takes its pool from kombu's process-wide registry, keyed by the
    connection: closing a pool there without clearing the registry would hand
    the same closed pool back for that URL later ("Acquire on closed pool").
    """
    kombu.pools.reset()  # closes every pool and empties the registry
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local = threading.local()


@pytest.fixture
def private_redis(tmp_path, settings):
    """A Redis of the test's own, which the test may restart: the test process
    (Django's cache, the Celery app) and the workers it starts use it.

    Needs PostgreSQL and the redis-server program; never the shared Redis.
    """
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    if shutil.which("redis-server") is None:
        missing.append("the redis-server program on PATH")
    if missing:
        _skip_or_fail(f"needs {' and '.join(missing)}; make test has them")
    server = RedisServer(tmp_path / "redis")
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        }
    }
    conf = celery_app.conf
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: conf[key] for key in keys}
    conf.update(
        broker_url=server.url,
        result_backend=f"tracker.config.results:RedisResults+{server.url}",
    )
    conf.update(task_always_eager=False)
    _celery_reconnect()
    try:
        yield server
    finally:
        conf.update(saved)
        _celery_reconnect()
        server.stop()
