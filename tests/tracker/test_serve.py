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
from repo_builder import CACHE, git, make_repo
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


def _serve_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "ASYNCDASH_", "DJANGO_"))
    }
    env["ASYNCDASH_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.fixture
def serve(tmp_path: Path, request):
    """`manage.py serve` on the embedded default, as `make run` starts it:
    its port and its process (the leader of its own process group).
    Parametrised indirectly: extra arguments to serve, and a callable run on
    the data folder before it starts."""
    extra, prepare = getattr(request, "param", ((), None))
    try:
        nginx_program()
    except NginxMissing as exc:
        if IN_CI:
            raise
        pytest.skip(f"{exc}; make test installs it")
    env = _serve_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--verbosity", "0"], cwd=REPO_ROOT, env=env, check=True
    )
    if prepare is not None:
        prepare(tmp_path / "data")
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*manage, "serve", "--bind", f"127.0.0.1:{port}", *extra],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while get_status(port, "/healthz/", timeout=2) != 200:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield port, process, log_path
    finally:
        process.send_signal(signal.SIGTERM)  # serve stops both, and cleans up
        try:
            process.wait(timeout=60)
        finally:
            if group_members(process.pid):
                os.killpg(process.pid, signal.SIGKILL)


def test_slow_clients_do_not_stop_the_site(serve):
    port, _, _ = serve
    with SlowClients(port) as slow:
        time.sleep(2)  # every slow client is connected and dribbling
        assert get_status(port, "/robots.txt", timeout=ANSWER_WITHIN) == 200
        assert get_status(port, "/healthz/", timeout=ANSWER_WITHIN) == 200
        assert len(slow.sockets) == SLOW_CLIENTS


def test_sigterm_stops_nginx_and_gunicorn(serve):
    port, process, _ = serve
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 30
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_members(process.pid) == []
    assert get_status(port, "/robots.txt", timeout=2) == 0


def _two_releases(data: Path) -> None:
    """Django's mirror with two small releases, 3.0 and 3.1, as tags."""
    upstream = make_repo(
        data.parent / "upstream",
        {
            "3.0": {"django/__init__.py": "VERSION = (3, 0)\n", **_CACHE},
            "3.1": {"django/__init__.py": "VERSION = (3, 1)\n"},
        },
    )
    (data / "mirrors").mkdir(parents=True, exist_ok=True)
    git(data, "clone", "-q", "--bare", str(upstream), str(data / "mirrors/django.git"))


_CACHE = {"django/core/cache/backends/base.py": CACHE}


@pytest.mark.parametrize(
    "serve", [(("--catch-up-since", "3.0"), _two_releases)], indirect=True
)
def test_serve_scans_the_other_releases_in_the_background(serve):
    """make run serves at once and scans meanwhile; the scans page shows it."""
    port, process, log_path = serve
    assert get_status(port, "/", timeout=ANSWER_WITHIN) == 200
    deadline = time.monotonic() + 180
    while "the background scan has finished" not in log_path.read_text():
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.5)

    log = log_path.read_text()
    assert "scanning the releases from 3.0 on in the background" in log
    assert get_status(port, "/releases/3.1/", timeout=ANSWER_WITHIN) == 200
    assert get_status(port, "/releases/3.0/", timeout=ANSWER_WITHIN) == 200
