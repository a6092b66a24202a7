"""`python -m analyzers.bench PATH [--config FILE | --package NAME]`: the
analysis against libcst's parse alone (the project chosen as
`python -m analyzers` chooses it).

Both are timed in the same process over the same files (the package folder
of PATH, read into memory first), alternating, best of `--repeat` runs each,
so the printed ratio is comparable on a noisy machine. The analysis is timed
twice: in this process, and as the command line runs it, each file in a
child under the per-file limits (`analyzers.isolation`, the child's start
included). It prints CPU time too: on a machine shared with other work,
wall-clock time also counts the waits for a core.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING

import libcst

from analyzers.cli import tree_config
from analyzers.file_pass.analyze import PARSE_ERRORS
from analyzers.file_pass.ast_walk import holds_no_async
from analyzers.isolation import IsolatedAnalyser
from analyzers.serialize import file_result_from_json
from analyzers.tree_pass.analyze import analyze_sources, source_files, tree_pass
from analyzers.tree_pass.components import ComponentMap

if TYPE_CHECKING:
    from analyzers.config import ProjectConfig


def read_package(root: Path, component_map: ComponentMap) -> list[tuple[str, bytes]]:
    """The package's files, read into memory (its tests left out)."""
    prefix = component_map.package_dir + "/"
    return [
        (rel, path.read_bytes())
        for rel, path in source_files(root, component_map)
        if rel.startswith(prefix)
    ]


def time_parse(files: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    for _, data in files:
        with contextlib.suppress(*PARSE_ERRORS):
            libcst.parse_module(data)
    return time.perf_counter() - start


def time_analysis(files: list[tuple[str, bytes]], config: ProjectConfig) -> float:
    start = time.perf_counter()
    read = dict(files).get
    results = analyze_sources(files, config.conventions, config.components.module_of)
    tree_pass(results, config, read_source=read)
    return time.perf_counter() - start


def time_bounded(files: list[tuple[str, bytes]], config: ProjectConfig) -> float:
    start = time.perf_counter()
    with IsolatedAnalyser() as analyser:
        results = [
            file_result_from_json(
                analyser.analyse(
                    data,
                    module=config.components.module_of(rel),
                    path=rel,
                    config=config,
                )
            )
            for rel, data in files
        ]
    tree_pass(results, config, read_source=dict(files).get)
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the
    bounded run's child ends with it)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed_cpu(run, *args, into: list[float]) -> float:
    """`run(*args)`'s wall-clock seconds; its CPU seconds appended to `into`."""
    before = cpu_seconds()
    wall = run(*args)
    into.append(cpu_seconds() - before)
    return wall


def ratio(numerator: float, denominator: float) -> str:
    """`a / b` to two places, or "n/a" when b is no time at all (an empty tree)."""
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyzers.bench")
    parser.add_argument("path", type=Path, help="source tree (an unpacked sdist)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--config",
        "--components-map",
        type=Path,
        help="the project's settings, as for python -m analyzers",
    )
    parser.add_argument("--package", help="the package folder's name (defaults)")
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        parser.error(f"{args.path} is not a directory")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        config = tree_config(args.path, config=args.config, package=args.package)
    except ValueError as exc:
        parser.error(str(exc))
    files = read_package(args.path, config.components)
    if not files:
        parser.error(f"no .py file in {args.path}'s {config.components.package_dir}/")
    total = sum(len(data) for _, data in files)
    conventions = config.conventions
    asynchronous = [
        (rel, data) for rel, data in files if not holds_no_async(data, conventions)
    ]
    async_bytes = sum(len(data) for _, data in asynchronous)
    share = f"{async_bytes / total:.0%}" if total else "n/a"
    print(
        f"{len(files)} files, {total / 2**20:.1f} MiB; "
        f"{len(asynchronous)} files ({share} of bytes) "
        "hold async code and take the libcst path"
    )
    parse_times, analysis_times, bounded_times = [], [], []
    parse_cpu, analysis_cpu, bounded_cpu = [], [], []
    for _ in range(args.repeat):
        parse_times.append(timed_cpu(time_parse, files, into=parse_cpu))
        analysis_times.append(
            timed_cpu(time_analysis, files, config, into=analysis_cpu)
        )
        bounded_times.append(timed_cpu(time_bounded, files, config, into=bounded_cpu))
    parse, analysis = min(parse_times), min(analysis_times)
    bounded = min(bounded_times)
    print(f"libcst.parse_module alone: {parse:.2f} s (best of {args.repeat})")
    print(f"whole analysis:            {analysis:.2f} s (best of {args.repeat})")
    print(f"the same, bounded (CLI):   {bounded:.2f} s (best of {args.repeat})")
    print(f"ratio analysis / parse:    {ratio(analysis, parse)}")
    print(f"ratio bounded / parse:     {ratio(bounded, parse)}")
    cpu = [min(parse_cpu), min(analysis_cpu), min(bounded_cpu)]
    print(
        f"CPU seconds (best of {args.repeat}; the bounded child's included):"
        f" parse {cpu[0]:.2f}, analysis {cpu[1]:.2f} ({ratio(cpu[1], cpu[0])}),"
        f" bounded {cpu[2]:.2f} ({ratio(cpu[2], cpu[0])})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
