"""Where each async function's awaited work really ends: `reaches`, hops, chain.

Awaited calls are resolved across the tree, the code's own evidence first:
`self.m` through the class, its bases and its subclasses' overrides;
`super().m` through the bases; names through the module and its imports
(following re-exports); `obj.m` through what `obj` is (analyzers/receivers.py:
attributes, annotations, isinstance guards, module-level instances, then
Django's conventions). Only when nothing types `obj` is `obj.m` resolved by
name: every method of that name outside the caller's class family, which must
agree, and the chain says so. A call on an object that may be a configured
backend (a session store, a cache) is judged by the default backend
(conventions.toml [defaults]). The result is solved as a least fixed point in
two strata, so cycles terminate:

1. thread: a function hops itself, or an awaited call resolves to a function
   that reaches a thread (for `obj.m`: all candidates do); see `_thread`;
2. async: it runs awaitables concurrently, or an awaited call resolves to a
   function that reaches async code, or it awaits what it cannot see into and
   does not hop for its own work (MiddlewareMixin.__acall__ hops and passes
   through to `get_response`: it reaches a thread).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from dataclasses import dataclass

from analyzers.conventions import Conventions, load_conventions
from analyzers.receivers import ReceiverTyper
from analyzers.types import (
    ChainStep,
    ClassRecord,
    FileResult,
    FunctionRecord,
    Reach,
    Resolution,
    SiteKind,
)

MAX_ALIAS_DEPTH = 10


@dataclass(frozen=True)
class Site:
    candidates: tuple[int, ...]  # indices into the awaitable functions, judged
    resolution: Resolution
    product: str = ""  # resolved to a name bound to sync_to_async(...): a hop
    # Other implementations the call may dispatch to, shown but not judged
    # (the other backends, when `candidates` is the default one).
    alternatives: tuple[int, ...] = ()
    default: bool = False
    # Resolved to sync methods only (`await self.get_response(request)` behind
    # an iscoroutinefunction guard): nothing in the tree it awaits is async.
    sync_only: bool = False

    @property
    def by_name(self) -> bool:  # resolved by name only: all candidates must agree
        return self.resolution is Resolution.NAME

    @property
    def opaque(self) -> bool:
        return not self.candidates and not self.product and not self.sync_only


class SymbolIndex:
    """Functions, classes and imports of a whole tree, for name resolution."""

    def __init__(self, files: list[FileResult]) -> None:
        self.functions: dict[str, list[FunctionRecord]] = {}
        self.classes: dict[str, ClassRecord] = {}
        self.methods: dict[tuple[str, str], list[FunctionRecord]] = {}
        self.imports: dict[str, dict[str, str]] = {}
        self.roots: set[str] = set()
        self.attributes: dict[str, dict[str, str]] = {}
        self.instances: dict[str, str] = {}
        for result in files:
            self.imports[result.module] = dict(result.imports)
            self.roots.add(result.module.split(".", 1)[0])
            for name, cls_name in result.instances:
                self.instances[f"{result.module}.{name}"] = cls_name
            for cls in result.classes:
                self.classes[cls.full_name] = cls
                if cls.attributes:
                    self.attributes[cls.full_name] = dict(cls.attributes)
            for record in result.functions:
                self.functions.setdefault(record.full_name, []).append(record)
                owner, _, name = record.full_name.rpartition(".")
                self.methods.setdefault((owner, name), []).append(record)
        self.products = {name for result in files for name in result.thread_products}
        self.subclasses: dict[str, list[str]] = {}
        for cls in self.classes.values():
            for base in self.base_classes(cls):
                self.subclasses.setdefault(base, []).append(cls.full_name)

    def canonical(self, dotted: str, depth: int = 0) -> str:
        """Follow re-exports: `django.db.models.Manager` -> where it is defined."""
        if (
            dotted in self.functions
            or dotted in self.classes
            or depth > MAX_ALIAS_DEPTH
        ):
            return dotted
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.imports:
                target = self.imports[module].get(parts[cut])
                if target is None or target == ".".join(parts[: cut + 1]):
                    return dotted
                return self.canonical(".".join([target, *parts[cut + 1 :]]), depth + 1)
        return dotted

    def base_classes(self, cls: ClassRecord) -> list[str]:
        found = []
        for base in cls.bases:
            name = self.canonical(base)
            if name in self.classes and name != cls.full_name:
                found.append(name)
        return found

    def mro(self, class_name: str) -> list[str]:
        """The class then its bases, breadth first (close enough to C3 here)."""
        order, queue = [], deque([class_name])
        while queue:
            name = queue.popleft()
            if name in order or name not in self.classes:
                continue
            order.append(name)
            queue.extend(self.base_classes(self.classes[name]))
        return order

    def descendants(self, class_name: str) -> list[str]:
        seen, stack = [], list(self.subclasses.get(class_name, ()))
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.append(name)
                stack.extend(self.subclasses.get(name, ()))
        return seen

    def owner_class(self, record: FunctionRecord) -> str | None:
        """The class whose `self` a method (or a closure inside it) sees."""
        outer = record.qualname.split(".<locals>.", 1)[0]
        owner = f"{record.module}.{outer.rpartition('.')[0]}"
        return owner if owner in self.classes else None

    def family(self, class_name: str) -> set[str]:
        """The class, its bases, and every subclass of any of them."""
        mro = self.mro(class_name)
        return {*mro, *(sub for cls in mro for sub in self.descendants(cls))}

    def in_tree(self, dotted: str) -> bool:
        return dotted.split(".", 1)[0] in self.roots


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
        self.nodes = [f for f in functions if awaitable(f)]
        self.position = {id(f): i for i, f in enumerate(self.nodes)}
        self.by_name: dict[str, list[int]] = {}
        for i, record in enumerate(self.nodes):
            # Only methods: `obj.m()` on an object is never a module function.
            if index.owner_class(record) is not None:
                name = record.qualname.rsplit(".", 1)[-1]
                self.by_name.setdefault(name, []).append(i)
        self.sites = [self._sites(record) for record in self.nodes]

    # Resolution ---------------------------------------------------------
    def _ids(self, records) -> tuple[int, ...]:
        return tuple(self.position[id(r)] for r in records if id(r) in self.position)

    def _by_name(self, name: str) -> Site:
        return Site(tuple(self.by_name.get(name, ())), Resolution.NAME)

    def _other_objects(self, record: FunctionRecord, name: str) -> Site:
        """`obj.m` on an object nothing types: by name, outside the caller's family.

        An object the caller reaches through an attribute is rarely of the
        caller's own class family, and counting the family in would make
        every such call disagree with itself.
        """
        owner = self.index.owner_class(record)
        if owner is None:
            return self._by_name(name)
        family = self.index.family(owner)
        candidates = tuple(
            c
            for c in self.by_name.get(name, ())
            if self.index.owner_class(self.nodes[c]) not in family
        )
        return Site(candidates, Resolution.NAME)

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

    def _lookup(self, mro: list[str], name: str) -> Site | list[FunctionRecord]:
        for cls in mro:
            if f"{cls}.{name}" in self.index.products:
                return Site((), Resolution.TYPE, product=name)
            if (cls, name) in self.index.methods:
                return self.index.methods[(cls, name)]
        return []

    def _method(
        self,
        class_name: str,
        name: str,
        *,
        include_self: bool,
        resolution: Resolution = Resolution.TYPE,
        typed: bool = False,
    ) -> Site:
        mro = self.index.mro(class_name)
        if not mro:
            return self._by_name(name)
        found = self._lookup(mro if include_self else mro[1:], name)
        if isinstance(found, Site):
            return dataclasses.replace(found, resolution=resolution)
        if include_self:
            for sub in self.index.descendants(class_name):
                found = [*found, *self.index.methods.get((sub, name), ())]
        if not found:
            if typed and self.typer.complete(class_name):
                # The type is known and none of its classes has the method:
                # no same-named method elsewhere may stand in for it.
                return Site((), resolution)
            # The method comes from somewhere the index cannot see (a base built
            # at run time): fall back to the name.
            return self._by_name(name)
        if not self._ids(found):
            return Site((), resolution, sync_only=True)
        default = self.default_for(class_name) if include_self else None
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
            return Site((), Resolution.TYPE, product=name)
        if dotted in self.index.functions:
            return Site(self._ids(self.index.functions[dotted]), Resolution.TYPE)
        owner, _, method = dotted.rpartition(".")
        owner = self.index.canonical(owner)
        if owner in self.index.classes:
            return self._method(owner, method, include_self=True)
        if dotted in self.index.classes or not self.index.in_tree(dotted):
            # a class, or code outside the tree
            return Site((), Resolution.TYPE)
        typed = self.typer.type_of_dotted(owner)
        if typed is not None:  # a method of a module-level object
            return self._method(
                typed[0], method, include_self=True, resolution=typed[1], typed=True
            )
        return self._by_name(name)

    def _receiver(self, record: FunctionRecord, site) -> Site:
        typed = self.typer.type_of(site.receiver) if site.receiver else None
        if typed is None:
            return self._other_objects(record, site.name)
        return self._method(
            typed[0], site.name, include_self=True, resolution=typed[1], typed=True
        )

    def _sites(self, record: FunctionRecord) -> list[Site]:
        sites = []
        for site in record.await_sites:
            if site.kind is SiteKind.HOP:
                continue
            if site.kind is SiteKind.SELF:
                sites.append(
                    self._method(site.targets[0], site.name, include_self=True)
                )
            elif site.kind is SiteKind.SUPER:
                sites.append(
                    self._method(site.targets[0], site.name, include_self=False)
                )
            elif site.kind is SiteKind.NAME:
                sites.append(
                    self._merged([self._name(t, site.name) for t in site.targets])
                )
            elif site.kind is SiteKind.ATTR:
                sites.append(self._receiver(record, site))
            else:
                sites.append(Site((), Resolution.UNSEEN))
        return sites

    @staticmethod
    def _merged(resolved: list[Site]) -> Site:
        """A name defined in both branches of an `if`: any of its definitions."""
        if len(resolved) == 1:
            return resolved[0]
        candidates = (c for r in resolved for c in r.candidates)
        return Site(
            tuple(dict.fromkeys(candidates)),
            Resolution.NAME if any(r.by_name for r in resolved) else Resolution.TYPE,
            product=next((r.product for r in resolved if r.product), ""),
        )

    # Solving ------------------------------------------------------------
    def own_hop(self, i: int) -> bool:
        return bool(self._hop_label(i))

    def _hop_label(self, i: int) -> str:
        """How the function itself hops, as the last link of a chain."""
        record = self.nodes[i]
        for site in record.await_sites:
            if site.kind is SiteKind.HOP:
                return site.name
        for site in self.sites[i]:
            if site.product:
                return f"sync_to_async({site.product})"
        if record.runs_in_thread:
            return f"sync_to_async({record.qualname.rsplit('.', 1)[-1]})"
        return ""

    def solve(self) -> list[FunctionRecord]:
        n = len(self.nodes)
        self.thread = thread = self._thread()
        opaque_seed = [
            self.nodes[i].concurrent
            or (
                not thread[i]
                and any(self._unseen(site, thread) for site in self.sites[i])
            )
            for i in range(n)
        ]
        self.asynchronous = asynchronous = self._least_fixed_point(opaque_seed)
        edges = [self._edges(i, thread) for i in range(n)]
        solved = []
        for i, record in enumerate(self.nodes):
            reach = (
                Reach.UNKNOWN
                if asynchronous[i]
                else Reach.THREAD
                if thread[i]
                else Reach.LOOP
            )
            resolved_hops, resolved_chain = self._hops(i, edges, resolved_only=True)
            all_hops, any_chain = self._hops(i, edges, resolved_only=False)
            chain, steps = resolved_chain or any_chain or ((), ())
            solved.append(
                dataclasses.replace(
                    record,
                    reaches=reach,
                    hops=resolved_hops,
                    hops_by_name=tuple(h for h in all_hops if h not in resolved_hops),
                    chain=chain,
                    steps=steps,
                    call_steps=dict(
                        sorted(
                            Counter(s.resolution.value for s in self.sites[i]).items()
                        )
                    ),
                )
            )
        return solved

    @staticmethod
    def _site_reaches(site: Site, values: list[bool]) -> bool:
        if site.by_name:
            return bool(site.candidates) and all(values[c] for c in site.candidates)
        return any(values[c] for c in site.candidates)

    @staticmethod
    def _unseen(site: Site, thread: list[bool]) -> bool:
        if site.opaque:
            return True
        # Same-named functions that disagree: the analyzer cannot tell which.
        return site.by_name and len({thread[c] for c in site.candidates}) > 1

    def _thread(self) -> list[bool]:
        """Which functions reach only a thread.

        Only a function from which some chain leads to a hop can (least fixed
        point); among those, a greatest fixed point drops every function none
        of whose awaited calls reaches a thread. Greatest, because same-named
        candidates form cycles (SessionBase.aget is itself one of the `aget`s
        that a session store's `self._cache.aget` may be) that must not
        disagree with themselves.
        """
        n = len(self.nodes)
        can_hop = self._least_fixed_point(
            [self.own_hop(i) for i in range(n)], any_candidate=True
        )
        values = list(can_hop)
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if (
                    values[i]
                    and not self.own_hop(i)
                    and not any(
                        self._site_reaches(site, values) for site in self.sites[i]
                    )
                ):
                    values[i], changed = False, True
        return values

    def _least_fixed_point(
        self, seed: list[bool], *, any_candidate: bool = False
    ) -> list[bool]:
        values = list(seed)
        changed = True
        while changed:
            changed = False
            for i in range(len(values)):
                if not values[i] and any(
                    any(values[c] for c in site.candidates)
                    if any_candidate
                    else self._site_reaches(site, values)
                    for site in self.sites[i]
                ):
                    values[i] = changed = True
        return values

    def _edges(self, i: int, thread: list[bool]) -> list[tuple[int, int]]:
        """(callee, site index) along which a chain can reach a hop."""
        out = []
        for k, site in enumerate(self.sites[i]):
            if site.by_name and not self._site_reaches(site, thread):
                continue
            out.extend((c, k) for c in site.candidates if thread[c])
        return list(dict.fromkeys(out))

    def _hops(self, start: int, edges: list[list[tuple[int, int]]], *, resolved_only):
        """All hop functions reachable (through resolved calls only, or through
        any), and the shortest chain to one of them with its steps."""
        parent: dict[int, tuple[int, int] | None] = {start: None}
        queue = deque([start])
        hops, nearest = [], None
        while queue:
            i = queue.popleft()
            if self.own_hop(i):
                hops.append(self.nodes[i].full_name)
                if nearest is None:
                    nearest = i
            for j, k in edges[i]:
                if resolved_only and self.sites[i][k].by_name:
                    continue
                if j not in parent:
                    parent[j] = (i, k)
                    queue.append(j)
        if nearest is None:
            return tuple(hops), None
        chain = [self.nodes[nearest].qualname]
        steps = [ChainStep(self._hop_label(nearest), Resolution.HOP)]
        i = nearest
        while parent[i] is not None:
            caller, k = parent[i]
            steps.append(self._step(self.sites[caller][k], i))
            chain.append(self.nodes[caller].qualname)
            i = caller
        chain.reverse()
        steps.reverse()
        return tuple(sorted(hops)), (
            (*chain, self._hop_label(nearest)),
            tuple(steps),
        )

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


def solve_reach(files: list[FileResult], functions: list[FunctionRecord]):
    """`functions` with reaches, hops and chain filled in for awaitable ones."""
    return solve_tree(files, functions)[0]


def solve_tree(files: list[FileResult], functions: list[FunctionRecord]):
    """As solve_reach, with the solver kept for judging entry points."""
    index = SymbolIndex(files)
    solver = ReachSolver(index, functions)
    solved = {
        id(old): new for old, new in zip(solver.nodes, solver.solve(), strict=True)
    }
    return [solved.get(id(f), f) for f in functions], solver
