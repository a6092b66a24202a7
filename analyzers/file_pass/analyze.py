"""The per-file pass: bytes and a module path in, a FileResult out.

Its result depends on nothing else, so the scan pipeline caches it per git
blob. A file that does not parse becomes a parse-error record.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable

import libcst as cst

from analyzers.conventions import Conventions, load_conventions
from analyzers.file_pass.ast_walk import analyze_sync_module, holds_no_async
from analyzers.file_pass.classify import DefClassifier, DefFacts
from analyzers.file_pass.cst_walk import (
    Collector,
    Spans,
    collect,
    spans_from_ast,
    spans_from_positions,
)
from analyzers.file_pass.duplication import (
    compare_twin_nodes,
    compare_twins,
    parse_def,
)
from analyzers.file_pass.names import (
    code_lines,
    count_loc,
    decode_source,
    header_comments,
    is_package,
    is_public,
    source_lines,
)
from analyzers.file_pass.scopes import ModuleNames, attribute_pairs, instance_pairs
from analyzers.file_pass.twins import Def, is_overload, pair_twins
from analyzers.file_pass.variants import number_variants
from analyzers.records import (
    BlockingCall,
    ClassRecord,
    FileResult,
    FunctionRecord,
    Kind,
    Relation,
    SiteKind,
    TwinPair,
)

# What parsing really raises on bad input: syntax errors (libcst's own and
# Python's, for a bad encoding cookie), NUL bytes (ValueError), undecodable
# bytes, unknown encodings, and nesting too deep for a recursive walk.
PARSE_ERRORS = (
    cst.ParserSyntaxError,
    SyntaxError,
    ValueError,
    UnicodeDecodeError,
    LookupError,
    RecursionError,
    MemoryError,
)
# CPython refuses nesting past 200 levels; libcst's native parser can overflow
# its stack on such input and take the process down, so it never sees it.
# CPython also refuses NUL bytes anywhere, where libcst accepts them in strings.
REFUSED = (
    "too many nested",
    "too many levels",
    "too complex",
    "recursion",
    "null bytes",
)


def analyze_file(
    source: bytes,
    *,
    module: str,
    path: str,
    force_full: bool = False,
    conventions: Conventions | None = None,
) -> FileResult:
    """Analyse one file. `force_full` skips the fast path (for tests);
    `conventions` are a project's (`ProjectConfig.conventions`), by default
    the shared ones.

    Pathological input can take libcst's native parser exponential time,
    gigabytes or its process down (`type X = ` and 50,000 `not`s overflows
    its stack), even where `ast` accepts it: the command line and the scans
    run this in `analyzers.isolation`'s child, under per-file limits.
    """
    conventions = conventions or load_conventions()
    try:
        text = decode_source(source)
    except PARSE_ERRORS as exc:
        return failed(path=path, module=module, error=exc)
    result = _analyze_text(
        source, text, module=module, path=path, force_full=force_full,
        conventions=conventions,
    )  # fmt: skip
    if result.parse_error is not None:
        return result
    generated = conventions.is_generated(header_comments(text))
    if conventions.may_hold_module_twins(path, generated=generated):
        # Pairs across twin modules are made by the tree pass from both texts.
        return dataclasses.replace(result, generated=generated, twin_source=text)
    return result


def _analyze_text(
    source: bytes,
    text: str,
    *,
    module: str,
    path: str,
    force_full: bool,
    conventions: Conventions,
) -> FileResult:
    try:
        tree: ast.Module | None = ast.parse(source, filename=path)
    except PARSE_ERRORS as exc:
        if isinstance(exc, (RecursionError, MemoryError)) or any(
            marker in str(exc) for marker in REFUSED
        ):
            return failed(path=path, module=module, error=exc)
        tree = None  # newer syntax than this Python's ast: libcst may parse it
    package = is_package(path)
    if tree is not None and not force_full and holds_no_async(source, conventions):
        return analyze_sync_module(
            tree, text=text, module=module, path=path, package=package
        )
    try:
        cst_module = cst.parse_module(source)
        collector = collect(cst_module, ModuleNames(module=module, package=package))
        spans = spans_from_ast(tree) if tree is not None else None
        if spans is None or len(spans.defs) != len(collector.defs):
            spans = spans_from_positions(cst_module, collector)
    except PARSE_ERRORS as exc:
        return failed(path=path, module=module, error=exc)
    try:
        return _assemble(
            collector, spans, text=text, path=path, conventions=conventions
        )
    except RecursionError as exc:  # nesting too deep for the later walks
        return failed(path=path, module=module, error=exc)


def failed(*, path: str, module: str, error: BaseException) -> FileResult:
    lines = str(error).strip().splitlines()
    message = f"{type(error).__name__}: {lines[0] if lines else ''}"
    return FileResult.failed(path=path, module=module, message=message)


def _assemble(
    collector: Collector, spans, *, text: str, path: str, conventions: Conventions
) -> FileResult:
    names = collector.names
    module = names.module
    defs = collector.defs
    classifier = DefClassifier(collector, conventions)
    facts = [classifier.facts(info) for info in defs]
    concurrent = _concurrent(collector, facts)
    class_products = {
        info.qualname: classifier.products(info.assigned) for info in collector.classes
    }
    pairing = pair_twins(
        [
            Def(
                name=d.name,
                scope=d.scope,
                scope_is_class=d.scope_is_class,
                is_async=d.is_async,
                public=is_public(d.qualname),
                decorators=d.decorators,
                overload=is_overload(d.decorators),
            )
            for d in defs
        ],
        conventions,
        aliases=class_products,
    )
    twin_of: dict[int, int] = {}
    for sync, async_, _ in pairing.pairs:
        twin_of.setdefault(sync, async_)
        twin_of.setdefault(async_, sync)
    faces = _sync_faces(defs, facts, twin_of)
    for index in faces:
        facts[index] = dataclasses.replace(facts[index], kind=Kind.ASYNC_WRAPPER)
    bridged = _bridged_concurrency(collector, facts, concurrent)
    pairs, hashes = _compare_pairs(
        collector,
        facts,
        pairing.pairs,
        conventions,
        faces,
        def_node=_def_parser(text, spans),
    )
    sync_twins = {(defs[s].scope, defs[s].name) for s, _, _ in pairing.pairs}

    flags = code_lines(text)
    # What returns give is kept for typing locals bound to calls; only files
    # with async code have such locals (and sync-only files take the fast
    # path, which keeps none).
    holds_async = any(d.is_async for d in defs)
    records = []
    for index, (info, fact, span) in enumerate(
        zip(defs, facts, spans.defs, strict=True)
    ):
        first, last = span
        returns = (
            tuple(r for r in map(classifier.returned, info.returns) if r)
            if holds_async
            else ()
        )
        records.append(
            FunctionRecord(
                module=module,
                qualname=info.qualname,
                path=path,
                first_line=first,
                last_line=last,
                loc=count_loc(flags, first, last),
                is_async=info.is_async,
                public=is_public(info.qualname),
                kind=fact.kind,
                is_async_generator=info.is_async and info.has_yield,
                runs_in_thread=fact.runs_in_thread,
                thread_hops=fact.thread_hops,
                hop_labels=fact.hop_labels,
                bridges=fact.bridges,
                # Async defs run awaitables; a sync def does only by bridging
                # to one that does (Signal.send gathers its async receivers).
                concurrent=concurrent[index] and info.is_async or bridged[index] > 0,
                concurrency_sites=fact.concurrency_sites
                if info.is_async
                else bridged[index],
                await_sites=fact.sites,
                blocking=_blocking(info, classifier, sync_twins)
                if info.is_async
                else (),
                twin=defs[twin_of[index]].qualname if index in twin_of else "",
                missing_twin=index in pairing.missing_twins,
                body_hash=hashes.get(index, ""),
                returns=returns,
                overload=is_overload(info.decorators),
            )
        )
    records = number_variants(records)
    classes = tuple(
        ClassRecord(
            module=module,
            qualname=info.qualname,
            path=path,
            line=line,
            bases=tuple(names.resolve(base) for base in info.bases),
            async_capable=info.capability.get("async_capable", False),
            sync_capable=info.capability.get("sync_capable", False),
            marks_coroutine=info.marks_coroutine,
            attributes=attribute_pairs(names, info.attrs),
            callbacks=tuple(dict.fromkeys(info.callbacks)),
        )
        for info, line in zip(collector.classes, spans.classes, strict=True)
    )
    return FileResult(
        path=path,
        module=module,
        loc=sum(flags),
        functions=tuple(records),
        classes=classes,
        pairs=tuple(pairs),
        imports=names.import_pairs(),
        thread_products=tuple(
            [f"{module}.{n}" for n in classifier.products(collector.module_assigned)]
            + [
                f"{module}.{cls}.{n}"
                for cls, products in class_products.items()
                for n in products
            ]
        ),
        instances=instance_pairs(names, collector.module_assigned),
    )


def _sync_faces(defs, facts: list[DefFacts], twin_of: dict[int, int]) -> set[int]:
    """Async defs that call their own sync twin on the loop and await no
    other work (5.1's file session store: `aload` returns `self.load()`): an
    async face over the sync implementation, with no thread."""
    found = set()
    for index, info in enumerate(defs):
        if not info.is_async or index not in twin_of:
            continue
        fact = facts[index]
        if fact.waits_on_loop or any(s.kind is not SiteKind.HOP for s in fact.sites):
            continue
        twin = defs[twin_of[index]].name
        callees = {twin, f"self.{twin}", f"cls.{twin}"}
        if any(not c.awaited and c.dotted in callees for c in info.calls):
            found.add(index)
    return found


def _bridged_concurrency(
    collector: Collector, facts: list[DefFacts], concurrent: list[bool]
) -> list[int]:
    """Per sync def, its async_to_sync calls of a def that runs awaitables
    concurrently: concurrency sites of the sync def too."""
    defs = collector.defs
    index = {id(info): i for i, info in enumerate(defs)}
    counts = []
    for info, fact in zip(defs, facts, strict=True):
        counts.append(
            0
            if info.is_async
            else sum(
                1
                for name in fact.bridged
                if any(
                    concurrent[index[id(d)]]
                    for d in _visible_defs(collector, info, name)
                )
            )
        )
    return counts


def _concurrent(collector: Collector, facts: list[DefFacts]) -> list[bool]:
    """Concurrent directly, or through a helper def of the same module."""
    defs = collector.defs
    index = {id(info): i for i, info in enumerate(defs)}
    concurrent = [fact.concurrency_sites > 0 for fact in facts]
    changed = True
    while changed:
        changed = False
        for i, info in enumerate(defs):
            if concurrent[i]:
                continue
            for name in facts[i].local_calls:
                helpers = _visible_defs(collector, info, name)
                if any(concurrent[index[id(h)]] for h in helpers):
                    concurrent[i] = changed = True
                    break
    return concurrent


def _visible_defs(collector: Collector, info, name: str) -> list:
    scope = info
    while scope is not None:
        if name in scope.nested:
            return scope.nested[name]
        scope = scope.parent
    return collector.module_defs.get(name, [])


def _blocking(info, classifier: DefClassifier, sync_twins: set) -> tuple:
    """Blocking calls made on the loop: a catalogue entry or a sync twin."""
    found = []
    for call in info.calls:
        if call.awaited or not call.dotted:
            continue
        resolved = classifier.resolved(call.dotted)
        head, _, method = call.dotted.rpartition(".")
        root = call.dotted.split(".", 1)[0]
        # A dotted name counts only through an import: a local list named
        # `requests` or a parameter named `socket` is not the module.
        imported = "." not in call.dotted or classifier.names.is_imported(root)
        if imported and classifier.conventions.is_blocking(resolved):
            found.append(BlockingCall(resolved, "catalogue"))
        elif head in ("self", "cls") and info.owner is not None:
            if (info.owner.qualname, method) in sync_twins:
                found.append(BlockingCall(call.dotted, "sync twin"))
        elif not head and (
            (info.scope, call.dotted) in sync_twins or ("", call.dotted) in sync_twins
        ):
            found.append(BlockingCall(call.dotted, "sync twin"))
    return tuple(dict.fromkeys(found))


def _def_parser(text: str, spans: Spans) -> Callable[[int], ast.AST | None]:
    """Def index -> its ast node parsed from its own lines, when the spans
    are Python's own (from the positions fallback, None: such a file holds
    syntax this Python's ast cannot read)."""
    if not spans.from_ast:
        return lambda index: None
    lines = source_lines(text)
    return lambda index: parse_def(lines, *spans.defs[index])


def _compare_pairs(
    collector: Collector,
    facts: list[DefFacts],
    pairs: tuple[tuple[int, int, str], ...],
    conventions: Conventions,
    faces: set[int],
    *,
    def_node: Callable[[int], ast.AST | None],
) -> tuple[list[TwinPair], dict[int, str]]:
    defs = collector.defs
    renames = dict(conventions.renames)
    for sync, async_, _ in pairs:
        if defs[sync].name != defs[async_].name:
            renames.setdefault(defs[async_].name, defs[sync].name)
    result, hashes = [], {}
    for sync, async_, convention in pairs:
        sync_node, async_node = def_node(sync), def_node(async_)
        compare, sides = (
            (compare_twin_nodes, (sync_node, async_node))
            if sync_node is not None and async_node is not None
            else (compare_twins, (defs[sync].node, defs[async_].node))
        )
        comparison = compare(
            *sides,
            renames,
            conventions.unasync,
            if_true_is_async_only=conventions.if_true_is_async_only,
        )
        hashes[sync], hashes[async_] = comparison.sync_hash, comparison.async_hash
        result.append(
            TwinPair(
                module=collector.names.module,
                sync_qualname=defs[sync].qualname,
                async_qualname=defs[async_].qualname,
                convention=convention,
                relation=_relation(
                    defs[sync],
                    facts[sync],
                    facts[async_],
                    comparison,
                    calls_sync_twin=async_ in faces,
                ),
                **comparison.pair_fields(),
            )
        )
    return result, hashes


def _relation(
    sync_def, sync: DefFacts, async_: DefFacts, comparison, *, calls_sync_twin: bool
) -> Relation:
    wraps_sync = async_.kind is Kind.ASYNC_WRAPPER and (
        any(label.endswith(f"({sync_def.name})") for label in async_.hop_labels)
        or calls_sync_twin
    )
    if wraps_sync or sync.kind is Kind.SYNC_WRAPPER:
        return Relation.DELEGATING
    return comparison.copy_relation()
