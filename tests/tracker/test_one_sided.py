"""One-sided changes classified: a table of changes and their class."""

import pytest

from tracker.scanning.one_sided import (
    ASYNC_SPECIFIC,
    MISSED_PORT,
    THIS_SIDE_ONLY,
    classify,
    normalise,
)

SYNC = [
    "def get(self, key):",
    "    user = QuerySet().get(name=key)",
    "    return user",
]
ASYNC = [
    "async def aget(self, key):",
    "    user = await QuerySet().aget(name=key)",
    "    return user",
]

CASES = [
    # The sync side fixed a line the async side still has: port it?
    (
        "sync",
        SYNC,
        [SYNC[0], "    user = QuerySet().get(name=key.strip())", SYNC[2]],
        ASYNC,
        MISSED_PORT,
    ),
    # The async side dropped a thread hop for a native await: async-only.
    (
        "async",
        [ASYNC[0], "    user = await sync_to_async(get)(key)", ASYNC[2]],
        ASYNC,
        SYNC,
        ASYNC_SPECIFIC,
    ),
    # thread_sensitive=False is async-only too.
    (
        "async",
        [ASYNC[0], "    x = sync_to_async(f)", ASYNC[2]],
        [ASYNC[0], "    x = sync_to_async(f, thread_sensitive=False)", ASYNC[2]],
        SYNC,
        ASYNC_SPECIFIC,
    ),
    # request.user -> request.auser: an a-prefixed twin of a sync name.
    (
        "async",
        ["async def f(request):", "    return request.user"],
        ["async def f(request):", "    return request.auser"],
        ["def f(request):", "    return request.user"],
        ASYNC_SPECIFIC,
    ),
    # A new line with no counterpart, nothing async about it.
    (
        "sync",
        SYNC,
        [SYNC[0], SYNC[1], "    log(user)", SYNC[2]],
        ASYNC,
        THIS_SIDE_ONLY,
    ),
]


@pytest.mark.parametrize(("side", "before", "after", "other", "expected"), CASES)
def test_a_one_sided_change_gets_its_class(side, before, after, other, expected):
    change_class, lines = classify(before=before, after=after, other=other, side=side)
    assert change_class == expected
    assert lines and all(line[:1] in "+-" for line in lines)


def test_normalise_writes_lines_as_both_twins_would():
    names = {"get", "user", "QuerySet"}
    assert normalise("    user = await QuerySet().aget(name=key)", names) == (
        "user = QuerySet().get(name=key)"
    )
    assert normalise("async with lock:") == "with lock:"
    # Only a-prefixed twins of names the sync side uses lose their "a".
    assert normalise("value = attr(x)", names) == "value = attr(x)"
