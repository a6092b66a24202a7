"""Reads about components: the matrix, one component in a release, its history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from analyzers.records import ComponentSummary, Stage
from analyzers.serialize import from_jsonable
from tracker.models import (
    ComponentStat,
    Project,
    Release,
    SuiteStat,
)


@dataclass(frozen=True)
class MatrixRow:
    """A component across the shown releases: each cell the release and the
    component's row there, None where the release lacks it."""

    name: str
    cells: list[tuple[Release, ComponentStat | None]]
    first_async: Release | None  # the first shown release past sync-only


@dataclass(frozen=True)
class Matrix:
    rows: list[MatrixRow]  # by the first release with async, then by name
    folded: list[str]  # sync-only (or absent) in every shown release


def component_matrix(*, releases: list[Release]) -> Matrix:
    """Components by releases (one query). Components that left sync-only
    come first, the earliest first, so progress reads top-down; those
    sync-only in every shown release are folded into one list."""
    cells: dict[str, dict[int, ComponentStat]] = defaultdict(dict)
    for stat in ComponentStat.objects.filter(release__in=releases).only(
        "release_id", "name", "stage", "public_async"
    ):
        cells[stat.name][stat.release_id] = stat
    rows, folded = [], []
    for name in sorted(cells):
        row = [(release, cells[name].get(release.pk)) for release in releases]
        first = next(
            (r for r, stat in row if stat and stat.stage != Stage.SYNC_ONLY), None
        )
        if first is None:
            folded.append(name)
        else:
            rows.append(MatrixRow(name=name, cells=row, first_async=first))
    rows.sort(key=lambda row: (row.first_async.version_key, row.name))
    return Matrix(rows=rows, folded=folded)


@dataclass(frozen=True)
class ComponentEntry:
    """A component as the components list shows it: its newest release."""

    name: str
    release: Release  # the newest non-snapshot release that has it
    stage: str
    public_async: int
    first_async: str | None  # the first release past sync-only


def component_list(*, project: Project) -> list[ComponentEntry]:
    """Every component of the project, by name (one query)."""
    stats = (
        ComponentStat.objects.filter(
            release__project=project, release__is_snapshot=False
        )
        .select_related("release")
        .only("name", "stage", "public_async", "release")
        .order_by("name", "release__version_key")
    )
    entries: dict[str, ComponentEntry] = {}
    first: dict[str, str] = {}
    for stat in stats:
        if stat.stage != Stage.SYNC_ONLY:
            first.setdefault(stat.name, stat.release.version)
        entries[stat.name] = ComponentEntry(
            name=stat.name,
            release=stat.release,
            stage=stat.stage,
            public_async=stat.public_async,
            first_async=first.get(stat.name),
        )
    return list(entries.values())


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
