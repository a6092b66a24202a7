"""Reads about components: the matrix, one component in a release, its history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from analyzers.serialize import from_jsonable
from analyzers.types import ComponentSummary
from tracker.models import (
    ComponentStat,
    Project,
    Release,
    SuiteStat,
)


def component_matrix(
    *, releases: list[Release]
) -> list[tuple[str, list[tuple[Release, ComponentStat | None]]]]:
    """Components (rows) by releases (columns): each cell the release and the
    component's row there, None where the release lacks the component."""
    cells: dict[str, dict[int, ComponentStat]] = defaultdict(dict)
    for stat in ComponentStat.objects.filter(release__in=releases).only(
        "release_id", "name", "stage", "public_async"
    ):
        cells[stat.name][stat.release_id] = stat
    return [
        (name, [(release, cells[name].get(release.pk)) for release in releases])
        for name in sorted(cells)
    ]


def component_names(*, project: Project) -> list[str]:
    return list(
        ComponentStat.objects.filter(release__project=project)
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )


def component_get(*, release: Release, name: str) -> ComponentStat | None:
    return ComponentStat.objects.filter(release=release, name=name).first()


@dataclass(frozen=True)
class ComponentPoint:
    """One component in one release, for trend charts and the history API."""

    release: Release
    summary: ComponentSummary
    tests: int
    async_tests: int
    doubled_tests: int


def component_history(*, project: Project, name: str) -> list[ComponentPoint]:
    """The component in every release that has it, oldest first (two queries)."""
    stats = (
        ComponentStat.objects.filter(release__project=project, name=name)
        .select_related("release")
        .order_by("release__version_key")
    )
    suites = {
        suite.release_id: suite
        for suite in SuiteStat.objects.filter(release__project=project, component=name)
    }
    points = []
    for stat in stats:
        suite = suites.get(stat.release_id)
        points.append(
            ComponentPoint(
                release=stat.release,
                summary=from_jsonable(ComponentSummary, stat.summary),
                tests=suite.tests if suite else 0,
                async_tests=suite.async_tests if suite else 0,
                doubled_tests=suite.async_tests_with_sync_twin if suite else 0,
            )
        )
    return points
