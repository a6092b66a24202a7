"""FileResults survive the JSON round trip the scan pipeline stores them in."""

import json
import textwrap

import pytest

from analyzers.file_pass.analyze import analyze_file
from analyzers.records import ComponentSummary, FunctionRecord, to_jsonable
from analyzers.serialize import (
    file_result_from_json,
    file_result_to_json,
    from_jsonable,
)
from analyzers.tree_pass.analyze import analyze_sources, tree_pass
from analyzers.tree_pass.components import ComponentMap

SOURCE = textwrap.dedent(
    """
    import asyncio
    from asgiref.sync import sync_to_async
    from django.core.cache import caches

    class Cache:
        async_capable = True

        def __init__(self):
            self._backend = caches["default"]

        def get(self, key):
            return key

        async def aget(self, key):
            return await sync_to_async(self.get)(key)

        async def aget_many(self, keys):
            await asyncio.gather(*(self.aget(k) for k in keys))
            open("x")
            await self._backend.aget(keys)
            return [await self.aget(k) for k in keys]

    cache = Cache()
    """
).encode()

MAP = """
[project]
package = "pkg"
tests = "tests"
[modules]
"pkg" = "cache"
"""


def round_trip(value, *, compact: bool):
    return json.loads(json.dumps(to_jsonable(value, compact=compact)))


@pytest.mark.parametrize("compact", [False, True])
def test_file_result_round_trips_through_json(compact):
    result = analyze_file(SOURCE, module="pkg.cache", path="pkg/cache.py")
    # The data is not trivial: pairs, blocking calls, a typed receiver, class
    # attributes and module-level instances.
    assert result.pairs and result.functions[3].blocking
    sites = result.functions[3].await_sites
    assert any(s.receiver for s in sites) and any(s.conditional for s in sites)
    assert result.classes[0].attributes and result.instances
    assert file_result_from_json(round_trip(result, compact=compact)) == result


def test_stored_form_keeps_module_and_path_once():
    result = analyze_file(SOURCE, module="pkg.cache", path="pkg/cache.py")
    data = json.loads(json.dumps(file_result_to_json(result)))
    assert "module" not in data["functions"][0] and "path" not in data["classes"][0]
    assert file_result_from_json(data) == result


def test_parse_error_round_trips_through_json():
    result = analyze_file(b"def (:\n", module="pkg.bad", path="pkg/bad.py")
    assert result.parse_error is not None
    assert file_result_from_json(round_trip(result, compact=True)) == result


def test_compact_json_leaves_out_defaults():
    result = analyze_file(b"def f():\n    pass\n", module="m", path="m.py")
    (function,) = to_jsonable(result, compact=True)["functions"]
    assert "await_sites" not in function and "reaches" not in function
    assert function["qualname"] == "f" and function["kind"] == "sync"


def test_a_solved_function_round_trips():
    """Records the tree pass filled in (reaches, hops, chain) come back too."""
    files = analyze_sources([("pkg/cache.py", SOURCE)])
    record = tree_pass(files, ComponentMap.from_toml(MAP)).function(
        "pkg.cache.Cache.aget_many"
    )
    assert record.reaches is not None and record.chain
    assert record.steps and record.call_steps
    data = round_trip(record, compact=True)
    assert from_jsonable(FunctionRecord, data) == record


def test_a_component_summary_round_trips():
    """ComponentSummary is stored whole as JSON and rebuilt by tracker."""
    files = analyze_sources([("pkg/cache.py", SOURCE)])
    (summary,) = tree_pass(files, ComponentMap.from_toml(MAP)).components
    assert summary.call_steps
    assert (
        from_jsonable(ComponentSummary, round_trip(summary, compact=False)) == summary
    )
