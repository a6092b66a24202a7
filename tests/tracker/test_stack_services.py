"""The Compose stack without Docker: its commands as processes on real services.

These machines have no Docker engine, so this runs what docker-compose.yml
runs (migrate, then web, worker and beat, with the environment the file
gives them) as local processes against the machine's PostgreSQL and Redis,
in a database of its own. Beat fires every few seconds
(ASYNCDASH_WEEKLY_SCAN_INTERVAL: a crontab's finest unit is a minute) and
triggers the weekly scan of a small local upstream repository, which the
seeded Django project is cloned from (ASYNCDASH_UPSTREAM_URL, as `migrate`
reads it); the worker scans it; the web server answers over HTTP.

FOLLOW-UP (issue 7): when the dashboard's API lands (/api/v1/releases/), fetch
the scanned releases through it here instead of reading the rows with SQL.
"""

import gzip
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis
from compose_file import (
    compose_config,
    env_example,
    service_command,
    service_environment,
)
from django.conf import settings as django_settings
from repo_builder import AUTH, AUTH_FIXED_SYNC_ONLY, CACHE, DB, TESTS, make_repo
from services import free_port
from slow_clients import SlowClients, get_status

from tracker.config.nginx import Nginx

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true"}
# Celery's worker prints this from its signal handler, outside logging, when
# it is stopped; the only line of its stdout that is not JSON.
CELERY_SHUTDOWN_NOTICE = re.compile(r"worker: (Warm|Cold) shutdown \(MainProcess\)")
BEAT_EVERY = 3  # seconds between two weekly scans, in this test only

# Django's layout, small: what the seeded project's component map expects.
UPSTREAM = {
    "5.0": {
        "django/__init__.py": "",
        "django/core/cache/backends/base.py": CACHE,
        "django/db/models/query.py": DB,
        "django/contrib/auth/__init__.py": AUTH,
        "tests/cache/tests.py": TESTS,
    },
    "5.1": {"django/contrib/auth/__init__.py": AUTH_FIXED_SYNC_ONLY},
}


class Service:
    """One service of the compose file, run as a local process group."""

    def __init__(self, name: str, command: list[str], *, env: dict, logs: Path):
        self.name = name
        self.command = command
        self.stdout = logs / f"{name}.out"
        self.stderr = logs / f"{name}.err"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.started_as = self.argv()

    def argv(self) -> list[str]:
        """What runs, as its command line reads: a script's interpreter left out."""
        # Just after exec the kernel may not have laid out the arguments yet.
        deadline = time.monotonic() + 10
        while not (raw := Path(f"/proc/{self.process.pid}/cmdline").read_bytes()):
            assert time.monotonic() < deadline, f"{self.name} shows no command line"
            time.sleep(0.05)
        argv = raw.decode().rstrip("\0").split("\0")
        script = len(argv) > 1 and Path(argv[1]).parent == VENV_BIN
        if Path(argv[0]).name.startswith("python") and script:
            argv = argv[1:]
        return [Path(argv[0]).name, *argv[1:]]

    def tail(self) -> str:
        out = self.stdout.read_text(errors="replace")[-3000:]
        err = self.stderr.read_text(errors="replace")[-3000:]
        return f"--- {self.name} stdout\n{out}\n--- {self.name} stderr\n{err}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


@pytest.fixture
def stack_database():
    """A database of this test's own on the run's PostgreSQL, and its Redis."""
    db = django_settings.DATABASES["default"]
    missing = []
    if db["ENGINE"] != "django.db.backends.postgresql":
        missing.append("DATABASE_URL=postgres://... (PostgreSQL)")
    if not django_settings.REDIS_URL:
        missing.append("REDIS_URL=redis://...")
    if missing:
        message = f"needs real services: set {' and '.join(missing)}; make test does"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"{db['NAME'].removeprefix('test_')}_stack"
    server = dict(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"])
    if db["PASSWORD"]:
        server["password"] = db["PASSWORD"]

    def admin(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.flushdb()
    auth = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
    url = f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    yield url, lambda: psycopg.connect(url.replace("postgres://", "postgresql://"))
    broker.flushdb()
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for(what: str, check, *, timeout: float, services=()):
    """Poll `check` until it returns something true; fail with the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        for service in services:
            assert service.process.poll() is None, (
                f"{service.name} died\n{service.tail()}"
            )
        time.sleep(0.5)
    logs = "\n".join(service.tail() for service in services)
    raise AssertionError(f"no {what} after {timeout} s\n{logs}")


def published_port(config: dict, ports: dict[str, int]) -> int:
    """The local port of the one service Compose publishes to clients."""
    published = [name for name, s in config["services"].items() if s.get("ports")]
    assert len(published) == 1, published
    return ports[published[0]]


def http_get(
    port: int, path: str, method: str = "GET", **headers
) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return 0, {}, b""


def rows(connect, sql: str) -> list[tuple]:
    with connect() as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.services
def test_beat_triggers_a_scan_that_a_worker_runs_and_the_web_serves(
    tmp_path, stack_database
) -> None:
    database_url, connect = stack_database
    upstream = make_repo(tmp_path / "upstream", UPSTREAM)
    port, cache_port, proxy_port = free_port(), free_port(), free_port()
    config = compose_config(
        {
            **env_example(),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "POSTGRES_PASSWORD": "unused: DATABASE_URL is set",
            "DATABASE_URL": database_url,
            "REDIS_URL": django_settings.REDIS_URL,
            # The `cache` service below, on a port of its own.
            "ASYNCDASH_CACHE_URL": f"redis://127.0.0.1:{cache_port}/0",
            "ASYNCDASH_UPSTREAM_URL": str(upstream),
            # A trial on plain HTTP, as .env.example describes it.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "WEB_PORT": str(port),
            "WEB_CONCURRENCY": "1",
        }
    )
    data_dir = tmp_path / "data"  # the `data` volume
    image = {  # what the Dockerfile's ENV gives every container
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "ASYNCDASH_DATA_DIR": str(data_dir),
        "ASYNCDASH_SDIST_CACHE": str(data_dir / "sdists"),
        "ASYNCDASH_STATIC_ROOT": str(tmp_path / "staticfiles"),
    }
    logs = tmp_path / "logs"
    logs.mkdir()

    def env(name: str) -> dict[str, str]:
        test_only = {"ASYNCDASH_WEEKLY_SCAN_INTERVAL": str(BEAT_EVERY)}
        return {**image, **service_environment(config, name), **test_only}

    # The image's build step, then the one-shot migration.
    collect = subprocess.run(
        ["python", "manage.py", "collectstatic", "--noinput"],
        cwd=REPO_ROOT, env=env("web"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stderr
    migrate = subprocess.run(
        service_command(config, "migrate"),
        cwd=REPO_ROOT, env=env("migrate"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    assert rows(connect, "SELECT git_url FROM tracker_project WHERE slug='django'") == [
        (str(upstream),)
    ]

    started: list[Service] = []
    # nginx (`proxy`) with the file and environment Compose gives it; only
    # the addresses are local ones (no `web` host here).
    proxy = Nginx(
        listen=f"127.0.0.1:{proxy_port}",
        upstream=f"127.0.0.1:{port}",
        env=service_environment(config, "proxy"),
    )
    try:
        # The cache's server, as Compose runs it, on a local port.
        cache_command = service_command(config, "cache")
        cache_local = ["--port", str(cache_port), "--bind", "127.0.0.1"]
        started.append(
            Service("cache", [*cache_command, *cache_local], env=env("web"), logs=logs)
        )
        for name in ("worker", "web", "beat"):
            started.append(
                Service(name, service_command(config, name), env=env(name), logs=logs)
            )
        _cache, worker, web, beat = started
        assert {s.name: s.started_as for s in started[1:]} == {
            s.name: service_command(config, s.name) for s in started[1:]
        }
        with (logs / "proxy.out").open("wb") as out:
            proxy.start(stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        front = published_port(config, {"web": port, "proxy": proxy_port})

        def healthy():
            status, headers, body = http_get(front, "/healthz/")
            return (status, headers, json.loads(body)) if status == 200 else None

        status, headers, health = wait_for(
            "healthy web server", healthy, timeout=90, services=started
        )
        assert health == {
            "status": "ok",
            "checks": {"database": "ok", "broker": "ok"},
            "failed": [],
        }
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        # HEAD answers as GET does, without the body, through nginx too.
        status, headers, body = http_get(front, "/healthz/", method="HEAD")
        assert (status, body) == (200, b"")

        # Slow clients wait in nginx: the site answers everyone else.
        with SlowClients(front):
            time.sleep(2)  # every slow client is connected and dribbling
            assert get_status(front, "/robots.txt", timeout=10) == 200

        wait_for(
            "scan from beat",
            lambda: rows(connect, "SELECT id FROM tracker_scan"),
            timeout=120,
            services=started,
        )
        beat.stop()  # one weekly scan is enough; later ones would find it done
        # Beat's schedule lives in the data volume (dbm files: .dat, .dir).
        assert list(data_dir.glob("celerybeat-schedule*"))

        def finished():
            found = rows(
                connect, "SELECT version, trigger, status, error FROM tracker_scan"
            )
            return found if all(r[2] in {"done", "failed"} for r in found) else None

        scans = wait_for(
            "finished scans", finished, timeout=240, services=[worker, web]
        )
        # Pages are cached in the cache's server, never in the broker's.
        for path in ("/", "/releases/5.1/", "/api/v1/releases"):
            assert http_get(front, path)[0] == 200, path
        assert redis.Redis(port=cache_port).keys("*dashboard:*")
        assert not redis.Redis.from_url(django_settings.REDIS_URL).keys("*dashboard*")
        assert {(v, t, s) for v, t, s, _ in scans if not v.startswith("main-")} == {
            ("5.0", "weekly", "done"),
            ("5.1", "weekly", "done"),
        }, scans
        assert all(status == "done" for _, _, status, _ in scans), scans
        releases = dict(rows(connect, "SELECT version, files FROM tracker_release"))
        assert releases["5.0"] == releases["5.1"] == 5
        assert (data_dir / "mirrors" / "django.git").is_dir()  # in the data volume

        # Static files: WhiteNoise in the web process, hashed and compressed.
        manifest = json.loads(
            (tmp_path / "staticfiles" / "staticfiles.json").read_text()
        )
        css = manifest["paths"]["ninja/swagger-ui.css"]
        status, headers, body = http_get(
            front, f"/static/{css}", **{"Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert b"swagger-ui" in gzip.decompress(body)
        assert "immutable" in headers["Cache-Control"]

        # The compose file's healthchecks pass against these processes.
        web_check = config["services"]["web"]["healthcheck"]["test"]
        assert web_check[0] == "CMD"
        assert subprocess.run(web_check[1:], env=env("web"), timeout=60).returncode == 0
        worker_check = config["services"]["worker"]["healthcheck"]["test"]
        assert worker_check[0] == "CMD-SHELL"
        shell_env = {**env("worker"), "HOSTNAME": socket.gethostname()}
        probe = subprocess.run(
            ["sh", "-c", worker_check[1]], cwd=REPO_ROOT, env=shell_env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        proxy.stop()
        for service in reversed(started):
            service.stop()

    # Logs: one JSON object per line on stdout; a scan's lines carry its ids.
    scan_ids = {row[0] for row in rows(connect, "SELECT id FROM tracker_scan")}
    records = {}
    for service in started[1:]:  # the app's services, not Redis
        lines = service.stdout.read_text().splitlines()
        kept = [x for x in lines if x and not CELERY_SHUTDOWN_NOTICE.fullmatch(x)]
        assert kept, service.name
        # json.loads raises on anything that is not one JSON object per line.
        records[service.name] = [json.loads(line) for line in kept]
    scan_tasks = (
        "tracker.scanning.tasks.scan_releases",
        "tracker.scanning.tasks.analyze_batch",
        "tracker.scanning.tasks.finalise_scans",
        "tracker.scanning.tasks.finalise_scan",
    )
    # Celery's line for each finished task; its `data` names the task.
    finished_tasks = [
        r
        for r in records["worker"]
        if r["logger"] == "celery.app.trace" and r["data"]["name"] in scan_tasks
    ]
    assert {r["data"]["name"] for r in finished_tasks} == set(scan_tasks)
    for record in finished_tasks:
        assert record.get("scan_ids"), record
        assert set(record["scan_ids"]) <= scan_ids, record
    assert any(
        r["logger"] == "gunicorn.access" and r.get("path") == "/healthz/"
        for r in records["web"]
    )
