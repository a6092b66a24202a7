"""Load-test the dashboard on loopback against a trivial view, in one run.

Starts the production web server (gunicorn, as the compose file runs it) on
this settings' database and cache, then for each page runs `wrk` (Debian's
package) with 32 connections, alternating with the same run against
`/robots.txt`, a trivial Django view served by the same server, so both see
the same noise. Prints requests per second and p99 latency of each, and the
page's share of the trivial view's throughput:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asyncdash_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
    .venv/bin/python manage.py bench_web
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tracker import selectors
from tracker.management.options import int_between

TRIVIAL = "/robots.txt"
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def gunicorn_command(port: int) -> list[str]:
    """The web server as production runs it (see docker-compose.yml)."""
    return [
        sys.executable, "-m", "gunicorn", "tracker.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
        "--workers", "2", "--threads", "4",
    ]  # fmt: skip


def gunicorn_start(
    port: int, *, env: dict[str, str], log: Path, access_log: bool = False
) -> subprocess.Popen:
    """The production web server on loopback, its output appended to `log`;
    with `access_log`, a JSON line per request too, as production writes."""
    command = gunicorn_command(port)
    if access_log:
        command += ["--access-logfile", "-"]
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            env={**env, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
        )


def wait_up(url: str, timeout: float = 60) -> None:
    """Return once `url` answers; CommandError if the server never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(f"nothing answers {url}") from None
            time.sleep(0.5)


def wrk_output(
    url: str,
    *,
    seconds: int,
    connections: int,
    script: Path | None = None,
    timeout: int = 2,
) -> str:
    """What `wrk --latency` prints for one run; `script` is a Lua file."""
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections)]
    command += ["-d", f"{seconds}s", "--timeout", f"{timeout}s", url]
    if script is not None:
        command += ["-s", str(script)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def wrk_latency_ms(output: str, percent: int) -> float:
    """A percentile of the latency distribution `wrk --latency` prints."""
    line = re.compile(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", re.M)
    value, unit = line.search(output).groups()
    return float(value) * _UNIT_MS[unit]


def wrk(url: str, *, seconds: int, connections: int) -> tuple[float, float, str]:
    """Requests per second, p99 latency in ms, and any error line."""
    output = wrk_output(url, seconds=seconds, connections=connections)
    rate = float(_RATE.search(output).group(1))
    errors = " ".join(m.group(0) for m in _ERRORS.finditer(output))
    return rate, wrk_latency_ms(output, 99), errors


class Command(BaseCommand):
    help = "Requests per second and p99 of the pages and API, against a trivial view."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int_between(1, 86400), default=10)
        parser.add_argument("--connections", type=int_between(1, 10000), default=32)
        parser.add_argument("--rounds", type=int_between(1, 100), default=2)
        parser.add_argument("--port", type=int_between(1, 65535), default=8765)

    def handle(self, *args, **options):
        if not shutil.which("wrk"):
            raise CommandError("needs wrk: apt-get install wrk")
        project = selectors.project_current()
        newest = project and selectors.release_get(project=project)
        if newest is None:
            raise CommandError("no scanned release: run bench_scan or make run first")
        call_command("collectstatic", interactive=False, verbosity=0)
        base = f"http://127.0.0.1:{options['port']}"
        slug, version = project.slug, newest.version
        pages = {
            "overview": f"/p/{slug}/",
            "component page": f"/p/{slug}/components/cache/",
            f"API release {version}": f"/api/v1/projects/{slug}/releases/{version}",
        }
        log = settings.DATA_DIR / "bench-web.log"
        # As production runs it, access log included; one client from one
        # address would meet the API's rate limit, so it is off here.
        env = {**os.environ, "ASYNCDASH_API_RATE": "off", "ASYNCDASH_PAGE_RATE": "off"}
        server = gunicorn_start(options["port"], env=env, log=log, access_log=True)
        try:
            wait_up(base + TRIVIAL)
            for path in [*pages.values(), TRIVIAL]:
                urllib.request.urlopen(base + path).read()  # warm the caches
            self._measure(base, pages, options)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def _measure(self, base: str, pages: dict[str, str], options) -> None:
        run = dict(seconds=options["seconds"], connections=options["connections"])
        self.stdout.write(
            f"wrk, {options['connections']} connections, {options['seconds']} s a run,"
            f" best of {options['rounds']} rounds, page and trivial view alternating"
        )
        self.stdout.write(
            "| path | req/s | p99 ms | trivial req/s | trivial p99 ms | share |"
        )
        self.stdout.write("| --- | --- | --- | --- | --- | --- |")
        for label, path in pages.items():
            best, trivial = (0.0, 0.0, ""), (0.0, 0.0, "")
            for _ in range(options["rounds"]):
                page_run = wrk(base + path, **run)
                trivial_run = wrk(base + TRIVIAL, **run)
                best = max(best, page_run)
                trivial = max(trivial, trivial_run)
            errors = " ".join(e for e in (best[2], trivial[2]) if e)
            self.stdout.write(
                f"| {label} (`{path}`) | {best[0]:.0f} | {best[1]:.1f} |"
                f" {trivial[0]:.0f} | {trivial[1]:.1f} |"
                f" **{best[0] / trivial[0]:.0%}** |" + (f" {errors}" if errors else "")
            )
