"""Celery tasks: thin, take ids, re-read their rows, call one service each.

Scans requested together are one `scan_releases` (list blobs, fan out) -> a
chord of `analyze_batch` (fill the cache) -> `finalise_scans`, which sends
one `finalise_scan` (write a release) per scan. No task waits on another.
All are idempotent and `acks_late`: a task whose worker died is redelivered
and simply runs again.

Beat's tasks, which request scans, are in `beat.py`.

Transient errors (the database or a git command briefly failing) are retried;
when a task gives up, after its retries or on a permanent error, its scans
end `failed` with that error, so no later request joins a dead scan.
"""

from __future__ import annotations

import logging

from celery import chord, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from tracker import versions
from tracker.models import Project, Scan
from tracker.scanning import steps
from tracker.sources.git import GitUnavailableError

logger = logging.getLogger(__name__)

# Worth retrying: the repository or the database was briefly unavailable.
TRANSIENT = (GitUnavailableError, OperationalError, InterfaceError)


def _fail_scans(task, exc, task_id, args, kwargs, einfo) -> None:
    """`on_failure`: the task gave up, so its scans failed, saying why.

    Celery calls it once, after the last retry, in a worker and in-process.
    The scan ids are the task's first argument (one id or a list of them).
    """
    ids = args[0] if isinstance(args[0], list) else [args[0]]
    for scan_id in ids:
        steps.scan_fail(
            scan_id=scan_id, error=f"{task.name.rsplit('.', 1)[-1]}: {exc!r}"
        )


RETRY = dict(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
)


def _active_scans(scan_ids: list[int]) -> list[Scan]:
    """The scans still to do: gone, finished or failed ones are a no-op."""
    return list(
        Scan.objects.select_related("project").filter(
            pk__in=scan_ids, status__in=Scan.ACTIVE
        )
    )


@shared_task(**RETRY, on_failure=_fail_scans)
def scan_releases(scan_ids: list[int]) -> None:
    scans = _active_scans(scan_ids)
    if not scans:
        return
    # Finalised in version order: each release's drift then finds the one
    # before it written and few after it to update, and a worker process
    # goes from a release to a neighbour sharing most of its results.
    scans.sort(key=lambda scan: versions.sort_key(scan.version))
    ids = [scan.pk for scan in scans]
    batches = steps.scans_prepare(scans=scans)
    finalise = finalise_scans.si(ids).on_error(scans_errback.s(scan_ids=ids))
    if not batches:
        finalise.delay()
        return
    project_id = scans[0].project_id
    chord(analyze_batch.si(project_id, batch) for batch in batches)(finalise)


@shared_task(bind=True, **RETRY)
def analyze_batch(self, project_id: int, entries: list[list[str]]) -> None:
    """Fill the cache for a batch. Files slow enough to use up the task's
    time leave the rest to a task in its place, which the chord waits for."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    left = steps.blobs_analyse(
        project=project,
        entries=[(path, sha) for path, sha in entries],
        seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT
        - settings.ASYNCDASH_BATCH_STORE_SECONDS,
    )
    if left:
        logger.info("batch: %s files left for a task in its place", len(left))
        self.replace(analyze_batch.si(project_id, left))


@shared_task(acks_late=True, on_failure=_fail_scans)
def finalise_scans(scan_ids: list[int]) -> None:
    """Write the releases side by side, one task each."""
    group(finalise_scan.si(scan_id) for scan_id in scan_ids).delay()


@shared_task(**RETRY, on_failure=_fail_scans)
def finalise_scan(scan_id: int) -> None:
    scans = _active_scans([scan_id])
    if not scans:
        return
    steps.scan_finalise(scan=scans[0])


@shared_task
def scans_errback(request, exc, traceback, *, scan_ids: list[int]) -> None:
    """A batch failed for good: its scans failed."""
    for scan_id in scan_ids:
        steps.scan_fail(scan_id=scan_id, error=f"{type(exc).__name__}: {exc}")
