"""What changed between two releases: the release page's changelog and the
API's `compare`.

A function is the same function in two releases when its identity is:
(module, qualname, is_async, variant). So the sync and the async `def` of one
name in the two branches of an `if` are never "a sync function that became
async", and the changelog holds real changes only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tracker.models import (
    ComponentStat,
    FunctionStat,
    PairDrift,
    Release,
    TwinPairStat,
)
from tracker.selectors.functions import PUBLIC_ASYNC, function_q

Identity = tuple[str, str, bool, int]


@dataclass(frozen=True)
class StageChange:
    component: str
    before: str  # "" when the base release lacks the component
    after: str  # "" when the head release lacks it


@dataclass(frozen=True)
class FunctionChange:
    """A public async API whose kind or reach changed."""

    function: FunctionStat
    kind_before: str
    reaches_before: str


@dataclass(frozen=True)
class ReleaseChanges:
    base: Release
    head: Release
    new_async_apis: list[FunctionStat]
    removed_async_apis: list[FunctionStat]  # rows of the base release
    stage_changes: list[StageChange]
    changed: list[FunctionChange]
    new_pairs: list[TwinPairStat]
    removed_pairs: list[TwinPairStat]  # rows of the base release
    # Of every release after base up to head: each compares with its own
    # previous release, so none is missed between base and head.
    one_sided: list[PairDrift]


def identity(function: FunctionStat) -> Identity:
    return (function.module, function.qualname, function.is_async, function.variant)


def _public_async(release: Release) -> dict[Identity, FunctionStat]:
    rows = FunctionStat.objects.filter(function_q(PUBLIC_ASYNC), release=release)
    rows = rows.select_related("release").order_by("module", "qualname", "variant")
    return {identity(f): f for f in rows}


def _pairs(release: Release) -> dict[tuple[str, str, str], TwinPairStat]:
    rows = (
        TwinPairStat.objects.filter(release=release)
        .select_related("release")
        .order_by("module", "async_qualname")
    )
    return {
        (p.module, p.sync_module, p.sync_qualname, p.async_qualname): p for p in rows
    }


def _stage_changes(base: Release, head: Release) -> list[StageChange]:
    stages: dict[str, dict[int, str]] = {}
    for name, release_id, stage in ComponentStat.objects.filter(
        release__in=[base, head]
    ).values_list("name", "release_id", "stage"):
        stages.setdefault(name, {})[release_id] = stage
    return [
        StageChange(component=name, before=s.get(base.pk, ""), after=s.get(head.pk, ""))
        for name, s in sorted(stages.items())
        if s.get(base.pk, "") != s.get(head.pk, "")
    ]


def one_sided_between(*, base: Release, head: Release) -> list[PairDrift]:
    """One-sided changes of the releases after `base` up to `head` (snapshots
    only when `head` is one), oldest release first."""
    releases = Q(
        release__project_id=head.project_id,
        release__version_key__gt=base.version_key,
        release__version_key__lte=head.version_key,
    )
    if not head.is_snapshot:
        releases &= Q(release__is_snapshot=False)
    return list(
        PairDrift.objects.filter(releases | Q(release=head), one_sided=True)
        .select_related("release", "previous")
        .order_by("release__version_key", "module", "async_qualname")
    )


def release_changes(*, base: Release, head: Release) -> ReleaseChanges:
    """What changed from `base` to `head` (six queries)."""
    before, after = _public_async(base), _public_async(head)
    changed = [
        FunctionChange(function=f, kind_before=old.kind, reaches_before=old.reaches)
        for key, f in after.items()
        if (old := before.get(key)) is not None
        and (old.kind, old.reaches) != (f.kind, f.reaches)
    ]
    old_pairs, new_pairs = _pairs(base), _pairs(head)
    return ReleaseChanges(
        base=base,
        head=head,
        new_async_apis=[f for key, f in after.items() if key not in before],
        removed_async_apis=[f for key, f in before.items() if key not in after],
        stage_changes=_stage_changes(base, head),
        changed=changed,
        new_pairs=[p for key, p in new_pairs.items() if key not in old_pairs],
        removed_pairs=[p for key, p in old_pairs.items() if key not in new_pairs],
        one_sided=one_sided_between(base=base, head=head),
    )
