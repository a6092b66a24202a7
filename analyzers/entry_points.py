"""A component's async entry points, and whether each does native work.

The stage (components.judge_stage) counts entry points, not every public
async function: Django 3.0's ASGIHandler.__call__ is one entry point whose
helpers `read_body` and `send_response` only serve it. An entry point is a
public async function of the component, or one its classes inherit from an
async-capable class of another component (every built-in middleware gets
`__acall__` from MiddlewareMixin), except a function without a sync twin
that only the component's other public async functions await.

Each entry point is judged by its own awaits, looking through private
helpers but not through the public helpers that are not entry points:
- "hops-here": nothing it awaits reaches async code and some of its work
  hops into a thread in this component's own code (or, inherited, it hops
  itself: the mixin runs the class's own sync hooks in a thread); or it is
  an async face over its sync twin, run on the loop;
- "delegates": it only awaits base-class methods of another component (no
  native work of its own);
- "native": anything else (it reaches async code, or its hops are all in
  other components, below it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from analyzers.names import is_public
from analyzers.reach import ReachSolver
from analyzers.types import FunctionRecord, Kind

NATIVE = "native"
HOPS_HERE = "hops-here"
DELEGATES = "delegates"


@dataclass(frozen=True)
class EntryPoint:
    name: str  # full name; inherited: the inheriting class's, with the method
    judgement: str
    inherited_from: str = ""  # full name of the inherited function


class EntryPointJudge:
    def __init__(
        self,
        solver: ReachSolver,
        records: list[FunctionRecord],
        component_of: dict[str, str],
        component_of_module: dict[str, str],
    ) -> None:
        """`records` are the solved solver.nodes, in order, with components;
        `component_of` maps functions' full names, the other modules."""
        self.component_of_module = component_of_module
        self.solver = solver
        self.index = solver.index
        self.records = records
        self.component_of = component_of
        self._memo: dict[tuple, str] = {}
        self.awaited_by: dict[int, set[int]] = defaultdict(set)
        for i, sites in enumerate(solver.sites):
            for site in sites:
                for c in (*site.candidates, *site.alternatives):
                    if c != i:
                        self.awaited_by[c].add(i)

    def component(self, i: int) -> str:
        return self.records[i].component

    def by_component(self) -> dict[str, list[EntryPoint]]:
        public: dict[str, set[int]] = defaultdict(set)
        for i, record in enumerate(self.records):
            if record.public and record.is_async:
                public[record.component].add(i)
        found: dict[str, list[EntryPoint]] = defaultdict(list)
        for component, members in public.items():
            entries = {i for i in members if self._is_entry(i, members)}
            helpers = members - (entries or members)
            for i in sorted(entries or members):
                found[component].append(
                    EntryPoint(
                        self.records[i].full_name, self.judge(i, helpers, component)
                    )
                )
        for component, entry in self._inherited():
            found[component].append(entry)
        return found

    def _is_entry(self, i: int, members: set[int]) -> bool:
        callers = self.awaited_by.get(i, set())
        return bool(self.records[i].twin) or not callers or not callers <= members

    def judge(
        self, i: int, helpers: set[int], component: str, _path: frozenset = frozenset()
    ) -> str:
        """Its judgement, looking through the component's other functions it
        awaits (a native callee makes it native) but not its public helpers."""
        key = (i, component, frozenset(helpers))
        if key not in self._memo:
            self._memo[key] = self._judge(i, helpers, component, _path | {i})
        return self._memo[key]

    def _judge(self, i: int, helpers: set[int], component: str, path) -> str:
        solver, record = self.solver, self.records[i]
        if record.concurrent:
            return NATIVE
        sites = [
            s
            for s in solver.sites[i]
            if not (s.candidates and set(s.candidates) <= helpers)
        ]
        if self._delegates(i, sites, component):
            return DELEGATES
        local = solver.own_hop(i)
        for site in sites:
            if solver._unseen(site, solver.thread):
                return NATIVE
            if site.product:
                local = True
            for c in site.candidates:
                if solver.asynchronous[c]:
                    return NATIVE
                if (
                    self.component(c) == component
                    and c not in path
                    and self.judge(c, helpers, component, path) == NATIVE
                ):
                    return NATIVE
                hops = self.records[c].hops + self.records[c].hops_by_name
                if any(self.component_of.get(h) == component for h in hops):
                    local = True
        if local or record.kind is Kind.ASYNC_WRAPPER:
            return HOPS_HERE
        return NATIVE

    def _delegates(self, i: int, sites, component: str) -> bool:
        owner = self.index.owner_class(self.records[i])
        if owner is None or not sites or self.solver.own_hop(i):
            return False
        bases = set(self.index.mro(owner)[1:])
        return all(
            site.candidates
            and all(
                self.index.owner_class(self.records[c]) in bases
                and self.component(c) != component
                for c in site.candidates
            )
            for site in sites
        )

    def _inherited(self):
        """Public async methods a public class inherits, not overriding them,
        from an async-capable class of another component."""
        methods: dict[str, dict[str, int]] = defaultdict(dict)
        for i, record in enumerate(self.records):
            if record.is_async and record.public and "<locals>" not in record.qualname:
                owner = self.index.owner_class(record)
                if owner is not None:
                    name = record.qualname.rsplit(".", 1)[-1]
                    methods[owner].setdefault(name, i)
        names: dict[str, set[str]] = defaultdict(set)
        for owner, name in self.index.methods:
            names[owner].add(name)
        component_of_module = self.component_of_module
        for cls in self.index.classes.values():
            if not is_public(cls.qualname) or "<locals>" in cls.qualname:
                continue
            component = component_of_module.get(cls.module, "")
            mro = self.index.mro(cls.full_name)
            seen = set(names.get(cls.full_name, ()))
            for base in mro[1:]:
                base_record = self.index.classes[base]
                other = component_of_module.get(base_record.module, "")
                if other != component and base_record.async_capable:
                    for name, i in sorted(methods.get(base, {}).items()):
                        if name not in seen:
                            yield (
                                component,
                                EntryPoint(
                                    f"{cls.full_name}.{name}",
                                    HOPS_HERE
                                    if self.solver.own_hop(i)
                                    else self.judge(i, set(), component),
                                    inherited_from=self.records[i].full_name,
                                ),
                            )
                seen |= names.get(base, set())
