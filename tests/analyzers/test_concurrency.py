"""Which defs run awaitables concurrently, directly or through a local helper."""

import pytest
from snippets import analyze

from analyzers.records import FunctionRecord


def function(code: str, qualname: str) -> FunctionRecord:
    (record,) = [f for f in analyze(code).functions if f.qualname == qualname]
    return record


CONCURRENCY = [
    pytest.param(
        """
        import asyncio

        async def both(a, b):
            return await asyncio.gather(a, b)
        """,
        "both",
        (True, 1),
        id="asyncio.gather",
    ),
    pytest.param(
        """
        import asyncio

        async def both(a, b):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(a)
                tg.create_task(b)
        """,
        "both",
        (True, 3),
        id="TaskGroup-create_task",
    ),
    pytest.param(
        """
        import asyncio

        async def first(tasks):
            done, pending = await asyncio.wait(tasks)
            return done
        """,
        "first",
        (True, 1),
        id="asyncio.wait",
    ),
    pytest.param(
        """
        import asyncio

        async def spawn(coro):
            return asyncio.ensure_future(coro)
        """,
        "spawn",
        (True, 1),
        id="asyncio.ensure_future",
    ),
    pytest.param(
        """
        import anyio

        async def both(a, b):
            async with anyio.create_task_group() as tg:
                tg.start_soon(a)
                tg.start_soon(b)
        """,
        "both",
        (True, 3),
        id="anyio-task-group",
    ),
    pytest.param(
        """
        from asyncio import gather as g

        async def both(a, b):
            return await g(a, b)
        """,
        "both",
        (True, 1),
        id="aliased-gather",
    ),
    pytest.param(
        """
        import asyncio

        async def _run_parallel(*coros):
            return await asyncio.gather(*coros)

        async def asend(receivers):
            return await _run_parallel(*(r() for r in receivers))
        """,
        "asend",
        (True, 0),
        id="through-module-helper",
    ),
    pytest.param(
        """
        import asyncio

        async def _run_parallel(*coros):
            return await asyncio.gather(*coros)

        def outer():
            async def asend(receivers):
                return await _run_parallel(*(r() for r in receivers))

            return asend
        """,
        "outer.<locals>.asend",
        (True, 0),
        id="nested-def-through-module-helper",
    ),
    pytest.param(
        """
        import asyncio

        async def _run_parallel(*coros):
            return await asyncio.gather(*coros)

        async def asend(receivers):
            async def _run_parallel(coro):
                return await coro

            return await _run_parallel(receivers)
        """,
        "asend",
        (False, 0),
        id="local-helper-shadows-module-helper",
    ),
    pytest.param(
        """
        import asyncio

        async def one_by_one(coros):
            for coro in coros:
                await coro
            await asyncio.sleep(0)
        """,
        "one_by_one",
        (False, 0),
        id="sequential-awaits",
    ),
    pytest.param(
        """
        import asyncio

        from asgiref.sync import async_to_sync

        class Signal:
            def send(self, sender):
                responses = [r(sender) for r in self.sync_receivers]
                if self.async_receivers:

                    async def asend():
                        return await asyncio.gather(
                            *(r(sender) for r in self.async_receivers)
                        )

                    responses.extend(async_to_sync(asend)())
                return responses
        """,
        "Signal.send",
        (True, 1),
        id="sync-def-bridges-a-concurrent-nested-def",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        async def fetch(url):
            return await get(url)

        def fetch_sync(url):
            return async_to_sync(fetch)(url)
        """,
        "fetch_sync",
        (False, 0),
        id="sync-def-bridges-a-sequential-def",
    ),
    pytest.param(
        """
        import asyncio

        async def both(a, b):
            return await asyncio.gather(a, b)

        def later(a, b):
            return both(a, b)
        """,
        "later",
        (False, 0),
        id="sync-def-calls-without-bridging",
    ),
]


@pytest.mark.parametrize(("code", "qualname", "expected"), CONCURRENCY)
def test_concurrency(code, qualname, expected):
    """(concurrent, concurrency_sites): direct sites, or a concurrent local helper."""
    record = function(code, qualname)
    assert (record.concurrent, record.concurrency_sites) == expected
