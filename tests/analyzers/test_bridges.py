"""The ecosystem's bridges (conventions.toml [bridges]): thread hops that
await a sync callable in a thread, and sync wrappers that run async code."""

import pytest
from snippets import analyze, fields, function

IMPORTS = """
import asyncio
import functools
import anyio
import anyio.to_thread
import trio
from anyio import from_thread, to_thread
from asyncio import run
from asgiref.sync import async_to_sync
from starlette.concurrency import run_in_threadpool

def load(key):
    return key

async def aload(key):
    return key
"""

# (body of an async def `f`, its kind, thread hops, hop labels, what runs)
THREAD_HOPS = [
    pytest.param(
        "return await asyncio.to_thread(load, 1)",
        ("async-wrapper", 1, ("to_thread(load)",), ("name:pkg.mod.load",)),
        id="asyncio.to_thread",
    ),
    pytest.param(
        "loop = asyncio.get_running_loop()\n"
        "return await loop.run_in_executor(None, load, 1)",
        ("async-wrapper", 1, ("run_in_executor(load)",), ("name:pkg.mod.load",)),
        id="loop.run_in_executor",
    ),
    pytest.param(
        "return await self._loop.run_in_executor(None, functools.partial(load, 1))",
        ("async-wrapper", 1, ("run_in_executor(load)",), ("name:pkg.mod.load",)),
        id="run_in_executor-any-receiver-through-partial",
    ),
    pytest.param(
        "return await anyio.to_thread.run_sync(load, 1)",
        ("async-wrapper", 1, ("run_sync(load)",), ("name:pkg.mod.load",)),
        id="anyio.to_thread.run_sync",
    ),
    pytest.param(
        "return await to_thread.run_sync(lambda: load(1))",
        ("async-wrapper", 1, ("run_sync(load)",), ("name:pkg.mod.load",)),
        id="anyio-imported-module-through-lambda",
    ),
    pytest.param(
        "return await trio.to_thread.run_sync(load, 1)",
        ("async-wrapper", 1, ("run_sync(load)",), ("name:pkg.mod.load",)),
        id="trio.to_thread.run_sync",
    ),
    pytest.param(
        "return await run_in_threadpool(load, 1)",
        ("async-wrapper", 1, ("run_in_threadpool(load)",), ("name:pkg.mod.load",)),
        id="starlette-run_in_threadpool",
    ),
    # Negative cases: no thread.
    pytest.param(
        "return await aload(1)",
        ("async-native", 0, (), None),
        id="an-async-call",
    ),
    pytest.param(
        "return await asyncio.sleep(0)",
        ("async-native", 0, (), None),
        id="a-loop-wait",
    ),
    pytest.param(
        "return await trio.run_sync_soon(load)",
        ("async-native", 0, (), None),
        id="a-name-that-only-looks-alike",
    ),
    pytest.param(
        "return await to_thread_pool(load)",
        ("async-native", 0, (), None),
        id="an-unknown-local-function",
    ),
]


@pytest.mark.parametrize(("body", "expected"), THREAD_HOPS)
def test_thread_hops(body, expected):
    indented = "\n".join("        " + line for line in body.splitlines())
    code = IMPORTS + f"\nclass C:\n    async def f(self):\n{indented}\n"
    record = function(analyze(code), "C.f")
    kind, hops, labels, runs = expected
    assert fields(record, {"kind": 0, "thread_hops": 0, "hop_labels": 0}) == {
        "kind": kind,
        "thread_hops": hops,
        "hop_labels": labels,
    }
    if runs is not None:
        (site,) = record.await_sites
        assert site.runs == runs


# (body of a sync def `g`, its kind, bridges)
SYNC_WRAPPERS = [
    pytest.param("return asyncio.run(aload(1))", ("sync-wrapper", 1), id="asyncio.run"),
    pytest.param("return run(aload(1))", ("sync-wrapper", 1), id="run-imported"),
    pytest.param(
        "return anyio.from_thread.run(aload, 1)",
        ("sync-wrapper", 1),
        id="anyio.from_thread.run",
    ),
    pytest.param(
        "return from_thread.run(aload, 1)",
        ("sync-wrapper", 1),
        id="anyio-from_thread-imported",
    ),
    pytest.param(
        "return trio.from_thread.run(aload, 1)",
        ("sync-wrapper", 1),
        id="trio.from_thread.run",
    ),
    pytest.param(
        "return async_to_sync(aload)(1)", ("sync-wrapper", 1), id="async_to_sync"
    ),
    # Negative cases.
    pytest.param("return load(1)", ("sync", 0), id="a-sync-call"),
    pytest.param("return self.run(1)", ("sync", 0), id="a-method-named-run"),
]


@pytest.mark.parametrize(("body", "expected"), SYNC_WRAPPERS)
def test_sync_wrappers(body, expected):
    code = IMPORTS + f"\nclass C:\n    def g(self):\n        {body}\n"
    record = function(analyze(code), "C.g")
    assert (record.kind, record.bridges) == expected


def test_a_local_run_is_not_asyncio_run():
    """Bare names match a bridge only when named for what it does."""
    code = "def run(x):\n    return x\n\ndef g():\n    return run(1)\n"
    assert function(analyze(code), "g").bridges == 0


def test_a_sync_file_calling_anyio_from_thread_takes_the_full_path():
    """The fast path is for files without async code; `from_thread.run`
    says nothing of async in its name, so its bytes send the file down the
    full path and the wrapper is found."""
    code = "import anyio\n\ndef g(f):\n    return anyio.from_thread.run(f)\n"
    assert function(analyze(code), "g").kind == "sync-wrapper"
