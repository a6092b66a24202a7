"""Reads about twin pairs and their one-sided changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tracker import versions
from tracker.models import (
    FunctionStat,
    PairDrift,
    Project,
    Release,
    TwinPairStat,
)
from tracker.selectors.functions import full_name_q

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
    q = full_name_q(full_name, qualname_field="async_qualname")
    return TwinPairStat.objects.filter(q, release=release).first()


def pair_of_function(*, function: FunctionStat) -> TwinPairStat | None:
    """The twin pair `function` is a side of, in its release: by its async
    side's name, or its sync side's, in its module or its twin module's."""
    rows = TwinPairStat.objects.filter(release_id=function.release_id)
    if function.is_async:
        rows = rows.filter(module=function.module, async_qualname=function.qualname)
    else:
        in_module = Q(sync_module=function.module) | Q(
            sync_module="", module=function.module
        )
        rows = rows.filter(in_module, sync_qualname=function.qualname)
    return rows.order_by("pk").first()


def pair_history(*, pair: TwinPairStat) -> list[tuple[TwinPairStat, PairDrift | None]]:
    """The pair in every release, oldest first, with how it changed there
    (two queries)."""
    key = dict(
        module=pair.module,
        sync_module=pair.sync_module,
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


@dataclass(frozen=True)
class OneSidedFilters:
    """What the one-sided change lists may filter by; None means any.
    `since` and `until` are versions, both included."""

    release: str | None = None
    since: str | None = None
    until: str | None = None
    component: str | None = None
    change_class: str | None = None


def one_sided_list(
    *, project: Project, filters: OneSidedFilters = OneSidedFilters()
) -> QuerySet[PairDrift]:
    """One-sided changes, newest release first."""
    rows = PairDrift.objects.filter(release__project=project, one_sided=True)
    if filters.release:
        rows = rows.filter(release__version=filters.release)
    if filters.since:
        rows = rows.filter(release__version_key__gte=versions.sort_key(filters.since))
    if filters.until:
        rows = rows.filter(release__version_key__lte=versions.sort_key(filters.until))
    if filters.component:
        rows = rows.filter(component=filters.component)
    if filters.change_class:
        rows = rows.filter(change_class=filters.change_class)
    return rows.select_related("release", "previous").order_by(
        "-release__version_key", "module", "async_qualname"
    )


@dataclass(frozen=True)
class OneSidedGroup:
    """One-sided changes of one release to one class (or module), on the same
    side, of the same class: one edit to a shared helper such as BaseCache
    reads as one change with its pairs."""

    release: Release
    previous: Release
    module: str
    owner: str  # the class the pairs are methods of; "" for functions
    side: str  # "sync" or "async": the side that changed
    change_class: str
    changes: list[PairDrift]


def one_sided_groups(changes: list[PairDrift]) -> list[OneSidedGroup]:
    """The changes grouped as one edit each, in the given order."""
    groups: dict[tuple, OneSidedGroup] = {}
    for change in changes:
        owner = change.async_qualname.rpartition(".")[0]
        side = "sync" if change.sync_changed else "async"
        key = (change.release_id, change.module, owner, side, change.change_class)
        if key not in groups:
            groups[key] = OneSidedGroup(
                release=change.release,
                previous=change.previous,
                module=change.module,
                owner=owner,
                side=side,
                change_class=change.change_class,
                changes=[],
            )
        groups[key].changes.append(change)
    return list(groups.values())
