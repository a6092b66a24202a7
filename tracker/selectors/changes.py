"""What changed between two releases: the release page's changelog."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.models import (
    FunctionStat,
    PairDrift,
    Release,
    TwinPairStat,
)


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
