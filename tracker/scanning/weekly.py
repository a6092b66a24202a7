"""The weekly refresh: new tags or PyPI releases, new scans, a main snapshot."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from tracker import versions
from tracker.models import Project, Scan
from tracker.scanning.mirrors import mirror_open, release_tags_from_min_version
from tracker.scanning.requests import Target, scans_request, target_of
from tracker.sources import pypi
from tracker.sources.git import Tag


def releases_refresh(*, project: Project) -> list[Tag]:
    """Fetch new tags, or import newer releases from PyPI; return release tags.

    A mirror with an upstream remote is fetched; one built from PyPI sdists
    (no remote) gets the releases newer than its newest tag.
    """
    with mirror_open(project) as mirror:
        if mirror.has_origin():
            mirror.fetch()
        elif project.pypi_package:
            known = release_tags_from_min_version(
                mirror.tags(project.release_tag_pattern), project
            )
            newest = max(
                (versions.sort_key(tag.name) for tag in known),
                default=versions.sort_key(project.min_version),
            )
            pypi.import_releases(
                mirror=mirror,
                package=project.pypi_package,
                versions=[
                    v
                    for v in pypi.pypi_versions(project.pypi_package)
                    if versions.sort_key(v) > newest
                ],
                cache_dir=settings.SDIST_CACHE_DIR,
                folders=project.folders,
            )
        return release_tags_from_min_version(
            mirror.tags(project.release_tag_pattern), project
        )


def main_snapshot_request(
    *, project: Project, today: date | None = None, trigger: str = Scan.Trigger.WEEKLY
) -> Scan | None:
    """This week's snapshot of main, named after the week's Monday, or None.

    Main is the project's `main_branch`, or when that is blank the branch
    the repository's HEAD names (its default: `master` as often as `main`);
    a project built from PyPI has none. A second request in the same week
    finds the same name done or running and starts nothing.
    """
    with mirror_open(project) as mirror:
        branch = project.main_branch or mirror.default_branch()
        head = mirror.branch_commit(branch) if branch else None
    if head is None:
        return None
    today = today or timezone.now().date()
    monday = today - timedelta(days=today.weekday())
    commit, commit_date = head
    target = Target(
        version=f"{versions.SNAPSHOT_PREFIX}{monday.isoformat()}",
        ref=branch,
        commit=commit,
        commit_date=commit_date,
    )
    return scans_request(project=project, targets=[target], trigger=trigger)[0]


def weekly_scan_request(*, project: Project, today: date | None = None) -> list[Scan]:
    """Scan what is new this week: releases not scanned yet, and main.

    A scan still active after twice the task time limit lost its worker: the
    request fails it first and scans its release afresh rather than joining
    it (`scans_request`).
    """
    scans = scans_request(
        project=project,
        targets=[target_of(tag) for tag in releases_refresh(project=project)],
        trigger=Scan.Trigger.WEEKLY,
    )
    scans.append(main_snapshot_request(project=project, today=today))
    return [scan for scan in scans if scan is not None]
