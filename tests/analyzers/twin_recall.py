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
    modules_by,
)

from analyzers import load_project_config  # noqa: E402
from analyzers.records import Relation  # noqa: E402
from analyzers.tree_pass.analyze import analyze_tree  # noqa: E402
from tracker.sources.sdist import fetch_tree  # noqa: E402


def folder(async_dir: str, sync_dir: str):
    """unasync's rule: `.../_async/x.py` -> `.../_sync/x.py` ("": dropped)."""

    def rule(parts):
        if async_dir not in parts[:-1]:
            return None
        at = parts.index(async_dir)
        return (*parts[:at], *([sync_dir] if sync_dir else []), *parts[at + 1 :])

    return rule


def renamed(old: str, new: str):
    """A module's name: `cursor_async.py` -> `cursor.py` (old, new as
    they end or begin the file name: "_async.py" -> ".py")."""

    def rule(parts):
        name = parts[-1]
        if old.startswith("_") and name.endswith(old) and name != old:
            return (*parts[:-1], name[: -len(old)] + new)
        if old.endswith("_") and name.startswith(old):
            return (*parts[:-1], name[len(old) :])
        return None

    return rule


def either(*rules):
    """The first rule that maps a path, then the others on its result
    (azure's `aio/_lease_async.py` -> `_lease.py`)."""

    def rule(parts):
        changed = None
        for one in rules:
            mapped = one(changed or parts)
            changed = mapped or changed
        return changed

    return rule


# (PyPI name, version, settings file or None, package folder, sync path rule)
PROJECTS = [
    ("httpcore", "1.0.9", None, "httpcore", folder("_async", "_sync")),
    ("httpcore", "1.0.9", "httpcore", "httpcore", folder("_async", "_sync")),
    ("psycopg", "3.3.9", None, "psycopg", renamed("_async.py", ".py")),
    ("psycopg", "3.3.9", "psycopg", "psycopg", renamed("_async.py", ".py")),
    ("elasticsearch", "9.5.1", None, "elasticsearch", folder("_async", "_sync")),
    ("pymongo", "4.20.1", None, "pymongo", folder("asynchronous", "synchronous")),
    ("pymongo", "4.20.1", "pymongo", "pymongo", folder("asynchronous", "synchronous")),
    ("redis", "6.4.0", None, "redis", folder("asyncio", "")),
    (
        "azure-storage-blob",
        "12.27.1",
        None,
        "azure",
        either(folder("aio", ""), renamed("_async.py", ".py")),
    ),
    (
        "google-cloud-secret-manager",
        "2.25.0",
        None,
        "google",
        either(renamed("async_", ""), renamed("_asyncio.py", ".py")),
    ),
    ("qdrant-client", "1.20.0", None, "qdrant_client", renamed("async_", "")),
    ("hishel", "0.1.3", None, "hishel", folder("_async", "_sync")),
    # A hand-written `_async/` beside the sync modules (no `_sync/`), and
    # `connection/async_connections.py` beside `connections.py`.
    (
        "opensearch-py",
        "3.2.0",
        None,
        "opensearchpy",
        either(folder("_async", ""), renamed("async_", "")),
    ),
    # src layouts: the package folder is src/NAME, its modules NAME.x.
    ("neo4j", "6.4.1", None, "src/neo4j", folder("_async", "_sync")),
    ("supabase-auth", "2.34.1", None, "src/supabase_auth", folder("_async", "_sync")),
    ("postgrest", "2.34.1", None, "src/postgrest", folder("_async", "_sync")),
]


def row(name, version, settings, package, sync_path_of) -> str:
    tree = fetch_tree(
        package=name, spec=f"=={version}", cache_dir=HERE.parents[1] / ".cache/sdists"
    )
    config_package = package
    if package.startswith("src/"):  # module names start below src/
        analysed, tree, package = tree, tree / "src", package.removeprefix("src/")
    else:
        analysed = tree
    modules = modules_by(tree, package, sync_path_of)
    config = (
        project_config(settings)
        if settings
        else load_project_config(None, package=config_package)
    )
    result = analyze_tree(analysed, config)
    total = sum(len(async_defs(a)) for a, _ in modules)
    expected = expected_pairs(tree, modules)
    async_modules = {module_name(tree, a) for a, _ in modules}
    pairs = {
        f"{p.module}.{p.async_qualname}": p
        for p in result.pairs
        if p.sync_module and p.module in async_modules
    }
    found = sum(
        1
        for name, twin in expected.items()
        if name in pairs and pairs[name].sync_full_name == twin
    )
    derivable = sum(p.relation is Relation.DERIVABLE for p in pairs.values())
    sync_of = {module_name(tree, a): module_name(tree, s) for a, s in modules}
    stray = sum(
        sync_of.get(p.module) != p.sync_module for p in result.pairs if p.sync_module
    )
    return (
        f"| {name} {version} | {f'{settings}.toml' if settings else 'none'}"
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
