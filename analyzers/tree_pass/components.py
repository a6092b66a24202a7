"""Map modules and test folders to components, and summarise each component."""

from __future__ import annotations

import dataclasses
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from analyzers.conventions import Conventions
from analyzers.file_pass.names import module_name
from analyzers.file_pass.twins import twinned_tests
from analyzers.records import (
    ComponentSummary,
    FileResult,
    FunctionRecord,
    Kind,
    Reach,
    Relation,
    Stage,
    TestSummary,
    TwinPair,
)
from analyzers.tree_pass.entry_points import DELEGATES, HOPS_HERE, NATIVE, EntryPoint

DEFAULT_MAP = Path(__file__).parents[1] / "data" / "django.toml"

# The stage rule, as the component page prints it (see judge_stage).
STAGE_RULE = (
    "A component is sync-only without async entry points of its own, "
    "async-wrapper when at least half of them do no native work of their own "
    "(a thread hop runs the component's own sync code, they run their sync twin "
    "on the loop, or they only await a base class in another component), "
    "async-native when more than half do, and unknown when entry points the "
    "analyzer could not follow decide it; its entry points are the public async "
    "functions it defines (no closures, no test-support modules) except one "
    "without a sync twin that only its other entry points await, and what its "
    "classes inherit from another component (a middleware's thread adapter) is "
    "listed, not counted."
)
# The one definition of the concurrency figure, wherever it is shown.
CONCURRENCY_RULE = (
    "A concurrent function is an async function that runs awaitables "
    "concurrently (asyncio.gather, asyncio.wait, create_task, a TaskGroup or a "
    "nursery), in its own body or through a helper of its module it calls; a "
    "sync function that bridges to one does not count."
)
OTHER = "other"
CLOSE_PAIRS = (Relation.DERIVABLE, Relation.NEAR_COPY)


@dataclass(frozen=True)
class ComponentMap:
    package: str
    tests: str
    modules: tuple[tuple[str, str], ...]  # (prefix, component), longest first
    test_folders: dict[str, str]
    # Classes that serve another component's protocol than their module's
    # (MiddlewareMixin, in django.utils.deprecation, is middleware's).
    classes: dict[str, str] = field(default_factory=dict)
    # Last parts of modules that hold test support shipped in the package
    # (django/contrib/admin/tests.py): no API of their component.
    test_support: tuple[str, ...] = ("tests", "testing")
    # No [modules]: the components are derived from the tree (for_modules).
    derived: bool = False
    # The folder the package sits in, for a src layout (`src/neo4j`): part of
    # a file's path, not of its module's name.
    source_root: str = ""
    # of_definition's answers: the tree pass asks for every function, class
    # and pair, several times, and a map outlives a release (the scan's
    # worker keeps its project's config).
    _answers: dict[tuple[str, str], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def load(cls, path: Path = DEFAULT_MAP) -> ComponentMap:
        return cls.from_toml(path.read_text(encoding="utf-8"))

    @classmethod
    def from_toml(cls, text: str) -> ComponentMap:
        data = tomllib.loads(text)
        modules = sorted(data.get("modules", {}).items(), key=lambda kv: -len(kv[0]))
        return cls(
            package=data["project"]["package"],
            tests=data["project"]["tests"],
            modules=tuple(modules),
            test_folders=dict(data.get("tests", {})),
            classes=dict(data.get("classes", {})),
            test_support=tuple(data["project"].get("test_support", cls.test_support)),
        )

    @property
    def package_dir(self) -> str:
        """The package's folder in the tree: `django`, `src/neo4j`."""
        return (
            f"{self.source_root}/{self.package}" if self.source_root else self.package
        )

    def module_of(self, path: str) -> str:
        """A file's module: `src/neo4j/_async/driver.py` -> `neo4j._async.driver`
        (tests outside the source root keep their path's name)."""
        if self.source_root and path.startswith(self.source_root + "/"):
            path = path[len(self.source_root) + 1 :]
        return module_name(path)

    def for_modules(
        self, modules: Iterable[str], conventions: Conventions
    ) -> ComponentMap:
        """A derived map made concrete for a tree's modules: one component
        per top-level subpackage of the package, named after it, and one
        named after the package for its own modules; an async twin module
        (conventions.sync_twin_path) is in its sync twin's component, so
        `_async/` joins `_sync/` and `redis/asyncio/` joins `redis/`."""
        if not self.derived:
            return self
        modules = sorted(set(modules))
        package = self.package
        subpackages = {
            module.split(".")[1]
            for module in modules
            if module.startswith(package + ".") and module.count(".") >= 2
        }
        known = set(modules)
        entries = []
        for module in modules:
            if not module.startswith(package + "."):
                continue
            path = module.replace(".", "/") + "/x.py"
            # The first twin the tree has (opensearch-py's `_async/client/`
            # is `client/`'s, there is no `_sync/`), else the first by rule.
            twin, _ = conventions.twin_in_tree(
                path, lambda twin: _dotted(twin.removesuffix("/x.py")) in known
            ) or conventions.twin_layout(path)
            parts = (twin or path).split("/")[1:-1]
            top = parts[0] if parts else ""
            entries.append((module, top if top in subpackages else package))
        return dataclasses.replace(
            self,
            modules=tuple(sorted(entries, key=lambda kv: -len(kv[0]))),
            derived=False,
        )

    def of_module(self, module: str) -> str:
        found = self._answers.get((module, ""))
        if found is None:
            found = self._answers[module, ""] = self._of_module(module)
        return found

    def _of_module(self, module: str) -> str:
        for prefix, component in self.modules:
            if module == prefix or module.startswith(prefix + "."):
                return component
        return OTHER

    def of_definition(self, module: str, qualname: str) -> str:
        """The component of a class, function or method: its class's, when
        [classes] names one of its enclosing classes, else its module's."""
        if not qualname:
            return self.of_module(module)
        found = self._answers.get((module, qualname))
        if found is None:
            found = self._answers[module, qualname] = self._of_definition(
                module, qualname
            )
        return found

    def _of_definition(self, module: str, qualname: str) -> str:
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            name = f"{module}.{'.'.join(parts[:cut])}"
            if name in self.classes:
                return self.classes[name]
        return self.of_module(module)

    def is_test_support(self, module: str) -> bool:
        last = module.rsplit(".", 1)[-1]
        return last in self.test_support or last.startswith("test_")

    def is_test_path(self, path: str) -> bool:
        return PurePosixPath(path).parts[:1] == (self.tests,)

    def of_test_path(self, path: str) -> str:
        parts = PurePosixPath(path).parts
        return self.test_folders.get(parts[1], OTHER) if len(parts) > 2 else OTHER


def summarise(
    name: str,
    *,
    files: list[FileResult],
    functions: list[FunctionRecord],
    pairs: list[TwinPair],
    component_of: dict[str, str],
    entry_points: list[EntryPoint] = (),
) -> ComponentSummary:
    """One component's numbers. `component_of` maps full names of functions."""
    public = [f for f in functions if f.public]
    public_async = [f for f in public if f.is_async]
    kinds = Counter(f.kind.value for f in public)
    reaches = Counter({reach.value: 0 for reach in Reach})
    reaches.update(f.reaches.value for f in public_async if f.reaches)
    local = [f for f in public_async if _hops_locally(f, name, component_of)]
    boundary = sorted(
        {component_of.get(hop, OTHER) for f in public_async for hop in f.hops}
    )
    by_name = sorted(
        {component_of.get(hop, OTHER) for f in public_async for hop in f.hops_by_name}
        - set(boundary)
    )
    call_steps = Counter()
    for f in functions:
        call_steps.update(f.call_steps)
    loc = sum(r.loc for r in files)
    twin_loc = sum(f.loc for f in functions if f.is_async and f.twin)
    own = [e for e in entry_points if not e.inherited_from]
    judgements = Counter(e.judgement for e in own)
    return ComponentSummary(
        name=name,
        stage=judge_stage(judgements),
        files=len(files),
        loc=loc,
        functions=len(functions),
        public_by_kind=dict(sorted(kinds.items())),
        public_async=len(public_async),
        async_twins=sum(1 for f in public_async if f.twin),
        pairs_by_relation=dict(
            sorted(Counter(p.relation.value for p in pairs).items())
        ),
        duplicated_lines=sum(p.duplicated_lines for p in pairs),
        async_twin_share=round(twin_loc / loc, 4) if loc else 0.0,
        concurrent_functions=sum(1 for f in functions if f.is_async and f.concurrent),
        thread_hops=sum(f.thread_hops for f in functions),
        missing_twins=sum(1 for f in functions if f.missing_twin),
        blocking_calls=sum(len(f.blocking) for f in functions),
        reaches=dict(sorted(reaches.items())),
        local_hops=len(local),
        boundary=tuple(boundary),
        duplicated=is_duplicated(functions, pairs),
        sync_wrapped=is_sync_wrapped(functions, pairs),
        parse_errors=sum(1 for r in files if r.parse_error),
        boundary_by_name=tuple(by_name),
        call_steps=dict(sorted(call_steps.items())),
        entry_points=tuple(sorted((e.name, e.judgement) for e in own)),
        inherited_entry_points=tuple(
            sorted(
                (e.name, e.judgement, e.inherited_from)
                for e in entry_points
                if e.inherited_from
            )
        ),
        entry_judgements=dict(sorted(judgements.items())),
        stage_rule=STAGE_RULE,
        closures=sum(1 for f in functions if f.is_async and f.closure),
        hops_fewest=sum(f.hops_fewest for f in public_async),
        hops_most=sum(f.hops_most for f in public_async),
        thread_ends=thread_ends(public_async, component_of),
    )


def thread_ends(apis: list[FunctionRecord], component_of: dict) -> dict[str, int]:
    """End to end: how many of the APIs reach a thread, by the component
    where their hops sit (an API whose hops sit in two counts in both)."""
    ends = Counter()
    for f in apis:
        if f.reaches is Reach.THREAD:
            ends.update({component_of.get(hop, OTHER) for hop in f.hops})
    return dict(sorted(ends.items()))


def is_duplicated(functions: list[FunctionRecord], pairs: list[TwinPair]) -> bool:
    """Most twin pairs whose async side is native are derivable or near-copies:
    the component keeps two hand-written copies of its logic."""
    by_async = {(f.module, f.qualname): f for f in functions if f.is_async}
    native = [
        p
        for p in pairs
        if (f := by_async.get((p.module, p.async_qualname)))
        and f.kind is Kind.ASYNC_NATIVE
    ]
    close = sum(p.relation in CLOSE_PAIRS for p in native)
    return bool(native) and close * 2 > len(native)


def is_sync_wrapped(functions: list[FunctionRecord], pairs: list[TwinPair]) -> bool:
    """Most twin pairs' sync side goes through async_to_sync: DEP 0009's
    third stage, async-native with a sync wrapper."""
    kinds = {(f.module, f.qualname): f.kind for f in functions if not f.is_async}
    wrapped = sum(
        kinds.get((p.module, p.sync_qualname)) is Kind.SYNC_WRAPPER for p in pairs
    )
    return bool(pairs) and wrapped * 2 > len(pairs)


def judge_stage(judgements: Counter | dict[str, int]) -> Stage:
    """A component is sync-only without async entry points of its own,
    async-wrapper when at least half of them do no native work of their own
    (a thread hop runs the component's own sync code, they run their sync twin
    on the loop, or they only await a base class in another component),
    async-native when more than half do, and unknown when entry points the
    analyzer could not follow decide it.

    An exact tie is a wrapper: half the entry points are no native async code.

    `judgements` counts the entry points by judgement (entry_points.py).
    """
    total = sum(judgements.values())
    if not total:
        return Stage.SYNC_ONLY
    wrapper = judgements.get(HOPS_HERE, 0) + judgements.get(DELEGATES, 0)
    if wrapper * 2 >= total:
        return Stage.ASYNC_WRAPPER
    if judgements.get(NATIVE, 0) * 2 > total:
        return Stage.ASYNC_NATIVE
    return Stage.UNKNOWN


def _hops_locally(record: FunctionRecord, name: str, component_of: dict) -> bool:
    """It reaches only a thread, and hops in its own component.

    A function that reaches async code, or whose hops are all in another
    component below it (auth's chains hop in the ORM), is native here.
    """
    return record.reaches is Reach.THREAD and any(
        component_of.get(hop) == name for hop in record.hops
    )


def _dotted(folder: str) -> str:
    return folder.replace("/", ".")


def summarise_tests(
    files: list[FileResult], component_map: ComponentMap, conventions: Conventions
) -> list[TestSummary]:
    prefix = conventions.test_prefix
    by_component: dict[str, dict[str, list[tuple[str, bool, str]]]] = defaultdict(dict)
    for result in files:
        # A test module in a twin folder counts where its sync twin does,
        # its module-level tests in the twin's scope (httpcore's
        # tests/_async/test_http11.py beside tests/_sync/test_http11.py).
        path = conventions.sync_twin_path(result.path) or result.path
        component = component_map.of_test_path(path)
        module = component_map.module_of(path)
        scopes = by_component[component]
        for record in result.functions:
            scope, _, name = record.qualname.rpartition(".")
            if name.startswith(prefix) and "<locals>" not in record.qualname:
                # Django keeps async tests in parallel classes, often in their
                # own module (AsyncDummyCacheTests in tests_async.py beside
                # DummyCacheTests in tests.py): a class scope is its name
                # without the async markers, across the test folder.
                key = conventions.test_scope(scope) if scope else module
                scopes.setdefault(key, []).append(
                    (name, record.is_async, record.full_name)
                )
    summaries = []
    for component, scopes in sorted(by_component.items()):
        tests = [t for group in scopes.values() for t in group]
        doubled = twinned_tests(scopes, conventions)
        summaries.append(
            TestSummary(
                component=component,
                tests=len(tests),
                async_tests=sum(1 for _, is_async, _ in tests if is_async),
                async_tests_with_sync_twin=len(doubled),
                doubled=tuple(doubled),
            )
        )
    return summaries
