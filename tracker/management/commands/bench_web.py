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

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tracker import selectors

TRIVIAL = "/robots.txt"
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def gunicorn_command(port: int) -> list[str]:
    """The web server as production runs it (see docker-compose.yml)."""
    return [
        sys.executable, "-m", "gunicorn", "tracker.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
        "--workers", "2", "--threads", "4",
    ]  # fmt: skip


def wrk(url: str, *, seconds: int, connections: int) -> tuple[float, float, str]:
    """Requests per second, p99 latency in ms, and any error line."""
    done = subprocess.run(
        [
            "wrk",
            "--latency",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(_RATE.search(done.stdout).group(1))
    value, unit = _P99.search(done.stdout).groups()
    errors = " ".join(m.group(0) for m in _ERRORS.finditer(done.stdout))
    return rate, float(value) * _UNIT_MS[unit], errors


class Command(BaseCommand):
    help = "Requests per second and p99 of the pages and API, against a trivial view."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--rounds", type=int, default=2)
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, **options):
        if not shutil.which("wrk"):
            raise CommandError("needs wrk: apt-get install wrk")
        project = selectors.project_current()
        newest = project and selectors.release_get(project=project)
        if newest is None:
            raise CommandError("no scanned release: run bench_scan or make run first")
        call_command("collectstatic", interactive=False, verbosity=0)
        base = f"http://127.0.0.1:{options['port']}"
        pages = {
            "overview": "/",
            "component page": "/components/cache/",
            f"API release {newest.version}": f"/api/v1/releases/{newest.version}",
        }
        env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
        log = settings.DATA_DIR / "bench-web.log"
        with log.open("ab") as out:
            server = subprocess.Popen(
                gunicorn_command(options["port"]),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR,
            )
        try:
            self._wait_up(base + TRIVIAL)
            for path in [*pages.values(), TRIVIAL]:
                urllib.request.urlopen(base + path).read()  # warm the caches
            self._measure(base, pages, options)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def _wait_up(self, url: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError("gunicorn did not start") from None
                time.sleep(0.5)

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
