"""Writes: request a scan, analyse blobs into the cache, finalise a release.

Scans run in three steps, each a Celery task calling one function here:
`scans_prepare` lists the releases' blobs and returns the batches that miss
the cache; `blobs_analyse` fills the cache for one batch; `scan_finalise`
runs the tree pass over the cached results and writes one release, all of
it in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analyzers import ANALYZER_VERSION, analyze_file, tree_pass
from analyzers.components import ComponentMap
from analyzers.names import module_name
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.types import FileResult, ParseError
from tracker import drift, mapping
from tracker.git import Mirror, Tag
from tracker.isolation import analyze_isolated, analyze_many_isolated
from tracker.models import (
    SNAPSHOT_PREFIX,
    BatchAttempt,
    FileAnalysis,
    Project,
    Release,
    Scan,
    version_key,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # blobs per task: SHAs travel, contents are read by the worker


def mirror_open(project: Project, *, from_pypi: bool = False) -> Mirror:
    """The project's bare mirror under the data folder.

    An existing mirror is opened as it is: cloned from upstream (it has an
    origin, which `fetch` checks) or built from PyPI sdists (it has none).
    A missing one is cloned from the project's URL, or created empty for
    `import_releases` (`from_pypi`).
    """
    path = settings.DATA_DIR / "mirrors" / f"{project.slug}.git"
    if path.exists() or from_pypi or not project.git_url:
        return Mirror.init_local(path=path, timeout=settings.GIT_TIMEOUT)
    return Mirror.clone_or_open(
        url=project.git_url, path=path, timeout=settings.GIT_TIMEOUT
    )


def is_feature_version(version: str) -> bool:
    return version.count(".") == 1


# Requesting ----------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A release (or snapshot) to scan."""

    version: str
    ref: str  # the tag, or the branch of a snapshot
    commit: str = ""
    commit_date: datetime | None = None


def target_of(tag: Tag) -> Target:
    return Target(
        version=tag.name, ref=tag.name, commit=tag.commit, commit_date=tag.date
    )


def scan_request(*, project: Project, target: Target, **options) -> Scan:
    return scans_request(project=project, targets=[target], **options)[0]


def scans_request(
    *,
    project: Project,
    targets: list[Target],
    trigger: str = Scan.Trigger.MANUAL,
    force: bool = False,
) -> list[Scan]:
    """The scan of each release: a done or active one if any, else a new one.

    A finished release (same analyzer version) is not scanned again unless
    forced; a request while one is queued or running joins it. The new scans
    go out as one task, so releases requested together share their analysis
    (a blob is analysed once even when ten releases hold it).
    """
    scans, created = [], []
    for target in targets:
        existing = None if force else _done_scan(project, target.version)
        if existing is not None:
            scans.append(existing)
            continue
        try:
            with transaction.atomic():
                scan = Scan.objects.create(
                    project=project,
                    version=target.version,
                    ref=target.ref,
                    commit=target.commit,
                    commit_date=target.commit_date,
                    trigger=trigger,
                    force=force,
                )
        except IntegrityError:
            scan = Scan.objects.get(
                project=project, version=target.version, status__in=Scan.ACTIVE
            )
        else:
            created.append(scan.pk)
        scans.append(scan)
    if created:
        from tracker.tasks import scan_releases  # tasks import this module

        scan_releases.delay_on_commit(created)
    return scans


def _done_scan(project: Project, version: str) -> Scan | None:
    return (
        Scan.objects.filter(
            project=project,
            version=version,
            status=Scan.Status.DONE,
            release__analyzer_version=ANALYZER_VERSION,
        )
        .order_by("-finished_at")
        .first()
    )


def scan_abandon_stale(*, project: Project, older_than: float) -> int:
    """Mark active scans requested more than `older_than` seconds ago as failed.

    Twice the task time limit: a scan still active then lost its worker.
    """
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than)
    return Scan.objects.filter(
        project=project, status__in=Scan.ACTIVE, created_at__lt=cutoff
    ).update(
        status=Scan.Status.FAILED,
        error="abandoned: still active after twice the task time limit",
        finished_at=timezone.now(),
    )


# Preparing -------------------------------------------------------------------
def scans_prepare(*, scans: list[Scan]) -> list[list[tuple[str, str]]]:
    """Start the scans: list their blobs, return the batches still to analyse.

    In version order, a blob that an earlier scan of the same call will
    analyse counts as from the cache for the later ones.
    """
    claimed: set[tuple[str, str]] = set()
    for scan in sorted(scans, key=lambda s: version_key(s.version)):
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
    if isolate:
        logger.warning("batch of %s blobs again: analysing in a child", len(items))
        results = analyze_many_isolated(items)
    else:
        results = [
            _analyse(data, module=module, path=path) for data, module, path in items
        ]
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
    and the scan goes on."""
    try:
        return analyze_file(
            data, module=module, path=path, libcst_only=analyze_isolated
        )
    except Exception as exc:
        logger.exception("analyzer failed on %s", path)
        return FileResult(
            path=path,
            module=module,
            parse_error=ParseError(path=path, message=f"analyzer error: {exc!r}"),
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
            is_feature=is_feature_version(scan.version),
            is_snapshot=scan.version.startswith(SNAPSHOT_PREFIX),
            analyzer_version=ANALYZER_VERSION,
            files=len(files),
            parse_errors=len(result.parse_errors),
        )
        mapping.release_rows_create(
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


def scan_resume(*, scan: Scan) -> None:
    """Dispatch an active scan again: it analyses only what is not cached yet.

    For a scan whose worker died; running it twice is harmless.
    """
    from tracker.tasks import scan_releases

    scan_releases.delay_on_commit([scan.pk])


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
