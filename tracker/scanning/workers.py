"""Start and stop `celery worker` processes, for the benchmark and the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tracker.config.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parents[2]
# A worker's processes by depth: itself, its prefork pool, their children
# (each pool process keeps one that analyses its files: `analyzers.isolation`).
ROLES = ("main", "pool", "isolated")


class WorkerProcess:
    """A worker with `concurrency` prefork children, in its own process group."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log: Path,
        concurrency: int = 2,
        beat: bool = False,
    ):
        """`beat`: run beat's schedule inside this worker (`-B`), for tests."""
        self.name = f"asyncdash-{uuid.uuid4().hex[:8]}@localhost"
        self.log = log
        command = [
            sys.executable, "-m", "celery", "-A", "tracker.config", "worker",
            "-c", str(concurrency), "-P", "prefork", "-n", self.name,
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--loglevel", "INFO", *(["-B"] if beat else []),
        ]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while not celery_app.control.ping(destination=[self.name], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"worker {self.name} did not start:\n{tail}")
        return self

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def peak_memory(self) -> list[tuple[int, str, int]]:
        """(pid, role, peak resident KiB) of the worker's live processes.

        The kernel's high-water mark (VmHWM) of each: the main process, its
        prefork pool processes and any child one of them has running. Read
        it before stopping the worker; a process that has ended is missing.
        """
        found = []
        for depth, pid in _process_tree(self.process.pid):
            kib = _status_kib(pid, "VmHWM")
            if kib is not None:
                found.append((pid, ROLES[min(depth, len(ROLES) - 1)], kib))
        return found

    def cpu_seconds(self) -> float:
        """CPU time the worker's processes have used so far
        (`process_tree_cpu_seconds`)."""
        return process_tree_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Warm shutdown, then SIGKILL if it takes too long."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _process_tree(pid: int, depth: int = 0):
    """(depth, pid) of `pid` and its descendants, from /proc (Linux)."""
    yield depth, pid
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            listed = children.read_text().split()
        except OSError:  # the thread or process has just ended
            continue
        for child in listed:
            yield from _process_tree(int(child), depth + 1)


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of `pid` and its live descendants, with that
    of the children each has reaped (a retired analysing child): on a machine
    shared with other work, the work done, where wall-clock time also counts
    the waits for a core."""
    ticks = 0
    for _, each in _process_tree(pid):
        try:
            stat = Path(f"/proc/{each}/stat").read_text()
        except OSError:  # it has just ended
            continue
        # After the command name (which may hold spaces and parentheses):
        # utime, stime, cutime and cstime are the line's fields 14 to 17.
        fields = stat.rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status, or None if the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    return None


def worker_env(*, database_url: str, redis_url: str, data_dir: Path, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ASYNCDASH_DATA_DIR": str(data_dir),
        **{key: str(value) for key, value in extra.items()},
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env
