"""Files analysed in a supervised child under per-file limits: a file that
exceeds one, or kills the child, is recorded as not analysed with the reason,
and a fresh child analyses the next file."""

import os
import signal

import pytest

from analyzers import hostile, isolation
from analyzers.file_pass.analyze import analyze_file
from analyzers.file_pass.names import module_name
from analyzers.isolation import IsolatedAnalyser, Limits
from analyzers.safe_read import read_tree
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.tree_pass.analyze import source_files
from analyzers.tree_pass.components import ComponentMap

GOOD = b"async def aget():\n    return 1\n"
# Newer syntax than this Python's `ast`: only libcst's parser sees it.
POISON = ("type X = " + "not " * 50_000 + "y\n").encode()


def analyse(analyser: IsolatedAnalyser, source: bytes, name: str = "m"):
    answer = analyser.analyse(source, module=name, path=f"{name}.py")
    return file_result_from_json(answer)


def message(result) -> str:
    return result.parse_error.message if result.parse_error else ""


def test_a_child_gives_the_same_result_as_in_process():
    with IsolatedAnalyser() as analyser:
        assert analyse(analyser, GOOD) == analyze_file(GOOD, module="m", path="m.py")


@pytest.mark.parametrize(
    ("source", "limits", "expected"),
    [
        pytest.param(
            hostile.match_nesting(24),
            Limits(seconds=1),
            "not analysed: took over 1 s",
            id="exponential-time",
        ),
        pytest.param(
            hostile.nested_brackets(64 * 1024),
            Limits(memory_mib=256),
            "not analysed: over the 256 MiB memory limit",
            id="gigabytes",
        ),
        pytest.param(
            hostile.long_and(10_000),
            Limits(),
            "not analysed: the analyzer crashed (signal 11, SIGSEGV)",
            id="stack-overflow",
        ),
        pytest.param(
            POISON,
            Limits(),
            "not analysed: the analyzer crashed (signal 11, SIGSEGV)",
            id="stack-overflow-newer-syntax",
        ),
    ],
)
def test_a_file_over_a_limit_fails_alone(source, limits, expected, monkeypatch):
    # CPU time, not the wall-clock backstop, even on a loaded machine.
    monkeypatch.setattr(isolation, "WALL_FACTOR", 60)
    with IsolatedAnalyser(limits) as analyser:
        before, bad, after = (
            analyse(analyser, GOOD, "a"),
            analyse(analyser, source, "bad"),
            analyse(analyser, GOOD, "c"),
        )
    assert message(bad) == expected
    assert (bad.functions, bad.pairs) == ((), ())
    assert not before.parse_error and not after.parse_error
    assert after.functions[0].qualname == "aget"


def test_a_file_over_the_byte_limit_is_never_sent():
    with IsolatedAnalyser(Limits(max_file_bytes=100)) as analyser:
        result = analyse(analyser, b"x = 1\n" * 20)
        assert analyser._child is None  # no child was needed
    assert message(result) == "not analysed: too large (120 bytes; the limit is 100)"


def test_a_child_that_stops_computing_meets_the_wall_clock_deadline():
    """Five times the CPU limit in wall-clock time: a child that waits
    (here: stopped) fails its file, and a fresh one goes on."""
    with IsolatedAnalyser(Limits(seconds=1)) as analyser:
        analyse(analyser, GOOD)
        os.kill(analyser._child.process.pid, signal.SIGSTOP)
        stuck = analyse(analyser, GOOD, "stuck")
        after = analyse(analyser, GOOD, "after")
    assert message(stuck) == "not analysed: took over 5 s of wall-clock time"
    assert not after.parse_error


def test_a_child_killed_between_files_costs_no_file():
    with IsolatedAnalyser() as analyser:
        analyse(analyser, GOOD)
        child = analyser._child.process
        child.kill()
        child.wait()
        assert not analyse(analyser, GOOD, "next").parse_error


class Interrupted(Exception):
    pass


def test_an_interruption_mid_file_ends_the_child_and_records_nothing():
    """A task's soft time limit (here SIGALRM) lands while the child works:
    the exception goes on up, the child is gone, and the analyser starts a
    fresh one for the next file."""

    def interrupt(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with IsolatedAnalyser(Limits(seconds=30)) as analyser:
            analyse(analyser, GOOD)
            child = analyser._child.process
            signal.alarm(1)
            with pytest.raises(Interrupted):
                analyse(analyser, hostile.match_nesting(26))
            assert child.poll() is not None
            assert analyser._child is None
            assert not analyse(analyser, GOOD, "next").parse_error
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_an_analyzer_bug_fails_that_file_with_its_traceback(monkeypatch):
    """What the child answers when the analyzer raises (run in-process)."""

    def buggy(source, *, module, path, conventions=None):
        raise KeyError("a bug")

    monkeypatch.setattr(isolation, "analyze_file", buggy)
    answer = isolation._answer(GOOD, module="m", path="m.py")
    result = file_result_from_json(answer["result"])
    assert message(result) == "analyzer error: KeyError('a bug')"
    assert "KeyError: 'a bug'" in answer["error"]


def test_the_answer_is_the_form_the_pipeline_stores():
    with IsolatedAnalyser() as analyser:
        answer = analyser.analyse(GOOD, module="m", path="m.py")
    assert answer == file_result_to_json(analyze_file(GOOD, module="m", path="m.py"))


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (dict(seconds=0), "at least 1 second"),
        (dict(memory_mib=64), "at least 128 MiB"),
        (dict(max_file_bytes=0), "at least 1 byte"),
    ],
)
def test_limits_refuse_values_that_would_fail_every_file(limits, problem):
    with pytest.raises(ValueError, match=problem):
        Limits(**limits)


def test_django_gives_the_same_results_bounded_as_in_process(django61_tree):
    """Every file of Django 6.1's package: the limits change nothing on it."""
    component_map = ComponentMap.load()
    package = django61_tree / component_map.package
    bounded = {r.path: r for r in read_tree(package, component_map)}
    in_process = {
        relative: analyze_file(
            path.read_bytes(), module=module_name(relative), path=relative
        )
        for relative, path in source_files(package, component_map)
    }
    assert len(bounded) > 900
    assert bounded == in_process
