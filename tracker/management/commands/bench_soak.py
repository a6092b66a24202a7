"""Soak the dashboard: minutes of page and API load while the worker scans.

Needs the services production runs on: PostgreSQL, Redis and a database
whose releases are already scanned (bench_scan's, say). Nothing is wiped; the
soak adds forced re-scans of a few releases to it:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asyncdash_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
    .venv/bin/python manage.py bench_soak

It starts the production web server (bench_web.gunicorn_command, with the
access log production writes and the API's rate limit off) and one Celery
worker with two prefork processes. While `wrk` sends 32 connections' worth
of requests for `--seconds`, rotating over the pages and API answers in
`soak_paths`, the command re-scans RELEASES, forced, requesting them again
each time they finish, so the worker is busy and the data version (which keys
the page cache and the ETags) changes all along. It prints Markdown tables:
wrk's totals, each URL as the access log saw it, the scans, and the memory
of the web server and the worker at the start, the end and the highest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from tracker import selectors
from tracker.management.commands.bench_web import (
    gunicorn_start,
    wait_up,
    wrk_latency_ms,
    wrk_output,
)
from tracker.management.options import int_between
from tracker.models import Scan
from tracker.scanning import requests
from tracker.scanning.workers import WorkerProcess, worker_env

# Re-scanned, forced, back to back: the newest (whose pages are under load)
# and three feature releases the overview shows.
RELEASES = ["5.2", "6.0", "6.1", "6.1.3"]
PAIR = "django.db.models.query.QuerySet.aget"
MEMORY_EVERY = 5  # seconds between samples of the processes' memory


def soak_paths(newest: str) -> list[str]:
    """The pages and API answers wrk rotates over."""
    pages, api = "/p/django", "/api/v1/projects/django"
    return [
        f"{pages}/",
        f"{pages}/components/orm-queryset/",
        f"{pages}/releases/{newest}/functions/{PAIR}/",
        f"{pages}/releases/{newest}/pairs/{PAIR}/",
        f"{pages}/search/?q=aget",
        f"{api}/releases/{newest}",
        f"{api}/functions?component=orm-queryset&is_async=true&page_size=100",
    ]


def rotation_script(paths: list[str]) -> str:
    """A wrk Lua script: each thread asks for the paths in turn."""
    literals = ", ".join(json.dumps(p) for p in paths)  # plain ASCII: valid Lua
    return (
        f"local paths = {{{literals}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        "  return wrk.format(nil, paths[i])\n"
        "end\n"
    )


@dataclass(frozen=True)
class Load:
    """wrk's totals for the whole run."""

    requests: int
    seconds: float
    bad_status: int  # wrk's "Non-2xx or 3xx responses"
    socket_errors: str
    p50_ms: float
    p99_ms: float


def load_of(output: str) -> Load:
    done = re.search(r"(\d+) requests in ([\d.]+)(m|s)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    return Load(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * (60 if done.group(3) == "m" else 1),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sockets.group(1).strip() if sockets else "none",
        p50_ms=wrk_latency_ms(output, 50),
        p99_ms=wrk_latency_ms(output, 99),
    )


# Memory --------------------------------------------------------------------------
def process_table() -> dict[int, tuple[int, int]]:
    """Every process's parent and resident set (KiB), from /proc/*/status."""
    table = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines()
            )
        except (OSError, ValueError):
            continue  # gone meanwhile
        rss = fields.get("VmRSS", "0 kB").split()[0]  # kernel threads have none
        table[int(status.parent.name)] = (int(fields["PPid"]), int(rss))
    return table


def tree_rss(root: int, table: dict[int, tuple[int, int]]) -> dict[int, int]:
    """RSS (KiB) of `root` and of every process descending from it."""
    tree, queue = {}, [root]
    while queue:
        pid = queue.pop()
        if pid in table:
            tree[pid] = table[pid][1]
            queue += [child for child, (parent, _) in table.items() if parent == pid]
    return tree


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def rss_text(tree: dict[int, int]) -> str:
    """'60 + 95 + 96 = 251 MiB', the root first."""
    parts = " + ".join(mib(kib) for kib in tree.values())
    return f"{parts} = {mib(sum(tree.values()))} MiB"


@dataclass
class MemoryWatch:
    """The RSS of two process trees at the start, the last sample and the peak."""

    roots: dict[str, int]
    start: dict[str, dict[int, int]] = field(default_factory=dict)
    last: dict[str, dict[int, int]] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)

    def sample(self) -> None:
        table = process_table()
        for name, root in self.roots.items():
            self.last[name] = tree_rss(root, table)
            self.start.setdefault(name, self.last[name])
            total = sum(self.last[name].values())
            self.peak[name] = max(self.peak.get(name, 0), total)


def redis_memory() -> tuple[int, int]:
    """Keys in this Redis database, and the whole server's used memory (KiB)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.dbsize(), client.info("memory")["used_memory"] // 1024


# Logs ----------------------------------------------------------------------------
def access_stats(log: Path, offset: int) -> dict[str, list[tuple[int, int]]]:
    """(status, ms in the server) of each request gunicorn logged past `offset`."""
    stats: dict[str, list[tuple[int, int]]] = {}
    with log.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            if b'"gunicorn.access"' not in line:
                continue
            entry = json.loads(line)
            url = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
            stats.setdefault(url, []).append((entry["status"], entry["duration_ms"]))
    return stats


def error_lines(log: Path, offset: int) -> list[str]:
    """Lines past `offset` logged at ERROR or CRITICAL, or a traceback's end."""
    with log.open("rb") as lines:
        lines.seek(offset)
        return [
            line.decode(errors="replace").strip()[:300]
            for line in lines
            if b'"level": "ERROR"' in line or b'"level": "CRITICAL"' in line
        ]


def percentile(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * percent // 100)]


# Tables --------------------------------------------------------------------------
def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def load_table(load: Load) -> str:
    header = ["requests", "req/s", "non-2xx/3xx", "socket errors", "p50", "p99"]
    rate = load.requests / load.seconds
    row = [str(load.requests), f"{rate:.0f}", str(load.bad_status)]
    row += [load.socket_errors, f"{load.p50_ms:.0f} ms", f"{load.p99_ms:.0f} ms"]
    return markdown_table(header, [row])


def url_table(access: dict[str, list[tuple[int, int]]]) -> str:
    rows = []
    for url, entries in access.items():
        statuses = Counter(status for status, _ in entries)
        times = [ms for _, ms in entries]
        rows.append(
            [f"`{url}`", str(len(entries))]
            + [", ".join(f"{n} x {s}" for s, n in sorted(statuses.items()))]
            + [f"{percentile(times, 50)} ms", f"{percentile(times, 99)} ms"]
        )
    return markdown_table(["URL", "requests", "statuses", "p50", "p99"], rows)


def memory_table(watch: MemoryWatch, redis_pair: list[tuple[int, int]]) -> str:
    """RSS at the start, the end and the peak; whether any process was replaced
    (a gunicorn worker killed on a timeout, a Celery child lost)."""
    names = {"web": "gunicorn, master + workers", "worker": "Celery, main + children"}
    rows = [
        [label, rss_text(watch.start[n]), rss_text(watch.last[n])]
        + [f"{mib(watch.peak[n])} MiB"]
        + ["yes" if watch.start[n].keys() == watch.last[n].keys() else "**no**"]
        for n, label in names.items()
    ]
    redis_row = [f"{keys} keys, {mib(kib)} MiB" for keys, kib in redis_pair]
    rows.append(["Redis: keys in its database, server's memory", *redis_row, "", ""])
    return markdown_table(["RSS", "start", "end", "peak", "same pids"], rows)


def scan_table(scan_ids: list[int], ended_at: datetime, rounds: list[float]) -> str:
    scans = Scan.objects.filter(pk__in=scan_ids)
    done = scans.filter(status=Scan.Status.DONE)
    failed = scans.exclude(status=Scan.Status.DONE).values_list("version", "error")
    rounds = sorted(rounds) or [0.0]
    rows = [
        ["releases re-scanned, forced, again and again", ", ".join(RELEASES)],
        ["scans requested", str(scans.count())],
        ["done during the load", str(done.filter(finished_at__lte=ended_at).count())],
        [
            "done after it (the last round)",
            str(done.filter(finished_at__gt=ended_at).count()),
        ],
        ["failed", "; ".join(f"{v}: {e}" for v, e in failed) or "0"],
        ["a round of the releases, median", f"{rounds[len(rounds) // 2]:.1f} s"],
    ]
    return markdown_table(["scans", ""], rows)


class Command(BaseCommand):
    help = "Dashboard load for minutes while the worker scans: errors, p99, memory."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int_between(1, 86400), default=300)
        parser.add_argument("--connections", type=int_between(1, 10000), default=32)
        parser.add_argument("--port", type=int_between(1, 65535), default=8766)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql" or not settings.REDIS_URL:
            raise CommandError("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        if not shutil.which("wrk"):
            raise CommandError("needs wrk: apt-get install wrk")
        project = selectors.project_current()
        newest = project and selectors.release_get(project=project)
        if newest is None:
            raise CommandError("no scanned release: run bench_scan or make run first")
        call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "ASYNCDASH_API_RATE": "off", "ASYNCDASH_PAGE_RATE": "off"}
        env.setdefault("DATABASE_CONN_MAX_AGE", "60")  # the compose file's default
        logs = [settings.DATA_DIR / f"bench-soak-{n}.log" for n in ("web", "worker")]
        offsets = {log: log.stat().st_size if log.exists() else 0 for log in logs}
        server = worker = None
        scan_ids: list[int] = []
        try:
            worker = self._start_worker(env, logs[1])
            server = gunicorn_start(
                options["port"], env=env, log=logs[0], access_log=True
            )
            base = f"http://127.0.0.1:{options['port']}"
            paths = soak_paths(newest.version)
            self._warm(base, paths)
            watch = MemoryWatch({"web": server.pid, "worker": worker.process.pid})
            watch.sample()
            redis_pair = [redis_memory()]
            access_offset = logs[0].stat().st_size
            with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
                script.write(rotation_script(paths))
                script.flush()
                with ThreadPoolExecutor(1) as pool:
                    load = pool.submit(
                        wrk_output,
                        base + "/",
                        seconds=options["seconds"],
                        connections=options["connections"],
                        script=Path(script.name),
                        timeout=10,
                    )
                    ended_at, rounds = self._scan_rounds(project, load, watch, scan_ids)
            watch.sample()
            redis_pair.append(redis_memory())
            tables = [
                load_table(load_of(load.result())),
                url_table(access_stats(logs[0], access_offset)),
                scan_table(scan_ids, ended_at, rounds),
                memory_table(watch, redis_pair),
            ]
            self.stdout.write("\n\n".join(tables))
            for log in logs:
                lines = error_lines(log, offsets[log])
                self.stdout.write(f"\n{len(lines)} ERROR lines in {log}")
                for line in lines[:5]:
                    self.stdout.write(f"    {line}")
        finally:
            self._stop(server, worker, scan_ids)

    def _start_worker(self, env: dict[str, str], log: Path) -> WorkerProcess:
        """One Celery worker, two prefork processes, as production's default."""
        return WorkerProcess(
            env=worker_env(
                database_url=env["DATABASE_URL"],
                redis_url=settings.REDIS_URL,
                data_dir=settings.DATA_DIR,
                DATABASE_CONN_MAX_AGE=env["DATABASE_CONN_MAX_AGE"],
            ),
            log=log,
            concurrency=2,
        ).wait_ready()

    def _warm(self, base: str, paths: list[str]) -> None:
        """Wait for the server, then fetch each path once: each must be a 200."""
        wait_up(base + "/robots.txt")
        for path in paths:
            with urllib.request.urlopen(base + path) as answer:
                if answer.status != 200:
                    raise CommandError(f"{path} answered {answer.status}")

    def _scan_rounds(
        self, project, load: Future, watch: MemoryWatch, scan_ids: list[int]
    ) -> tuple[datetime, list[float]]:
        """Forced re-scans of RELEASES, asked for again as soon as they finish,
        until the load ends; the last round is let finish. Samples the memory
        meanwhile. Returns when the load ended and how long each round took;
        `scan_ids` collects the scans."""
        ended_at, rounds, pending = None, [], []
        round_started = last_sample = time.monotonic()
        while True:
            if not pending:
                if load.done():
                    break
                round_started = time.monotonic()
                scans = requests.scans_request_versions(
                    project=project, versions=RELEASES, force=True
                )
                pending = [s.pk for s in scans]
                scan_ids += pending
            time.sleep(0.2)
            if ended_at is None and load.done():
                ended_at = timezone.now()
            if time.monotonic() - last_sample > MEMORY_EVERY:
                watch.sample()
                last_sample = time.monotonic()
            active = Scan.objects.filter(pk__in=pending, status__in=Scan.ACTIVE)
            pending = list(active.values_list("pk", flat=True))
            if not pending:
                rounds.append(time.monotonic() - round_started)
        return ended_at or timezone.now(), rounds

    def _stop(self, server, worker, scan_ids: list[int]) -> None:
        """Stop what the soak started; a scan it cut short is marked failed, or
        it would hold its release's slot for active scans."""
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if worker is not None:
            worker.stop()
        Scan.objects.filter(pk__in=scan_ids, status__in=Scan.ACTIVE).update(
            status=Scan.Status.FAILED,
            error="bench_soak stopped before the scan finished",
            finished_at=timezone.now(),
        )
