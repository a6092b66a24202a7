"""Files analysed in a child process: a crash costs only the file it hit."""

from analyzers.file_pass import analyze_file
from tracker.scanning.isolation import analyze_isolated, analyze_many_isolated

GOOD = b"async def aget():\n    return 1\n"
POISON = ("type X = " + "not " * 50_000 + "y\n").encode()  # overflows libcst


def test_a_child_gives_the_same_result_as_in_process():
    assert analyze_isolated(GOOD, module="m", path="m.py") == analyze_file(
        GOOD, module="m", path="m.py"
    )


def test_a_crashing_file_fails_alone_and_the_rest_is_analysed():
    results = analyze_many_isolated(
        [(GOOD, "a", "a.py"), (POISON, "b", "b.py"), (GOOD, "c", "c.py")]
    )
    assert [r.path for r in results] == ["a.py", "b.py", "c.py"]
    assert results[0].parse_error is None and results[2].parse_error is None
    assert "crashed (signal 11" in results[1].parse_error.message
    assert results[2].functions[0].qualname == "aget"


def test_a_file_over_the_memory_limit_fails_alone():
    """The child's address space is limited: a large async module that
    needs more fails as that file's parse failure, and the next file is
    analysed by a fresh child."""
    big = "".join(
        f"class C{i}:\n"
        "    def get(self, k):\n        return k\n"
        "    async def aget(self, k):\n        return await self.aget(k)\n"
        for i in range(2000)
    ).encode()
    results = analyze_many_isolated(
        [(big, "big", "big.py"), (GOOD, "c", "c.py")], memory_bytes=100 * 2**20
    )
    message = results[0].parse_error.message
    assert "memory" in message and "100 MiB" in message
    assert results[1].parse_error is None
    assert results[1].functions[0].qualname == "aget"
