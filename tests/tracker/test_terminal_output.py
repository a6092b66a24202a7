"""What a person sees of `import_releases` and `scan` (issue 16).

On a terminal: progress bars and a short readable line per release, never a
JSON log line, nothing wider than 200 characters, all of it on one screen.
Through a pipe (CI, a log file): plain lines, one per step, and not one
control character. Both on real Django releases, as `make run` imports them.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from terminal import run_in_pty, screen_lines

from tests.conftest import REPO_ROOT, SDIST_CACHE

CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")  # all but \t and \n
SCREEN_ROWS = 50


def _version(tree: Path) -> str:
    return tree.name.split("-", 1)[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, django30_tree, django31_tree) -> dict:
    """Through a pipe: import one release and scan it; then on a terminal:
    import it and the next, scan both (one analysed, one already done)."""
    first, second = _version(django30_tree), _version(django31_tree)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "ASYNCDASH_", "DJANGO_"))
    }
    env["ASYNCDASH_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    env["ASYNCDASH_SDIST_CACHE"] = str(SDIST_CACHE)
    manage = [sys.executable, "manage.py"]

    def piped(*args: str) -> bytes:
        done = subprocess.run(
            [*manage, *args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def terminal(*args: str) -> bytes:
        status, raw = run_in_pty([*manage, *args], env=env, cwd=REPO_ROOT, timeout=600)
        assert status == 0, raw.decode(errors="replace")
        return raw

    piped("migrate", "--verbosity", "0")
    return {
        "versions": (first, second),
        "pipe": piped("import_releases", first) + piped("scan", "--release", first),
        "terminal": terminal("import_releases", first, second)
        + terminal("scan", "--since", first),
    }


def test_on_a_terminal_bars_and_short_readable_lines(runs) -> None:
    first, second = runs["versions"]
    raw = runs["terminal"]
    lines = [line for line in screen_lines(raw) if line]

    assert b"\r" in raw, "no progress bar was drawn"
    assert len(lines) <= SCREEN_ROWS, lines
    assert max(map(len, lines)) <= 200, max(lines, key=len)
    assert not [line for line in lines if line.lstrip().startswith("{")], lines
    # A line per release as it ends: the new one, then the one done before.
    summary = [line.split()[:2] for line in lines if " files (" in line]
    assert sorted(summary) == [[first, "done"], [second, "done"]], lines
    assert any(line.startswith("download: 100%") for line in lines), lines
    assert any(line.startswith("analyse: 100%") for line in lines), lines
    assert lines[-1].startswith("2/2 releases done"), lines


def test_through_a_pipe_plain_lines_without_control_characters(runs) -> None:
    first, _ = runs["versions"]
    raw = runs["pipe"]
    lines = raw.decode().splitlines()

    assert not CONTROL.search(raw), CONTROL.search(raw)
    assert f"imported {first}" in lines
    assert any(line.startswith(f"{first:>10} done") for line in lines), lines
    # Log lines stay JSON off a terminal, and never carry a task's arguments
    # (a batch's blobs made 20 KB lines).
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert logged, lines
    assert max(map(len, lines)) <= 1000, max(lines, key=len)
    assert not [line for line in lines if "django/" in line], "task arguments logged"
