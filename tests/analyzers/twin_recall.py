"""Recall and derivability of twins across twin modules on real sdists: the
table of docs/benchmarks.md ("Twins in the wild").

    .venv/bin/python tests/analyzers/twin_recall.py

For each project: its async defs in async twin modules (Python's `ast`), how
many the analyzer pairs across the modules, how many of the twins found by
the generic rules alone (`twins_by_ast`: a sync def at the same place) it
pairs with that twin, how many of its pairs are derivable, and its pairs
whose sync module is not the async module's twin.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parents[1])]

from projects import project_config  # noqa: E402
from twins_by_ast import (  # noqa: E402
    async_defs,
    expected_pairs,
    module_name,
    suffix_twin_modules,
    twin_modules,
)

from analyzers import load_project_config  # noqa: E402
from analyzers.records import Relation  # noqa: E402
from analyzers.tree_pass.analyze import analyze_tree  # noqa: E402
from tracker.sources.sdist import fetch_tree  # noqa: E402

# (package, version, settings file or None, async folder / module suffix, sync folder)
PROJECTS = [
    ("httpcore", "1.0.9", None, "_async", "_sync"),
    ("httpcore", "1.0.9", "httpcore", "_async", "_sync"),
    ("psycopg", "3.3.9", None, "_async.py", None),
    ("psycopg", "3.3.9", "psycopg", "_async.py", None),
    ("elasticsearch", "9.5.1", None, "_async", "_sync"),
    ("pymongo", "4.20.1", None, "asynchronous", "synchronous"),
    ("pymongo", "4.20.1", "pymongo", "asynchronous", "synchronous"),
    ("redis", "6.4.0", None, "asyncio", ""),
]


def row(package, version, settings, async_side, sync_side) -> str:
    tree = fetch_tree(
        package=package,
        spec=f"=={version}",
        cache_dir=HERE.parents[1] / ".cache/sdists",
    )
    if sync_side is None:
        modules = suffix_twin_modules(tree, package, async_side.removesuffix(".py"))
    else:
        modules = twin_modules(tree, package, async_side, sync_side)
    config = (
        project_config(settings)
        if settings
        else load_project_config(None, package=package)
    )
    result = analyze_tree(tree, config)
    total = sum(len(async_defs(a)) for a, _ in modules)
    expected = expected_pairs(tree, modules)
    pairs = {f"{p.module}.{p.async_qualname}": p for p in result.pairs if p.sync_module}
    found = sum(
        1
        for name, twin in expected.items()
        if name in pairs and pairs[name].sync_full_name == twin
    )
    derivable = sum(p.relation is Relation.DERIVABLE for p in pairs.values())
    sync_modules = {module_name(tree, s) for _, s in modules}
    stray = sum(p.sync_module not in sync_modules for p in pairs.values())
    return (
        f"| {package} {version} | {f'{settings}.toml' if settings else 'none'}"
        f" | {len(modules)} | {total} | {len(pairs)} ({len(pairs) / total:.1%})"
        f" | {found} of {len(expected)} | {derivable} ({derivable / len(pairs):.1%})"
        f" | {stray} |"
    )


if __name__ == "__main__":
    print(
        "| project | settings | twin modules | async defs | paired"
        " | ast's twins paired alike | derivable | pairs across unrelated modules |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for project in PROJECTS:
        print(row(*project), flush=True)
