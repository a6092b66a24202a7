"""Where each async function's awaited work really ends: reach, hops, chain.

Awaited calls (and `async for`/`async with`, and the awaitables handed to
gather or create_task) are resolved across the tree, the code's own evidence
first: `self.m` through the class's method resolution order and its
subclasses' overrides; `super().m` through the bases; names through the
module and its imports (following re-exports); `obj.m` through what `obj` is
(analyzers/tree_pass/receivers.py: attributes, annotations, isinstance guards,
module-level instances, locals bound from calls and what those return, then
Django's conventions). A call on an object that may be a configured backend
is judged by the default backend (conventions.toml [defaults]).

Each await ends a path in one of five ways: a thread hop; native I/O (ASGI
receive/send, asyncio streams); a callable handed in by the caller (passed
through: the next layer's work); nothing (a wait on the loop); or a call the
analyzer cannot follow, which is unknown. A call matched by method name only
is unknown too: same-named methods of unrelated classes never decide a
reach (their hops are listed apart, as `hops_by_name`). What a resolved call
reaches, its caller reaches: three least fixed points, so cycles end.
REACH_RULE (records.py) states how the four reaches follow.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
from collections import Counter, deque
from dataclasses import dataclass

from analyzers.conventions import Conventions, load_conventions
from analyzers.records import (
    AwaitSite,
    ChainStep,
    FileResult,
    FunctionRecord,
    Reach,
    Resolution,
    SiteKind,
    replaced,
)
from analyzers.tree_pass.index import SymbolIndex
from analyzers.tree_pass.receivers import ReceiverTyper, written_path

MAX_RETURN_DEPTH = 3
PROTOCOLS = {
    "__aiter__": ("__aiter__", "__anext__"),
    "__aenter__": ("__aenter__", "__aexit__"),
}


class End(enum.Enum):
    """How a path ends at an await site that is not followed further."""

    HOP = "hop"
    IO = "io"
    CALLBACK = "callback"  # handed in by the caller: passed through
    UNKNOWN = "unknown"
    LOOP = "loop"  # nothing it awaits does I/O or hops


@dataclass(frozen=True)
class Site:
    candidates: tuple[int, ...]  # indices into the awaitable functions
    resolution: Resolution
    end: End | None = None  # how the path ends here, when it is not followed
    label: str = ""  # as written, for the lists a reader sees
    # Other implementations the call may dispatch to, shown but not judged
    # (the other backends, when `candidates` is the default one).
    alternatives: tuple[int, ...] = ()
    default: bool = False
    conditional: bool = False
    # Dispatched on `self` (self.m() or super().m()): the entry-point judge
    # looks these up again in the class it judges (entry_points.py).
    on_self: bool = False
    # A hop: the full name of the function (or class) whose sync code runs
    # in the thread, "" when the code does not say.
    runs: str = ""

    @property
    def followed(self) -> tuple[int, ...]:
        """The candidates a reach follows: resolved calls only."""
        return () if self.resolution is Resolution.NAME else self.candidates


def awaitable(record: FunctionRecord) -> bool:
    return record.is_async or record.runs_in_thread


class ReachSolver:
    def __init__(
        self,
        index: SymbolIndex,
        functions: list[FunctionRecord],
        conventions: Conventions | None = None,
    ) -> None:
        conventions = conventions or load_conventions()
        self.index = index
        self.typer = ReceiverTyper(index, conventions.types, self.default_for)
        self.defaults = [
            (index.canonical(base), index.canonical(default))
            for base, default in conventions.defaults.values()
        ]
        self.passes_through = {
            index.canonical(name) for name in conventions.types.passes_through
        }
        self.nodes = [f for f in functions if awaitable(f)]
        self.position = {id(f): i for i, f in enumerate(self.nodes)}
        self.by_name: dict[str, list[int]] = {}
        for i, record in enumerate(self.nodes):
            # Only methods: `obj.m()` on an object is never a module function.
            if index.owner_class(record) is not None:
                name = record.qualname.rsplit(".", 1)[-1]
                self.by_name.setdefault(name, []).append(i)
        self.sites = [
            [self.resolve(record, site) for site in record.await_sites]
            for record in self.nodes
        ]

    # Resolution ---------------------------------------------------------
    def _ids(self, records) -> tuple[int, ...]:
        return tuple(
            dict.fromkeys(
                self.position[id(r)] for r in records if id(r) in self.position
            )
        )

    def resolve(
        self, record: FunctionRecord, site: AwaitSite, context: str | None = None
    ) -> Site:
        """One await site as a Site. `context`: judge `self` as an instance
        of that class (its MRO decides which method runs, nothing else)."""
        resolved = self._resolve(record, site, context)
        return replaced(
            resolved,
            label=resolved.label or _label(site),
            conditional=site.conditional,
            on_self=site.kind in (SiteKind.SELF, SiteKind.SUPER),
        )

    def _resolve(self, record, site: AwaitSite, context: str | None) -> Site:
        kind = site.kind
        if kind is SiteKind.HOP:
            runs = self._runs(site, context)
            return Site((), Resolution.HOP, End.HOP, site.name, runs=runs)
        if kind is SiteKind.IO:
            return Site((), Resolution.IO, End.IO, f"{site.name}()")
        if kind is SiteKind.CALLBACK:
            return Site((), Resolution.UNSEEN, End.CALLBACK, site.name)
        if kind is SiteKind.SELF:
            owner = site.targets[0]
            if self._passes_through(owner, site.name):
                return Site((), Resolution.TYPE, End.CALLBACK, f"self.{site.name}")
            if context is not None and context in self.index.family(owner):
                return self._exact(context, site.name, after=None)
            return self._method(owner, site.name)
        if kind is SiteKind.SUPER:
            owner = site.targets[0]
            if context is not None and owner in self.index.mro(context):
                return self._exact(context, site.name, after=owner)
            return self._method(owner, site.name, after=owner)
        if kind is SiteKind.NAME:
            return self._merged([self._name(t, site.name) for t in site.targets])
        if kind is SiteKind.ATTR:
            handed_in = self._handed_in(site.receiver)
            if handed_in:
                return Site((), Resolution.TYPE, End.CALLBACK, handed_in)
            function = self._callable(site)
            if function is not None:
                return function
            if site.name in PROTOCOLS:
                return self._protocol(record, site)
            return self._receiver(record, site)
        return Site((), Resolution.UNSEEN, End.UNKNOWN)

    def _passes_through(self, class_name: str, attribute: str) -> bool:
        """An attribute handed to __init__ (a middleware's get_response), or
        one that holds the configured next layer ([types.passes_through])."""
        if self.index.is_callback(class_name, attribute):
            return True
        return any(
            f"{cls}.{attribute}" in self.passes_through
            for cls in self.index.mro(class_name)
        )

    def _handed_in(self, receiver: tuple[str, ...]) -> str:
        """The object a call is made on was handed in by the caller (an
        untyped parameter, or an attribute set from one): what it is, as
        written, or "" when it was not."""
        if not receiver:
            return ""
        head, *parts = receiver
        form, _, value = head.partition(":")
        if form == "arg" and self.typer.type_of(receiver) is None:
            return value
        if form == "self" and parts and self._passes_through(value, parts[0]):
            return f"self.{parts[0].removesuffix('()')}"
        return ""

    def _callable(self, site: AwaitSite) -> Site | None:
        """`request.auser()`: an attribute set at run time to a function
        (conventions.toml [types.callables])."""
        written = [*written_path(site.receiver), site.name] if site.receiver else []
        for key, function in self.typer.types.callables.items():
            suffix = key.split(".")
            if written[-len(suffix) :] == suffix:
                ids = self._ids(self.index.functions.get(function, ()))
                if ids:
                    return Site(ids, Resolution.CONVENTION)
        return None

    def _by_name(self, name: str) -> Site:
        return Site(tuple(self.by_name.get(name, ())), Resolution.NAME, End.UNKNOWN)

    def _other_objects(self, record: FunctionRecord, name: str) -> Site:
        """`obj.m` on an object nothing types: by name, outside the caller's
        family (an object reached through an attribute is rarely of the
        caller's own class family). Listed, never followed."""
        owner = self.index.owner_class(record)
        if owner is None:
            return self._by_name(name)
        family = self.index.family(owner)
        candidates = tuple(
            c
            for c in self.by_name.get(name, ())
            if self.index.owner_class(self.nodes[c]) not in family
        )
        return Site(candidates, Resolution.NAME, End.UNKNOWN)

    def default_for(self, class_name: str) -> str | None:
        """The default backend an object of this class may be, if configured.

        It may be the default when the default backend is the class or one of
        its subclasses, and the class is one of the configured backends.
        """
        for base, default in self.defaults:
            if (
                default in self.index.classes
                and class_name in self.index.mro(default)
                and base in self.index.mro(class_name)
            ):
                return default
        return None

    def _runs(self, site: AwaitSite, context: str | None = None) -> str:
        """What a hop runs in the thread: a function's full name, else the
        class whose method it is (a hook subclasses define), else "".
        `self` is an instance of `context` when the judge says so."""
        if not site.runs:
            return ""
        head, *parts = site.runs
        form, _, value = head.partition(":")
        if (
            form == "self"
            and context is not None
            and context in self.index.family(value)
        ):
            value = context
            site = dataclasses.replace(site, runs=(f"self:{context}", *parts))
        if form == "name":  # a function, or a method of a module-level object
            dotted = self.index.canonical(".".join([value, *parts]))
            if dotted in self.index.functions or dotted in self.index.classes:
                return dotted
            owner, _, method = dotted.rpartition(".")
            typed = self.typer.type_of_dotted(owner) if owner else None
            return self._method_of(typed[0], method) if typed else ""
        if not parts:
            return value if form == "self" else ""
        typed = self.typer.type_of(tuple(site.runs[:-1]))
        return self._method_of(typed[0], parts[-1]) if typed else ""

    def _method_of(self, class_name: str, name: str) -> str:
        found = self._lookup(self.index.mro(class_name), name)
        if isinstance(found, list) and found:
            return found[0].full_name
        return class_name

    def _lookup(self, mro, name: str) -> Site | list[FunctionRecord]:
        if "*" in name:  # a pattern: every matching method, nearest first
            found = {}
            for cls in mro:
                for method, records in self.index.class_methods.get(cls, {}).items():
                    if fnmatch.fnmatchcase(method, name):
                        found.setdefault(method, records)
            return [r for records in found.values() for r in records]
        for cls in mro:
            if f"{cls}.{name}" in self.index.products:
                return Site(
                    (),
                    Resolution.TYPE,
                    End.HOP,
                    f"sync_to_async({name})",
                    runs=f"{cls}.{name}",
                )
            if (cls, name) in self.index.methods:
                return self.index.methods[(cls, name)]
        return []

    def _exact(self, context: str, name: str, *, after: str | None) -> Site:
        """The one method `self.name` (or `super().name` from `after`) runs
        on an instance of `context`: the first in its MRO, no override."""
        return self._method(context, name, after=after, exact=True)

    def _method(
        self,
        class_name: str,
        name: str,
        *,
        after: str | None = None,
        exact: bool = False,
        resolution: Resolution = Resolution.TYPE,
        typed: bool = False,
    ) -> Site:
        """`name` looked up on an instance of `class_name`, after `after` in
        its MRO for super(); with `exact`, the instance is of that class
        itself, else of any subclass (their overrides are candidates too)."""
        mro = list(self.index.mro(class_name))
        if not mro:
            return self._by_name(name)
        if after is not None:
            mro = mro[mro.index(after) + 1 :] if after in mro else []
        found = self._lookup(mro, name)
        if isinstance(found, Site):
            return dataclasses.replace(found, resolution=resolution)
        if after is None and not exact:
            for sub in self.index.descendants(class_name):
                more = self._lookup([sub], name) if "*" in name else None
                found = [*found, *(more or self.index.methods.get((sub, name), ()))]
        if not found and after is None:
            held = self.typer._attribute(mro, name)  # an instance, called
            if held is not None and held[0] != class_name:
                return self._method(held[0], "__call__", resolution=resolution)
        if not found:
            if (typed or exact) and self.typer.complete(class_name):
                # The type is known and none of its classes has the method:
                # it is no coroutine function of the tree (a sync method's
                # awaitable, an attribute): nothing here to follow.
                return Site((), resolution, End.UNKNOWN)
            # The method comes from somewhere the index cannot see (a base
            # built at run time): by name, listed, never followed.
            return self._by_name(name)
        if not self._ids(found):
            return self._through_returns(found, resolution, name, class_name)
        default = None if exact or after else self.default_for(class_name)
        if default is not None:
            chosen = self._lookup(self.index.mro(default), name)
            if isinstance(chosen, Site):
                return dataclasses.replace(
                    chosen,
                    resolution=resolution,
                    alternatives=self._ids(found),
                    default=True,
                )
            if chosen:
                ids = self._ids(chosen)
                others = tuple(c for c in self._ids(found) if c not in ids)
                return Site(ids, resolution, alternatives=others, default=True)
        return Site(self._ids(found), resolution)

    def _name(self, target: str, name: str) -> Site:
        dotted = self.index.canonical(target)
        if dotted in self.index.products:
            return Site(
                (), Resolution.TYPE, End.HOP, f"sync_to_async({name})", runs=dotted
            )
        if dotted in self.index.functions:
            records = self.index.functions[dotted]
            ids = self._ids(records)
            if ids:
                return Site(ids, Resolution.TYPE)
            return self._through_returns(records, Resolution.TYPE, name)
        owner, _, method = dotted.rpartition(".")
        owner = self.index.canonical(owner)
        if owner in self.index.classes:
            return self._method(owner, method)
        if dotted in self.index.classes or not self.index.in_tree(dotted):
            # a class, or code outside the tree: not followed
            return Site((), Resolution.TYPE, End.UNKNOWN, f"{dotted}()")
        typed = self.typer.type_of_dotted(owner)
        if typed is not None:  # a method of a module-level object
            return self._method(typed[0], method, resolution=typed[1], typed=True)
        return self._by_name(name)

    def _receiver(self, record: FunctionRecord, site: AwaitSite) -> Site:
        typed = self.typer.type_of(site.receiver) if site.receiver else None
        if typed is None:
            return self._other_objects(record, site.name)
        return self._method(typed[0], site.name, resolution=typed[1], typed=True)

    def _protocol(self, record: FunctionRecord, site: AwaitSite) -> Site:
        """`async for x in obj` / `async with obj`: an async generator called
        in place runs itself; an object runs its protocol methods (a sync
        `__aiter__` returns the async generator it defines)."""
        *before, last = site.receiver
        if last.endswith("()") and before:
            typed = self.typer.type_of(tuple(before))
            if typed is not None:
                found = self._lookup(self.index.mro(typed[0]), last[:-2])
                if isinstance(found, list) and self._ids(found):
                    return Site(self._ids(found), typed[1])
        head = site.receiver[0]
        if len(site.receiver) == 1 and head.startswith("call:"):
            dotted = self.index.canonical(head[len("call:") :])
            ids = self._ids(self.index.functions.get(dotted, ()))
            if ids:
                return Site(ids, Resolution.TYPE)
        typed = self.typer.type_of(site.receiver)
        if typed is None:
            return Site((), Resolution.UNSEEN, End.UNKNOWN, _label(site))
        mro = self.index.mro(typed[0])
        found: list[FunctionRecord] = []
        for method in PROTOCOLS[site.name]:
            hit = self._lookup(mro, method)
            if isinstance(hit, Site):
                return dataclasses.replace(hit, resolution=typed[1])
            for m in hit:
                found.append(m)
                if not awaitable(m):  # a sync __aiter__: what it returns
                    found.extend(
                        self._closures(m)
                        or self._returned_awaitables([m], typed[0], 0)[0]
                    )
        ids = self._ids(found)
        if ids:
            return Site(ids, typed[1])
        return Site((), typed[1], End.UNKNOWN, _label(site))

    def _through_returns(
        self,
        records,
        resolution: Resolution,
        name: str,
        context: str | None = None,
    ) -> Site:
        """Awaiting what a sync function returns: the coroutine functions its
        `return`s call (`return self.generic(...)`, whose `self.request` is
        async), through a few sync functions. Returns that all resolve to
        sync code and plain values mean the await sits in a branch that never
        runs for a sync function (`if iscoroutinefunction(f): await f()`)."""
        found, unresolved = self._returned_awaitables(records, context, 0)
        if found:
            return Site(self._ids(found), resolution)
        end = End.UNKNOWN if unresolved else End.LOOP
        return Site((), resolution, end, f"{name}()")

    def _returned_awaitables(self, records, context, depth):
        """(coroutine functions the records' returns call, whether some
        returned call could not be resolved)."""
        found: list[FunctionRecord] = []
        unresolved = False
        for record in records:
            for receiver in record.returns:
                hit = self._returned_call(receiver, context)
                if hit is None:
                    unresolved |= _calls(receiver)
                    continue
                awaitables = [m for m in hit if awaitable(m)]
                if awaitables:
                    found.extend(awaitables)
                elif depth >= MAX_RETURN_DEPTH:
                    unresolved = True
                else:
                    more, deeper = self._returned_awaitables(hit, context, depth + 1)
                    found.extend(more)
                    unresolved |= deeper
        return found, unresolved

    def _returned_call(self, receiver, context) -> list[FunctionRecord] | None:
        """The functions a returned `f(...)` or `obj.m(...)` calls ([] for a
        class built, or a product), None when it is no call or unresolved."""
        *before, last = receiver
        if not before and last.startswith("call:"):  # return f(...)
            name = self.index.canonical(last[len("call:") :])
            if name in self.index.classes:
                return []
            return self.index.functions.get(name)
        if not (before and last.endswith("()")):
            return None
        if before[0].startswith("self:") and context is not None:
            before = [f"self:{context}", *before[1:]]
        typed = self.typer.type_of(tuple(before))
        if typed is None:
            return None
        hit = self._lookup(self.index.mro(typed[0]), last[:-2])
        if isinstance(hit, Site):
            return []
        return hit or None

    def _closures(self, record: FunctionRecord) -> list[FunctionRecord]:
        prefix = f"{record.full_name}.<locals>."
        return [
            r
            for name, records in self.index.functions.items()
            if name.startswith(prefix) and "." not in name[len(prefix) :]
            for r in records
        ]

    @staticmethod
    def _merged(resolved: list[Site]) -> Site:
        """A name defined in both branches of an `if`: any of its definitions."""
        if len(resolved) == 1:
            return resolved[0]
        candidates = tuple(dict.fromkeys(c for r in resolved for c in r.candidates))
        ends = {r.end for r in resolved if not r.candidates}
        end = None if candidates else next(iter(ends), End.UNKNOWN)
        return Site(
            candidates,
            Resolution.NAME
            if any(r.resolution is Resolution.NAME for r in resolved)
            else Resolution.TYPE,
            end,
            next((r.label for r in resolved if r.label), ""),
        )

    # Solving ------------------------------------------------------------
    def own_end(self, i: int, end: End) -> Site | None:
        """The function's own first site ending in `end` (a hop: also a
        @sync_to_async def itself)."""
        for site in self.sites[i]:
            if site.end is end:
                return site
        record = self.nodes[i]
        if end is End.HOP and record.runs_in_thread:
            name = record.qualname.rsplit(".", 1)[-1]
            label = f"sync_to_async({name})"
            return Site((), Resolution.HOP, End.HOP, label, runs=record.full_name)
        return None

    def solve(self, group=None) -> list[FunctionRecord]:
        """Every node solved; `group` (a record's component) keeps the hop
        lists' ceiling from hiding a component a hop sits in."""
        self.callers = callers = self._callers()
        self.flags = {
            end: self._propagate(
                [self.own_end(i, end) is not None for i in range(len(self.nodes))],
                callers,
            )
            for end in (End.IO, End.UNKNOWN, End.HOP)
        }
        hops = HopCounter(self)
        resolved = HopFunctions(self, followed_only=True, group=group)
        any_call = HopFunctions(self, followed_only=False, group=group)
        solved = []
        for i, record in enumerate(self.nodes):
            reach = self.reach(i)
            resolved_hops = resolved.of(i)
            all_hops = any_call.of(i)
            chain, steps = self._chain(i, reach)
            solved.append(
                replaced(
                    record,
                    reaches=reach,
                    hops=resolved_hops,
                    hops_by_name=tuple(h for h in all_hops if h not in resolved_hops),
                    chain=chain,
                    steps=steps,
                    call_steps=dict(
                        sorted(
                            Counter(
                                s.resolution.value
                                for s in self.sites[i]
                                if s.end is not End.HOP
                            ).items()
                        )
                    ),
                    hops_fewest=hops.fewest(i),
                    hops_most=hops.most(i),
                    unknown_calls=tuple(
                        dict.fromkeys(
                            s.label for s in self.sites[i] if s.end is End.UNKNOWN
                        )
                    ),
                    passes_through=tuple(
                        dict.fromkeys(
                            s.label for s in self.sites[i] if s.end is End.CALLBACK
                        )
                    ),
                )
            )
        return solved

    def reach(self, i: int) -> Reach:
        if self.flags[End.IO][i]:
            return Reach.ASYNC_IO
        if self.flags[End.UNKNOWN][i]:
            return Reach.UNKNOWN
        if self.flags[End.HOP][i]:
            return Reach.THREAD
        return Reach.LOOP

    def _callers(self) -> list[list[int]]:
        callers: list[list[int]] = [[] for _ in self.nodes]
        for i, sites in enumerate(self.sites):
            for site in sites:
                for c in site.followed:
                    callers[c].append(i)
        return callers

    @staticmethod
    def _propagate(seed: list[bool], callers: list[list[int]]) -> list[bool]:
        """A least fixed point: a function reaches what a resolved callee does."""
        values = list(seed)
        queue = deque(i for i, on in enumerate(values) if on)
        while queue:
            for caller in callers[queue.popleft()]:
                if not values[caller]:
                    values[caller] = True
                    queue.append(caller)
        return values

    def _leads_to_hop(self, i: int) -> bool:
        return self.flags[End.HOP][i] or any(
            self.flags[End.HOP][c] for s in self.sites[i] for c in s.candidates
        )

    def _chain(self, start: int, reach: Reach):
        """The shortest chain of resolved calls to where the reach is decided,
        with how each step was resolved; a by-name hop when nothing else."""
        end = {Reach.ASYNC_IO: End.IO, Reach.UNKNOWN: End.UNKNOWN}.get(reach, End.HOP)
        if reach is Reach.LOOP:
            return self._name_only_chain(start)
        flags = self.flags[end]
        parent: dict[int, tuple[int, Site] | None] = {start: None}
        queue = deque([(start, 0)])
        while queue:
            i, depth = queue.popleft()
            last = self.own_end(i, end)
            if last is not None or depth == MAX_CHAIN:
                return self._path(parent, i, last)
            for site in self.sites[i]:
                for c in site.followed:
                    if c not in parent and flags[c]:
                        parent[c] = (i, site)
                        queue.append((c, depth + 1))
        return (), ()

    def _name_only_chain(self, start: int):
        """For a function whose resolved calls do no I/O and hop nowhere,
        the chain of a name-matched call that hops, if any (shown as such)."""
        for site in self.sites[start]:
            for c in site.candidates:
                if site.resolution is Resolution.NAME and self.flags[End.HOP][c]:
                    chain, steps = self._chain(c, Reach.THREAD)
                    if chain:
                        return (
                            (self.nodes[start].qualname, *chain),
                            (self._step(site, c), *steps),
                        )
        return (), ()

    def _path(self, parent, i: int, last: Site | None):
        """The chain from the start to i, and on to `last`, the end i
        reaches itself (None: a chain cut at MAX_CHAIN calls ends at i,
        whose own chain goes on)."""
        chain = [self.nodes[i].qualname]
        steps = [_final_step(last, self)] if last is not None else []
        while parent[i] is not None:
            caller, site = parent[i]
            steps.append(self._step(site, i))
            chain.append(self.nodes[caller].qualname)
            i = caller
        chain.reverse()
        steps.reverse()
        if last is not None:
            chain.append(last.label)
        return tuple(chain), tuple(steps)

    def _step(self, site: Site, callee: int) -> ChainStep:
        """A link of a chain; it names the other functions the call may be
        (same-named methods, overrides, other backends) when there are any."""
        others = {
            self.nodes[c].full_name for c in (*site.candidates, *site.alternatives)
        }
        return ChainStep(
            target=self.nodes[callee].full_name,
            resolution=site.resolution,
            candidates=tuple(sorted(others)) if len(others) > 1 else (),
            default=site.default and bool(site.alternatives),
        )


def _final_step(site: Site, solver: ReachSolver) -> ChainStep:
    """The last link: the hop, the I/O, or the call that could not be followed
    (with the same-named methods it might be, when matched by name)."""
    if site.end is End.HOP:
        return ChainStep(site.label, Resolution.HOP)
    if site.end is End.IO:
        return ChainStep(site.label, Resolution.IO)
    return ChainStep(
        site.label,
        Resolution.NAME if site.resolution is Resolution.NAME else Resolution.UNSEEN,
        candidates=tuple(sorted(solver.nodes[c].full_name for c in site.candidates)),
    )


def _calls(receiver: tuple[str, ...]) -> bool:
    """Does a returned value come from a call (a coroutine, maybe)?"""
    return receiver[-1].endswith("()") or receiver[0].startswith("call:")


def _label(site: AwaitSite) -> str:
    """An await as a reader would find it in the code."""
    if site.kind is SiteKind.ATTR and site.name in PROTOCOLS:
        verb = "async for … in" if site.name == "__aiter__" else "async with"
        return f"{verb} {_written(site.receiver)}"
    if site.kind is SiteKind.ATTR:
        return f"{_written(site.receiver)}.{site.name}()"
    if site.kind in (SiteKind.SELF, SiteKind.SUPER):
        head = "self" if site.kind is SiteKind.SELF else "super()"
        return f"{head}.{site.name}()"
    return f"{site.name}()" if site.kind is SiteKind.NAME else site.name


def _written(receiver: tuple[str, ...]) -> str:
    head, *parts = receiver or ("?",)
    form, _, value = head.partition(":")
    first = "self" if form == "self" else value.rsplit(".", 1)[-1]
    if form == "call":
        first += "()"
    return ".".join([first, *parts])


class HopCounter:
    """Thread hops on a function's paths, through resolved calls: the most
    (every await taken once) and the fewest (only awaits no branch may skip,
    the cheapest callee where a call may be several).

    A cycle of calls (recursion) counts each function in it once: the counts
    are summed over the strongly connected components of the call graph, so
    the work is linear in the calls whatever their shape (a path-by-path
    walk is exponential on a file of functions that all await each other).
    A count stops at HOPS_CEILING, far beyond real code, so a file of
    doubling calls cannot overflow the column that stores it."""

    def __init__(self, solver: ReachSolver) -> None:
        self.most = self._counts(solver, fewest=False).__getitem__
        self.fewest = self._counts(solver, fewest=True).__getitem__

    @staticmethod
    def _counts(solver: ReachSolver, *, fewest: bool) -> list[int]:
        own = [1 if record.runs_in_thread else 0 for record in solver.nodes]
        calls: list[list[tuple[int, ...]]] = [[] for _ in solver.nodes]
        for i, sites in enumerate(solver.sites):
            for site in sites:
                if fewest and site.conditional:
                    continue
                if site.end is End.HOP:
                    own[i] += 1
                elif site.followed:
                    calls[i].append(site.followed)
        # For the fewest, only a call that can be one function binds the
        # caller to its callee's cycle; a choice may always avoid it.
        edges = [
            [c for f in sites for c in f if not fewest or len(f) == 1]
            for sites in calls
        ]
        component, order = _strong_components(edges)
        totals = [0] * len(order)
        choose = min if fewest else max
        for k, members in enumerate(order):  # callees' components come first
            total = sum(own[m] for m in members)
            for m in members:
                for followed in calls[m]:
                    total += choose(
                        0 if component[c] == k else totals[component[c]]
                        for c in followed
                    )
            totals[k] = min(total, HOPS_CEILING)
        return [totals[component[i]] for i in range(len(own))]


# Where a chain stops: every step is a resolved call, so a chain cut here
# ends at a function whose own page carries the rest; real chains in Django
# are under 15 calls, a generated file can hold one of thousands.
MAX_CHAIN = 50


class HopFunctions:
    """The functions that hop themselves, reachable from each function
    through resolved calls (or through any, name-matched ones included).

    One pass over the call graph's strongly connected components, the sets
    kept as bitsets, instead of a search from every function (quadratic on a
    file of thousands of chained calls). A function lists at most
    HOPS_LISTED of them, by name, and then the first of every further group
    (component) one sits in, so the components a hop sits in stay exact.
    """

    def __init__(self, solver: ReachSolver, *, followed_only: bool, group) -> None:
        hopping = sorted(
            (record.full_name, i)
            for i, record in enumerate(solver.nodes)
            if solver.own_end(i, End.HOP) is not None
        )
        self.names = [name for name, _ in hopping]
        group = group or (lambda record: record.module)
        self.groups = [group(solver.nodes[i]) for _, i in hopping]
        self.masks: dict[str, int] = {}
        for bit, name in enumerate(self.groups):
            self.masks[name] = self.masks.get(name, 0) | 1 << bit
        own = [0] * len(solver.nodes)
        for bit, (_, i) in enumerate(hopping):
            own[i] = 1 << bit
        edges = [
            [
                c
                for site in sites
                for c in (site.followed if followed_only else site.candidates)
                if followed_only or solver._leads_to_hop(c)
            ]
            for sites in solver.sites
        ]
        self.component, order = _strong_components(edges)
        self.sets = [0] * len(order)
        for k, members in enumerate(order):  # callees' components come first
            bits = 0
            for m in members:
                bits |= own[m]
                for c in edges[m]:
                    bits |= self.sets[self.component[c]]
            self.sets[k] = bits

    def of(self, i: int) -> tuple[str, ...]:
        bits = self.sets[self.component[i]]
        found = []
        while bits and len(found) < HOPS_LISTED:
            lowest = bits & -bits
            found.append(lowest.bit_length() - 1)
            bits ^= lowest
        if bits:  # past the ceiling: the first hop of each group not listed
            seen = {self.groups[bit] for bit in found}
            for group, mask in self.masks.items():
                rest = bits & mask
                if rest and group not in seen:
                    found.append((rest & -rest).bit_length() - 1)
        return tuple(sorted(self.names[bit] for bit in found))


# How many hop functions a function lists by name (then one per further
# component): Django's widest reaches a few dozen.
HOPS_LISTED = 100

# Where a hop count stops: a path with a million thread hops is not code a
# reader meets, and PostgreSQL's integer column holds up to 2**31 - 1.
HOPS_CEILING = 1_000_000


def _strong_components(edges: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Tarjan's algorithm without recursion (call chains can be thousands
    deep): each node's component number, and the components' members, every
    component after all the components it reaches."""
    index: list[int | None] = [None] * len(edges)
    low = [0] * len(edges)
    on_stack = [False] * len(edges)
    component = [-1] * len(edges)
    stack: list[int] = []
    order: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if index[root] is not None:
            continue
        work = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            for position in range(next_edge, len(edges[node])):
                callee = edges[node][position]
                if index[callee] is None:
                    work.append((node, position + 1))
                    work.append((callee, 0))
                    break
                if on_stack[callee]:
                    low[node] = min(low[node], index[callee])
            else:
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack[member] = False
                        component[member] = len(order)
                        members.append(member)
                        if member == node:
                            break
                    order.append(members)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return component, order


def solve_reach(files: list[FileResult], functions: list[FunctionRecord]):
    """`functions` with reaches, hops and chain filled in for awaitable ones."""
    return solve_tree(files, functions)[0]


def solve_tree(
    files: list[FileResult],
    functions: list[FunctionRecord],
    group=None,
    conventions: Conventions | None = None,
):
    """As solve_reach, with the solver kept for judging entry points;
    `group` gives a record's component (default: its module), `conventions`
    are the project's (default: the shared ones)."""
    index = SymbolIndex(files)
    solver = ReachSolver(index, functions, conventions)
    solved = {
        id(old): new for old, new in zip(solver.nodes, solver.solve(group), strict=True)
    }
    return [solved.get(id(f), f) for f in functions], solver
