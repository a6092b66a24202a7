"""Reads: releases and what was stored for them."""

from __future__ import annotations

from analyzers.serialize import from_jsonable
from analyzers.types import ComponentSummary
from tracker.models import Project, Release


def release_get(*, project: Project, version: str | None = None) -> Release | None:
    """The release of that version, or the newest one (snapshots excluded)."""
    releases = Release.objects.filter(project=project)
    if version:
        return releases.filter(version=version).first()
    return releases.filter(is_snapshot=False).order_by("-version_key").first()


def release_components(*, release: Release) -> list[ComponentSummary]:
    return [
        from_jsonable(ComponentSummary, row.summary)
        for row in release.componentstat_set.order_by("name")
    ]
