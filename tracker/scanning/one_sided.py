"""What a one-sided change changed, and what kind of change it is.

A twin pair changed on one side only. Either the changed lines still have a
counterpart on the other side, which did not change (a possible missed port:
the fix may belong on both paths), or they touch what only async code has
(`await`, `sync_to_async`, `thread_sensitive`, an a-prefixed twin name such as
`request.auser`): a deliberate async-specific edit. Lines that are neither
make the change "this side only". The rule is `CHANGE_CLASS_RULE`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from analyzers.file_pass.names import decode_source
from tracker.models import FunctionStat, PairDrift, Release, ReleaseFile
from tracker.scanning.mirrors import mirror_open
from tracker.sources.git import GitSourceError

MISSED_PORT = PairDrift.ChangeClass.MISSED_PORT.value
ASYNC_SPECIFIC = PairDrift.ChangeClass.ASYNC_SPECIFIC.value
THIS_SIDE_ONLY = PairDrift.ChangeClass.THIS_SIDE_ONLY.value

CHANGE_CLASS_RULE = (
    "A one-sided change is async-specific when every line it changed touches "
    "async-only code (await, async, sync_to_async, async_to_sync, "
    "thread_sensitive, asyncio, or an a-prefixed twin of a name the sync side "
    "uses); otherwise a possible missed port when a line it changed still has "
    "its counterpart on the other side, which did not change; otherwise this "
    "side only."
)

ASYNC_WORDS = re.compile(
    r"\b(await|async|sync_to_async|async_to_sync|thread_sensitive|asyncio)\b"
)
NAME = re.compile(r"\b[A-Za-z_]\w*\b")
# The lines kept per change: enough to read it, bounded for the row.
MAX_LINES = 40


def normalise(line: str, sync_names: set[str] = frozenset()) -> str:
    """A line as both twins would write it: no indentation, no `await` or
    `async`, and a-prefixed twins of the sync side's names (`aget`,
    `auser`) as those names."""
    line = re.sub(r"\b(await|async)\s+", "", line.strip())
    return NAME.sub(
        lambda m: m[0][1:] if m[0][:1] == "a" and m[0][1:] in sync_names else m[0],
        line,
    )


def _async_only(line: str, sync_names: set[str]) -> bool:
    if ASYNC_WORDS.search(line):
        return True
    return any(
        name.startswith("a") and name[1:] in sync_names for name in NAME.findall(line)
    )


def classify(
    *, before: list[str], after: list[str], other: list[str], side: str
) -> tuple[str, list[str]]:
    """The class of a change from `before` to `after` on `side` ("sync" or
    "async"), given the other side's unchanged body; and the changed lines,
    "-old" and "+new"."""
    diff = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    changed = [line for line in diff if line[1:].strip()]
    if not changed:
        return THIS_SIDE_ONLY, diff[:MAX_LINES]
    sync_body = before if side == "sync" else other
    names = {n for line in sync_body for n in NAME.findall(line)}
    added = [line[1:] for line in changed if line[0] == "+"]
    removed = [line[1:] for line in changed if line[0] == "-"]
    # A removed line that reads as an added one once both are normalised was
    # made async (`request.user` -> `await request.auser()`), not changed.
    asyncified = {normalise(line, names) for line in added}
    if all(_async_only(line, names) for line in added) and all(
        _async_only(line, names) or normalise(line, names) in asyncified
        for line in removed
    ):
        return ASYNC_SPECIFIC, changed[:MAX_LINES]
    counterparts = {normalise(line, names) for line in other}
    if any(normalise(line, names) in counterparts for line in removed):
        return MISSED_PORT, changed[:MAX_LINES]
    return THIS_SIDE_ONLY, changed[:MAX_LINES]


def _texts(release: Release, modules: Iterable[str]) -> dict[str, list[str]]:
    """module -> its lines at `release`, for the modules the mirror can give."""
    paths = {}
    for module in modules:
        base = module.replace(".", "/")
        paths[f"{base}.py"] = module
        paths[f"{base}/__init__.py"] = module
    files = ReleaseFile.objects.filter(release=release, path__in=paths)
    shas = {f.blob_sha: paths[f.path] for f in files}
    try:
        with mirror_open(release.project) as mirror:
            blobs = dict(mirror.read_blobs(list(shas)))
    except (GitSourceError, OSError):
        return {}
    return {shas[sha]: decode_source(data).splitlines() for sha, data in blobs.items()}


def drifts_classify(
    *, drifts: list[PairDrift], release: Release, previous: Release
) -> None:
    """Set `change_class` and `changed_lines` on the one-sided changes among
    `drifts` (not saved), reading both releases' sources from the mirror. A
    change whose source cannot be read is left unclassified ("")."""
    one_sided = [d for d in drifts if d.one_sided]
    if not one_sided:
        return
    modules = {m for d in one_sided for m in (d.module, d.sync_module_name)}
    texts = {
        release.pk: _texts(release, modules),
        previous.pk: _texts(previous, modules),
    }
    names = {q for d in one_sided for q in (d.sync_qualname, d.async_qualname)}
    spans = {
        (f.release_id, f.module, f.qualname, f.is_async): (f.first_line, f.last_line)
        for f in FunctionStat.objects.filter(
            release__in=[release, previous], module__in=modules, qualname__in=names
        ).order_by("-variant")  # the first definition wins
    }

    def body(r: Release, module: str, qualname: str, is_async: bool) -> list[str]:
        span = spans.get((r.pk, module, qualname, is_async))
        lines = texts[r.pk].get(module)
        if span is None or lines is None:
            return []
        return lines[span[0] - 1 : span[1]]

    for drift in one_sided:
        side = "sync" if drift.sync_changed else "async"
        qualname = getattr(drift, f"{side}_qualname")
        other_side = "async" if side == "sync" else "sync"
        other_name = getattr(drift, f"{other_side}_qualname")
        module = {"sync": drift.sync_module_name, "async": drift.module}
        before = body(previous, module[side], qualname, side == "async")
        after = body(release, module[side], qualname, side == "async")
        other = body(release, module[other_side], other_name, side == "sync")
        if not (before and after and other):
            continue
        drift.change_class, drift.changed_lines = classify(
            before=before, after=after, other=other, side=side
        )
