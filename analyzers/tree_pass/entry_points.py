"""A component's async entry points, and whether each does native work.

The stage (components.judge_stage) counts entry points, not every public
async function: Django 3.0's ASGIHandler.__call__ is one entry point whose
helpers `read_body` and `send_response` only serve it. An entry point is a
public async function the component defines (no closure, nothing from a
test-support module), except a function without a sync twin that only the
component's other public async functions await. What its classes inherit
from an async-capable class of another component (every built-in middleware
gets `__acall__` from MiddlewareMixin) is listed with that function's own
judgement, and not counted: the adapter belongs to the component that owns
the protocol.

Each entry point is judged once, as an instance of its own class would run
it: calls on `self` and `super()` are looked up in that class's MRO (a
mixin's override runs, not the base's), the component's own functions are
looked through, and a call into another component counts by that function's
reach. What is found, here (this component's code) or below (another's):
- native: it runs awaitables concurrently here (Signal.asend gathers its
  async receivers); or, with no thread of its own, it does native I/O
  here, or only hops or I/O below, or no I/O at all;
- hops-here: a hop runs this component's own sync code in a thread (Django
  3.0's handler runs `self.get_response`; a hop into signals' or http's sync
  code is theirs) and nothing it awaits is unknown; or it is an async face
  over its sync twin, run on the loop;
- unknown: an await the analyzer could not follow, with no I/O here;
- delegates: it only awaits base-class methods of another component that
  do nothing here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from analyzers.file_pass.names import is_public
from analyzers.records import FunctionRecord, Kind
from analyzers.tree_pass.reach import End, ReachSolver

NATIVE = "native"
HOPS_HERE = "hops-here"
DELEGATES = "delegates"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class EntryPoint:
    name: str  # full name; inherited: the inheriting class's, with the method
    judgement: str
    inherited_from: str = ""  # full name of the inherited function


@dataclass
class Found:
    """What one entry point's work reaches, here or below."""

    io_here: bool = False
    concurrent_here: bool = False  # runs awaitables concurrently, here
    hop_here: bool = False
    unknown: bool = False
    only_bases: bool = True  # every await is self/super into another component

    def add(self, other: Found) -> None:
        """What `other`'s work reaches, this work reaches too."""
        self.io_here |= other.io_here
        self.concurrent_here |= other.concurrent_here
        self.hop_here |= other.hop_here
        self.unknown |= other.unknown


class EntryPointJudge:
    def __init__(
        self,
        solver: ReachSolver,
        records: list[FunctionRecord],
        component_of_class: dict[str, str],
        component_of_name: Callable[[str], str],
    ) -> None:
        """`records` are the solved solver.nodes, in order, with components;
        `component_of_class` maps every class's full name to its component,
        `component_of_name` any dotted name (a function, a class) to one."""
        self.solver = solver
        self.index = solver.index
        self.records = records
        self.component_of_class = component_of_class
        self.component_of_name = component_of_name
        self._judged: dict[int, str] = {}
        self._reached_memo: dict[tuple, Found] = {}
        self.awaited_by: dict[int, set[int]] = defaultdict(set)
        for i, sites in enumerate(solver.sites):
            for site in sites:
                for c in (*site.candidates, *site.alternatives):
                    if c != i:
                        self.awaited_by[c].add(i)

    def by_component(self) -> dict[str, list[EntryPoint]]:
        public: dict[str, set[int]] = defaultdict(set)
        for i, record in enumerate(self.records):
            if record.public and record.is_async:
                public[record.component].add(i)
        found: dict[str, list[EntryPoint]] = defaultdict(list)
        for component, members in public.items():
            entries = {i for i in members if self._is_entry(i, members)}
            for i in sorted(entries or members):
                found[component].append(
                    EntryPoint(self.records[i].full_name, self.judge(i))
                )
        for component, entry in self._inherited():
            found[component].append(entry)
        return found

    def _is_entry(self, i: int, members: set[int]) -> bool:
        callers = self.awaited_by.get(i, set())
        return bool(self.records[i].twin) or not callers or not callers <= members

    def judge(self, i: int) -> str:
        """The one judgement of function i, wherever it is counted or listed."""
        if i not in self._judged:
            self._judged[i] = self._judge(i)
        return self._judged[i]

    def _judge(self, i: int) -> str:
        record = self.records[i]
        context, component = self.index.owner_class(record), record.component
        found = Found()
        found.add(self._reached(i, context, component))
        found.only_bases = all(
            self._into_base(self.solver.resolve(record, site, context), component)
            for site in record.await_sites
        )
        if found.concurrent_here:
            return NATIVE
        if found.hop_here and not found.unknown:
            return HOPS_HERE
        if record.kind is Kind.ASYNC_WRAPPER and not found.unknown:
            return HOPS_HERE  # an async face over its sync twin, on the loop
        if found.io_here:
            return NATIVE
        if found.unknown:
            return UNKNOWN
        if found.only_bases and self.solver.sites[i]:
            return DELEGATES
        return NATIVE

    def _reached(self, start: int, context: str | None, component: str) -> Found:
        """What `start`'s work reaches, run as an instance of `context`,
        through its callees in the same component.

        One pass over the strongly connected (function, class) states, each
        state's answer kept for every later entry point (a walk from each
        would be quadratic on thousands of functions awaiting one chain),
        with a stack, not recursion: call chains can be thousands deep."""
        memo = self._reached_memo
        if (start, context, component) in memo:
            return memo[start, context, component]
        index: dict = {}
        low: dict = {}
        own: dict = {}
        callees: dict = {}
        stack: list = []
        work = [((start, context), 0)]
        while work:
            state, position = work.pop()
            if position == 0:
                index[state] = low[state] = len(index)
                stack.append(state)
                own[state], callees[state] = self._visit(*state, component)
            for at in range(position, len(callees[state])):
                callee = callees[state][at]
                if (*callee, component) in memo:
                    own[state].add(memo[(*callee, component)])
                elif callee not in index:
                    work += [(state, at + 1), (callee, 0)]
                    break
                else:  # on the stack: in this state's cycle
                    low[state] = min(low[state], index[callee])
            else:
                if low[state] == index[state]:  # a cycle's first state: done
                    members = []
                    while not members or members[-1] != state:
                        members.append(stack.pop())
                    reached = Found()
                    for member in members:
                        reached.add(own[member])
                    for member in members:
                        memo[(*member, component)] = reached
                if work:
                    caller = work[-1][0]
                    low[caller] = min(low[caller], low[state])
                    if (*state, component) in memo:
                        own[caller].add(memo[(*state, component)])
        return memo[start, context, component]

    def _visit(self, i: int, context: str | None, component: str):
        """What function i does itself, and the (callee, class) states its
        work goes on in within the component."""
        record = self.records[i]
        here = record.component == component
        found = Found(
            hop_here=record.runs_in_thread and here,
            concurrent_here=bool(record.is_async and record.concurrency_sites) and here,
        )
        callees = []
        for awaited in record.await_sites:
            site = self.solver.resolve(record, awaited, context)
            if site.end is End.HOP:
                # Here when the sync code it runs is this component's.
                found.hop_here |= self.component_of_name(site.runs) == component
            elif site.end is End.IO:
                found.io_here |= here
            elif site.end is End.UNKNOWN:
                found.unknown = True
            for c in site.followed:
                callee = self.records[c]
                if site.on_self or callee.component == component:
                    inner = context if site.on_self else self.index.owner_class(callee)
                    callees.append((c, inner))
                elif self.solver.flags[End.UNKNOWN][c]:
                    found.unknown = True
        return found, callees

    def _into_base(self, site, component: str) -> bool:
        """A self/super call that lands only in another component's class."""
        return (
            site.on_self
            and bool(site.followed)
            and all(self.records[c].component != component for c in site.followed)
        )

    def _inherited(self):
        """Public async methods a public class inherits, not overriding them,
        from an async-capable class of another component."""
        methods: dict[str, dict[str, int]] = defaultdict(dict)
        for i, record in enumerate(self.records):
            if record.is_async and record.public:
                owner = self.index.owner_class(record)
                if owner is not None:
                    name = record.qualname.rsplit(".", 1)[-1]
                    methods[owner].setdefault(name, i)
        names: dict[str, set[str]] = defaultdict(set)
        for owner, name in self.index.methods:
            names[owner].add(name)
        for cls in self.index.classes.values():
            if not is_public(cls.qualname):
                continue
            component = self.component_of_class.get(cls.full_name, "")
            mro = self.index.mro(cls.full_name)
            seen = set(names.get(cls.full_name, ()))
            for base in mro[1:]:
                base_record = self.index.classes[base]
                other = self.component_of_class.get(base, "")
                if other != component and base_record.async_capable:
                    for name, i in sorted(methods.get(base, {}).items()):
                        if name not in seen:
                            yield (
                                component,
                                EntryPoint(
                                    f"{cls.full_name}.{name}",
                                    self.judge(i),
                                    inherited_from=self.records[i].full_name,
                                ),
                            )
                seen |= names.get(base, set())
