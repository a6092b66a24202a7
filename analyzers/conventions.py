"""Load the rules that are data (data/conventions.toml) into one frozen object."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analyzers.records import Convention

DATA_FILE = Path(__file__).parent / "data" / "conventions.toml"


@dataclass(frozen=True)
class Chain:
    on: tuple[str, ...]  # classes whose instances (and subclasses') chain
    methods: frozenset[str]
    returns: str


@dataclass(frozen=True)
class TypeConventions:
    """Django's runtime conventions for typing receivers ([types])."""

    attributes: dict[str, str]  # written path suffix -> class
    aliases: dict[str, str]  # attribute set at run time -> declared attribute
    objects: dict[str, str]  # module-level object -> class
    items: dict[str, str]  # handler -> class of its items
    returns: dict[str, str]  # function -> class of its result
    yields: dict[str, tuple[str, ...]]  # function -> classes of loop targets
    chains: tuple[Chain, ...]
    variables: dict[str, str]  # parameter or local name -> class
    callables: dict[str, str]  # written path suffix -> function it runs
    passes_through: frozenset[str]  # Class.attribute holding the next layer


@dataclass(frozen=True)
class Conventions:
    sync_to_async: frozenset[str]
    async_to_sync: frozenset[str]
    concurrency_calls: frozenset[str]
    concurrency_methods: frozenset[str]
    blocking_exact: frozenset[str]
    blocking_prefixes: tuple[str, ...]
    io_calls: frozenset[str]  # native awaitable I/O (entries may end in ".*")
    io_parameters: frozenset[str]  # ASGI's receive and send
    loop_calls: frozenset[str]  # awaitables that only wait on the loop
    run_arguments: frozenset[str]  # calls whose arguments are the awaited work
    transparent: frozenset[str]  # aiter(obj), aclosing(obj): obj is what runs
    twin_prefixes: tuple[str, ...]
    twin_suffixes: tuple[str, ...]
    twin_infixes: tuple[tuple[str, str], ...]
    sibling_class_prefixes: tuple[str, ...]
    dunder_twins: dict[str, str]  # async dunder -> sync dunder
    missing_twin_ignore: frozenset[str]
    test_prefix: str
    test_markers_after_prefix: tuple[str, ...]
    test_markers_suffix: tuple[str, ...]
    test_class_markers: tuple[str, ...]
    renames: dict[str, str]
    types: TypeConventions
    defaults: dict[str, tuple[str, str]]  # setting -> (base class, default class)
    # Awaited calls that hop to a thread themselves -> the callable's position.
    thread_calls: dict[str, int] = field(default_factory=dict)
    thread_methods: dict[str, int] = field(default_factory=dict)
    # Twin modules: (from folders, to folders) path rules, module suffixes.
    layouts: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    module_suffixes: tuple[str, ...] = ()
    generated_markers: tuple[str, ...] = ()

    def is_sync_to_async(self, dotted: str) -> bool:
        return _matches_bridge(dotted, self.sync_to_async)

    def is_async_to_sync(self, dotted: str) -> bool:
        return _matches_bridge(dotted, self.async_to_sync)

    def thread_call(self, dotted: str, written: str) -> int | None:
        """The position of the callable a call runs in a thread, when the
        call is a thread hop of its own (`asyncio.to_thread(f)`), else None.
        `dotted` is the callee resolved through the imports, `written` as
        written (`loop.run_in_executor`: a method on any receiver)."""
        if dotted in self.thread_calls:
            return self.thread_calls[dotted]
        head, _, method = written.rpartition(".")
        if head and method in self.thread_methods:
            return self.thread_methods[method]
        return None

    @property
    def bridge_markers(self) -> tuple[bytes, ...]:
        """Bytes that betray a sync wrapper whose bridge's name says nothing
        of async (`anyio.from_thread.run`: b"from_thread"), for the fast
        path's test of a file that holds no async code."""
        return _bridge_markers(frozenset(self.async_to_sync))

    def is_concurrency(self, dotted: str) -> bool:
        return _matches_family(dotted, self.concurrency_calls)

    def is_blocking(self, dotted: str) -> bool:
        if dotted in self.blocking_exact:
            return True
        return any(dotted.startswith(prefix) for prefix in self.blocking_prefixes)

    def is_io(self, dotted: str) -> bool:
        return _matches_catalogue(dotted, self.io_calls)

    def is_loop_only(self, dotted: str) -> bool:
        return _matches_catalogue(dotted, self.loop_calls)

    def runs_arguments(self, dotted: str) -> bool:
        """Do the call's arguments hold the awaited work (gather, wait_for)?"""
        return self.is_concurrency(dotted) or dotted in self.run_arguments

    def test_scope(self, class_qualname: str) -> str:
        """A test class's name with the async markers taken out."""
        for marker in self.test_class_markers:
            class_qualname = class_qualname.replace(marker, "")
        return class_qualname

    def unasync(self, name: str) -> str:
        """unasync's generic rule for one name: its first sync twin name
        (`aget` -> `get`, `_aget_perms` -> `_get_perms`, `__aiter__` ->
        `__iter__`), else the name itself."""
        candidates = self.sync_twin_names(name)
        return candidates[0][0] if candidates else name

    def sync_twin_names(self, async_name: str) -> list[tuple[str, Convention]]:
        """Candidate sync names for an async name, each with its convention."""
        if async_name in self.dunder_twins:
            return [(self.dunder_twins[async_name], Convention.DUNDER)]
        stem = async_name.lstrip("_")
        underscores = async_name[: len(async_name) - len(stem)]
        candidates = []
        for prefix in self.twin_prefixes:
            if stem.startswith(prefix) and len(stem) > len(prefix):
                candidates.append(
                    (underscores + stem[len(prefix) :], Convention.PREFIX)
                )
        for suffix in self.twin_suffixes:
            if stem.endswith(suffix) and len(stem) > len(suffix):
                candidates.append(
                    (underscores + stem[: -len(suffix)], Convention.SUFFIX)
                )
        for infix, replacement in self.twin_infixes:
            if infix in async_name:
                candidates.append(
                    (async_name.replace(infix, replacement, 1), Convention.INFIX)
                )
        return candidates

    def sync_twin_path(self, path: str) -> str | None:
        """The path of a module's sync twin module by the layouts
        (`httpcore/_async/http11.py` -> `httpcore/_sync/http11.py`,
        `psycopg/cursor_async.py` -> `psycopg/cursor.py`), or None when the
        path follows none. The first folder rule that matches is applied
        (a project's come before the defaults), then a module suffix."""
        folders, _, file = path.rpartition("/")
        parts = folders.split("/") if folders else []
        changed = False
        for source, target in self.layouts:
            width = len(source)
            at = next(
                (
                    i
                    for i in range(len(parts) - width + 1)
                    if tuple(parts[i : i + width]) == source
                ),
                None,
            )
            if at is not None:
                parts[at : at + width] = target
                changed = True
                break
        stem, dot, ext = file.rpartition(".")
        for suffix in self.module_suffixes:
            if stem.endswith(suffix) and len(stem) > len(suffix):
                file = stem[: -len(suffix)] + dot + ext
                changed = True
                break
        if not changed:
            return None
        return "/".join([*parts, file])

    def may_hold_module_twins(self, path: str, *, generated: bool) -> bool:
        """Could the file hold one side of a pair across twin modules, as
        far as its own path and header tell: an async twin module, a module
        under a layout's sync folder, a generated module."""
        if generated or self.sync_twin_path(path) is not None:
            return True
        folders = path.split("/")[:-1]
        return any(
            target
            and any(
                tuple(folders[i : i + len(target)]) == target
                for i in range(len(folders))
            )
            for _, target in self.layouts
        )

    def sync_class_name(self, name: str) -> str:
        """`AsyncConnectionPool` -> `ConnectionPool`, else the name itself."""
        for prefix in self.sibling_class_prefixes:
            rest = name[len(prefix) :]
            if name.startswith(prefix) and rest[:1].isupper():
                return rest
        return name

    def is_generated(self, header: str) -> bool:
        """Does a file's header (its first lines, lower case) mark it generated?"""
        return any(marker in header for marker in self.generated_markers)

    def sibling_class(self, scope: str) -> str | None:
        """`pkg.AsyncPaginator` -> `pkg.Paginator` (a qualname's last part)."""
        parent, dot, name = scope.rpartition(".")
        for prefix in self.sibling_class_prefixes:
            rest = name[len(prefix) :]
            if name.startswith(prefix) and rest[:1].isupper():
                return parent + dot + rest
        return None


def _matches_family(dotted: str, family: frozenset[str]) -> bool:
    # Unresolved bare names (a local alias we could not follow) match by last part.
    return dotted in family or ("." not in dotted and dotted in _last_parts(family))


def _matches_bridge(dotted: str, family: frozenset[str]) -> bool:
    """As _matches_family, but a bare name only for bridges named for what
    they do (`sync_to_async`): a local `run()` is not `asyncio.run`."""
    return dotted in family or (
        "." not in dotted and "sync" in dotted.lower() and dotted in _last_parts(family)
    )


def _matches_catalogue(dotted: str, catalogue: frozenset[str]) -> bool:
    """Exact names, and "pkg.Class.*" entries matching every name below."""
    return dotted in catalogue or any(
        entry.endswith(".*") and dotted.startswith(entry[:-1]) for entry in catalogue
    )


@functools.cache
def _bridge_markers(names: frozenset[str]) -> tuple[bytes, ...]:
    markers = set()
    for name in names:
        if not any(m in name.lower() for m in ("async", "await", "coroutine")):
            markers.add(max(name.split("."), key=len).encode())
    return tuple(sorted(markers))


@functools.cache
def _last_parts(family: frozenset[str]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in family)


@functools.cache
def load_conventions(path: Path = DATA_FILE) -> Conventions:
    return conventions_from_data(load_data(path))


@functools.cache
def _data_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_data(path: Path = DATA_FILE) -> dict:
    """The shared defaults as plain data (a fresh copy: callers merge into it)."""
    return tomllib.loads(_data_text(path))


def conventions_from_data(data: dict) -> Conventions:
    """Conventions from data shaped as conventions.toml (the shared defaults,
    or those merged with a project's settings by `analyzers.config`)."""
    blocking = data["blocking"]["calls"]
    twins = data["twins"]
    tests = data["tests"]
    return Conventions(
        sync_to_async=frozenset(data["bridges"]["sync_to_async"]),
        async_to_sync=frozenset(data["bridges"]["async_to_sync"]),
        thread_calls=dict(data["bridges"].get("thread_calls", {})),
        thread_methods=dict(data["bridges"].get("thread_methods", {})),
        concurrency_calls=frozenset(data["concurrency"]["calls"]),
        concurrency_methods=frozenset(data["concurrency"]["methods"]),
        blocking_exact=frozenset(c for c in blocking if not c.endswith("*")),
        blocking_prefixes=tuple(c.rstrip("*") for c in blocking if c.endswith("*")),
        io_calls=frozenset(data["awaitables"]["io"]),
        io_parameters=frozenset(data["awaitables"]["io_parameters"]),
        loop_calls=frozenset(data["awaitables"]["loop"]),
        run_arguments=frozenset(data["awaitables"]["run_arguments"]),
        transparent=frozenset(data["awaitables"]["transparent"]),
        twin_prefixes=tuple(twins["prefixes"]),
        twin_suffixes=tuple(twins["suffixes"]),
        twin_infixes=tuple((a, b) for a, b in twins.get("infixes", ())),
        sibling_class_prefixes=tuple(twins.get("sibling_class_prefixes", ())),
        dunder_twins={async_: sync for sync, async_ in twins["dunders"]},
        missing_twin_ignore=frozenset(twins["missing_twin_ignore_decorators"]),
        test_prefix=tests["prefix"],
        test_markers_after_prefix=tuple(tests["async_markers_after_prefix"]),
        test_markers_suffix=tuple(tests["async_markers_suffix"]),
        test_class_markers=tuple(tests["async_class_markers"]),
        renames=dict(data["renames"]),
        types=_types(data.get("types", {})),
        defaults={k: (v[0], v[1]) for k, v in data.get("defaults", {}).items()},
        layouts=tuple(
            (_folders(rule["from_dir"]), _folders(rule["to_dir"]))
            for rule in twins.get("layouts", ())
        ),
        module_suffixes=tuple(twins.get("module_suffixes", ())),
        generated_markers=tuple(m.lower() for m in twins.get("generated_markers", ())),
    )


def _folders(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.strip("/").split("/") if part)


def _types(data: dict) -> TypeConventions:
    return TypeConventions(
        attributes=dict(data.get("attributes", {})),
        aliases=dict(data.get("aliases", {})),
        objects=dict(data.get("objects", {})),
        items=dict(data.get("items", {})),
        returns=dict(data.get("returns", {})),
        yields={k: tuple(v) for k, v in data.get("yields", {}).items()},
        chains=tuple(
            Chain(tuple(c["on"]), frozenset(c["methods"]), c["returns"])
            for c in data.get("chains", ())
        ),
        variables=dict(data.get("variables", {})),
        callables=dict(data.get("callables", {})),
        passes_through=frozenset(data.get("passes_through", {}).get("attributes", ())),
    )
