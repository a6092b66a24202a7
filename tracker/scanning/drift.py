"""Drift between releases: which side of each twin pair changed.

A pair whose sync body changed and async body did not (or the reverse),
while the two were derivable or near-copies before, is a one-sided change:
the "bug fix applied to one path only" that the core team fears.
"""

from __future__ import annotations

from django.db.models import Q

from tracker.models import PairDrift, Release, TwinPairStat
from tracker.scanning import one_sided

CLOSE = ("derivable", "near-copy")


def previous_release(release: Release) -> Release | None:
    """The previous point release of the series, else the previous feature one.

    6.1.2 -> 6.1.1, 6.1.1 -> 6.1, 6.1 -> 6.0; a weekly snapshot of main
    follows the newest release.
    """
    earlier = Release.objects.filter(
        project=release.project,
        version_key__lt=release.version_key,
        is_snapshot=False,
    )
    if release.is_snapshot:
        return earlier.order_by("-version_key").first()
    if not release.is_feature:
        series = release.version.rsplit(".", 1)[0]
        same_series = earlier.filter(
            Q(version=series) | Q(version__startswith=f"{series}.")
        )
        found = same_series.order_by("-version_key").first()
        if found is not None:
            return found
    return earlier.filter(is_feature=True).order_by("-version_key").first()


def release_drift_update(*, release: Release) -> None:
    """Record this release's drift, and that of releases that now follow it.

    The caller holds the project's row lock until it commits
    (`steps.scan_finalise`), so no other release is being written meanwhile.
    """
    _record(release)
    later = Release.objects.filter(
        project=release.project, version_key__gt=release.version_key
    )
    for other in later:
        if previous_release(other) == release and other.previous_id != release.pk:
            _record(other)


def _record(release: Release) -> None:
    previous = previous_release(release)
    PairDrift.objects.filter(release=release).delete()
    Release.objects.filter(pk=release.pk).update(previous=previous)
    if previous is None:
        return
    before = {
        (p.module, p.sync_module, p.sync_qualname, p.async_qualname): p
        for p in TwinPairStat.objects.filter(release=previous)
    }
    rows = []
    for pair in TwinPairStat.objects.filter(release=release):
        old = before.get(
            (pair.module, pair.sync_module, pair.sync_qualname, pair.async_qualname)
        )
        if old is None:
            continue
        sync_changed = old.sync_hash != pair.sync_hash
        async_changed = old.async_hash != pair.async_hash
        rows.append(
            PairDrift(
                release=release,
                previous=previous,
                module=pair.module,
                sync_module=pair.sync_module,
                sync_qualname=pair.sync_qualname,
                async_qualname=pair.async_qualname,
                component=pair.component,
                sync_changed=sync_changed,
                async_changed=async_changed,
                previous_relation=old.relation,
                relation=pair.relation,
                one_sided=sync_changed != async_changed and old.relation in CLOSE,
            )
        )
    one_sided.drifts_classify(drifts=rows, release=release, previous=previous)
    PairDrift.objects.bulk_create(rows, batch_size=1000)
