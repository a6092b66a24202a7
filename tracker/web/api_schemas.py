"""What the API answers, field by field: every field has a description, so
the OpenAPI schema (`/api/v1/openapi.json`) documents all of it."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from analyzers.records import (
    REACH_RULE,
    ComponentSummary,
    Kind,
    Reach,
    Relation,
    Resolution,
    Stage,
)
from tracker.models import FunctionStat, PairDrift, Release, TwinPairStat


class Error(Schema):
    detail: str = Field(description="what was wrong, naming the parameter")


class ReleaseOut(Schema):
    version: str = Field(description="e.g. 6.1, 6.1.3, or main-2026-11-30")
    tag: str = Field(description="the git tag (or branch) scanned")
    commit: str = Field(description="the commit scanned")
    date: datetime | None = Field(description="the commit's date")
    is_feature: bool = Field(description="X.Y, not a point release X.Y.Z")
    is_snapshot: bool = Field(description="a weekly snapshot of main")
    previous: str | None = Field(
        None, description="the release its one-sided changes compare with"
    )
    analyzer_version: str = Field(description="the analyzer that scanned it")
    files: int = Field(description="Python files scanned")
    parse_errors: int = Field(description="files that did not parse")
    scanned_at: datetime = Field(description="when the scan wrote it")

    @staticmethod
    def resolve_previous(release: Release) -> str | None:
        return release.previous.version if release.previous else None


class EntryPointOut(Schema):
    name: str = Field(description="the entry point's full name")
    judgement: str = Field(
        description="native, hops-here, delegates or unknown (how it was judged)"
    )


class InheritedEntryPointOut(EntryPointOut):
    inherited_from: str = Field(description="the full name of the method inherited")
    counted: bool = Field(
        False,
        description="whether it counts for the stage (inherited adapters do not: "
        "they are async-capable through a thread adapter)",
    )


class ComponentSummaryOut(Schema):
    """One component in one release, as the analyzer summarised it."""

    name: str = Field(description="the component, e.g. orm-queryset")
    stage: Stage = Field(description="DEP 0009 stage of its own code (stage_rule)")
    stage_rule: str = Field(description="the sentence the stage follows")
    files: int = Field(description="its Python files")
    loc: int = Field(description="its lines of code")
    functions: int = Field(description="its functions, sync and async")
    public_by_kind: dict[str, int] = Field(
        description="public functions by kind (sync, sync-wrapper, async-wrapper, "
        "async-native)"
    )
    public_async: int = Field(description="public async APIs (closures excluded)")
    closures: int = Field(description="async functions defined inside functions")
    async_twins: int = Field(
        description="public async APIs (closures excluded) that have a sync twin"
    )
    pairs_by_relation: dict[str, int] = Field(description="twin pairs by relation")
    duplicated_lines: int = Field(description="lines duplicated between twins")
    async_twin_share: float = Field(description="share of its lines in async twins")
    concurrent_functions: int = Field(
        description="async functions whose own body runs awaitables concurrently"
    )
    thread_hops: int = Field(
        description="thread-hop call sites in its code (sync_to_async, "
        "asyncio.to_thread, loop.run_in_executor, anyio.to_thread.run_sync...)"
    )
    hops_fewest: int = Field(
        description="thread hops on its public async APIs' paths, fewest, summed"
    )
    hops_most: int = Field(
        description="thread hops on its public async APIs' paths, most, summed"
    )
    thread_ends: dict[str, int] = Field(
        description="end to end: public async APIs that reach a thread, by the "
        "component where their hops sit"
    )
    missing_twins: int = Field(description="public sync methods with no async twin")
    blocking_calls: int = Field(description="blocking calls in its async code")
    reaches: dict[str, int] = Field(
        description=f"public async APIs by reach (async-io, thread, unknown, loop). "
        f"{REACH_RULE}"
    )
    local_hops: int = Field(description="public async APIs that hop inside it")
    boundary: list[str] = Field(description="components where its async chains hop")
    boundary_by_name: list[str] = Field(
        description="components reached only through calls matched by name"
    )
    duplicated: bool = Field(description="its twins duplicate more than they share")
    sync_wrapped: bool = Field(description="its sync API wraps async code")
    parse_errors: int = Field(description="its files that did not parse")
    call_steps: dict[str, int] = Field(
        description="awaited calls of its async functions by how they were resolved"
    )
    entry_points: list[EntryPointOut] = Field(
        description="what the stage is judged on: its own async entry points"
    )
    inherited_entry_points: list[InheritedEntryPointOut] = Field(
        description="async methods its classes inherit from another component"
    )
    entry_judgements: dict[str, int] = Field(description="entry points by judgement")

    @staticmethod
    def resolve_entry_points(s: ComponentSummary) -> list[dict]:
        return [{"name": n, "judgement": j} for n, j in s.entry_points]

    @staticmethod
    def resolve_inherited_entry_points(s: ComponentSummary) -> list[dict]:
        return [
            {"name": n, "judgement": j, "inherited_from": origin, "counted": False}
            for n, j, origin in s.inherited_entry_points
        ]


class ReleaseDetailOut(ReleaseOut):
    components: list[ComponentSummaryOut] = Field(description="by name")
    parse_failures: list[ParseFailureOut] = Field(
        description="files that did not parse, and why"
    )


class DoubledTestOut(Schema):
    async_test: str = Field(description="the async test's full name")
    sync_test: str = Field(description="the sync test it repeats")


class SuiteOut(Schema):
    component: str = Field(description="the component the tests test")
    tests: int = Field(description="test functions")
    async_tests: int = Field(description="async test functions")
    doubled_tests: int = Field(description="async tests with a sync twin test")
    doubled: list[DoubledTestOut] = Field(description="those tests, with their twin")


class ParseFailureOut(Schema):
    path: str = Field(description="the file's path in the release")
    error: str = Field(description="why it was not analysed")


class ChainStepOut(Schema):
    target: str = Field(
        description="the function's full name; for a hop its label, e.g. "
        "sync_to_async(get) or asyncio.to_thread(f); for I/O, an unknown call "
        "or a call matched by name only to no function, the call as written"
    )
    resolution: Resolution = Field(
        description="type, convention, name (how the call was known); hop, io or "
        "unseen (how the chain ends)"
    )
    candidates: list[str] = Field(
        [], description="by name: all it could be; else other implementations"
    )
    default: bool = Field(
        False, description="the default configuration's implementation"
    )


class FunctionOut(Schema):
    release: str = Field(description="the release's version")
    module: str = Field(description="its module")
    qualname: str = Field(description="its qualified name in the module")
    full_name: str = Field(description="module.qualname")
    variant: int = Field(
        description="0, 1…: defs of one qualname and asyncness in one module, in "
        "source order; identity is (module, qualname, is_async, variant)"
    )
    component: str = Field(description="its component")
    kind: Kind = Field(description="what it does itself")
    is_async: bool = Field(description="an async def")
    public: bool = Field(description="a public API (closures never are)")
    closure: bool = Field(description="defined inside a function")
    reaches: Reach | None = Field(description=f"async functions only. {REACH_RULE}")
    twin: str = Field(description="its sync/async twin's qualname, or empty")
    first_line: int = Field(description="first line in its file")
    last_line: int = Field(description="last line in its file")
    loc: int = Field(description="lines of code")
    thread_hops: int = Field(
        description="thread-hop call sites in its own body (sync_to_async, "
        "asyncio.to_thread, loop.run_in_executor, anyio.to_thread.run_sync...)"
    )
    hops_fewest: int = Field(description="thread hops on its paths, fewest")
    hops_most: int = Field(description="thread hops on its paths, most")
    unknown_calls: list[str] = Field(
        description="its awaits the analyzer could not follow, as written"
    )
    passes_through: list[str] = Field(
        description="callables handed in by its caller that it calls"
    )
    concurrent: bool = Field(description="runs awaitables concurrently")
    missing_twin: bool = Field(description="a public sync method with no async twin")
    blocking: list[str] = Field(description="blocking calls on the event loop")
    hops: list[str] = Field(description="hops reached by resolved calls")
    hops_by_name: list[str] = Field(
        description="hops reached only through a call matched by name"
    )
    chain: list[str] = Field(description="the evidence chain, as labels")
    steps: list[ChainStepOut] = Field(description="steps[i] leads to chain[i + 1]")
    call_steps: dict[str, int] = Field(
        description="its awaited calls by how they were resolved"
    )

    @staticmethod
    def resolve_release(row: FunctionStat) -> str:
        return row.release.version

    @staticmethod
    def resolve_full_name(row: FunctionStat) -> str:
        return f"{row.module}.{row.qualname}"

    @staticmethod
    def resolve_reaches(row: FunctionStat) -> str | None:
        return row.reaches or None


class PairOut(Schema):
    release: str = Field(description="the release's version")
    module: str = Field(description="the async twin's module (and the sync one's)")
    sync_module: str = Field(
        description="the sync twin's module when it is another (a twin module: "
        "httpcore._sync.http11 for httpcore._async.http11), else empty"
    )
    sync_qualname: str = Field(description="the sync twin")
    async_qualname: str = Field(description="the async twin")
    component: str = Field(description="its component")
    convention: str = Field(description="which naming rule paired them")
    relation: Relation = Field(
        description="delegating, derivable (equal once normalised), near-copy "
        "(similarity >= 0.8) or divergent"
    )
    similarity: float = Field(description="0 to 1, after normalisation")
    duplicated_lines: int = Field(description="lines the twins duplicate")
    generated_side: str = Field(
        description='"sync" or "async": the side whose file\'s header says it is '
        'generated from the other ("DO NOT EDIT", "generated from ..."); empty '
        "when neither"
    )

    @staticmethod
    def resolve_release(row: TwinPairStat) -> str:
        return row.release.version


class PairDetailOut(PairOut):
    renames: list[str] = Field(
        description="renames applied to the async body before comparing"
    )
    sync_only_lines: list[str] = Field(
        description="what differs: normalised lines only the sync twin has"
    )
    async_only_lines: list[str] = Field(
        description="what differs: normalised lines only the async twin has"
    )


class OneSidedChangeOut(Schema):
    release: str = Field(description="the release where it happened")
    previous: str = Field(description="the release it compares with")
    module: str = Field(description="the async twin's module (and the sync one's)")
    sync_module: str = Field(
        description="the sync twin's module when it is another, else empty"
    )
    sync_qualname: str = Field(description="the sync twin")
    async_qualname: str = Field(description="the async twin")
    component: str = Field(description="its component")
    sync_changed: bool = Field(description="the sync side changed")
    async_changed: bool = Field(description="the async side changed")
    previous_relation: Relation = Field(description="the relation before")
    relation: Relation = Field(description="the relation after")
    one_sided: bool = Field(description="one side changed while the twins were close")
    change_class: str = Field(
        description="possible missed port, async-specific, this side only, or "
        "empty when its source could not be read (see CHANGE_CLASS_RULE)"
    )
    changed_lines: list[str] = Field(
        description='the changed side\'s lines: "-old" and "+new"'
    )

    @staticmethod
    def resolve_release(row: PairDrift) -> str:
        return row.release.version

    @staticmethod
    def resolve_previous(row: PairDrift) -> str:
        return row.previous.version


class PairHistoryOut(Schema):
    pair: PairOut = Field(description="the pair in that release")
    change: OneSidedChangeOut | None = Field(
        description="how it changed since the previous release, if it was there"
    )


class ComponentPointOut(Schema):
    release: str = Field(description="the release's version")
    summary: ComponentSummaryOut = Field(description="the component there")
    tests: int = Field(description="tests of the component")
    async_tests: int = Field(description="async tests")
    doubled_tests: int = Field(description="async tests with a sync twin test")


class ComponentOut(Schema):
    name: str = Field(description="the component")
    release: str = Field(description="its newest release (snapshots excluded)")
    stage: Stage = Field(description="its stage there")
    public_async: int = Field(description="its public async APIs there")
    first_async: str | None = Field(
        description="the first release where it is past sync-only"
    )

    @staticmethod
    def resolve_release(entry) -> str:
        return entry.release.version


class FigureOut(Schema):
    key: str = Field(description="a stable name, e.g. reach_thread")
    label: str = Field(description="as the overview prints it")
    value: int = Field(description="the figure: the length of its list")
    change: int | None = Field(
        description="since the feature release of the series before; null if none"
    )
    list: str = Field(description="the page listing what it counts")
    api: str | None = Field(description="the API query listing what it counts")


class SummaryOut(Schema):
    release: str = Field(description="the release the figures are of")
    compared_with: str | None = Field(
        description="the feature release the changes are since (the release "
        "before, when no earlier feature release is scanned)"
    )
    figures: list[FigureOut] = Field(description="the overview's headline figures")
    hops_fewest: int = Field(
        description="thread hops on the paths of the APIs that end in a thread, "
        "fewest, summed"
    )
    hops_most: int = Field(description="the same, most")
    hop_cost_ms: float = Field(
        description="the estimated cost of one hop (ASYNCDASH_HOP_COST_MS)"
    )
    twin_lines: int = Field(description="lines in async twins")
    reach_rule: str = Field(description="how reach is decided")
    concurrency_rule: str = Field(description="what counts as concurrent")


class StageChangeOut(Schema):
    component: str = Field(description="the component")
    before: str = Field(description="its stage in base; empty if absent")
    after: str = Field(description="its stage in head; empty if absent")


class KindChangeOut(Schema):
    function: FunctionOut = Field(description="the function in head")
    kind_before: Kind = Field(description="its kind in base")
    reaches_before: Reach | None = Field(description="its reach in base")


class CompareOut(Schema):
    base: str = Field(description="the older release")
    head: str = Field(description="the newer release")
    new_async_apis: list[FunctionOut] = Field(description="public async APIs added")
    removed_async_apis: list[str] = Field(description="public async APIs removed")
    stage_changes: list[StageChangeOut] = Field(
        description="components whose stage changed"
    )
    changed: list[KindChangeOut] = Field(
        description="public async APIs whose kind or reach changed"
    )
    new_pairs: list[PairOut] = Field(description="twin pairs added")
    removed_pairs: list[str] = Field(description="twin pairs removed (async side)")
    one_sided: list[OneSidedChangeOut] = Field(
        description="one-sided changes of every release after base up to head"
    )


ReleaseDetailOut.model_rebuild()


class ProjectOut(Schema):
    slug: str = Field(description="its name in every URL: /api/v1/projects/{slug}/…")
    name: str = Field(description="its display name")
    pypi_package: str = Field(description="the PyPI package its sdists come from")
    git_url: str = Field(description="the repository it is cloned from, if any")
    newest: str | None = Field(description="its newest release scanned; null: none")
    releases: int = Field(description="releases scanned (snapshots left out)")
    public_async: int = Field(description="public async APIs in the newest release")
    twin_pairs: int = Field(description="sync/async twin pairs in the newest release")
    duplicated_lines: int = Field(description="lines the twin pairs duplicate")
    derivable_share: float | None = Field(
        description="derivable twin pairs over all twin pairs (0–1); null: no pair"
    )
    one_sided: int = Field(description="one-sided changes in the newest release")
    page: str = Field(description="its overview page")
