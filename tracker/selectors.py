"""Reads: releases and what was stored for them, for commands, pages and API.

Every function takes keyword arguments and returns rows, dataclasses or plain
dicts; none writes. Each runs a bounded number of queries whatever the data
size (the web tests hold them to it).
"""

from __future__ import annotations

from collections import defaultdict
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
    Scan,
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


# Releases ----------------------------------------------------------------------
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


# Headline figures ----------------------------------------------------------------
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


# Components ----------------------------------------------------------------------
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


# Functions -----------------------------------------------------------------------
FUNCTION_ORDERINGS = {
    "name": ("module", "qualname"),
    "-name": ("-module", "-qualname"),
    "kind": ("kind", "module", "qualname"),
    "-kind": ("-kind", "module", "qualname"),
    "reaches": ("reaches", "module", "qualname"),
    "-reaches": ("-reaches", "module", "qualname"),
    "loc": ("loc", "module", "qualname"),
    "-loc": ("-loc", "module", "qualname"),
    "hops": ("thread_hops", "module", "qualname"),
    "-hops": ("-thread_hops", "module", "qualname"),
}


@dataclass(frozen=True)
class FunctionFilters:
    """What a function table or the API may filter by; None means any."""

    component: str | None = None
    kind: str | None = None
    reaches: str | None = None
    public: bool | None = None
    is_async: bool | None = None
    missing_twin: bool | None = None
    blocking: bool | None = None
    name: str | None = None  # a part of module.qualname


def function_list(
    *, release: Release | None, filters: FunctionFilters, ordering: str = "name"
) -> QuerySet[FunctionStat]:
    """Functions matching `filters`; `ordering` is a key of FUNCTION_ORDERINGS."""
    rows = FunctionStat.objects.all()
    if release is not None:
        rows = rows.filter(release=release)
    exact = {
        "component": filters.component,
        "kind": filters.kind,
        "reaches": filters.reaches,
        "public": filters.public,
        "is_async": filters.is_async,
        "missing_twin": filters.missing_twin,
    }
    rows = rows.filter(**{k: v for k, v in exact.items() if v is not None})
    if filters.blocking is not None:
        rows = (
            rows.exclude(blocking=[]) if filters.blocking else rows.filter(blocking=[])
        )
    if filters.name:
        rows = rows.filter(
            Q(qualname__icontains=filters.name) | Q(module__icontains=filters.name)
        )
    return rows.order_by(*FUNCTION_ORDERINGS[ordering])


def _full_name_q(full_name: str, *, qualname_field: str = "qualname") -> Q:
    """module.qualname can split at any dot: match every way, in one query."""
    parts = full_name.split(".")
    q = Q(pk__in=[])
    for i in range(1, len(parts)):
        q |= Q(module=".".join(parts[:i]), **{qualname_field: ".".join(parts[i:])})
    return q


def function_get(*, release: Release, full_name: str) -> FunctionStat | None:
    """The function of that full name; the async one when a name has both
    (a def in each branch of an `if`)."""
    return (
        FunctionStat.objects.filter(_full_name_q(full_name), release=release)
        .order_by("-is_async")
        .first()
    )


def function_newest(*, project: Project, full_name: str) -> FunctionStat | None:
    """The function of that full name in the newest release that has it."""
    return (
        FunctionStat.objects.filter(_full_name_q(full_name), release__project=project)
        .order_by("-release__version_key")
        .first()
    )


def function_history(*, project: Project, module: str, qualname: str) -> list:
    """The function in every release, oldest first (one query)."""
    return list(
        FunctionStat.objects.filter(
            release__project=project, module=module, qualname=qualname
        )
        .select_related("release")
        .order_by("release__version_key", "-is_async")
    )


def function_search(*, project: Project, text: str, limit: int = 50) -> list[dict]:
    """Functions whose qualified name holds `text`, each with the releases it
    is in (newest first); best matches (exact name) first."""
    rows = (
        FunctionStat.objects.filter(
            release__project=project, release__is_snapshot=False
        )
        .filter(qualname__icontains=text)
        .values("module", "qualname")
        .annotate(
            releases=Count("release", distinct=True), newest=Max("release__version_key")
        )
        .order_by("qualname", "module")[: limit * 4]
    )
    found = list(rows)
    found.sort(
        key=lambda r: (
            r["qualname"].rsplit(".", 1)[-1].lower() != text.lower(),
            len(r["qualname"]),
            r["module"],
        )
    )
    found = found[:limit]
    newest = {
        r.version_key: r.version
        for r in Release.objects.filter(
            project=project, version_key__in={r["newest"] for r in found}
        )
    }
    for row in found:
        row["newest"] = newest.get(row["newest"], "")
    return found


# Twin pairs and drift --------------------------------------------------------------
PAIR_ORDERINGS = {
    "name": ("module", "async_qualname"),
    "-similarity": ("-similarity", "module", "async_qualname"),
    "similarity": ("similarity", "module", "async_qualname"),
    "-duplicated": ("-duplicated_lines", "module", "async_qualname"),
}


def pair_list(
    *,
    release: Release,
    relation: str | None = None,
    component: str | None = None,
    ordering: str = "name",
) -> QuerySet[TwinPairStat]:
    rows = TwinPairStat.objects.filter(release=release)
    if relation:
        rows = rows.filter(relation=relation)
    if component:
        rows = rows.filter(component=component)
    return rows.order_by(*PAIR_ORDERINGS[ordering])


def pair_get(*, release: Release, full_name: str) -> TwinPairStat | None:
    """The pair whose async side is `full_name` (module.async_qualname)."""
    q = _full_name_q(full_name, qualname_field="async_qualname")
    return TwinPairStat.objects.filter(q, release=release).first()


def pair_history(*, pair: TwinPairStat) -> list[tuple[TwinPairStat, PairDrift | None]]:
    """The pair in every release, oldest first, with its drift there (two queries)."""
    key = dict(
        module=pair.module,
        sync_qualname=pair.sync_qualname,
        async_qualname=pair.async_qualname,
    )
    project_id = pair.release.project_id
    drifts = {
        d.release_id: d
        for d in PairDrift.objects.filter(release__project_id=project_id, **key)
    }
    pairs = (
        TwinPairStat.objects.filter(release__project_id=project_id, **key)
        .select_related("release")
        .order_by("release__version_key")
    )
    return [(p, drifts.get(p.release_id)) for p in pairs]


def drift_list(
    *, project: Project, component: str | None = None
) -> QuerySet[PairDrift]:
    """One-sided changes, newest release first."""
    rows = PairDrift.objects.filter(release__project=project, one_sided=True)
    if component:
        rows = rows.filter(component=component)
    return rows.select_related("release", "previous").order_by(
        "-release__version_key", "module", "async_qualname"
    )


# What changed between two releases -----------------------------------------------
@dataclass(frozen=True)
class ReleaseChanges:
    base: Release
    head: Release
    new_async_apis: list[FunctionStat]
    removed_async_apis: list[tuple[str, str]]
    changed: list[tuple[FunctionStat, str, str]]  # function, kind before, reach before
    new_pairs: list[TwinPairStat]
    removed_pairs: list[tuple[str, str, str]]
    one_sided: list[PairDrift]


def _public_async(release: Release) -> dict[tuple[str, str], FunctionStat]:
    rows = FunctionStat.objects.filter(release=release, is_async=True, public=True)
    rows = rows.select_related("release").order_by("module", "qualname")
    return {(f.module, f.qualname): f for f in rows}


def release_changes(*, base: Release, head: Release) -> ReleaseChanges:
    """What changed from `base` to `head` (six queries)."""
    before, after = _public_async(base), _public_async(head)
    old_kinds = {
        (module, qualname): (kind, reaches)
        for module, qualname, kind, reaches in FunctionStat.objects.filter(
            release=base
        ).values_list("module", "qualname", "kind", "reaches")
    }
    changed = []
    for key, function in after.items():
        if key in old_kinds and old_kinds[key] != (function.kind, function.reaches):
            changed.append((function, *old_kinds[key]))

    def pairs(release: Release) -> dict[tuple[str, str, str], TwinPairStat]:
        rows = (
            TwinPairStat.objects.filter(release=release)
            .select_related("release")
            .order_by("module", "async_qualname")
        )
        return {(p.module, p.sync_qualname, p.async_qualname): p for p in rows}

    old_pairs, new_pairs = pairs(base), pairs(head)
    one_sided = []
    if head.previous_id == base.pk:
        one_sided = list(
            PairDrift.objects.filter(release=head, one_sided=True)
            .select_related("release", "previous")
            .order_by("module", "async_qualname")
        )
    return ReleaseChanges(
        base=base,
        head=head,
        new_async_apis=[f for key, f in after.items() if key not in before],
        removed_async_apis=[key for key in before if key not in after],
        changed=changed,
        new_pairs=[p for key, p in new_pairs.items() if key not in old_pairs],
        removed_pairs=[key for key in old_pairs if key not in new_pairs],
        one_sided=one_sided,
    )


# Scans ---------------------------------------------------------------------------
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


def release_parse_failures(*, release: Release) -> list[tuple[str, str]]:
    return list(
        release.releasefile_set.exclude(parse_error="")
        .order_by("path")
        .values_list("path", "parse_error")
    )


@dataclass(frozen=True)
class ChainLink:
    """One link of an evidence chain, as the function page shows it."""

    label: str  # the qualname, or the hop ("sync_to_async(get)")
    target: str | None  # the full name it links to; None for the hop
    resolution: str = ""  # how the analyzer knew: type, convention, name, hop
    candidates: tuple[str, ...] = ()  # name only: all it could be; else others
    default: bool = False  # the default configuration's implementation


def chain_links(*, function: FunctionStat) -> list[ChainLink]:
    """The evidence chain, each link with where it leads and how it was known.

    The analyzer records each step's full name and resolution (`steps`);
    rows of an analyzer that did not are linked by qualname: in the caller's
    module, else in a module one of the hops lives in, else the only one.
    """
    chain = list(function.chain)
    if not chain:
        return []
    if function.steps:
        links = [ChainLink(label=chain[0], target=f"{function.module}.{chain[0]}")]
        for label, step in zip(chain[1:], function.steps, strict=False):
            hop = step["resolution"] == "hop"
            links.append(
                ChainLink(
                    label=label,
                    target=None if hop else step["target"],
                    resolution=step["resolution"],
                    candidates=tuple(step.get("candidates", ())),
                    default=step.get("default", False),
                )
            )
        return links
    rows = FunctionStat.objects.filter(
        release_id=function.release_id, qualname__in=chain[:-1]
    ).values_list("module", "qualname")
    modules: dict[str, list[str]] = defaultdict(list)
    for module, qualname in rows:
        modules[qualname].append(module)
    links = []
    for step in chain[:-1]:
        found = modules.get(step, [])
        preferred = (
            [m for m in found if m == function.module]
            or [m for m in found if any(h.startswith(f"{m}.") for h in function.hops)]
            or found
        )
        links.append(
            ChainLink(
                label=step, target=f"{preferred[0]}.{step}" if preferred else None
            )
        )
    links.append(ChainLink(label=chain[-1], target=None, resolution="hop"))
    return links
