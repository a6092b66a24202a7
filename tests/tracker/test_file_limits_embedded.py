"""Hostile files on the embedded default (SQLite, tasks in-process): each is
recorded as not analysed with the reason, and the scan ends done.

`manage.py scan` runs in a process of its own here, as a person runs it:
before, a file that crashed libcst's parser took that process down with
signal 11 and left the scan `running`, and one that took exponential time
or gigabytes held it for as long.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from repo_builder import make_repo

from analyzers import hostile

REPO_ROOT = Path(__file__).resolve().parents[2]
ASYNC = "async def aget():\n    return 1\n"
SCAN = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import django

    django.setup()
    from django.core.management import call_command
    from repo_builder import demo_project
    from tracker.models import ReleaseFile, Scan, TwinPairStat

    call_command("migrate", verbosity=0)
    project = demo_project(Path(sys.argv[1]), slug="hostile")
    try:
        call_command("scan", "--release", "1.0", project="hostile")
    finally:
        scan = Scan.objects.get(project=project)
        files = ReleaseFile.objects.filter(release__project=project)
        pairs = TwinPairStat.objects.filter(release__project=project)
        print(json.dumps({
            "status": scan.status,
            "error": scan.error,
            "files": {f.path: f.parse_error for f in files},
            "pairs": [[p.relation, p.duplicated_lines] for p in pairs],
        }))
    """
)


def scan_in_a_process(tmp_path: Path, hostile_file: bytes, **env: str) -> dict:
    """Scan a release holding `hostile_file` with `manage.py scan` in a
    process of its own (SQLite, no Redis); what it stored."""
    repo = make_repo(
        tmp_path / "upstream",
        {
            "1.0": {
                "pkg/__init__.py": "",
                "pkg/hostile.py": hostile_file.decode(),
                "pkg/ok.py": ASYNC,
            }
        },
    )
    tests = REPO_ROOT / "tests"
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("ASYNCDASH_")
    }
    done = subprocess.run(
        [sys.executable, "-c", SCAN, str(repo)],
        cwd=REPO_ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "tracker.config.settings",
            "ASYNCDASH_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(tests)]),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("source", "env", "reason"),
    [
        pytest.param(
            hostile.match_nesting(26),
            {"ASYNCDASH_SECONDS_PER_FILE": "2"},
            "not analysed: took over ",  # CPU, or wall clock on a loaded machine
            id="exponential-time",
        ),
        pytest.param(
            hostile.nested_brackets(128 * 1024),
            {"ASYNCDASH_MEMORY_PER_FILE": "256"},
            "not analysed: over the 256 MiB memory limit",
            id="gigabytes",
        ),
        pytest.param(
            hostile.long_and(10_000),
            {},
            "not analysed: the analyzer crashed (signal 11, SIGSEGV)",
            id="stack-overflow",
        ),
    ],
)
def test_a_file_over_a_limit_is_recorded_and_the_scan_is_done(
    tmp_path, source, env, reason
):
    stored = scan_in_a_process(tmp_path, source, **env)
    assert stored["status"] == "done", stored["error"]
    assert stored["files"]["pkg/hostile.py"].startswith(reason)
    assert stored["files"]["pkg/ok.py"] == ""


def test_twins_difflib_searched_cubically_are_compared(tmp_path):
    """2,000 lines against 4,000: minutes in difflib's matcher (like 2 x 52,000
    equal lines: 479 s), under a second in the bounded diff."""
    stored = scan_in_a_process(tmp_path, hostile.alternating_twins(2000))
    assert stored["status"] == "done", stored["error"]
    assert stored["files"]["pkg/hostile.py"] == ""
    assert stored["pairs"] == [["divergent", 2000]]
