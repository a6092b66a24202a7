"""The weekly refresh: new tags or PyPI releases, new scans, a main snapshot."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from tracker import importer
from tracker.git import Tag
from tracker.models import SNAPSHOT_PREFIX, Project, Scan, version_key
from tracker.services import (
    Target,
    mirror_open,
    scan_request,
    scans_request,
    target_of,
)


def release_tags(*, project: Project) -> list[Tag]:
    """The mirror's release tags from the project's minimum version on."""
    with mirror_open(project) as mirror:
        return _from_min_version(mirror.tags(project.release_tag_pattern), project)


def _from_min_version(tags: list[Tag], project: Project) -> list[Tag]:
    floor = version_key(project.min_version)
    return sorted(
        (tag for tag in tags if version_key(tag.name) >= floor),
        key=lambda tag: version_key(tag.name),
    )


def releases_refresh(*, project: Project) -> list[Tag]:
    """Fetch new tags, or import newer releases from PyPI; return release tags.

    A mirror with an upstream remote is fetched; one built from PyPI sdists
    (no remote) gets the releases newer than its newest tag.
    """
    with mirror_open(project) as mirror:
        if mirror.has_origin():
            mirror.fetch()
        elif project.pypi_package:
            known = [tag.name for tag in mirror.tags(project.release_tag_pattern)]
            newest = max(
                map(version_key, known), default=version_key(project.min_version)
            )
            importer.import_releases(
                mirror=mirror,
                package=project.pypi_package,
                versions=[
                    v
                    for v in importer.pypi_versions(project.pypi_package)
                    if version_key(v) > newest
                ],
                cache_dir=settings.SDIST_CACHE_DIR,
                folders=project.folders,
            )
        return _from_min_version(mirror.tags(project.release_tag_pattern), project)


def main_snapshot_request(
    *, project: Project, today: date | None = None, trigger: str = Scan.Trigger.WEEKLY
) -> Scan | None:
    """This week's snapshot of main, named after the week's Monday, or None.

    A second request in the same week finds the same name done or running
    and starts nothing.
    """
    if not project.main_branch:
        return None
    with mirror_open(project) as mirror:
        head = mirror.branch_commit(project.main_branch)
    if head is None:
        return None
    today = today or timezone.now().date()
    monday = today - timedelta(days=today.weekday())
    commit, commit_date = head
    target = Target(
        version=f"{SNAPSHOT_PREFIX}{monday.isoformat()}",
        ref=project.main_branch,
        commit=commit,
        commit_date=commit_date,
    )
    return scan_request(project=project, target=target, trigger=trigger)


def weekly_scan_request(*, project: Project, today: date | None = None) -> list[Scan]:
    """Scan what is new this week: releases not scanned yet, and main."""
    scans = scans_request(
        project=project,
        targets=[target_of(tag) for tag in releases_refresh(project=project)],
        trigger=Scan.Trigger.WEEKLY,
    )
    scans.append(main_snapshot_request(project=project, today=today))
    return [scan for scan in scans if scan is not None]
