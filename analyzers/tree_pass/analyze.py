"""The tree pass: many FileResults in, one TreeResult out, no source re-read."""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from analyzers.conventions import Conventions, load_conventions
from analyzers.file_pass.analyze import analyze_file
from analyzers.file_pass.names import module_name
from analyzers.records import FileResult, TreeResult, replaced
from analyzers.tree_pass.components import ComponentMap, summarise, summarise_tests
from analyzers.tree_pass.entry_points import EntryPointJudge
from analyzers.tree_pass.reach import awaitable, solve_tree
from analyzers.tree_pass.twin_modules import SourceReader, pair_twin_modules

if TYPE_CHECKING:
    from analyzers.config import ProjectConfig

# Part of every cached result's key: bump it whenever a change to the analyzer
# or its data files changes what a file's result would be.
ANALYZER_VERSION = "8"


def source_files(root: Path, component_map: ComponentMap) -> Iterator[tuple[str, Path]]:
    """(path relative to the tree root, file) for the package and its tests.

    `root` is a source tree holding the package folder (an sdist or a
    checkout), or the package folder itself.
    """
    if (root / component_map.package_dir).is_dir():
        base = root
        folders = [root / component_map.package_dir, root / component_map.tests]
    else:
        base, folders = root.parent, [root]
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                if path.is_file() and not path.is_symlink():
                    yield path.relative_to(base).as_posix(), path


def analyze_sources(
    sources: Iterable[tuple[str, bytes]],
    conventions: Conventions | None = None,
    module_of: Callable[[str], str] = module_name,
) -> list[FileResult]:
    """Each file's analysis; `module_of` names a path's module (a src
    layout's `ComponentMap.module_of`)."""
    return [
        analyze_file(data, module=module_of(path), path=path, conventions=conventions)
        for path, data in sources
    ]


def analyze_tree(
    root: Path, config: ProjectConfig | ComponentMap | None = None
) -> TreeResult:
    """Both passes over a tree; `config` defaults to Django's."""
    component_map, conventions = _split(config)
    sources = (
        (rel, path.read_bytes()) for rel, path in source_files(root, component_map)
    )
    return tree_pass(
        analyze_sources(sources, conventions, component_map.module_of),
        config if config is not None else component_map,
        read_source=_reader(root, component_map),
    )


def _reader(root: Path, component_map: ComponentMap) -> SourceReader:
    base = root if (root / component_map.package_dir).is_dir() else root.parent

    def read(path: str) -> bytes | None:
        try:
            return (base / path).read_bytes()
        except OSError:
            return None

    return read


def _split(
    config: ProjectConfig | ComponentMap | None,
) -> tuple[ComponentMap, Conventions]:
    """A project's component map and conventions; a bare component map
    (Django's tests and tools) goes with the shared conventions."""
    if config is None:
        return ComponentMap.load(), load_conventions()
    if isinstance(config, ComponentMap):
        return config, load_conventions()
    return config.components, config.conventions


def tree_pass(
    files: list[FileResult],
    config: ProjectConfig | ComponentMap,
    read_source: SourceReader | None = None,
) -> TreeResult:
    """The tree pass under a project's config (`analyzers.load_project_config`;
    a bare ComponentMap uses the shared conventions). `read_source(path)`
    gives a file's bytes (None: unknown) for a twin module whose own result
    kept no text (`twin_modules.py`)."""
    component_map, conventions = _split(config)
    component_map = component_map.for_modules((f.module for f in files), conventions)
    code = [f for f in files if not component_map.is_test_path(f.path)]
    tests = [f for f in files if component_map.is_test_path(f.path)]
    code = [_without_test_support_apis(f, component_map) for f in code]
    across = pair_twin_modules(code, conventions, read_source)

    functions, solver = solve_tree(
        code,
        [fn for f in code for fn in f.functions],
        lambda fn: component_map.of_definition(fn.module, fn.qualname),
        conventions,
    )
    functions = [
        replaced(
            fn,
            component=component_map.of_definition(fn.module, fn.qualname),
            twin=across.twins.get(identity, fn.twin),
            missing_twin=fn.missing_twin and identity not in across.shared,
        )
        for fn in functions
        for identity in [(fn.module, fn.qualname, fn.is_async, fn.variant)]
    ]
    pairs = [
        replaced(p, component=component_map.of_definition(p.module, p.async_qualname))
        for p in [*(p for f in code for p in f.pairs), *across.pairs]
    ]
    component_of = {fn.full_name: fn.component for fn in functions}
    component_of_class = {
        c.full_name: component_map.of_definition(c.module, c.qualname)
        for f in code
        for c in f.classes
    }
    entry_points = EntryPointJudge(
        solver,
        [fn for fn in functions if awaitable(fn)],
        component_of_class,
        functools.partial(_component_of_name, component_map, solver.index),
    ).by_component()

    grouped_files = defaultdict(list)
    for f in code:
        grouped_files[component_map.of_module(f.module)].append(f)
    grouped_functions = defaultdict(list)
    for fn in functions:
        grouped_functions[fn.component].append(fn)
    grouped_pairs = defaultdict(list)
    for p in pairs:
        grouped_pairs[p.component].append(p)

    names = sorted({*grouped_files, *grouped_functions})
    components = tuple(
        summarise(
            name,
            files=grouped_files[name],
            functions=grouped_functions[name],
            pairs=grouped_pairs[name],
            component_of=component_of,
            entry_points=entry_points.get(name, []),
        )
        for name in names
    )
    return TreeResult(
        analyzer_version=ANALYZER_VERSION,
        files=len(files),
        parse_errors=tuple(f.parse_error for f in files if f.parse_error),
        functions=tuple(functions),
        classes=tuple(c for f in code for c in f.classes),
        pairs=tuple(pairs),
        components=components,
        tests=tuple(summarise_tests(tests, component_map, conventions)),
        extra={"twin_modules_without_text": across.without_text}
        if across.without_text
        else {},
    )


def _component_of_name(component_map: ComponentMap, index, dotted: str) -> str:
    """The component of a function's or a class's full name ("" for none):
    its module is the longest prefix the tree holds."""
    if not dotted:
        return ""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if module in index.imports:
            return component_map.of_definition(module, ".".join(parts[cut:]))
    return ""


def _without_test_support_apis(result: FileResult, component_map) -> FileResult:
    """Test support shipped in the package (django/contrib/admin/tests.py)
    is no API of its component: its functions are not public."""
    if not component_map.is_test_support(result.module):
        return result
    return dataclasses.replace(
        result,
        functions=tuple(
            dataclasses.replace(f, public=False) if f.public else f
            for f in result.functions
        ),
    )
