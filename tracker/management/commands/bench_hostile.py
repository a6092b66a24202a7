"""Scan a release made of hostile inputs on a worker; print what the scan
recorded for them and the worker's peak memory.

Needs real services and a database of its own, which it wipes:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asyncdash_bench2 \\
    REDIS_URL=redis://127.0.0.1:6379/11 ASYNCDASH_DATA_DIR=/tmp/bench2 \\
    .venv/bin/python manage.py bench_hostile [--largest-analysed]

`import_releases` refuses hostile sdists, so what they would have put in a
tree is committed straight into a local repository, tagged 1.0:

- hardlink amplification: a 1.1 MB module and 200 copies of it under other
  names (what 200 hard links to it would have unpacked to; git stores one
  blob, the tree lists 201 paths);
- one huge async module: 10 MB of generated classes with sync/async twins;
- a pax-header bomb cannot reach a tree: the sdist is refused before any
  member is read (`tracker/sources/sdist.py`, MAX_HEADER_BYTES); the member
  it carried is an ordinary one-line module, `pkg/pax_member.py`;
- with --largest-analysed, also the largest module the scan will parse: the
  same generator, just under the 1 MiB limit;
- with --pathological, issue 12's inputs as large as the byte limit allows
  (`analyzers/hostile.py`): a `case [[[...]]]` of 30 levels, 1 MiB of nested
  brackets, a `return a and a and ...` and two twin pairs of equal lines,
  each of 1 MiB.

The worker's own processes are measured at the end (VmHWM); the analysing
children that ended on a file are measured when they end (their `child
peak` in the worker's log).
"""

import re
import subprocess
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from analyzers import hostile
from tracker.management.commands.bench_scan import (
    bench_database_check,
    bench_wipe,
    bench_worker,
    peak_memory_report,
)
from tracker.models import Project, Scan
from tracker.scanning import requests

SLUG = "hostile"
COMPONENTS = """
[project]
package = "pkg"
tests = "tests"

[modules]
"pkg" = "pkg"
"""
HEADER = "from asgiref.sync import sync_to_async\n"
CLASS = """

class Store{n}:
    def load(self, key):
        return {{"key": key, "n": {n}}}

    async def aload(self, key):
        return await sync_to_async(self.load)(key)

    def save(self, key, value):
        data = self.load(key)
        data["value"] = value
        return data

    async def asave(self, key, value):
        data = await self.aload(key)
        data["value"] = value
        return data
"""


def async_module(*, at_least: int = 0, at_most: int | None = None) -> str:
    """Generated classes with two twin pairs each: the smallest module of at
    least `at_least` bytes, or the largest of at most `at_most`."""
    parts, size, n = [HEADER], len(HEADER), 0
    while True:
        block = CLASS.format(n=n)
        if at_most is not None and size + len(block) > at_most:
            break
        parts.append(block)
        size += len(block)
        n += 1
        if at_most is None and size >= at_least:
            break
    return "".join(parts)


def pathological_files(size: int) -> dict[str, str]:
    """Issue 12's inputs, each of about `size` bytes (the match, of 30
    levels, is small: its cost is in its depth)."""
    twins = (size - 60) // 28  # two bodies of 14-byte lines
    return {
        "pkg/match.py": hostile.match_nesting(30),
        "pkg/brackets.py": hostile.nested_brackets(size),
        "pkg/long_and.py": hostile.long_and((size - 40) // 6),
        "pkg/equal_twins.py": hostile.equal_twins(twins),
        "pkg/alternating_twins.py": hostile.alternating_twins(twins * 2 // 3),
    }


def hostile_files(*, largest_analysed: bool) -> dict[str, str]:
    copied = async_module(at_least=1_100_000)
    files = {
        "pkg/__init__.py": "",
        "pkg/huge.py": async_module(at_least=10_000_000),
        "pkg/amplified.py": copied,
        **{f"pkg/amplified_{n}.py": copied for n in range(200)},
        "pkg/pax_member.py": "x = 1\n",
    }
    if largest_analysed:
        limit = settings.ASYNCDASH_FILE_LIMITS.max_file_bytes
        files["pkg/largest.py"] = async_module(at_most=limit)
    return files


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def hostile_repository(path: Path, files: dict[str, str]) -> Path:
    if path.exists():
        subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "hostile inputs")
    git(path, "tag", "1.0")
    return path


class Command(BaseCommand):
    help = "Scan a release of hostile inputs on a worker; report its peak memory."

    def add_arguments(self, parser):
        parser.add_argument(
            "--largest-analysed",
            action="store_true",
            help="add an async module just under the 1 MiB limit, which is parsed",
        )
        parser.add_argument(
            "--pathological",
            action="store_true",
            help="add issue 12's pathological inputs, each as large as allowed",
        )

    def handle(self, *args, **options):
        bench_database_check()
        call_command("migrate", verbosity=0)
        bench_wipe()
        files = hostile_files(largest_analysed=options["largest_analysed"])
        if options["pathological"]:
            limit = settings.ASYNCDASH_FILE_LIMITS.max_file_bytes
            files |= {
                path: source.decode()
                for path, source in pathological_files(limit).items()
            }
        repo = hostile_repository(settings.DATA_DIR / "bench-hostile", files)
        mirror = settings.DATA_DIR / "mirrors" / f"{SLUG}.git"
        if mirror.exists():  # a mirror of a previous run's repository
            subprocess.run(["rm", "-rf", str(mirror)], check=True)
        Project.objects.filter(slug=SLUG).delete()
        project = Project.objects.create(
            slug=SLUG,
            name="Hostile",
            git_url=str(repo),
            package_dir="pkg",
            tests_dir="tests",
            component_map=COMPONENTS,
            min_version="1.0",
        )
        total = sum(len(text.encode()) for text in files.values())
        self.stdout.write(
            f"tag 1.0: {len(files)} files, {total / 2**20:.1f} MiB in the tree"
        )
        worker = bench_worker(2)
        try:
            started = time.perf_counter()
            target = requests.Target(version="1.0", ref="1.0")
            (scan,) = requests.scans_request(project=project, targets=[target])
            while Scan.objects.filter(pk=scan.pk, status__in=Scan.ACTIVE).exists():
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            memory = peak_memory_report(worker)
        finally:
            worker.stop()
        scan.refresh_from_db()
        if scan.status != Scan.Status.DONE:
            raise CommandError(f"scan {scan.status}: {scan.error}")
        self._report(scan, seconds)
        self.stdout.write(memory)
        self.stdout.write(children_peak_report())

    def _report(self, scan: Scan, seconds: float) -> None:
        release = scan.release
        self.stdout.write(
            f"scan {scan.status} in {seconds:.1f} s: {scan.blobs_total} files,"
            f" {scan.parse_failures} not analysed;"
            f" {release.functionstat_set.count()} functions recorded"
        )
        errors = Counter(
            release.releasefile_set.exclude(parse_error="").values_list(
                "parse_error", flat=True
            )
        )
        for message, count in errors.most_common():
            self.stdout.write(f"  {count} x {message}")


def children_peak_report() -> str:
    """The largest peak of the analysing children, from the worker's log:
    what each that ended on a file reached, and each batch's running peak."""
    log = (settings.DATA_DIR / "bench-worker.log").read_text(errors="replace")
    peaks = [int(mib) for mib in re.findall(r"child peak (\d+) MiB", log)]
    if not peaks:
        return "analysing children: no peak in the worker's log"
    limit = settings.ASYNCDASH_FILE_LIMITS.memory_text
    return f"analysing children peak (VmHWM): {max(peaks)} MiB (limit {limit})"
