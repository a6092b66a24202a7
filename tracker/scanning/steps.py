"""The steps of a scan, each run by one Celery task (`tracker.scanning.tasks`).

`scans_prepare` lists the releases' blobs and returns the batches that miss
the cache; `blobs_analyse` fills the cache for one batch; `scan_finalise`
runs the tree pass over the cached results and writes one release, all of
it in one transaction. Requesting a scan is `tracker.scanning.requests`.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from analyzers.tree_pass.analyze import tree_pass
from analyzers.tree_pass.twin_modules import SourceReader
from tracker import versions
from tracker.models import FileAnalysis, Project, Release, Scan
from tracker.scanning import drift, isolation, kept_results, progress, rows
from tracker.scanning.bulk import rows_insert
from tracker.scanning.config import cache_version, project_config
from tracker.scanning.mirrors import mirror_open
from tracker.sources.git import Mirror

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # blobs per task: SHAs travel, contents are read by the worker


# Preparing -------------------------------------------------------------------
def scans_prepare(*, scans: list[Scan]) -> list[list[tuple[str, str]]]:
    """Start the scans: list their blobs, return the batches still to analyse.

    In version order, a blob that an earlier scan of the same call will
    analyse counts as from the cache for the later ones.
    """
    claimed: set[tuple[str, str]] = set()
    cached = _CachedEntries()
    for scan in sorted(scans, key=lambda s: versions.sort_key(s.version)):
        claimed |= _scan_prepare(scan, already=claimed, cached=cached)
    missing = sorted(claimed)
    progress.scans_prepared.send(None, scans=scans, missing=len(missing))
    return [missing[i : i + BATCH_SIZE] for i in range(0, len(missing), BATCH_SIZE)]


class _CachedEntries:
    """The (path, blob sha) pairs in the cache, looked up once per blob for
    all the scans of a call (point releases share almost every blob)."""

    def __init__(self):
        self.found: set[tuple[str, str]] = set()
        self.asked: set[str] = set()

    def among(self, entries: list[tuple[str, str]], version: str) -> set:
        new = {sha for _, sha in entries} - self.asked
        if new:
            self.found.update(
                FileAnalysis.objects.filter(
                    analyzer_version=version, blob_sha__in=new
                ).values_list("path", "blob_sha")
            )
            self.asked |= new
        return self.found.intersection(entries)


def _scan_prepare(
    scan: Scan, *, already: set, cached: _CachedEntries
) -> set[tuple[str, str]]:
    started = time.perf_counter()
    Scan.objects.filter(pk=scan.pk).update(
        status=Scan.Status.RUNNING, started_at=timezone.now(), error=""
    )
    project = scan.project
    with mirror_open(project) as mirror:
        if not scan.commit:
            tags = {t.name: t for t in mirror.tags(project.release_tag_pattern)}
            if scan.ref not in tags:
                raise LookupError(f"no release tag {scan.ref!r} in the mirror")
            scan.commit, scan.commit_date = tags[scan.ref].commit, tags[scan.ref].date
        entries = release_entries(mirror, scan)
    if not any(path.startswith(f"{project.package_dir}/") for path, _ in entries):
        raise LookupError(_no_package_files(project, scan))
    missing = set(entries) - cached.among(entries, cache_version(project)) - already
    Scan.objects.filter(pk=scan.pk).update(
        commit=scan.commit,
        commit_date=scan.commit_date,
        blobs_total=len(entries),
        blobs_cached=len(entries) - len(missing),
        list_seconds=time.perf_counter() - started,
    )
    return missing


def _no_package_files(project: Project, scan: Scan) -> str:
    """Why a release has nothing to analyse, and what to set."""
    folder = project.package_dir
    elsewhere = (
        f"in a src layout it is src/{folder}"
        if "/" not in folder
        else f"without a src layout it is {folder.rpartition('/')[2]}"
    )
    return (
        f"no .py file under {folder}/ at {scan.ref}: is the package elsewhere"
        f" ({elsewhere})? Set {project.slug}'s package folder in the admin"
        " (manage.py add_project --package-dir for a new project)"
    )


# Analysing -------------------------------------------------------------------
def blobs_analyse(
    *, project: Project, entries: list[tuple[str, str]], seconds: float | None = None
) -> list[tuple[str, str]]:
    """Analyse one batch into the cache; returns the entries left to analyse.

    Each file is analysed in this process's child under the per-file limits
    (`tracker.scanning.isolation`): one that exceeds a limit or kills the
    child is cached as not analysed, saying why, and the batch goes on.
    With `seconds`, no file is started that could still be running when they
    are up (at least one is): a batch of slow files returns the rest for
    another task instead of meeting the task's time limit.
    """
    stop_at = None if seconds is None else time.monotonic() + seconds
    version = cache_version(project)
    known = set(
        FileAnalysis.objects.filter(
            analyzer_version=version,
            blob_sha__in={sha for _, sha in entries},
        ).values_list("path", "blob_sha")
    )
    wanted = sorted(set(map(tuple, entries)) - known)
    with mirror_open(project) as mirror:
        contents = dict(mirror.read_blobs(sorted({sha for _, sha in wanted})))
    results = []
    config = project_config(project)
    with isolation.file_analyser() as analyser:
        for path, sha in wanted:
            late = time.monotonic() + analyser.limits.wall_seconds
            if results and stop_at is not None and late > stop_at:
                break
            results.append(
                analyser.analyse(
                    contents[sha],
                    module=config.components.module_of(path),
                    path=path,
                    config=config,
                )
            )
        peak = analyser.peak_memory_kib() // 1024
    logger.info("batch: %s files analysed; child peak %s MiB", len(results), peak)
    rows_insert(
        FileAnalysis,
        (
            dict(
                blob_sha=sha,
                path=path,
                analyzer_version=version,
                result=result,
                parse_error=(result.get("parse_error") or {}).get("message", ""),
            )
            for (path, sha), result in zip(wanted, results, strict=False)
        ),
        ignore_conflicts=True,
    )
    progress.batch_analysed.send(None, files=len(results))
    return wanted[len(results) :]


# Finalising ------------------------------------------------------------------
def scan_finalise(*, scan: Scan) -> Release | None:
    """Run the tree pass over the cached results and write the release.

    Returns None, writing nothing, while some result is missing: a batch was
    redelivered after its worker died and is still running, or a resumed scan
    re-dispatched it; the last batch's finalise writes the release.
    """
    started = time.perf_counter()
    project = scan.project
    version = cache_version(project)
    with mirror_open(project) as mirror:
        entries = release_entries(mirror, scan)
        files = kept_results.release_results(entries, version=version)
        if files is None:
            logger.info("scan %s: waiting for batches", scan.pk)
            return None
        read = time.perf_counter()
        result = tree_pass(
            files, project_config(project), read_source=_blob_reader(mirror, entries)
        )
        passed = time.perf_counter()
    with transaction.atomic():
        # A redelivered finalise may run beside this one: the first to lock
        # the scan writes the release, the other finds it done. (Only one
        # scan of a version is active at a time, so no other finalise writes
        # this version's release.)
        locked = Scan.objects.select_for_update().get(pk=scan.pk)
        if locked.status not in Scan.ACTIVE:
            return locked.release
        Release.objects.filter(project=project, version=scan.version).delete()
        release = Release.objects.create(
            project=project,
            version=scan.version,
            tag=scan.ref,
            commit=scan.commit,
            date=scan.commit_date,
            is_feature=versions.is_feature(scan.version),
            is_snapshot=versions.is_snapshot(scan.version),
            analyzer_version=version,
            files=len(files),
            parse_errors=len(result.parse_errors),
        )
        rows.release_rows_create(
            release=release, files=files, entries=entries, result=result
        )
        # One drift update per project at a time, from here to the commit:
        # drift links a release to the one before it and the ones after it
        # to it, so two in flight at once would each miss the other's
        # release. (Each query after the lock sees what the previous holder
        # committed.) Writing the rows above needs no turn, so two
        # finalises write side by side.
        written = time.perf_counter()
        Project.objects.select_for_update().get(pk=project.pk)
        locked_at = time.perf_counter()
        drift.release_drift_update(release=release)
        Scan.objects.filter(pk=scan.pk).update(
            status=Scan.Status.DONE,
            release=release,
            blobs_analysed=scan.blobs_total - scan.blobs_cached,
            parse_failures=len(result.parse_errors),
            finalise_seconds=time.perf_counter() - started,
            finished_at=timezone.now(),
        )
    ended = time.perf_counter()
    # Where a finalise's time goes, for the worker's log (docs/benchmarks.md).
    logger.info(
        "finalise %s: results %.2f s, tree pass %.2f s, rows %.2f s,"
        " waiting for the project %.2f s, drift and commit %.2f s",
        scan.version,
        read - started,
        passed - read,
        written - passed,
        locked_at - written,
        ended - locked_at,
    )
    progress.scan_ended.send(None, scan_id=scan.pk)
    return release


def scan_fail(*, scan_id: int, error: str) -> None:
    failed = Scan.objects.filter(pk=scan_id, status__in=Scan.ACTIVE).update(
        status=Scan.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
    if failed:
        progress.scan_ended.send(None, scan_id=scan_id)


def release_entries(mirror: Mirror, scan: Scan) -> list[tuple[str, str]]:
    """(path, blob sha) of the release's Python files."""
    return [
        (entry.path, entry.sha)
        for entry in mirror.python_blobs(scan.commit, scan.project.folders)
    ]


def _blob_reader(mirror: Mirror, entries: list[tuple[str, str]]) -> SourceReader:
    """A release file's bytes by its path, read from the mirror when the tree
    pass asks: the sync twin of a module its path marks (redis/client.py for
    redis/asyncio/client.py), whose cached result kept no text."""
    shas = dict(entries)

    def read(path: str) -> bytes | None:
        sha = shas.get(path)
        if sha is None:
            return None
        return next((content for _, content in mirror.read_blobs([sha])), None)

    return read
