"""Requesting scans: new ones queue a task, repeated ones join the first.

The `scan` command, the scan-start page and the benchmarks name releases
(`scans_request_versions`); the weekly beat names tags (`scans_request`).
This module queues tasks, which call `tracker.scanning.steps` and never
this module; beat's tasks, which do request scans, live in `beat.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker import versions as release_versions
from tracker.models import Project, Scan
from tracker.scanning.config import cache_version
from tracker.scanning.mirrors import release_tags
from tracker.scanning.tasks import scan_releases
from tracker.sources.git import Tag


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


class ReleaseNotFoundError(ValueError):
    """A release asked for is not a tag of the mirror."""


def scans_request_versions(
    *,
    project: Project,
    versions: Sequence[str] | None = None,
    since: str | None = None,
    trigger: str = Scan.Trigger.MANUAL,
    force: bool = False,
) -> list[Scan]:
    """The scans of the named releases, or of every release from `since` on
    (None: from the project's minimum version), as `scans_request` gives them.

    Raises VersionError for a name that is no release version,
    ReleaseNotFoundError for a release the mirror has no tag of (naming them
    all), and GitSourceError when the mirror cannot be read; nothing is
    requested then.
    """
    for version in [*(versions or ()), *([since] if since else [])]:
        release_versions.parse(version)
    tags = release_tags(project=project)
    by_name = {tag.name: tag for tag in tags}
    if versions is not None:
        unknown = [version for version in versions if version not in by_name]
        if unknown:
            raise ReleaseNotFoundError(
                f"not in the mirror: {', '.join(unknown)} "
                "(import_releases adds releases from PyPI)"
            )
        chosen = [by_name[version] for version in versions]
    else:
        floor = release_versions.sort_key(since or project.min_version)
        chosen = [t for t in tags if release_versions.sort_key(t.name) >= floor]
    return scans_request(
        project=project,
        targets=[target_of(tag) for tag in chosen],
        trigger=trigger,
        force=force,
    )


def scans_request(
    *,
    project: Project,
    targets: list[Target],
    trigger: str = Scan.Trigger.MANUAL,
    force: bool = False,
) -> list[Scan]:
    """The scan of each release, once however often it is named: a done or
    active one if any, else a new one.

    A finished release (same analyzer version) is not scanned again unless
    forced; a request while one is queued or running joins it, unless it has
    been active so long that its worker is gone (`scans_abandon_stale`). The
    new scans go out as one task, so releases requested together share their
    analysis (a blob is analysed once even when ten releases hold it).

    Requests for one project take turns (its row is locked until they
    commit): two weekly beats at once would otherwise both find no done
    scan, and the second would start a new one once the first had finished.
    """
    first_of_each: dict[str, Target] = {}
    for target in targets:
        first_of_each.setdefault(target.version, target)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        scans_abandon_stale(project=project)
        return _scans_request(
            project=project,
            targets=list(first_of_each.values()),
            trigger=trigger,
            force=force,
        )


def _scans_request(
    *, project: Project, targets: list[Target], trigger: str, force: bool
) -> list[Scan]:
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
        scan_releases.delay_on_commit(created)
    return scans


def _done_scan(project: Project, version: str) -> Scan | None:
    return (
        Scan.objects.filter(
            project=project,
            version=version,
            status=Scan.Status.DONE,
            release__analyzer_version=cache_version(project),
        )
        .order_by("-finished_at")
        .first()
    )


def scans_abandon_stale(*, project: Project) -> int:
    """Fail the project's scans still active twice the task time limit after
    they were requested: their worker is gone, and a request must not join
    them. Returns how many."""
    older_than = 2 * settings.CELERY_TASK_TIME_LIMIT
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than)
    return Scan.objects.filter(
        project=project, status__in=Scan.ACTIVE, created_at__lt=cutoff
    ).update(
        status=Scan.Status.FAILED,
        error="abandoned: still active after twice the task time limit",
        finished_at=timezone.now(),
    )


def scans_resume_stalled(*, older_than: float) -> int:
    """Dispatch again the running scans started more than `older_than` s ago.

    A task message can be lost outright: kombu's Redis transport pops it
    (BRPOP) before recording it as unacknowledged, so Redis going away in
    between drops it, and the scan's chord never completes. Past the
    visibility timeout every message still owed has come back, so a scan
    running since before then is missing one; dispatching it again analyses
    what is not cached yet and finalises it once. Returns how many.
    """
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than)
    stalled = list(
        Scan.objects.filter(
            status=Scan.Status.RUNNING, started_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in stalled:
        scan_releases.delay_on_commit([pk])
    return len(stalled)


def scan_resume(*, scan: Scan) -> None:
    """Dispatch an active scan again: it analyses only what is not cached yet.

    For a scan whose worker died; running it twice is harmless.
    """
    scan_releases.delay_on_commit([scan.pk])
