"""Hostile files on a real worker (PostgreSQL, Redis, a Celery worker
process): each is recorded as not analysed with the reason, the scan is
done, and the worker lives on. Before, a file that took libcst exponential
time or gigabytes cost a whole task time limit per attempt, and the scan
failed."""

import pytest
from repo_builder import demo_project, make_repo
from services import request, wait_done

from analyzers import hostile
from tracker.config.celery import app as celery_app
from tracker.models import Scan

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]

ASYNC = "async def aget():\n    return 1\n"


def parse_errors(scan: Scan) -> dict[str, str]:
    return dict(scan.release.releasefile_set.values_list("path", "parse_error"))


def test_hostile_files_are_recorded_and_the_worker_survives(tmp_path, start_worker):
    files = {
        "pkg/match.py": hostile.match_nesting(26),
        "pkg/brackets.py": hostile.nested_brackets(128 * 1024),
        "pkg/and.py": hostile.long_and(10_000),
        "pkg/twins.py": hostile.alternating_twins(2000),
    }
    files = {"pkg/__init__.py": "", "pkg/ok.py": ASYNC} | {
        path: source.decode() for path, source in files.items()
    }
    project = demo_project(make_repo(tmp_path / "hostile", {"1.0": files}))
    worker = start_worker(ASYNCDASH_SECONDS_PER_FILE=2, ASYNCDASH_MEMORY_PER_FILE=256)

    scan = wait_done(request(project, "1.0"), timeout=180)

    assert scan.status == Scan.Status.DONE, scan.error
    errors = parse_errors(scan)
    # CPU time, or the wall-clock backstop on a loaded machine.
    assert errors["pkg/match.py"].startswith("not analysed: took over ")
    assert errors["pkg/brackets.py"] == "not analysed: over the 256 MiB memory limit"
    assert errors["pkg/and.py"] == (
        "not analysed: the analyzer crashed (signal 11, SIGSEGV)"
    )
    assert errors["pkg/twins.py"] == errors["pkg/ok.py"] == ""
    pair = scan.release.twinpairstat_set.get()
    assert (pair.relation, pair.duplicated_lines) == ("divergent", 2000)
    assert worker.alive()
    assert celery_app.control.ping(destination=[worker.name], timeout=2)


def test_slow_files_never_cost_a_batch_its_time_limit(tmp_path, start_worker):
    """Six files that each take the per-file limit outlast the task's soft
    time limit together: the batch stops starting files in time and a task
    in its place takes the rest, until the scan is done."""
    slow = hostile.match_nesting(26).decode()
    files = {"pkg/__init__.py": "", **{f"pkg/slow{n}.py": slow for n in range(6)}}
    project = demo_project(make_repo(tmp_path / "slow", {"1.0": files}))
    start_worker(ASYNCDASH_SECONDS_PER_FILE=2)

    scan = wait_done(request(project, "1.0"), timeout=240)

    assert scan.status == Scan.Status.DONE, scan.error
    errors = parse_errors(scan)
    assert all(
        errors[f"pkg/slow{n}.py"].startswith("not analysed: took over ")
        for n in range(6)
    ), errors
    log = (tmp_path / "worker.log").read_text()
    assert "files left for a task in its place" in log
