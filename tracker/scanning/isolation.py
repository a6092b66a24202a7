"""Analyse files in a child process, so a parser crash costs only that file.

libcst's native parser can overflow its stack on pathological input and take
its process down. The pipeline sends files only libcst can parse here, and
a whole batch whose worker died before. The child analyses the files in
order and prints one JSON line per file; if it dies, the file it was on is
recorded as a parse failure and a new child carries on after it.

The child runs under a memory limit (its address space): a file that needs
more is recorded as out of memory, or the child dies on it and the file is
recorded as a crash; the worker lives on either way.

`python -m tracker.scanning.isolation INPUT MEMORY_BYTES` reads a pickled list
of (bytes, module, path) written by this module. It imports the analyzer only.
"""

from __future__ import annotations

import json
import pickle
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from analyzers.file_pass import analyze_file
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.types import FileResult, ParseError

SECONDS_PER_FILE = 60
# A file of 1 MiB (the pipeline's byte limit) peaks near 0.7 GiB.
MEMORY_BYTES = 2 * 2**30

Item = tuple[bytes, str, str]  # (source, module, path)


def analyze_isolated(data: bytes, *, module: str, path: str) -> FileResult:
    return analyze_many_isolated([(data, module, path)])[0]


def analyze_many_isolated(
    items: list[Item], *, memory_bytes: int = MEMORY_BYTES
) -> list[FileResult]:
    results: list[FileResult] = []
    while len(results) < len(items):
        todo = items[len(results) :]
        done, failure = _run_child(todo, memory_bytes=memory_bytes)
        results += done
        if failure:
            _, module, path = todo[len(done)]
            results.append(
                FileResult(
                    path=path,
                    module=module,
                    parse_error=ParseError(path=path, message=failure),
                )
            )
    return results


def _run_child(items: list[Item], *, memory_bytes: int) -> tuple[list[FileResult], str]:
    """Results until the child stopped, and why it stopped early (or "")."""
    with tempfile.TemporaryDirectory(prefix="asyncdash-isolation-") as folder:
        batch = Path(folder) / "batch.pickle"
        batch.write_bytes(pickle.dumps(items))
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tracker.scanning.isolation",
                    str(batch),
                    str(memory_bytes),
                ],  # fmt: skip
                capture_output=True,
                timeout=SECONDS_PER_FILE * len(items),
                check=False,
            )
            stdout, code = done.stdout, done.returncode
        except subprocess.TimeoutExpired as exc:
            stdout, code = exc.stdout or b"", None
    lines = [line for line in stdout.splitlines() if line.strip()]
    results = [file_result_from_json(json.loads(line)) for line in lines]
    if len(results) == len(items):
        return results, ""
    if code is None:
        return results, "analyzer timed out"
    reason = f"signal {-code}" if code < 0 else f"exit status {code}"
    # libcst's native parser aborts (signal 6) when an allocation fails.
    limit = f"{memory_bytes // 2**20} MiB"
    return results, f"analyzer process crashed ({reason}; memory limit {limit})"


def main() -> None:
    memory_bytes = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    items: list[Item] = pickle.loads(Path(sys.argv[1]).read_bytes())
    for data, module, path in items:
        try:
            result = analyze_file(data, module=module, path=path)
        except MemoryError:
            message = f"out of memory (the limit is {memory_bytes // 2**20} MiB)"
            result = FileResult(
                path=path, module=module, parse_error=ParseError(path, message)
            )
        sys.stdout.write(json.dumps(file_result_to_json(result)) + "\n")
        sys.stdout.flush()  # what is printed survives a crash on the next file


if __name__ == "__main__":
    main()
