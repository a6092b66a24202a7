"""The one place where the analyzer's dataclasses become tracker rows."""

from __future__ import annotations

from analyzers.records import FileResult, TreeResult, TwinPair, to_jsonable
from tracker.models import (
    ComponentStat,
    FunctionStat,
    Release,
    ReleaseFile,
    SuiteStat,
    TwinPairStat,
)
from tracker.scanning.bulk import rows_insert


def release_rows_create(
    *,
    release: Release,
    files: list[FileResult],
    entries: list[tuple[str, str]],
    result: TreeResult,
) -> None:
    """Write what the analyzer found for a release, under its row."""
    errors = {f.path: f.parse_error.message for f in files if f.parse_error}
    rows_insert(
        ReleaseFile,
        (
            dict(
                release_id=release.pk,
                path=path,
                blob_sha=sha,
                parse_error=errors.get(path, ""),
            )
            for path, sha in entries
        ),
    )
    rows_insert(
        ComponentStat,
        (
            dict(
                release_id=release.pk,
                name=c.name,
                stage=c.stage,
                public_async=c.public_async,
                async_twins=c.async_twins,
                duplicated_lines=c.duplicated_lines,
                summary=to_jsonable(c),
            )
            for c in result.components
        ),
    )
    rows_insert(
        FunctionStat,
        (
            dict(
                release_id=release.pk,
                module=f.module,
                qualname=f.qualname,
                path=f.path,
                component=f.component,
                kind=f.kind,
                is_async=f.is_async,
                public=f.public,
                reaches=f.reaches or "",
                twin=f.twin,
                first_line=f.first_line,
                last_line=f.last_line,
                loc=f.loc,
                variant=f.variant,
                closure=f.closure,
                thread_hops=f.thread_hops,
                hops_fewest=f.hops_fewest,
                hops_most=f.hops_most,
                unknown_calls=list(f.unknown_calls),
                passes_through=list(f.passes_through),
                concurrent=f.concurrent,
                missing_twin=f.missing_twin,
                blocking=[b.name for b in f.blocking],
                hops=list(f.hops),
                hops_by_name=list(f.hops_by_name),
                chain=list(f.chain),
                steps=to_jsonable(f.steps),
                call_steps=dict(f.call_steps),
            )
            for f in result.functions
        ),
    )
    rows_insert(
        TwinPairStat,
        (
            dict(
                release_id=release.pk,
                module=p.module,
                sync_module=p.sync_module,
                sync_qualname=p.sync_qualname,
                async_qualname=p.async_qualname,
                component=p.component,
                convention=p.convention,
                relation=p.relation,
                similarity=p.similarity,
                duplicated_lines=p.duplicated_lines,
                sync_hash=p.sync_hash,
                async_hash=p.async_hash,
                generated_side=p.generated_side,
                leftover=_leftover(p),
            )
            for p in result.pairs
        ),
    )
    rows_insert(
        SuiteStat,
        (
            dict(
                release_id=release.pk,
                component=t.component,
                tests=t.tests,
                async_tests=t.async_tests,
                async_tests_with_sync_twin=t.async_tests_with_sync_twin,
                doubled=[list(pair) for pair in t.doubled],
            )
            for t in result.tests
        ),
    )


def _leftover(pair: TwinPair) -> dict:
    """What differs in a pair across twin modules, for its page (a pair in
    one module is read from its file's cached result instead)."""
    if not pair.sync_module:
        return {}
    return {
        "renames": list(pair.renames),
        "sync_only_lines": list(pair.sync_only_lines),
        "async_only_lines": list(pair.async_only_lines),
    }
