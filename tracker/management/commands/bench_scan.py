"""Benchmark the scan pipeline against libcst's parse alone, in one run.

Needs real services and a database of its own, which it wipes:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asyncdash_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
    .venv/bin/python manage.py bench_scan

It imports the releases from PyPI into a local mirror (not timed), starts
one worker with two prefork processes, and prints: the cold scan of all but
the last release; `libcst.parse_module` over the same distinct blobs in this
single process; their ratio; the same two as CPU time (the worker's
processes, analysing children included, against this process: on a machine
shared with other work, wall-clock time also counts the waits for a core);
the scan of the last release on top; and a re-scan of a finished release (a
no-op) and a forced one (all from cache); then the peak memory (VmHWM) of
each of the worker's processes.

With `--all-since VERSION` it imports every final release from VERSION on
(`import_releases --all-since`) and times one cold scan of all of them,
requested together, with its CPU time and the worker's peak memory; no
parse baseline (issue 16 sets that scan an absolute target).
"""

import contextlib
import re
import time

import libcst
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from analyzers.file_pass.ast_walk import holds_no_async
from tracker.management.options import int_between, version_check
from tracker.models import FileAnalysis, Project, Release, Scan
from tracker.scanning import requests
from tracker.scanning.mirrors import mirror_open
from tracker.scanning.workers import WorkerProcess, worker_env

VERSIONS = [
    "3.0",
    "3.1",
    "3.2",
    "4.0",
    "4.1",
    "4.2",
    "5.0",
    "5.1",
    "5.2",
    "5.2.18",
    "5.2.19",
    "6.0",
    "6.1",
    "6.1.1",
    "6.1.2",
    "6.1.3",
]


def bench_database_check() -> None:
    """Refuse to run anywhere but on a database of its own: the run wipes it."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        raise CommandError("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    if not re.search(r"_bench\d*$", connection.settings_dict["NAME"]):
        raise CommandError(
            "wipes its database: use one whose name ends in _bench (or _bench2...)"
        )


def bench_wipe() -> None:
    Scan.objects.all().delete()
    Release.objects.all().delete()
    FileAnalysis.objects.all().delete()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def bench_worker(concurrency: int) -> WorkerProcess:
    db = connection.settings_dict
    env = worker_env(
        database_url=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        redis_url=settings.REDIS_URL,
        data_dir=settings.DATA_DIR,
    )
    log = settings.DATA_DIR / "bench-worker.log"
    return WorkerProcess(env=env, log=log, concurrency=concurrency).wait_ready()


def peak_memory_report(worker: WorkerProcess) -> str:
    """The worker's peak resident memory, per process and the largest."""
    peaks = worker.peak_memory()
    each = ", ".join(f"{role} {kib / 1024:.0f}" for _, role, kib in peaks)
    largest = max(kib for _, _, kib in peaks) / 1024
    return f"worker peak memory (VmHWM, MiB): {each}; largest {largest:.0f} MiB"


class Command(BaseCommand):
    help = "Time a cold scan of Django releases on two worker processes."

    def add_arguments(self, parser):
        parser.add_argument("versions", nargs="*", default=VERSIONS)
        parser.add_argument("--concurrency", type=int_between(1, 64), default=2)
        parser.add_argument(
            "--all-since",
            metavar="VERSION",
            help="time one cold scan of every final release from VERSION on",
        )

    def handle(self, *args, **options):
        since = options["all_since"]
        if since is not None:
            version_check("--all-since", since)
        bench_database_check()
        call_command("migrate", verbosity=0)
        versions = options["versions"]
        project = Project.objects.get(slug="django")
        if since is not None:
            call_command("import_releases", all_since=since, project="django")
        else:
            call_command("import_releases", *versions, project="django")
        bench_wipe()
        worker = bench_worker(options["concurrency"])
        try:
            if since is not None:
                self._run_all_since(project, since, worker)
            else:
                self._run(project, versions[:-1], versions[-1], worker)
            self.stdout.write(peak_memory_report(worker))
        finally:
            worker.stop()

    def _run_all_since(self, project, since, worker):
        cpu_before = worker.cpu_seconds()
        started = time.perf_counter()
        scans = requests.scans_request_versions(project=project, since=since)
        self._wait(scans)
        cold = time.perf_counter() - started
        cold_cpu = worker.cpu_seconds() - cpu_before
        done = Scan.objects.filter(pk__in=[s.pk for s in scans])
        listed = sum(s.blobs_total for s in done)
        analysed = sum(s.blobs_total - s.blobs_cached for s in done)
        self.stdout.write(
            f"{len(scans)} releases from {since} on: {listed} Python file versions,"
            f" {analysed} distinct blobs analysed"
        )
        self.stdout.write(
            f"cold scan, {len(scans)} releases: {cold:.1f} s;"
            f" CPU: worker processes {cold_cpu:.1f} s"
        )

    def _scan(self, project, versions, *, force=False) -> float:
        started = time.perf_counter()
        scans = requests.scans_request_versions(
            project=project, versions=versions, force=force
        )
        self._wait(scans)
        return time.perf_counter() - started

    def _wait(self, scans) -> None:
        """Until every scan has ended; a failed one is an error."""
        while Scan.objects.filter(
            pk__in=[s.pk for s in scans], status__in=Scan.ACTIVE
        ).exists():
            time.sleep(0.05)
        failed = Scan.objects.filter(pk__in=[s.pk for s in scans]).exclude(
            status=Scan.Status.DONE
        )
        if failed.exists():
            raise CommandError(
                f"scans failed: {list(failed.values('version', 'error'))}"
            )

    def _run(self, project, cold_versions, extra, worker):
        cpu_before = worker.cpu_seconds()
        cold = self._scan(project, cold_versions)
        cold_cpu = worker.cpu_seconds() - cpu_before
        blobs, versions_count = {}, 0
        with mirror_open(project) as mirror:
            tags = {t.name: t for t in mirror.tags(project.release_tag_pattern)}
            for version in cold_versions:
                entries = mirror.python_blobs(tags[version].commit, project.folders)
                versions_count += len(entries)
                blobs.update((e.sha, None) for e in entries)
            contents = dict(mirror.read_blobs(sorted(blobs)))
        started, cpu_started = time.perf_counter(), time.process_time()
        for data in contents.values():
            with contextlib.suppress(Exception):
                libcst.parse_module(data)
        parse = time.perf_counter() - started
        parse_cpu = time.process_time() - cpu_started
        one_more = self._scan(project, [extra])
        noop = self._scan(project, [extra])
        forced = self._scan(project, [extra], force=True)

        size = sum(map(len, contents.values()))
        no_async = [d for d in contents.values() if holds_no_async(d)]
        self.stdout.write(
            f"{len(cold_versions)} releases: {versions_count} Python file versions,"
            f" {len(contents)} distinct blobs ({size / 2**20:.1f} MiB);"
            f" {len(no_async) / len(contents):.0%} of blobs,"
            f" {sum(map(len, no_async)) / size:.0%} of bytes hold no async code"
        )
        self.stdout.write(f"cold scan, {len(cold_versions)} releases: {cold:.1f} s")
        self.stdout.write(f"libcst.parse_module, one process:   {parse:.1f} s")
        self.stdout.write(f"ratio cold scan / parse:            {cold / parse:.2f}")
        self.stdout.write(
            f"CPU: worker processes {cold_cpu:.1f} s for the cold scan,"
            f" parse {parse_cpu:.1f} s; ratio {cold_cpu / parse_cpu:.2f}"
        )
        self.stdout.write(f"one more release ({extra}):         {one_more:.2f} s")
        self.stdout.write(f"re-scan of a finished release:      {noop:.3f} s")
        self.stdout.write(f"forced re-scan, all from cache:     {forced:.2f} s")
