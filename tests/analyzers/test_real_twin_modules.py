"""Issue 15 on real sdists: httpcore 1.0.9 (unasync's `_async/` -> `_sync/`)
and psycopg 3.3.9 (`x_async.py` -> generated `x.py`). Every generated pair
found, at least 95 % derivable with the project's renames, no pair across
modules that are not twins, the thread bridges counted."""

import ast
from pathlib import Path

import pytest
from projects import project_config

from analyzers.records import Relation

pytestmark = pytest.mark.realdata


def async_defs(tree: Path, relative: str) -> list[str]:
    """The async defs of a file as Python's ast sees them (qualnames),
    overload stubs left out: counted apart from the analyzer."""
    found = []

    def visit(body, scope):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, [*scope, node.name])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                overload = any(
                    getattr(d, "id", getattr(d, "attr", "")) == "overload"
                    for d in node.decorator_list
                )
                if isinstance(node, ast.AsyncFunctionDef) and not overload:
                    found.append(".".join([*scope, node.name]))
                visit(node.body, [*scope, node.name, "<locals>"])

    visit(ast.parse((tree / relative).read_bytes()).body, [])
    return found


def across(result) -> dict[str, object]:
    return {f"{p.module}.{p.async_qualname}": p for p in result.pairs if p.sync_module}


def test_httpcore_all_61_async_defs_of_async_pair_with_their_sync_twin(
    httpcore_tree, httpcore
):
    folder = httpcore_tree / "httpcore" / "_async"
    expected = {
        f"httpcore._async.{path.stem}.{qualname}"
        for path in folder.glob("*.py")
        for qualname in async_defs(httpcore_tree, f"httpcore/_async/{path.name}")
    }
    assert len(expected) == 61
    pairs = across(httpcore)
    assert set(pairs) == expected
    for name, pair in pairs.items():
        assert pair.sync_module == pair.module.replace("._async.", "._sync.")
        assert pair.generated_side == "sync"  # the project's layout says so
        sync = httpcore.function(pair.sync_full_name, is_async=False)
        assert httpcore.function(name, is_async=True).twin == sync.full_name
        assert sync.twin == name


def test_httpcore_pairs_are_derivable_with_its_renames(httpcore):
    relations = [p.relation for p in across(httpcore).values()]
    derivable = relations.count(Relation.DERIVABLE)
    assert derivable / len(relations) >= 0.95, relations
    # unasync's `handle_async_request` -> `handle_request` is the project's.
    request = across(httpcore)[
        "httpcore._async.interfaces.AsyncRequestInterface.request"
    ]
    assert request.relation is Relation.DERIVABLE
    assert "handle_async_request->handle_request" in request.renames


def test_httpcore_twin_folders_are_one_component(httpcore):
    (connections,) = [c for c in httpcore.components if c.name == "connections"]
    assert connections.pairs_by_relation.get("derivable", 0) >= 58
    assert connections.async_twins == connections.public_async


def generated_modules(tree: Path) -> list[tuple[str, str]]:
    """(async module file, generated sync file) pairs, by the headers."""
    found = []
    for path in sorted((tree / "psycopg").rglob("*_async.py")):
        sync = path.with_name(path.name.removesuffix("_async.py") + ".py")
        if sync.exists() and "auto-generated" in sync.read_text()[:500]:
            found.append(
                (
                    path.relative_to(tree).as_posix(),
                    sync.relative_to(tree).as_posix(),
                )
            )
    return found


def test_psycopg_every_async_def_of_a_generated_module_is_paired(psycopg_tree, psycopg):
    modules = generated_modules(psycopg_tree)
    # connection, cursor, _copy, _pipeline, _server_cursor, _conninfo_attempts
    assert len(modules) == 6
    expected = {
        f"{async_path.removesuffix('.py').replace('/', '.')}.{qualname}"
        for async_path, _ in modules
        for qualname in async_defs(psycopg_tree, async_path)
    }
    pairs = across(psycopg)
    assert set(pairs) == expected
    assert len(expected) == 71
    for name in expected:
        pair = pairs[name]
        assert pair.generated_side == "sync"
        assert pair.sync_module == pair.module.removesuffix("_async")


def test_psycopg_pairs_are_derivable_with_its_renames(psycopg):
    relations = [p.relation for p in across(psycopg).values()]
    derivable = relations.count(Relation.DERIVABLE)
    assert derivable / len(relations) >= 0.95, relations


@pytest.mark.parametrize("project", ["httpcore", "psycopg"])
def test_no_pair_across_modules_that_are_not_twins(project, request):
    result = request.getfixturevalue(project)
    conventions = project_config(project).conventions
    for pair in across(result).values():
        async_path = pair.module.replace(".", "/") + ".py"
        sync_path = pair.sync_module.replace(".", "/") + ".py"
        assert conventions.sync_twin_path(async_path) == sync_path


def test_psycopg_thread_bridge_is_counted(psycopg):
    """AsyncConnection.cancel_safe runs `cancel` in `asyncio.to_thread`."""
    f = psycopg.function(
        "psycopg.connection_async.AsyncConnection.cancel_safe", is_async=True
    )
    assert f.thread_hops == 1
    assert f.hop_labels == ("to_thread(cancel)",)
    assert sum(c.thread_hops for c in psycopg.components) >= 1


def test_httpcore_async_tests_count_their_sync_twins_in_the_twin_folder(
    httpcore_tree, httpcore
):
    """tests/_async/ is unasync's source of tests/_sync/ too: each async
    test there has its twin in the same module of the sync folder."""
    folder = httpcore_tree / "tests" / "_async"
    expected = {
        (
            f"tests._async.{path.stem}.{qualname}",
            f"tests._sync.{path.stem}.{qualname}",
        )
        for path in folder.glob("*.py")
        for qualname in async_defs(httpcore_tree, f"tests/_async/{path.name}")
        if qualname.rsplit(".", 1)[-1].startswith("test")
    }
    assert len(expected) == 63
    (summary,) = httpcore.tests
    assert set(summary.doubled) == expected
    assert summary.async_tests_with_sync_twin == len(expected)
    # The async tests outside the twin folders (test_cancellations.py) have none.
    assert summary.async_tests > len(expected)


def test_httpcore_sync_helpers_of_async_classes_are_not_missing_twins(
    httpcore_tree, httpcore
):
    """`AsyncHTTPConnection.is_available` is a sync helper the generated
    `HTTPConnection` has too, not a method missing an async twin: the sync
    API of a twin module's class lives in the sync module (58 counted as
    missing before, every one of them in `_async/`)."""
    shared = set()
    for path in (httpcore_tree / "httpcore" / "_async").glob("*.py"):
        sync_path = httpcore_tree / "httpcore" / "_sync" / path.name
        sync_defs = set(sync_methods(sync_path))
        for qualname in sync_methods(path):
            scope, _, name = qualname.rpartition(".")
            if f"{scope.replace('Async', '', 1)}.{name}" in sync_defs:
                shared.add(f"httpcore._async.{path.stem}.{qualname}")
    assert len(shared) > 40
    missing = {f.full_name for f in httpcore.functions if f.missing_twin}
    assert not missing & shared
    assert not any(name.startswith("httpcore._async.") for name in missing)


def sync_methods(path: Path) -> list[str]:
    """Class.method qualnames of the plain defs of a module's classes (ast)."""
    return [
        f"{node.name}.{item.name}"
        for node in ast.parse(path.read_bytes()).body
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, ast.FunctionDef)
    ]
