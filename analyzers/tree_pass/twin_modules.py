"""Twin pairs across twin modules: `httpcore/_async/http11.py` and
`httpcore/_sync/http11.py`, psycopg's `cursor_async.py` and `cursor.py`.

Which module is whose twin is `Conventions.sync_twin_path` (unasync-style
layouts and module suffixes). In a pair of twin modules an async def pairs
with the sync def at the same place: its qualname with every class `AsyncX`
read as `X` (nested classes too) and the project's renames applied, its own
name by the twin naming rules (`aclose` / `close`, `__aenter__` /
`__enter__`, or the same name, as unasync writes it). The generated side
is the one whose header says so, else the one the project's layout names
(`generated = "sync"`). `typing.overload`
stubs never pair; an async def already paired in its own module keeps that
twin. Bodies are compared as in one module (`duplication.py`), the async one
with the renames and unasync's rules for names: the texts come from the
per-file pass (`FileResult.twin_source`) or, for a sync module its path does
not mark (redis/client.py for redis/asyncio/client.py), `read_source`.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzers.conventions import Conventions
from analyzers.file_pass.duplication import compare_twin_nodes, parse_def
from analyzers.file_pass.names import decode_source, source_lines
from analyzers.records import (
    Convention,
    FileResult,
    FunctionRecord,
    Kind,
    Relation,
    TwinPair,
)

SourceReader = Callable[[str], "bytes | None"]
# Spellings of a nested scope tried for a twin: two per class or function
# that the rules rename, so a deep nest costs no more than this.
SCOPE_CANDIDATES = 16
Identity = tuple[str, str, bool, int]  # module, qualname, is_async, variant


@dataclass
class ModulePairs:
    pairs: list[TwinPair] = field(default_factory=list)
    # A function's identity -> the full name of its twin in the twin module.
    twins: dict[Identity, str] = field(default_factory=dict)
    # Twin modules whose pairs could not be compared: no text for one side.
    without_text: list[str] = field(default_factory=list)
    # Sync methods of a class in an async twin module that the sync module's
    # class has too (httpcore's `AsyncHTTPConnection.is_available`): shared
    # helpers, not methods missing an async twin.
    shared: set[Identity] = field(default_factory=set)


def pair_twin_modules(
    files: list[FileResult],
    conventions: Conventions,
    read_source: SourceReader | None = None,
) -> ModulePairs:
    found = ModulePairs()
    by_path = {f.path: f for f in files if f.parse_error is None}
    module_pairs = []
    for async_file in files:
        if async_file.parse_error is not None:
            continue
        found_twin = conventions.twin_in_tree(async_file.path, by_path.__contains__)
        if found_twin is not None:
            sync_path, generated = found_twin
            module_pairs.append((async_file, by_path[sync_path], generated))
    if learned := _marked_sync_classes(module_pairs, conventions):
        # The project's own renames win over what the tree shows.
        renames = {**learned, **conventions.renames}
        conventions = dataclasses.replace(conventions, renames=renames)
    texts = _Texts(read_source)
    for async_file, sync_file, layout_generated in module_pairs:
        found.shared |= _shared(async_file, sync_file, conventions)
        matches = list(_match(async_file, sync_file, conventions))
        if not matches:
            continue
        async_lines = texts.lines(async_file)
        sync_lines = texts.lines(sync_file)
        if async_lines is None or sync_lines is None:
            found.without_text.append(f"{async_file.path} -> {sync_file.path}")
            continue
        # A header says so; else the project's layout says which side its
        # tool writes (httpcore's unasync writes `_sync/`, no header).
        generated = (
            "sync"
            if sync_file.generated
            else "async"
            if async_file.generated
            else layout_generated
        )
        for async_record, sync_record, convention in matches:
            async_node = parse_def(async_lines, *_span(async_record))
            sync_node = parse_def(sync_lines, *_span(sync_record))
            if async_node is None or sync_node is None:
                continue
            found.pairs.append(
                _pair(
                    sync_record,
                    async_record,
                    sync_node,
                    async_node,
                    convention,
                    conventions,
                    generated,
                )
            )
            found.twins[_identity(async_record)] = sync_record.full_name
            found.twins[_identity(sync_record)] = async_record.full_name
    return found


def _marked_sync_classes(module_pairs, conventions: Conventions) -> dict[str, str]:
    """Async classes whose sync twin carries a marker of its own (`Sync` in
    conventions.sync_class_prefixes), as the twin modules show them:
    {"AsyncGoTrueClient": "SyncGoTrueClient"}, where the sync module has no
    `GoTrueClient`. A name in a twin body may be of another module's class."""
    learned: dict[str, str] = {}
    if not conventions.sync_class_prefixes:
        return learned
    for async_file, sync_file, _ in module_pairs:
        sync_classes = {c.qualname.rsplit(".", 1)[-1] for c in sync_file.classes}
        for record in async_file.classes:
            name = record.qualname.rsplit(".", 1)[-1]
            plain = conventions.sync_class_name(name)
            if plain == name or plain in sync_classes or name in learned:
                continue
            stem = plain.lstrip("_")
            underscores = plain[: len(plain) - len(stem)]
            for prefix in conventions.sync_class_prefixes:
                if (marked := underscores + prefix + stem) in sync_classes:
                    learned[name] = marked
                    break
    return learned


def _span(record: FunctionRecord) -> tuple[int, int]:
    return record.first_line, record.last_line


def _identity(record: FunctionRecord) -> Identity:
    return (record.module, record.qualname, record.is_async, record.variant)


def _shared(
    async_file: FileResult, sync_file: FileResult, conventions: Conventions
) -> set[Identity]:
    """The sync methods counted as missing a twin in `async_file` whose class,
    as the sync module spells it, has the same method in `sync_file`."""
    sync_qualnames = {r.qualname for r in sync_file.functions if not r.is_async}
    shared = set()
    for record in async_file.functions:
        if not record.missing_twin:
            continue
        scope, _, name = record.qualname.rpartition(".")
        for sync_scope in _sync_scopes(scope, conventions):
            if f"{sync_scope}.{name}" in sync_qualnames:
                shared.add(_identity(record))
                break
    return shared


def _match(async_file: FileResult, sync_file: FileResult, conventions: Conventions):
    """(async record, sync record, convention) for each async def of
    `async_file` whose twin is in `sync_file`."""
    sync_defs: dict[str, FunctionRecord] = {}
    for record in sync_file.functions:
        if not record.is_async and not record.overload:
            sync_defs.setdefault(record.qualname, record)
    taken: set[str] = set()
    for record in async_file.functions:
        if not record.is_async or record.overload or record.twin:
            continue
        scope, _, name = record.qualname.rpartition(".")
        found = next(
            (
                (qualname, convention)
                for sync_scope in _sync_scopes(scope, conventions)
                for sync_name, convention in _sync_names(name, conventions)
                if (
                    qualname := f"{sync_scope}.{sync_name}" if sync_scope else sync_name
                )
                in sync_defs
                and qualname not in taken
            ),
            None,
        )
        if found is not None:
            qualname, convention = found
            taken.add(qualname)
            yield record, sync_defs[qualname], convention


def _sync_names(name: str, conventions: Conventions) -> list[tuple[str, Convention]]:
    candidates = [(name, Convention.SAME_NAME)]
    renamed = conventions.renames.get(name)
    if renamed and "." not in renamed:
        candidates.append((renamed, Convention.SAME_NAME))
    candidates += conventions.sync_twin_names(name)
    return candidates


def _sync_scopes(scope: str, conventions: Conventions) -> tuple[str, ...]:
    """Where a def of `scope` may have its twin, the likeliest first: each
    class as the sync module spells it (`AsyncConnectionPool` ->
    `ConnectionPool`), else as written (a class named for what it serves
    keeps its name: elasticsearch's `AsyncSearchClient`, the client of its
    "async search" API); each enclosing function as written, else as
    unasync spells it (neo4j's `_acquire` is no `a`-prefixed `_cquire`, its
    `outer_async` keeps its name in `_sync/`). At most SCOPE_CANDIDATES."""
    if not scope:
        return ("",)
    parts = scope.split(".")
    options = []
    for at, part in enumerate(parts):
        sync = _sync_name(part, conventions)
        function = parts[at + 1 : at + 2] == ["<locals>"]
        options.append(dict.fromkeys((part, sync) if function else (sync, part)))
    spelt = (".".join(choice) for choice in itertools.product(*options))
    return tuple(dict.fromkeys(itertools.islice(spelt, SCOPE_CANDIDATES)))


def _sync_name(name: str, conventions: Conventions) -> str:
    if name == "<locals>":
        return name
    renamed = conventions.renames.get(name)
    if renamed and "." not in renamed:
        return renamed
    sync = conventions.sync_class_name(name)
    return sync if sync != name else conventions.unasync(name)


def _pair(
    sync_record: FunctionRecord,
    async_record: FunctionRecord,
    sync_node: ast.FunctionDef,
    async_node: ast.AsyncFunctionDef,
    convention: Convention,
    conventions: Conventions,
    generated: str,
) -> TwinPair:
    renames = dict(conventions.renames)
    renames.setdefault(async_record.qualname.rsplit(".", 1)[-1], sync_node.name)
    comparison = compare_twin_nodes(
        sync_node,
        async_node,
        renames,
        lambda name: _sync_name(name, conventions),
        if_true_is_async_only=conventions.if_true_is_async_only,
    )
    return TwinPair(
        module=async_record.module,
        sync_qualname=sync_record.qualname,
        async_qualname=async_record.qualname,
        convention=convention,
        relation=_relation(sync_record, async_record, comparison),
        **comparison.pair_fields(),
        sync_module=sync_record.module,
        generated_side=generated,
    )


def _relation(
    sync_record: FunctionRecord, async_record: FunctionRecord, comparison
) -> Relation:
    name = sync_record.qualname.rsplit(".", 1)[-1]
    wraps_sync = async_record.kind is Kind.ASYNC_WRAPPER and any(
        label.endswith(f"({name})") for label in async_record.hop_labels
    )
    if wraps_sync or sync_record.kind is Kind.SYNC_WRAPPER:
        return Relation.DELEGATING
    return comparison.copy_relation()


class _Texts:
    """Each module's lines, split once; a def's node parsed from its own
    lines (`parse_def`), fresh for each pair as comparing changes it."""

    def __init__(self, read_source: SourceReader | None) -> None:
        self.read_source = read_source
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, result: FileResult) -> list[str] | None:
        if result.path not in self._lines:
            self._lines[result.path] = self._read(result)
        return self._lines[result.path]

    def _read(self, result: FileResult) -> list[str] | None:
        if result.twin_source:
            return source_lines(result.twin_source)
        source = self.read_source(result.path) if self.read_source else None
        if source is None:
            return None
        try:
            return source_lines(decode_source(source))
        except (SyntaxError, ValueError, LookupError):
            return None
