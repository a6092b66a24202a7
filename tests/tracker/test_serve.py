"""`make run` serves through nginx (manage.py serve): slow clients wait in
nginx and the site answers everyone else. The Compose stack's proxy gets the
same test in test_stack_services.py."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from services import IN_CI, free_port
from slow_clients import SLOW_CLIENTS, SlowClients, get_status
from test_stack_services import REPO_ROOT

from tracker.config.nginx import NginxMissing, nginx_program

# What a live server answers a plain request in (it takes milliseconds); a
# starved one never answers.
ANSWER_WITHIN = 10


def group_members(pgid: int) -> list[int]:
    """The processes still in process group `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.fixture
def serve(tmp_path: Path):
    """`manage.py serve` on the embedded default, as `make run` starts it:
    its port and its process (the leader of its own process group)."""
    try:
        nginx_program()
    except NginxMissing as exc:
        if IN_CI:
            raise
        pytest.skip(f"{exc}; make test installs it")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "ASYNCDASH_", "DJANGO_"))
    }
    env["ASYNCDASH_DATA_DIR"] = str(tmp_path / "data")
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--verbosity", "0"], cwd=REPO_ROOT, env=env, check=True
    )
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*manage, "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while get_status(port, "/healthz/", timeout=2) != 200:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)  # serve stops both, and cleans up
        try:
            process.wait(timeout=60)
        finally:
            if group_members(process.pid):
                os.killpg(process.pid, signal.SIGKILL)


def test_slow_clients_do_not_stop_the_site(serve):
    port, _ = serve
    with SlowClients(port) as slow:
        time.sleep(2)  # every slow client is connected and dribbling
        assert get_status(port, "/robots.txt", timeout=ANSWER_WITHIN) == 200
        assert get_status(port, "/healthz/", timeout=ANSWER_WITHIN) == 200
        assert len(slow.sockets) == SLOW_CLIENTS


def test_sigterm_stops_nginx_and_gunicorn(serve):
    port, process = serve
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 30
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_members(process.pid) == []
    assert get_status(port, "/robots.txt", timeout=2) == 0
