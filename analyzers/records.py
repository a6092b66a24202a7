"""The analyzer's boundary: frozen dataclasses and enums, serialisable to JSON.

The per-file pass returns a `FileResult` whose content depends only on a file's
bytes and module path (so it can be cached per git blob); the tree pass turns
many of them into a `TreeResult` without reading source again.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

R = TypeVar("R")


class Kind(enum.StrEnum):
    """What a function itself does."""

    SYNC = "sync"
    SYNC_WRAPPER = "sync-wrapper"  # a def whose work goes through async_to_sync
    ASYNC_WRAPPER = "async-wrapper"  # awaits only sync_to_async products
    ASYNC_NATIVE = "async-native"  # awaits something that is not a thread hop


class Reach(enum.StrEnum):
    """Where an async function's awaited work really ends (REACH_RULE)."""

    # Some path reaches awaitable I/O that is native: ASGI receive/send,
    # asyncio streams, an async driver (conventions.toml [io]).
    ASYNC_IO = "async-io"
    # Every path it follows ends in a thread hop or on the loop, one at least
    # in a hop; nothing it awaits is unknown.
    THREAD = "thread"
    # A call it could not follow, and no path to native I/O: never "async".
    UNKNOWN = "unknown"
    LOOP = "loop"  # every call followed, none hops or does native I/O


REACH_RULE = (
    "An async function reaches async-io when some path of its awaited calls "
    "ends in native awaitable I/O (ASGI receive/send, asyncio streams, an async "
    "driver); otherwise unknown when it awaits a call the analyzer could not "
    "follow; otherwise thread when some path ends in a thread hop; otherwise "
    "loop: its work runs on the event loop itself (a blocking call it makes "
    "there is listed). Calls of what the caller handed in (a middleware's "
    "get_response, a decorator's view, a paginator's object list) are passed "
    "through, not followed; a call matched by method name only is unknown."
)


class Relation(enum.StrEnum):
    DELEGATING = "delegating"  # one twin wraps the other
    DERIVABLE = "derivable"  # normalised bodies are equal
    NEAR_COPY = "near-copy"  # similarity >= 0.8
    DIVERGENT = "divergent"


class Convention(enum.StrEnum):
    """Which naming rule paired a twin (data/conventions.toml [twins])."""

    SAME_NAME = "same-name"  # one name in both branches of an `if`
    DUNDER = "dunder"  # __aiter__ / __iter__
    PREFIX = "prefix"  # aget / get
    SUFFIX = "suffix"  # get_response_async / get_response
    INFIX = "infix"  # _wrapped_async_view / _wrapped_sync_view
    # The same rules across sibling classes (AsyncPaginator.apage / Paginator.page).
    SIBLING_SAME_NAME = "sibling-class same-name"
    SIBLING_DUNDER = "sibling-class dunder"
    SIBLING_PREFIX = "sibling-class prefix"
    SIBLING_SUFFIX = "sibling-class suffix"
    SIBLING_INFIX = "sibling-class infix"

    def across_sibling_classes(self) -> Convention:
        return Convention(f"sibling-class {self.value}")


class Stage(enum.StrEnum):
    """DEP 0009's stages, as seen in one component."""

    SYNC_ONLY = "sync-only"
    ASYNC_WRAPPER = "async-wrapper"
    ASYNC_NATIVE = "async-native"
    # Entry points whose judgement the analyzer could not settle decide it.
    UNKNOWN = "unknown"


class SiteKind(enum.StrEnum):
    """How an awaited expression names what it awaits."""

    HOP = "hop"  # a sync_to_async product: the thread hop itself
    SELF = "self"  # self.m(...) / cls.m(...): the class, its bases, overrides
    SUPER = "super"  # super().m(...): the bases only
    NAME = "name"  # a function named through the module or its imports
    ATTR = "attr"  # obj.m(...) on an object the analyzer cannot type
    OPAQUE = "opaque"  # a parameter, attribute or expression it cannot see into
    IO = "io"  # native awaitable I/O: ASGI receive/send, asyncio streams
    # A callable the caller handed in (a parameter, or an attribute set from
    # an __init__ parameter): the next layer's work, passed through.
    CALLBACK = "callback"


class Resolution(enum.StrEnum):
    """How the analyzer knew which function an awaited call runs."""

    # The code's own evidence: self/cls, super(), imports, instance attributes
    # set in __init__ or class bodies, annotations, isinstance guards,
    # module-level instances.
    TYPE = "type"
    # Django's runtime conventions (conventions.toml [types]): `X.objects` is a
    # manager, `caches[...]` a cache, `request.session` a session store.
    CONVENTION = "convention"
    NAME = "name"  # by method name only: every same-named method is a candidate
    UNSEEN = "unseen"  # nothing in the tree it could be (a local, an expression)
    HOP = "hop"  # the sync_to_async hop that ends a chain
    IO = "io"  # the native awaitable I/O that ends a chain


@dataclass(frozen=True)
class AwaitSite:
    """One `await`, `async for` or `async with` in an async function."""

    kind: SiteKind
    name: str  # method or function name; for HOP the label "sync_to_async(get)"
    # SELF/SUPER: qualified name of the enclosing class; NAME: dotted targets
    # (several when a name is defined in both branches of an `if`).
    targets: tuple[str, ...] = ()
    # ATTR: what the receiver `obj` of `obj.m()` is, for the tree pass to type:
    # a head ("self:<class>", "call:<dotted>", "name:<dotted>", "item:<dotted>",
    # "ann:<dotted>", "each<i>:<dotted>", "var:<local name>") then the
    # attributes ("objects") and method calls ("filter()") written after it.
    # `async for x in obj` and `async with obj` are ATTR sites named
    # "__aiter__" and "__aenter__" on the receiver `obj`.
    receiver: tuple[str, ...] = ()
    # Inside an `if`, a loop body, an `except`, a boolean or conditional
    # expression: a path may skip it (for the fewest hops of a call).
    conditional: bool = False
    # HOP: what runs in the thread, as a receiver then the callable's name
    # (("self:pkg.Cache", "get"), ("name:pkg.signals.send",)); () when the
    # code does not say (a lambda, a parameter).
    runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainStep:
    """One link of a chain: where it goes and how the analyzer knew."""

    target: str  # full name of the function; for HOP the label "sync_to_async(get)"
    resolution: Resolution
    # NAME: every same-named method the call could be. Otherwise the other
    # implementations the call may dispatch to (another backend, an override).
    candidates: tuple[str, ...] = ()
    # The target is the default configuration's implementation (the db session
    # store, the locmem cache), chosen among `candidates`.
    default: bool = False


@dataclass(frozen=True)
class BlockingCall:
    """A blocking call made on the event loop, without a thread hop."""

    name: str  # dotted callee, or "self.load" for a sync twin
    reason: str  # "catalogue" or "sync twin"


@dataclass(frozen=True)
class FunctionRecord:
    module: str
    qualname: str  # Python's __qualname__ form: Class.method, outer.<locals>.inner
    path: str
    first_line: int  # the `def` line
    last_line: int
    loc: int  # non-blank, non-comment lines
    is_async: bool
    public: bool
    kind: Kind
    is_async_generator: bool = False
    runs_in_thread: bool = False  # a def decorated with @sync_to_async
    thread_hops: int = 0  # sync_to_async call sites in its own body
    hop_labels: tuple[str, ...] = ()  # e.g. ("sync_to_async(get)",)
    # Defs of one qualname and asyncness in one file (both branches of an
    # `if`), counted in source order: identity is (module, qualname,
    # is_async, variant).
    variant: int = 0
    # What its `return` statements give, as receivers (AwaitSite.receiver),
    # for typing the locals bound to a call of it (`qs = _get_queryset(k)`).
    returns: tuple[tuple[str, ...], ...] = ()
    bridges: int = 0  # async_to_sync call sites in its own body
    concurrent: bool = False
    concurrency_sites: int = 0
    await_sites: tuple[AwaitSite, ...] = ()
    blocking: tuple[BlockingCall, ...] = ()
    # Qualname of the twin in the same scope, if any; for a twin in a twin
    # module (tree pass), that twin's full name.
    twin: str = ""
    missing_twin: bool = False  # public sync method without an async twin
    body_hash: str = ""  # hash of the normalised body, for functions in a pair
    # Filled by the tree pass.
    component: str = ""
    reaches: Reach | None = None
    hops: tuple[str, ...] = ()  # full names of the functions where chains hop
    chain: tuple[str, ...] = ()  # evidence: qualnames down to the nearest hop
    # How each link of `chain` was resolved: steps[i] leads to chain[i + 1].
    steps: tuple[ChainStep, ...] = ()
    # Hop functions reachable only through a call resolved by name only;
    # `hops` holds those reached through resolved calls alone.
    hops_by_name: tuple[str, ...] = ()
    # Its awaited calls (not hops) by Resolution value: {"type": 3, "name": 1}.
    call_steps: dict[str, int] = field(default_factory=dict)
    # Thread hops on its paths: fewest (awaits no branch may skip) and most
    # (every await taken once); a cycle of calls counts each function once.
    hops_fewest: int = 0
    hops_most: int = 0
    # Its own awaits the analyzer could not follow, and the callables handed
    # in by its caller that it passes through to, as written.
    unknown_calls: tuple[str, ...] = ()
    passes_through: tuple[str, ...] = ()
    # A `typing.overload` stub: never one side of a twin pair.
    overload: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.module}.{self.qualname}"

    @property
    def closure(self) -> bool:
        """Defined inside a function: never an API or an entry point."""
        return "<locals>" in self.qualname


@dataclass(frozen=True)
class ClassRecord:
    module: str
    qualname: str
    path: str
    line: int
    bases: tuple[str, ...]  # dotted names, resolved through the imports
    async_capable: bool = False
    sync_capable: bool = False
    marks_coroutine: bool = False  # uses markcoroutinefunction
    # What its attributes hold, from the class body (`model = Session`,
    # `cache: BaseCache`) and __init__ (`self._cache = caches[alias]`): name
    # and a receiver head as in AwaitSite.receiver ("item:django...caches").
    attributes: tuple[tuple[str, str], ...] = ()
    # Attributes `__init__` sets from its parameters (`self.get_response =
    # get_response`): callables handed in, whose calls are passed through.
    callbacks: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.module}.{self.qualname}"


@dataclass(frozen=True)
class TwinPair:
    module: str
    sync_qualname: str
    async_qualname: str
    convention: Convention
    relation: Relation
    similarity: float
    duplicated_lines: int
    sync_only_lines: tuple[str, ...]
    async_only_lines: tuple[str, ...]
    sync_hash: str
    async_hash: str
    renames: tuple[str, ...] = ()  # renames applied to the async body: "asend->send"
    component: str = ""  # filled by the tree pass
    # A pair across twin modules (tree pass): the sync side's module, when it
    # is not `module` (httpcore._sync.http11 for httpcore._async.http11).
    sync_module: str = ""
    # Which side a header comment marks as generated: "sync", "async" or "".
    generated_side: str = ""

    @property
    def sync_full_name(self) -> str:
        return f"{self.sync_module or self.module}.{self.sync_qualname}"


@dataclass(frozen=True)
class ParseError:
    path: str
    message: str


@dataclass(frozen=True)
class FileResult:
    """Everything the tree pass needs from one file."""

    path: str
    module: str
    loc: int = 0
    functions: tuple[FunctionRecord, ...] = ()
    classes: tuple[ClassRecord, ...] = ()
    pairs: tuple[TwinPair, ...] = ()
    # Module-level imports as (local name, dotted target): follows re-exports.
    imports: tuple[tuple[str, str], ...] = ()
    # Full names bound to sync_to_async products at module or class level
    # (`aload = sync_to_async(load)`): awaiting one is a thread hop.
    thread_products: tuple[str, ...] = ()
    # Module-level instances (`cache = ConnectionProxy(...)`): name and the
    # dotted class called, for typing `cache.aget()` in other modules.
    instances: tuple[tuple[str, str], ...] = ()
    parse_error: ParseError | None = None
    # A header comment says the file is generated ("DO NOT EDIT", "generated
    # from ..."; conventions.toml [twins] generated_markers).
    generated: bool = False
    # The file's text, kept for the tree pass when the file may hold one side
    # of a pair across twin modules (Conventions.may_hold_module_twins).
    twin_source: str = ""

    @classmethod
    def failed(cls, *, path: str, module: str, message: str) -> FileResult:
        """A file that was not analysed, and why: `message` is its parse error."""
        return cls(path=path, module=module, parse_error=ParseError(path, message))


@dataclass(frozen=True)
class ComponentSummary:
    name: str
    stage: Stage
    files: int
    loc: int
    functions: int
    public_by_kind: dict[str, int]
    public_async: int
    async_twins: int  # async functions that have a sync twin
    pairs_by_relation: dict[str, int]
    duplicated_lines: int
    async_twin_share: float  # share of the component's lines in async twins
    # Async functions that run awaitables concurrently (components.CONCURRENCY_RULE).
    concurrent_functions: int
    thread_hops: int
    missing_twins: int
    blocking_calls: int
    reaches: dict[str, int]  # public async APIs by reach, every Reach a key
    local_hops: int  # public async functions that hop inside this component
    boundary: tuple[str, ...]  # components where its async chains hop
    duplicated: bool
    sync_wrapped: bool
    parse_errors: int
    # Components its chains reach only through a call resolved by name only
    # (left out of `boundary`, which counts resolved calls alone).
    boundary_by_name: tuple[str, ...] = ()
    # Awaited calls of its async functions by how they were resolved.
    call_steps: dict[str, int] = field(default_factory=dict)
    # What the stage is judged on (analyzers/tree_pass/entry_points.py): its own async
    # entry points as (full name, judgement), and those its classes inherit as
    # ("<class full name>.<method>", judgement, the inherited function's full
    # name). A judgement is "native", "hops-here" or "delegates".
    entry_points: tuple[tuple[str, str], ...] = ()
    inherited_entry_points: tuple[tuple[str, str, str], ...] = ()
    # Entry points by judgement: "native", "hops-here", "delegates".
    entry_judgements: dict[str, int] = field(default_factory=dict)
    stage_rule: str = ""  # the one sentence the stage follows (components.py)
    # Async functions defined inside functions: listed apart, never APIs.
    closures: int = 0
    # Thread hops on the paths of its public async APIs, summed.
    hops_fewest: int = 0
    hops_most: int = 0
    # End to end: public async APIs that reach a thread, by the component
    # where their hops sit ({"orm-queryset": 43}).
    thread_ends: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TestSummary:
    component: str
    tests: int
    async_tests: int
    async_tests_with_sync_twin: int
    # The doubled tests themselves: (async test, its sync twin), full names.
    doubled: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TreeResult:
    analyzer_version: str
    files: int
    parse_errors: tuple[ParseError, ...]
    functions: tuple[FunctionRecord, ...]
    classes: tuple[ClassRecord, ...]
    pairs: tuple[TwinPair, ...]
    components: tuple[ComponentSummary, ...]
    tests: tuple[TestSummary, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def function(self, full_name: str, *, is_async: bool | None = None):
        """The first function of that full name (and asyncness), or KeyError."""
        for record in self.functions:
            if record.full_name == full_name and is_async in (None, record.is_async):
                return record
        raise KeyError(full_name)

    def component(self, name: str) -> ComponentSummary:
        for summary in self.components:
            if summary.name == name:
                return summary
        raise KeyError(name)


def to_jsonable(value: Any, *, compact: bool = False) -> Any:
    """Plain data for json.dumps: dataclasses to dicts, enums to strings.

    `compact` leaves out fields that hold their default (most fields of most
    functions), which the dataclasses fill in again when rebuilt.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {}
        for field_ in dataclasses.fields(value):
            item = getattr(value, field_.name)
            if not (compact and _is_default(field_, item)):
                data[field_.name] = to_jsonable(item, compact=compact)
        return data
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v, compact=compact) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, compact=compact) for k, v in value.items()}
    return value


def _is_default(field_: dataclasses.Field, value: Any) -> bool:
    if field_.default is not dataclasses.MISSING:
        return value == field_.default
    if field_.default_factory is not dataclasses.MISSING:
        return value == field_.default_factory()
    return False


def to_json(value: Any, **kwargs: Any) -> str:
    return json.dumps(to_jsonable(value), **kwargs)


def replaced(record: R, **changes: Any) -> R:
    """`dataclasses.replace` for the records here, five times faster.

    The records are frozen dataclasses without `__post_init__` or init-only
    fields, so a copy of the instance's attributes with `changes` is what
    `replace` would build through `__init__`; the tree pass makes 10,000 a
    release, and `replace` was a third of its time.
    """
    unknown = changes.keys() - _field_names(type(record))
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)}")
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__)
    copy.__dict__.update(changes)
    return copy


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    if hasattr(cls, "__post_init__") or not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__}: replaced() copies plain dataclasses only")
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)
