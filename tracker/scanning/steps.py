"""The steps of a scan, each run by one Celery task (`tracker.scanning.tasks`).

`scans_prepare` lists the releases' blobs and returns the batches that miss
the cache; `blobs_analyse` fills the cache for one batch; `scan_finalise`
runs the tree pass over the cached results and writes one release, all of
it in one transaction. Requesting a scan is `tracker.scanning.requests`.
"""

from __future__ import annotations

import hashlib
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from analyzers import ANALYZER_VERSION, analyze_file, tree_pass
from analyzers.components import ComponentMap
from analyzers.names import module_name
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.types import FileResult, ParseError
from tracker import versions
from tracker.models import BatchAttempt, FileAnalysis, Project, Release, Scan
from tracker.scanning import drift, rows
from tracker.scanning.isolation import analyze_isolated, analyze_many_isolated
from tracker.scanning.mirrors import mirror_open
from tracker.sources.git import Mirror

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # blobs per task: SHAs travel, contents are read by the worker
# Django's largest file is 0.4 MiB; a generated 10 MB async module took the
# analyzer 9 minutes and 6.7 GB. A larger file is recorded as a parse
# failure, "too large to analyse", and is never parsed.
MAX_FILE_BYTES = 2**20


# Preparing -------------------------------------------------------------------
def scans_prepare(*, scans: list[Scan]) -> list[list[tuple[str, str]]]:
    """Start the scans: list their blobs, return the batches still to analyse.

    In version order, a blob that an earlier scan of the same call will
    analyse counts as from the cache for the later ones.
    """
    claimed: set[tuple[str, str]] = set()
    for scan in sorted(scans, key=lambda s: versions.sort_key(s.version)):
        claimed |= _scan_prepare(scan, already=claimed)
    missing = sorted(claimed)
    return [missing[i : i + BATCH_SIZE] for i in range(0, len(missing), BATCH_SIZE)]


def _scan_prepare(scan: Scan, *, already: set) -> set[tuple[str, str]]:
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
    cached = set(
        FileAnalysis.objects.filter(
            analyzer_version=ANALYZER_VERSION,
            blob_sha__in={sha for _, sha in entries},
        ).values_list("path", "blob_sha")
    )
    missing = set(entries) - cached - already
    Scan.objects.filter(pk=scan.pk).update(
        commit=scan.commit,
        commit_date=scan.commit_date,
        blobs_total=len(entries),
        blobs_cached=len(entries) - len(missing),
        list_seconds=time.perf_counter() - started,
    )
    return missing


# Analysing -------------------------------------------------------------------
def blobs_analyse(*, project: Project, entries: list[tuple[str, str]]) -> int:
    """Analyse one batch into the cache; returns how many results were new.

    A batch that was started before and is back (its worker died: a parser
    crash, an OOM kill) is analysed in a child process, where a crash costs
    only the file it happened on, so the batch cannot loop.
    """
    isolate = _batch_attempt(entries) > 1
    known = set(
        FileAnalysis.objects.filter(
            analyzer_version=ANALYZER_VERSION,
            blob_sha__in={sha for _, sha in entries},
        ).values_list("path", "blob_sha")
    )
    wanted = sorted(set(map(tuple, entries)) - known)
    with mirror_open(project) as mirror:
        contents = dict(mirror.read_blobs(sorted({sha for _, sha in wanted})))
    items = [(contents[sha], module_name(path), path) for path, sha in wanted]
    # Too large ones are decided here; the rest are analysed in order.
    results: list[FileResult | None] = [
        _too_large(size=len(data), module=module, path=path)
        for data, module, path in items
    ]
    todo = [item for item, result in zip(items, results, strict=True) if not result]
    if isolate:
        logger.warning("batch of %s blobs again: analysing in a child", len(todo))
        analysed = iter(analyze_many_isolated(todo))
    else:
        analysed = iter(
            [_analyse(data, module=module, path=path) for data, module, path in todo]
        )
    results = [result or next(analysed) for result in results]
    FileAnalysis.objects.bulk_create(
        [
            FileAnalysis(
                blob_sha=sha,
                path=path,
                analyzer_version=ANALYZER_VERSION,
                result=file_result_to_json(result),
                parse_error=result.parse_error.message if result.parse_error else "",
            )
            for (path, sha), result in zip(wanted, results, strict=True)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    return len(results)


def _analyse(data: bytes, *, module: str, path: str) -> FileResult:
    """One file; an analyzer bug on it is logged and recorded as its failure,
    and the scan goes on.

    The task's soft time limit is no fault of the file it lands on: it ends
    the batch, and caching it as the file's failure would keep it for good.
    """
    try:
        return analyze_file(
            data, module=module, path=path, libcst_only=analyze_isolated
        )
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.exception("analyzer failed on %s", path)
        return FileResult(
            path=path,
            module=module,
            parse_error=ParseError(path=path, message=f"analyzer error: {exc!r}"),
        )


def _too_large(*, size: int, module: str, path: str) -> FileResult | None:
    """The failure of a file over MAX_FILE_BYTES, or None for one to analyse."""
    if size <= MAX_FILE_BYTES:
        return None
    message = f"too large to analyse ({size} bytes; the limit is {MAX_FILE_BYTES})"
    return FileResult(
        path=path, module=module, parse_error=ParseError(path=path, message=message)
    )


def _batch_attempt(entries: list[tuple[str, str]]) -> int:
    """Count one more start of this batch (by content) and return the count."""
    digest = hashlib.sha256(
        "\n".join(
            [ANALYZER_VERSION, *(f"{p} {s}" for p, s in sorted(entries))]
        ).encode()
    ).hexdigest()
    with transaction.atomic():
        row, _ = BatchAttempt.objects.select_for_update().get_or_create(key=digest)
        row.attempts += 1
        row.save(update_fields=["attempts"])
    return row.attempts


# Finalising ------------------------------------------------------------------
def scan_finalise(*, scan: Scan) -> Release | None:
    """Run the tree pass over the cached results and write the release.

    Returns None, writing nothing, while some result is missing: a batch was
    redelivered after its worker died and is still running, or a resumed scan
    re-dispatched it; the last batch's finalise writes the release.
    """
    started = time.perf_counter()
    project = scan.project
    with mirror_open(project) as mirror:
        entries = release_entries(mirror, scan)
    files = _cached_results(entries)
    if files is None:
        logger.info("scan %s: waiting for batches", scan.pk)
        return None
    result = tree_pass(files, ComponentMap.from_toml(project.component_map))
    with transaction.atomic():
        # One finalise per project at a time, from here to the commit: drift
        # links a release to the one before it and the ones after it to it,
        # so two in flight at once would each miss the other's release. (Each
        # query after the lock sees what the previous holder committed.)
        Project.objects.select_for_update().get(pk=project.pk)
        # A redelivered finalise may run beside this one: the first to lock
        # the scan writes the release, the other finds it done.
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
            analyzer_version=ANALYZER_VERSION,
            files=len(files),
            parse_errors=len(result.parse_errors),
        )
        rows.release_rows_create(
            release=release, files=files, entries=entries, result=result
        )
        drift.release_drift_update(release=release)
        Scan.objects.filter(pk=scan.pk).update(
            status=Scan.Status.DONE,
            release=release,
            blobs_analysed=scan.blobs_total - scan.blobs_cached,
            parse_failures=len(result.parse_errors),
            finalise_seconds=time.perf_counter() - started,
            finished_at=timezone.now(),
        )
    return release


def scan_fail(*, scan_id: int, error: str) -> None:
    Scan.objects.filter(pk=scan_id, status__in=Scan.ACTIVE).update(
        status=Scan.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def release_entries(mirror: Mirror, scan: Scan) -> list[tuple[str, str]]:
    """(path, blob sha) of the release's Python files."""
    return [
        (entry.path, entry.sha)
        for entry in mirror.python_blobs(scan.commit, scan.project.folders)
    ]


def _cached_results(entries: list[tuple[str, str]]) -> list[FileResult] | None:
    shas = {sha for _, sha in entries}
    stored = {
        (row.path, row.blob_sha): row.result
        for row in FileAnalysis.objects.filter(
            analyzer_version=ANALYZER_VERSION, blob_sha__in=shas
        ).only("path", "blob_sha", "result")
    }
    if any(entry not in stored for entry in entries):
        return None
    return [file_result_from_json(stored[entry]) for entry in entries]
