"""Reads about functions: filtered lists, one function, its history, search,
and its evidence chain as links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from tracker.models import (
    FunctionStat,
    Project,
    Release,
)

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


def full_name_q(full_name: str, *, qualname_field: str = "qualname") -> Q:
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
        FunctionStat.objects.filter(full_name_q(full_name), release=release)
        .order_by("-is_async")
        .first()
    )


def function_newest(*, project: Project, full_name: str) -> FunctionStat | None:
    """The function of that full name in the newest release that has it."""
    return (
        FunctionStat.objects.filter(full_name_q(full_name), release__project=project)
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
