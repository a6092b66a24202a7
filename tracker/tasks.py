"""Celery tasks: thin, take ids, re-read their rows, call one service each.

A release scan is `scan_release` (list blobs, fan out) -> a chord of
`analyze_batch` (fill the cache) -> `finalise_scan` (write the release).
No task waits on another. All are idempotent and `acks_late`, so a task
whose worker died is redelivered and simply runs again.
"""

from __future__ import annotations

import logging

from celery import chord, shared_task
from django.db import InterfaceError, OperationalError
from git.exc import GitCommandError

from tracker import services
from tracker.models import Project, Scan

logger = logging.getLogger(__name__)

# Worth retrying: the repository or the database was briefly unavailable.
TRANSIENT = (GitCommandError, OperationalError, InterfaceError)
RETRY = dict(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
)


def _active_scan(scan_id: int) -> Scan | None:
    scan = Scan.objects.select_related("project").filter(pk=scan_id).first()
    if scan is None or scan.status not in Scan.ACTIVE:
        return None  # gone, finished or failed: re-running is a no-op
    return scan


@shared_task(**RETRY)
def scan_release(scan_id: int) -> None:
    scan = _active_scan(scan_id)
    if scan is None:
        return
    try:
        batches = services.scan_prepare(scan=scan)
    except TRANSIENT:
        raise
    except Exception as exc:
        services.scan_fail(scan_id=scan_id, error=f"prepare: {exc!r}")
        raise
    finalise = finalise_scan.si(scan_id).on_error(scan_errback.s(scan_id=scan_id))
    if not batches:
        finalise.delay()
        return
    chord(analyze_batch.si(scan_id, b.index, b.entries) for b in batches)(finalise)


@shared_task(**RETRY)
def analyze_batch(scan_id: int, batch: int, entries: list[list[str]]) -> int:
    scan = _active_scan(scan_id)
    if scan is None:
        return 0
    pairs = [(path, sha) for path, sha in entries]
    return services.blobs_analyse(scan=scan, batch=batch, entries=pairs)


@shared_task(**RETRY)
def finalise_scan(scan_id: int) -> None:
    scan = _active_scan(scan_id)
    if scan is None:
        return
    try:
        services.scan_finalise(scan=scan)
    except TRANSIENT:
        raise
    except Exception as exc:
        services.scan_fail(scan_id=scan_id, error=f"finalise: {exc!r}")
        raise


@shared_task
def scan_errback(request, exc, traceback, *, scan_id: int) -> None:
    """A batch or the finalise step failed for good: the scan failed."""
    services.scan_fail(scan_id=scan_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(acks_late=True)
def weekly_scan() -> int:
    """Refresh every project's releases and scan what is new; returns scans."""
    requested = 0
    for project in Project.objects.all():
        requested += len(services.weekly_scan_request(project=project))
    return requested
