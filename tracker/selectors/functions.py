"""Reads about functions: filtered lists, one function, its history, search,
and its evidence chain as links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

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
    "hops": ("hops_most", "hops_fewest", "module", "qualname"),
    "-hops": ("-hops_most", "-hops_fewest", "module", "qualname"),
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
    closure: bool | None = None  # defined inside a function
    concurrent: bool | None = None  # runs awaitables concurrently
    twinned: bool | None = None  # has a sync/async twin
    hops: bool | None = None  # some path of it hops into a thread

    def query(self) -> dict[str, str]:
        """The filters as the query parameters of the pages and the API."""
        out = {}
        for name, value in vars(self).items():
            if value is None:
                continue
            out[name] = {True: "yes", False: "no"}.get(value, value)
        return out


# The one definition of each headline's function list (selectors/releases.py).
PUBLIC_ASYNC = FunctionFilters(is_async=True, public=True, closure=False)


def function_q(filters: FunctionFilters) -> Q:
    """The filters as one condition: lists and headline counts share it."""
    exact = {
        "component": filters.component,
        "kind": filters.kind,
        "reaches": filters.reaches,
        "public": filters.public,
        "is_async": filters.is_async,
        "missing_twin": filters.missing_twin,
        "closure": filters.closure,
        "concurrent": filters.concurrent,
    }
    q = Q(**{k: v for k, v in exact.items() if v is not None})
    if filters.blocking is not None:
        q &= ~Q(blocking=[]) if filters.blocking else Q(blocking=[])
    if filters.twinned is not None:
        q &= ~Q(twin="") if filters.twinned else Q(twin="")
    if filters.hops is not None:
        q &= Q(hops_most__gt=0) if filters.hops else Q(hops_most=0)
    if filters.name:
        q &= Q(qualname__icontains=filters.name) | Q(module__icontains=filters.name)
    return q


def function_list(
    *, release: Release | None, filters: FunctionFilters, ordering: str = "name"
) -> QuerySet[FunctionStat]:
    """Functions matching `filters`; `ordering` is a key of FUNCTION_ORDERINGS."""
    rows = FunctionStat.objects.filter(function_q(filters))
    if release is not None:
        rows = rows.filter(release=release)
    return rows.order_by(*FUNCTION_ORDERINGS[ordering])


def full_name_q(full_name: str, *, qualname_field: str = "qualname") -> Q:
    """module.qualname can split at any dot: match every way, in one query."""
    parts = full_name.split(".")
    q = Q(pk__in=[])
    for i in range(1, len(parts)):
        q |= Q(module=".".join(parts[:i]), **{qualname_field: ".".join(parts[i:])})
    return q


def function_get(
    *,
    release: Release,
    full_name: str,
    is_async: bool | None = None,
    variant: int | None = None,
) -> FunctionStat | None:
    """The function of that full name. A name can have several definitions
    (a sync and an async def, or two in the branches of an `if`): `is_async`
    and `variant` choose one; without them, the async one, then the first."""
    rows = FunctionStat.objects.filter(full_name_q(full_name), release=release)
    if is_async is not None:
        rows = rows.filter(is_async=is_async)
    if variant is not None:
        rows = rows.filter(variant=variant)
    return rows.order_by("-is_async", "variant").first()


def function_definitions(*, function: FunctionStat) -> list[FunctionStat]:
    """Every definition of the function's name in its release, itself included
    (one query): a page names the others so none is hidden behind another."""
    return list(
        FunctionStat.objects.filter(
            release_id=function.release_id,
            module=function.module,
            qualname=function.qualname,
        )
        .select_related("release")
        .order_by("-is_async", "variant")
    )


def function_newest(
    *,
    project: Project,
    full_name: str,
    is_async: bool | None = None,
    variant: int | None = None,
) -> FunctionStat | None:
    """The function of that full name in the newest release that has it."""
    rows = FunctionStat.objects.filter(full_name_q(full_name), release__project=project)
    if is_async is not None:
        rows = rows.filter(is_async=is_async)
    if variant is not None:
        rows = rows.filter(variant=variant)
    return rows.order_by("-release__version_key", "-is_async", "variant").first()


def function_history(
    *,
    project: Project,
    module: str,
    qualname: str,
    is_async: bool | None = None,
    variant: int | None = None,
) -> list:
    """The function in every release, oldest first (one query). Its identity
    is (module, qualname, is_async, variant): the sync and the async
    definition of one name have a history each."""
    rows = FunctionStat.objects.filter(
        release__project=project, module=module, qualname=qualname
    )
    if is_async is not None:
        rows = rows.filter(is_async=is_async)
    if variant is not None:
        rows = rows.filter(variant=variant)
    return list(
        rows.select_related("release").order_by(
            "release__version_key", "-is_async", "variant"
        )
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
    # How the analyzer knew: type, convention, name; or how the chain ends:
    # hop (a thread), io (native awaitable I/O), unseen (a call not followed).
    resolution: str = ""
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
        # A call matched by name only may name no function of the release
        # (`AsyncPoolRequest().wait_for_connection().handle_async_request()`):
        # linked, it would lead to a 404.
        stored = set(
            FunctionStat.objects.filter(release_id=function.release_id)
            .annotate(
                full_name=Concat(
                    "module", Value("."), "qualname", output_field=TextField()
                )
            )
            .filter(full_name__in=[s["target"] for s in function.steps])
            .values_list("full_name", flat=True)
        )
        for label, step in zip(chain[1:], function.steps, strict=False):
            # A hop, native I/O or a call it could not see: not a function.
            end = step["resolution"] in ("hop", "io", "unseen")
            links.append(
                ChainLink(
                    label=label,
                    target=step["target"]
                    if not end and step["target"] in stored
                    else None,
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
