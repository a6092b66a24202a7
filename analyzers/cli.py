"""`python -m analyzers PATH [--json] [--component NAME]`."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from analyzers.config import (
    ConfigError,
    ProjectConfig,
    default_config,
    load_project_config,
)
from analyzers.isolation import Limits
from analyzers.records import ComponentSummary, FunctionRecord, TreeResult, to_json
from analyzers.safe_read import read_tree, source_reader
from analyzers.tree_pass.analyze import tree_pass
from analyzers.tree_pass.components import ComponentMap

COLUMNS = (
    ("component", 22),
    ("stage", 14),
    ("public", 7),
    ("async", 6),
    ("wrap", 5),
    ("native", 7),
    ("twins", 6),
    ("deriv", 6),
    ("near", 5),
    ("diverg", 7),
    ("deleg", 6),
    ("dup.lines", 10),
    ("share", 6),
    ("hops", 5),
    ("conc", 5),
    ("block", 6),
    ("missing", 8),
    ("boundary", 0),
)


def component_row(c: ComponentSummary) -> list[str]:
    kinds, pairs = c.public_by_kind, c.pairs_by_relation
    flags = "".join(
        f" [{name}]"
        for name, on in (("duplicated", c.duplicated), ("sync-wrapped", c.sync_wrapped))
        if on
    )
    return [
        c.name,
        str(c.stage),
        str(sum(kinds.values())),
        str(c.public_async),
        str(kinds.get("async-wrapper", 0)),
        str(kinds.get("async-native", 0)),
        str(c.async_twins),
        str(pairs.get("derivable", 0)),
        str(pairs.get("near-copy", 0)),
        str(pairs.get("divergent", 0)),
        str(pairs.get("delegating", 0)),
        str(c.duplicated_lines),
        f"{c.async_twin_share:.1%}",
        str(c.thread_hops),
        str(c.concurrent_functions),
        str(c.blocking_calls),
        str(c.missing_twins),
        ", ".join(c.boundary) + flags,
    ]


def format_components(components: Iterable[ComponentSummary]) -> list[str]:
    """The component table: a header, then a line per component."""

    def line(cells: list[str]) -> str:
        return " ".join(
            cell.ljust(width) if width else cell
            for cell, (_, width) in zip(cells, COLUMNS, strict=True)
        ).rstrip()

    return [line([name for name, _ in COLUMNS])] + [
        line(component_row(c)) for c in components
    ]


def format_table(result: TreeResult) -> str:
    rows = format_components(result.components)
    rows.append(
        f"\n{result.files} files, {len(result.functions)} functions, "
        f"{len(result.pairs)} twin pairs, {len(result.parse_errors)} parse errors"
    )
    rows += [f"  parse error: {e.path}: {e.message}" for e in result.parse_errors]
    if result.tests:
        rows.append(
            "\ntests: component, tests, async tests, async tests with a sync twin"
        )
        rows += [
            f"  {t.component:22} {t.tests:6} {t.async_tests:6} "
            f"{t.async_tests_with_sync_twin:6}"
            for t in result.tests
            if t.async_tests
        ]
    return "\n".join(rows)


def format_functions(result: TreeResult, component: str) -> str:
    summary = result.component(component)
    boundary = ", ".join(summary.boundary) or "-"
    lines = [f"{summary.name}: {summary.stage}, boundary: {boundary}"]
    if summary.boundary_by_name:
        lines.append("  reached by name only: " + ", ".join(summary.boundary_by_name))
    if summary.stage_rule:
        lines.append(f"  stage rule: {summary.stage_rule}")
    judged = ", ".join(f"{n} {j}" for j, n in summary.entry_judgements.items())
    lines.append(f"  entry points: {judged or 'none'}")
    lines += [f"    {name}: {judgement}" for name, judgement in summary.entry_points]
    if summary.inherited_entry_points:
        lines.append("  inherited from another component (listed, not counted):")
    lines += [
        f"    {name}: {judgement} (from {source})"
        for name, judgement, source in summary.inherited_entry_points
    ]
    for f in sorted(
        (f for f in result.functions if f.component == component),
        key=lambda f: (f.module, f.first_line),
    ):
        lines.append(function_line(f))
    return "\n".join(lines)


def function_line(f: FunctionRecord) -> str:
    parts = [f"{f.full_name}:{f.first_line}", str(f.kind)]
    if f.reaches:
        parts.append(f"reaches {f.reaches}")
    if f.hops_most:
        parts.append(f"hops {f.hops_fewest}-{f.hops_most}")
    if f.twin:
        parts.append(f"twin {f.twin}")
    if f.concurrent:
        parts.append("concurrent")
    if f.chain:
        parts.append("via " + " -> ".join(chain_links(f)))
    if f.blocking:
        parts.append("blocks on " + ", ".join(b.name for b in f.blocking))
    if f.unknown_calls:
        parts.append("not followed: " + ", ".join(f.unknown_calls))
    if f.passes_through:
        parts.append("passes through " + ", ".join(f.passes_through))
    if f.missing_twin:
        parts.append("missing async twin")
    if f.closure:
        parts.append("closure")
    elif not f.public:
        parts.append("private")
    return "  " + "  ".join(parts)


def load_config_file(path: Path, *, package: str | None = None) -> ProjectConfig:
    """The project config in `path`, or a ValueError naming what is wrong.

    The file is a regular file of at most MAX_MAP_BYTES, read once (not
    /dev/zero, not a FIFO); its folders are one name each, inside the tree.
    """
    try:
        text = read_regular_file(path, limit=MAX_MAP_BYTES).decode("utf-8")
        return load_project_config(text, package=package)
    except (OSError, UnicodeDecodeError, ConfigError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_component_map(path: Path) -> ComponentMap:
    """The component map of the config in `path` (see load_config_file)."""
    return load_config_file(path).components


def tree_config(
    root: Path, *, config: Path | None = None, package: str | None = None
) -> ProjectConfig:
    """The config for a tree: the file given, else the package given with
    the defaults, else Django's for a tree holding `django/`, else the
    defaults for the one package folder at its top; ValueError otherwise,
    rather than Django's map on a tree that is not Django."""
    if config is not None:
        try:
            return load_config_file(config, package=package)
        except ValueError as exc:
            raise ValueError(f"--config: {exc}") from None
    if package is not None:
        try:
            return load_project_config(None, package=package)
        except ConfigError as exc:
            raise ValueError(f"--package: {exc}") from None
    if (root / "django").is_dir():
        return default_config()
    if (root / "__init__.py").is_file():  # the package folder itself
        return load_project_config(None, package=root.name)
    found = _package_folders(root)
    if not found and (root / "src").is_dir() and not (root / "src").is_symlink():
        found = [f"src/{name}" for name in _package_folders(root / "src")]
    if len(found) != 1:
        seen = ", ".join(found) or "none"
        raise ValueError(
            f"cannot tell the package of {root} (package folders: {seen});"
            " give --package NAME or --config FILE"
        )
    return load_project_config(None, package=found[0])


def _package_folders(folder: Path) -> list[str]:
    """The folders in `folder` that are packages under study."""
    return sorted(
        child.name
        for child in folder.iterdir()
        if child.is_dir()
        and not child.is_symlink()
        and child.name not in NOT_PACKAGES
        and (child / "__init__.py").is_file()
    )


# Folders at a tree's top that hold no package under study.
NOT_PACKAGES = frozenset(
    {"tests", "test", "docs", "doc", "examples", "scripts", "tools", "benchmarks"}
)


MAX_MAP_BYTES = 2**20  # Django's map: 3 KB


def read_regular_file(path: Path, *, limit: int) -> bytes:
    """The bytes of `path`, once it is a regular file of at most `limit`
    bytes; OSError saying why not. Opened without blocking, so a FIFO is
    refused rather than waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError("not a regular file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"larger than {limit} bytes")
    return data


def chain_links(f: FunctionRecord) -> list[str]:
    """The chain's qualnames, each step marked with how it was resolved:
    `[by name: 3 candidates]`, `[convention]`, `[default of 6]`."""
    links = [f.chain[0]]
    for name, step in zip(f.chain[1:], f.steps, strict=False):
        marks = []
        if step.resolution not in ("type", "hop"):
            marks.append(str(step.resolution))
        if step.default:
            marks.append(f"default of {len(step.candidates)}")
        elif step.candidates:
            marks.append(f"{len(step.candidates)} candidates")
        links.append(name + (f" [{', '.join(marks)}]" if marks else ""))
    return links


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analyzers",
        description="Classify a source tree's functions and components as "
        "sync-only, async-wrapper or async-native.",
    )
    parser.add_argument("path", type=Path, help="source tree (e.g. an unpacked sdist)")
    parser.add_argument("--json", action="store_true", help="everything, as JSON")
    parser.add_argument("--component", help="list the functions of one component")
    parser.add_argument(
        "--config",
        "--components-map",
        type=Path,
        help="the project's settings (TOML, see the README); default: "
        "Django's for a tree holding django/, else derived from the tree",
    )
    parser.add_argument(
        "--package",
        help="the package folder's name (src/NAME in a src layout), with the "
        "default settings "
        "(one component per top-level subpackage)",
    )
    bounds = parser.add_argument_group(
        "limits per file (a file over one is listed as not analysed; the run goes on)"
    )
    bounds.add_argument(
        "--seconds-per-file", type=int, default=Limits.seconds, metavar="SECONDS",
        help="CPU seconds (default: %(default)s)",
    )  # fmt: skip
    bounds.add_argument(
        "--memory-per-file", type=int, default=Limits.memory_mib, metavar="MIB",
        help="MiB of address space of the analysing process (default: %(default)s)",
    )  # fmt: skip
    bounds.add_argument(
        "--max-file-bytes", type=int, default=Limits.max_file_bytes, metavar="BYTES",
        help="larger files are not parsed (default: %(default)s)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        parser.error(f"{args.path} is not a directory")
    try:
        config = tree_config(args.path, config=args.config, package=args.package)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        limits = Limits(
            seconds=args.seconds_per_file,
            memory_mib=args.memory_per_file,
            max_file_bytes=args.max_file_bytes,
        )
    except ValueError as exc:
        parser.error(str(exc))
    # Files that cannot be read or analysed are listed as parse errors.
    result = tree_pass(
        read_tree(args.path, config, limits),
        config,
        read_source=source_reader(args.path, config.components, limits),
    )
    if args.json:
        print(to_json(result, indent=1))
    elif args.component:
        try:
            print(format_functions(result, args.component))
        except KeyError:
            names = ", ".join(c.name for c in result.components)
            parser.error(f"no component {args.component!r}; known: {names}")
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
