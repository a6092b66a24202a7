"""Analyse files in a supervised child process, each under a time and a memory limit.

Input that Python's `ast` accepts can still take libcst's native parser
exponential time (`case [[[...]]]`), gigabytes (a file of nested brackets) or
its process down (a 10,000-term `and` overflows its stack). So the command
line, the embedded scan and the workers never analyse a file in their own
process: each keeps one long-lived child (`IsolatedAnalyser`) that analyses
the files it is sent one after another, under `Limits`:

- the child's address space is limited (RLIMIT_AS): a file that needs more
  fails on it;
- each file may use so many seconds of CPU (RLIMIT_CPU, moved on before each
  file: a loaded machine does not fail a file that a quiet one analyses),
  and five times that in wall-clock time (the parent's deadline, for a child
  that waits instead of computing);
- a file larger than `max_file_bytes` is never sent.

A file that hits a limit or kills the child is recorded as a FileResult whose
parse error says why ("not analysed: took over 60 s"), and a fresh child
carries on with the next file. A child retires after a file that left it
holding a quarter of its limit, so every file starts with most of it free.

`python -m analyzers.isolation MEMORY_BYTES SECONDS` is that child: requests
and answers are length-prefixed messages (`multiprocessing.connection`) on
its stdin and stdout; an answer carries the FileResult as JSON
(`analyzers.serialize`), the form the scan pipeline stores.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from analyzers.config import ProjectConfig, conventions_from_overrides
from analyzers.file_pass.analyze import analyze_file
from analyzers.records import FileResult
from analyzers.serialize import file_result_to_json

logger = logging.getLogger(__name__)

MIB = 2**20
MIN_MEMORY_MIB = 128  # a child with the analyzer loaded holds about 35 MiB
START_SECONDS = 60  # for a child to start and import the analyzer
WALL_FACTOR = 5  # wall-clock deadline of a file, in CPU limits
# What a child that ran out of its address space leaves on its stderr:
# Rust's allocation failure (then SIGABRT), Python's own.
OUT_OF_MEMORY = ("memory allocation of", "MemoryError", "Cannot allocate memory")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

Answer = dict[str, Any]  # a FileResult in analyzers.serialize's JSON form


@dataclass(frozen=True)
class Limits:
    """What analysing one file may cost: one set for every mode.

    Django's slowest file takes about 1.3 s of CPU and 100 MiB; the largest
    generated async module under 1 MiB, 15 s and 0.6 GiB.
    """

    seconds: int = 60  # CPU seconds for one file
    memory_mib: int = 1024  # address space of the process analysing it
    max_file_bytes: int = MIB  # a larger file is never parsed

    def __post_init__(self) -> None:
        if self.seconds < 1:
            raise ValueError("the time limit must be at least 1 second")
        if self.memory_mib < MIN_MEMORY_MIB:
            raise ValueError(f"the memory limit must be at least {MIN_MEMORY_MIB} MiB")
        if self.max_file_bytes < 1:
            raise ValueError("the file size limit must be at least 1 byte")

    @property
    def wall_seconds(self) -> int:
        return WALL_FACTOR * self.seconds

    @property
    def memory_text(self) -> str:
        if self.memory_mib % 1024 == 0:
            return f"{self.memory_mib // 1024} GiB"
        return f"{self.memory_mib} MiB"


class AnalyserUnavailable(RuntimeError):
    """The child could not start: no file is to blame."""


class IsolatedAnalyser:
    """One supervised child analysing files in turn. For one thread at a time."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.peak_kib = 0  # the largest resident size of its children that ended
        self._child: _Child | None = None

    def analyse(
        self,
        source: bytes,
        *,
        module: str,
        path: str,
        config: ProjectConfig | None = None,
    ) -> Answer:
        """The file's FileResult, analysed or saying why not, as JSON data,
        under a project's config (by default the shared conventions)."""
        if len(source) > self.limits.max_file_bytes:
            reason = too_large(len(source), self.limits)
            return failed(path=path, module=module, reason=reason)
        if self._child is not None and not self._child.alive():
            self._forget()  # it died between files (killed from outside)
        if self._child is None:
            self._child = _Child(self.limits)
        try:
            answer = self._child.ask(
                source,
                module=module,
                path=path,
                overrides=config.overrides if config is not None else "{}",
            )
        except ChildDied as died:
            peak = self._child.peak_kib // 1024
            self._forget()
            logger.info("%s: not analysed: %s (child peak %s MiB)", path, died, peak)
            return failed(path=path, module=module, reason=died.reason)
        except BaseException:
            # Interrupted mid-file (a task's soft time limit, Ctrl-C).
            self._forget(kill=True)
            raise
        if answer.get("error"):
            logger.warning("analyzer error on %s:\n%s", path, answer["error"])
        if answer["retire"]:
            self._forget()
        return answer["result"]

    def peak_memory_kib(self) -> int:
        """The largest resident size its children reached (VmHWM, KiB)."""
        live = self._child.peak_so_far_kib() if self._child is not None else 0
        return max(self.peak_kib, live)

    def close(self) -> None:
        self._forget()

    def __enter__(self) -> IsolatedAnalyser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _forget(self, *, kill: bool = False) -> None:
        if self._child is not None:
            self._child.stop(kill=kill)
            self.peak_kib = max(self.peak_kib, self._child.peak_kib)
            self._child = None


def too_large(size: int, limits: Limits) -> str:
    return f"too large ({size} bytes; the limit is {limits.max_file_bytes})"


def failed(*, path: str, module: str, reason: str) -> Answer:
    message = f"not analysed: {reason}"
    return file_result_to_json(
        FileResult.failed(path=path, module=module, message=message)
    )


class ChildDied(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Child:
    """The child process and the two pipes to it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.peak_kib = 0
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives with the child)
        child_in, requests = os.pipe()
        answers, child_out = os.pipe()
        self.requests = Connection(requests, readable=False)
        self.answers = Connection(answers, writable=False)
        path = os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])
        )
        command = [
            sys.executable, "-m", "analyzers.isolation",
            str(limits.memory_mib * MIB), str(limits.seconds),
        ]  # fmt: skip
        try:
            # Its own session: a signal to the caller's process group (a
            # worker's warm shutdown, Ctrl-C) is not the file's fault.
            self.process = subprocess.Popen(
                command,
                stdin=child_in,
                stdout=child_out,
                stderr=self.stderr,
                env={**os.environ, "PYTHONPATH": path},
                start_new_session=True,
            )
        except OSError as exc:
            self._close_files()
            raise AnalyserUnavailable(f"cannot start the analyzer: {exc}") from exc
        finally:
            os.close(child_in)
            os.close(child_out)
        try:
            ready = self.answers.poll(START_SECONDS) and self.answers.recv_bytes()
        except EOFError:
            ready = b""
        if ready != b"ready":
            why = self.stderr_tail()
            self.stop(kill=True)
            raise AnalyserUnavailable(f"the analyzer did not start: {why}")

    def ask(self, source: bytes, *, module: str, path: str, overrides: str) -> Answer:
        try:
            self.requests.send_bytes(json.dumps([module, path, overrides]).encode())
            self.requests.send_bytes(source)
        except OSError:  # a broken pipe: it died on reading the request
            raise ChildDied(self._death()) from None
        if not self.answers.poll(self.limits.wall_seconds):
            self.stop(kill=True)
            raise ChildDied(
                f"took over {self.limits.wall_seconds} s of wall-clock time"
            )
        try:
            return json.loads(self.answers.recv_bytes())
        except EOFError:
            raise ChildDied(self._death()) from None

    def alive(self) -> bool:
        return self._reap(block=False) is None

    def stop(self, *, kill: bool = False) -> None:
        """End it: at once if `kill`, else by closing its input (it exits
        after its current file, which its limits bound)."""
        if kill and self.process.returncode is None:
            self.process.kill()
        self.requests.close()
        deadline = time.monotonic() + self.limits.wall_seconds
        while self._reap(block=False) is None:
            if time.monotonic() > deadline:
                self.process.kill()
                self._reap(block=True)
                break
            time.sleep(0.01)
        self._close_files()

    def peak_so_far_kib(self) -> int:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def stderr_tail(self) -> str:
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        return self.stderr.read().decode(errors="replace").strip()

    def _death(self) -> str:
        """Why the child ended on a file."""
        code = self._reap(block=True)
        if code == -signal.SIGXCPU:
            return f"took over {self.limits.seconds} s"
        if any(sign in self.stderr_tail() for sign in OUT_OF_MEMORY):
            return f"over the {self.limits.memory_text} memory limit"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown"
            return f"the analyzer crashed (signal {-code}, {name})"
        return f"the analyzer stopped (exit status {code})"

    def _reap(self, *, block: bool) -> int | None:
        """Its exit status once it has ended (recording its peak memory)."""
        if self.process.returncode is None:
            pid, status, usage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                return None
            self.process.returncode = os.waitstatus_to_exitcode(status)
            self.peak_kib = usage.ru_maxrss
        return self.process.returncode

    def _close_files(self) -> None:
        self.requests.close()
        self.answers.close()
        self.stderr.close()


# The child ------------------------------------------------------------------
def main() -> None:
    memory_bytes, seconds = int(sys.argv[1]), int(sys.argv[2])
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print goes to stderr, never into an answer
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    retire_above = _address_space() + memory_bytes // 4
    memory_text = Limits(memory_mib=memory_bytes // MIB).memory_text
    answers.send_bytes(b"ready")
    while True:
        try:
            module, path, overrides = json.loads(requests.recv_bytes())
            source = requests.recv_bytes()
        except EOFError:  # the parent closed: no more files
            return
        _limit_cpu(seconds)
        try:
            answer = _answer(source, module=module, path=path, overrides=overrides)
        except MemoryError:
            reason = f"over the {memory_text} memory limit"
            answer = {"result": failed(path=path, module=module, reason=reason)}
            answer["retire"] = True
        answer["retire"] = answer.get("retire") or _address_space() > retire_above
        answers.send_bytes(json.dumps(answer).encode())
        if answer["retire"]:
            return


def _answer(source: bytes, *, module: str, path: str, overrides: str = "{}") -> Answer:
    try:
        conventions = conventions_from_overrides(overrides)
        result = analyze_file(source, module=module, path=path, conventions=conventions)
    except MemoryError:
        raise
    except Exception as exc:  # an analyzer bug: that file fails, the rest goes on
        result = FileResult.failed(
            path=path, module=module, message=f"analyzer error: {exc!r}"
        )
        return {"result": file_result_to_json(result), "error": traceback.format_exc()}
    # Under RLIMIT_AS a MemoryError while parsing is the limit, not the file.
    if result.parse_error and result.parse_error.message.startswith("MemoryError"):
        raise MemoryError
    return {"result": file_result_to_json(result)}


def _limit_cpu(seconds: int) -> None:
    """Let the next file use `seconds` of CPU from now; past them, SIGXCPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _address_space() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * resource.getpagesize()


if __name__ == "__main__":
    main()
