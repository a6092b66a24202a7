"""`python -m analyzers.bench PATH`: the analysis against libcst's parse alone.

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

import libcst

from analyzers.file_pass.analyze import PARSE_ERRORS
from analyzers.file_pass.ast_walk import holds_no_async
from analyzers.file_pass.names import module_name
from analyzers.isolation import IsolatedAnalyser
from analyzers.serialize import file_result_from_json
from analyzers.tree_pass.analyze import analyze_sources, source_files, tree_pass
from analyzers.tree_pass.components import ComponentMap


def read_package(root: Path, component_map: ComponentMap) -> list[tuple[str, bytes]]:
    prefix = component_map.package + "/"
    return [
        (rel, path.read_bytes())
        for rel, path in source_files(root, component_map)
        if rel.startswith(prefix)
    ]


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the
    bounded run's child ends with it)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@contextlib.contextmanager
def timed(into: list[tuple[float, float]]):
    """Appends (wall-clock, CPU) seconds of the block to `into`."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    yield
    into.append((time.perf_counter() - wall, cpu_seconds() - cpu))


def time_parse(files: list[tuple[str, bytes]]) -> None:
    for _, data in files:
        with contextlib.suppress(*PARSE_ERRORS):
            libcst.parse_module(data)


def time_analysis(files: list[tuple[str, bytes]], component_map: ComponentMap) -> None:
    tree_pass(analyze_sources(files), component_map)


def time_bounded(files: list[tuple[str, bytes]], component_map: ComponentMap) -> None:
    with IsolatedAnalyser() as analyser:
        results = [
            file_result_from_json(
                analyser.analyse(data, module=module_name(rel), path=rel)
            )
            for rel, data in files
        ]
    tree_pass(results, component_map)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyzers.bench")
    parser.add_argument("path", type=Path, help="source tree (an unpacked sdist)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    component_map = ComponentMap.load()
    files = read_package(args.path, component_map)
    total = sum(len(data) for _, data in files)
    asynchronous = [(rel, data) for rel, data in files if not holds_no_async(data)]
    async_bytes = sum(len(data) for _, data in asynchronous)
    print(
        f"{len(files)} files, {total / 2**20:.1f} MiB; "
        f"{len(asynchronous)} files ({async_bytes / total:.0%} of bytes) "
        "hold async code and take the libcst path"
    )
    parse_times, analysis_times, bounded_times = [], [], []
    for _ in range(args.repeat):
        with timed(parse_times):
            time_parse(files)
        with timed(analysis_times):
            time_analysis(files, component_map)
        with timed(bounded_times):
            time_bounded(files, component_map)
    best = [min(times) for times in (parse_times, analysis_times, bounded_times)]
    cpu = [
        min(cpu for _, cpu in times)
        for times in (parse_times, analysis_times, bounded_times)
    ]
    (parse, analysis, bounded), (parse_cpu, analysis_cpu, bounded_cpu) = best, cpu
    print(f"libcst.parse_module alone: {parse[0]:.2f} s (best of {args.repeat})")
    print(f"whole analysis:            {analysis[0]:.2f} s (best of {args.repeat})")
    print(f"the same, bounded (CLI):   {bounded[0]:.2f} s (best of {args.repeat})")
    print(f"ratio analysis / parse:    {analysis[0] / parse[0]:.2f}")
    print(f"ratio bounded / parse:     {bounded[0] / parse[0]:.2f}")
    print(
        f"CPU seconds (best of {args.repeat}; the bounded child's included):"
        f" parse {parse_cpu:.2f}, analysis {analysis_cpu:.2f}"
        f" ({analysis_cpu / parse_cpu:.2f}), bounded {bounded_cpu:.2f}"
        f" ({bounded_cpu / parse_cpu:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
