"""Reads about twin pairs and their drift (one-sided changes)."""

from __future__ import annotations

from django.db.models import QuerySet

from tracker.models import (
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
