"""Reads about releases: which there are, the newest, their headline figures."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum

from analyzers.records import ComponentSummary, Reach, Relation
from analyzers.serialize import from_jsonable
from tracker import versions
from tracker.models import (
    FunctionStat,
    PairDrift,
    Project,
    Release,
    SuiteStat,
    TwinPairStat,
)
from tracker.selectors.functions import PUBLIC_ASYNC, FunctionFilters, function_q


def project_current() -> Project | None:
    """The project the site shows (ASYNCDASH_PROJECT, Django by default)."""
    return Project.objects.filter(slug=settings.ASYNCDASH_PROJECT).first()


def data_version(*, project: str | None = None) -> str:
    """Changes whenever a release of `project` (None: of any project) is
    written or removed, or a project is added or removed (every page's
    switcher lists them): keys caches and ETags. One query."""
    own = Q() if project is None else Q(slug=project)
    stats = Project.objects.aggregate(
        projects=Count("pk", distinct=True),
        last_project=Max("pk"),
        n=Count("release", filter=own, distinct=True),
        last=Max("release__pk", filter=own),
        at=Max("release__scanned_at", filter=own),
    )
    at = stats["at"].timestamp() if stats["at"] else 0
    return (
        f"{stats['n']}-{stats['last'] or 0}-{at:.6f}"
        f"-{stats['projects']}-{stats['last_project'] or 0}"
    )


def release_list(
    *, project: Project, points: bool = False, snapshots: bool = False
) -> QuerySet[Release]:
    """Releases oldest first: feature releases, plus point releases and snapshots
    when asked."""
    releases = Release.objects.filter(project=project)
    if not points:
        releases = releases.filter(Q(is_feature=True) | Q(is_snapshot=True))
    if not snapshots:
        releases = releases.filter(is_snapshot=False)
    return releases.order_by("version_key")


def release_kinds(*, project: Project) -> dict[str, int]:
    """How many feature releases, point releases and snapshots are scanned
    (one query): the overview's toggles say what they would add."""
    return Release.objects.filter(project=project).aggregate(
        features=Count("pk", filter=Q(is_feature=True, is_snapshot=False)),
        points=Count("pk", filter=Q(is_feature=False, is_snapshot=False)),
        snapshots=Count("pk", filter=Q(is_snapshot=True)),
    )


def release_get(*, project: Project, version: str | None = None) -> Release | None:
    """The release of that version, or the newest one (snapshots excluded)."""
    releases = Release.objects.filter(project=project)
    if version:
        return releases.filter(version=version).first()
    return releases.filter(is_snapshot=False).order_by("-version_key").first()


def release_previous_feature(*, release: Release) -> Release | None:
    """The feature release of the series before this release's: 6.0 for 6.1
    and for 6.1.3. What headline changes compare with."""
    floor = release.version_key
    if not release.is_snapshot:
        floor = versions.sort_key(versions.series(release.version))
    return (
        Release.objects.filter(
            project_id=release.project_id,
            is_feature=True,
            is_snapshot=False,
            version_key__lt=floor,
        )
        .order_by("-version_key")
        .first()
    )


def _release_before(*, release: Release) -> Release | None:
    """The scanned release just before this one: what headlines compare with
    when no earlier feature release is scanned (httpcore 1.0.9 after 1.0.8)."""
    return (
        Release.objects.filter(
            project_id=release.project_id,
            is_snapshot=False,
            version_key__lt=release.version_key,
        )
        .order_by("-version_key")
        .first()
    )


def release_components(*, release: Release) -> list[ComponentSummary]:
    return [
        from_jsonable(ComponentSummary, row.summary)
        for row in release.componentstat_set.order_by("name")
    ]


@dataclass(frozen=True)
class Figure:
    """A headline figure and the list it counts: `kind` names the list
    ("functions", "pairs", "one-sided changes", "tests"), `query` its filters;
    the list's length is the figure."""

    key: str
    label: str
    kind: str
    query: dict[str, str] = field(default_factory=dict)
    filters: FunctionFilters | None = None  # for function lists


def _functions(key: str, label: str, **filters) -> Figure:
    """A figure counting functions: public async APIs unless `is_async` is
    given, narrowed by `filters`."""
    if "is_async" in filters:
        chosen = FunctionFilters(**filters)
    else:
        chosen = replace(PUBLIC_ASYNC, **filters)
    return Figure(key, label, "functions", chosen.query(), chosen)


HEADLINES = (
    _functions("public_async", "public async APIs"),
    _functions("reach_async_io", "reach native async I/O", reaches=Reach.ASYNC_IO),
    _functions("reach_thread", "end in a thread hop", reaches=Reach.THREAD),
    _functions("reach_unknown", "reach a call not followed", reaches=Reach.UNKNOWN),
    _functions("reach_loop", "stay on the event loop", reaches=Reach.LOOP),
    _functions("concurrent_functions", "concurrent functions", is_async=True,
               concurrent=True),
    _functions("async_twins", "async twins", is_async=True, twinned=True),
    Figure("derivable_pairs", "derivable twin pairs", "pairs",
           {"relation": Relation.DERIVABLE.value}),
    Figure("one_sided", "one-sided changes", "one-sided changes"),
    Figure("doubled_tests", "doubled tests", "tests"),
)  # fmt: skip


def release_figures(*, release: Release) -> dict[str, int]:
    """The headline figures of one release, and the thread hops and lines
    that go with them (four queries). Each figure counts the rows of its list,
    with the same filters."""
    functions = FunctionStat.objects.filter(release=release)
    counts = {
        f.key: Count("pk", filter=function_q(f.filters))
        for f in HEADLINES
        if f.filters is not None
    }
    on_thread = function_q(replace(PUBLIC_ASYNC, reaches=Reach.THREAD))
    twins = function_q(FunctionFilters(is_async=True, twinned=True))
    figures = functions.aggregate(
        **counts,
        hops_fewest=Sum("hops_fewest", filter=on_thread, default=0),
        hops_most=Sum("hops_most", filter=on_thread, default=0),
        twin_lines=Sum("loc", filter=twins, default=0),
    )
    figures["derivable_pairs"] = TwinPairStat.objects.filter(
        release=release, relation=Relation.DERIVABLE
    ).count()
    figures["one_sided"] = PairDrift.objects.filter(
        release=release, one_sided=True
    ).count()
    figures["doubled_tests"] = SuiteStat.objects.filter(release=release).aggregate(
        n=Sum("async_tests_with_sync_twin", default=0)
    )["n"]
    return figures


def release_component_figures(*, release: Release) -> dict[str, dict[str, int]]:
    """The headline figures that count functions, by component (one query):
    the release page's table, whose columns add up to the headlines."""
    counts = {
        f.key: Count("pk", filter=function_q(f.filters))
        for f in HEADLINES
        if f.filters is not None
    }
    rows = (
        FunctionStat.objects.filter(release=release)
        .values("component")
        .annotate(**counts)
        .order_by()
    )
    return {row.pop("component"): row for row in rows}


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: int
    change: int | None  # since the release compared with; None if none
    figure: Figure


def headlines(
    *, release: Release
) -> tuple[list[Headline], Release | None, dict[str, int]]:
    """The release's headline figures, each with its change since the previous
    feature release (else the release before, when only point releases are
    scanned); and all its figures (hops and lines besides)."""
    now = release_figures(release=release)
    previous = release_previous_feature(release=release) or _release_before(
        release=release
    )
    before = release_figures(release=previous) if previous else {}
    rows = [
        Headline(
            key=figure.key,
            label=figure.label,
            value=now[figure.key],
            change=now[figure.key] - before[figure.key] if before else None,
            figure=figure,
        )
        for figure in HEADLINES
    ]
    return rows, previous, now


def release_tests(*, release: Release) -> list[SuiteStat]:
    """Test counts by component, those with doubled tests first."""
    return list(
        SuiteStat.objects.filter(release=release).order_by(
            "-async_tests_with_sync_twin", "component"
        )
    )


def release_parse_failures(*, release: Release) -> list[tuple[str, str]]:
    return list(
        release.releasefile_set.exclude(parse_error="")
        .order_by("path")
        .values_list("path", "parse_error")
    )
