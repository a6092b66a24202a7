"""Reads about releases: which there are, the newest, their headline figures."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum

from analyzers.serialize import from_jsonable
from analyzers.types import ComponentSummary, Reach, Relation
from tracker import versions
from tracker.models import (
    ComponentStat,
    FunctionStat,
    PairDrift,
    Project,
    Release,
    SuiteStat,
    TwinPairStat,
)


def project_current() -> Project | None:
    """The project the site shows (ASYNCDASH_PROJECT, Django by default)."""
    return Project.objects.filter(slug=settings.ASYNCDASH_PROJECT).first()


def data_version() -> str:
    """Changes whenever a release is written or removed: keys caches and ETags."""
    stats = Release.objects.aggregate(
        n=Count("pk"), last=Max("pk"), at=Max("scanned_at")
    )
    at = stats["at"].timestamp() if stats["at"] else 0
    return f"{stats['n']}-{stats['last'] or 0}-{at:.6f}"


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


def release_components(*, release: Release) -> list[ComponentSummary]:
    return [
        from_jsonable(ComponentSummary, row.summary)
        for row in release.componentstat_set.order_by("name")
    ]


HEADLINES = (
    ("public_async", "public async APIs"),
    ("reach_async", "reach genuinely async code"),
    ("reach_thread", "reach only a thread"),
    ("twin_lines", "lines in async twins"),
    ("derivable_pairs", "derivable twin pairs"),
    ("concurrency_sites", "concurrency sites"),
    ("one_sided", "one-sided changes"),
    ("doubled_tests", "doubled tests"),
)


def release_figures(*, release: Release) -> dict[str, int]:
    """The headline figures of one release (five queries)."""
    functions = FunctionStat.objects.filter(release=release)
    public_async = functions.filter(is_async=True, public=True)
    reaches = dict(
        public_async.values_list("reaches").annotate(n=Count("pk")).order_by()
    )
    twins = functions.filter(is_async=True).exclude(twin="")
    sums = ComponentStat.objects.filter(release=release).aggregate(
        public_async=Sum("public_async")
    )
    return {
        "public_async": sums["public_async"] or 0,
        "reach_async": reaches.get(Reach.ASYNC, 0),
        "reach_thread": reaches.get(Reach.THREAD, 0),
        "twin_lines": twins.aggregate(n=Sum("loc"))["n"] or 0,
        "derivable_pairs": TwinPairStat.objects.filter(
            release=release, relation=Relation.DERIVABLE
        ).count(),
        "concurrency_sites": functions.filter(concurrent=True).count(),
        "one_sided": PairDrift.objects.filter(release=release, one_sided=True).count(),
        "doubled_tests": SuiteStat.objects.filter(release=release).aggregate(
            n=Sum("async_tests_with_sync_twin")
        )["n"]
        or 0,
    }


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: int
    change: int | None  # since the previous feature release; None if none


def headlines(*, release: Release) -> tuple[list[Headline], Release | None]:
    """The release's headline figures, each with its change since the previous
    feature release."""
    now = release_figures(release=release)
    previous = release_previous_feature(release=release)
    before = release_figures(release=previous) if previous else {}
    rows = [
        Headline(
            key=key,
            label=label,
            value=now[key],
            change=now[key] - before[key] if before else None,
        )
        for key, label in HEADLINES
    ]
    return rows, previous


def release_parse_failures(*, release: Release) -> list[tuple[str, str]]:
    return list(
        release.releasefile_set.exclude(parse_error="")
        .order_by("path")
        .values_list("path", "parse_error")
    )
