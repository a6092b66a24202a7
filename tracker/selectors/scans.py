"""Reads about scans: history and those still running."""

from __future__ import annotations

from tracker.models import (
    Project,
    Scan,
)


def scan_list(*, project: Project, limit: int = 50) -> list[Scan]:
    return list(
        Scan.objects.filter(project=project)
        .select_related("release")
        .order_by("-created_at")[:limit]
    )


def scans_active(*, project: Project) -> list[Scan]:
    return list(
        Scan.objects.filter(project=project, status__in=Scan.ACTIVE).order_by(
            "created_at"
        )
    )
