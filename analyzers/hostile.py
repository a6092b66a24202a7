"""Sources that cost the analyzer far more than their size, of any size.

The pathological inputs of issue 12, all accepted by Python's `ast` and all
holding `async`, so that they take libcst's path. The tests feed them to
every mode (command line, embedded scan, workers) and `manage.py
bench_hostile --pathological` measures what they cost under the limits.
"""

from __future__ import annotations


def match_nesting(depth: int) -> bytes:
    """A `case [[[...]]]` pattern: libcst's parse time doubles with each
    level (20 levels: 2 s; 30: about 40 minutes)."""
    pattern = "[" * depth + "a" + "]" * depth
    return (
        f"async def f(x):\n    match x:\n        case {pattern}:\n            pass\n"
    ).encode()


def nested_brackets(size: int, *, depth: int = 50) -> bytes:
    """Lines of `x = [[[...]]]` (under CPython's 200 levels) filling `size`
    bytes: libcst needs about 20 KiB of memory for each byte."""
    head = "async def f():\n    pass\n"
    line = "x = " + "[" * depth + "1" + "]" * depth + "\n"
    return (head + line * max(0, (size - len(head)) // len(line))).encode()


def long_and(terms: int) -> bytes:
    """`return a and a and ...`: from about 10,000 terms libcst's native
    parser overflows its stack and takes its process down (signal 11)."""
    return ("async def f(a):\n    return a" + " and a" * terms + "\n").encode()


def equal_twins(lines: int) -> bytes:
    """A sync/async twin pair whose bodies are `lines` equal lines each:
    difflib's matcher is quadratic on it and worse."""
    body = "        x = 1\n" * lines
    return (
        f"class Store:\n    def get(self):\n{body}    async def aget(self):\n{body}"
    ).encode()


def alternating_twins(lines: int) -> bytes:
    """A twin pair, `lines` equal lines against as many again, each after a
    line of another kind: small, but difflib's matcher searches it cubically
    (1,000 lines: minutes), one one-line match at a time."""
    sync_body = "        x = 1\n" * lines
    async_body = "        y = 2\n        x = 1\n" * lines
    return (
        "class Store:\n"
        f"    def get(self):\n{sync_body}"
        f"    async def aget(self):\n{async_body}"
    ).encode()
