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
    assert "crashed (signal 11)" in results[1].parse_error.message
    assert results[2].functions[0].qualname == "aget"
