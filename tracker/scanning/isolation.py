"""Analyse files in a child process, so a parser crash costs only that file.

libcst's native parser can overflow its stack on pathological input and take
its process down. The pipeline sends files only libcst can parse here, and
a whole batch whose worker died before. The child analyses the files in
order and prints one JSON line per file; if it dies, the file it was on is
recorded as a parse failure and a new child carries on after it.

`python -m tracker.scanning.isolation INPUT` reads a pickled list of (bytes, module,
path) written by this module. It imports the analyzer only.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from analyzers.file_pass import analyze_file
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.types import FileResult, ParseError

SECONDS_PER_FILE = 60

Item = tuple[bytes, str, str]  # (source, module, path)


def analyze_isolated(data: bytes, *, module: str, path: str) -> FileResult:
    return analyze_many_isolated([(data, module, path)])[0]


def analyze_many_isolated(items: list[Item]) -> list[FileResult]:
    results: list[FileResult] = []
    while len(results) < len(items):
        todo = items[len(results) :]
        done, failure = _run_child(todo)
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


def _run_child(items: list[Item]) -> tuple[list[FileResult], str]:
    """Results until the child stopped, and why it stopped early (or "")."""
    with tempfile.TemporaryDirectory(prefix="asyncdash-isolation-") as folder:
        batch = Path(folder) / "batch.pickle"
        batch.write_bytes(pickle.dumps(items))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "tracker.scanning.isolation", str(batch)],
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
    return results, f"analyzer process crashed ({reason})"


def main() -> None:
    items: list[Item] = pickle.loads(Path(sys.argv[1]).read_bytes())
    for data, module, path in items:
        result = analyze_file(data, module=module, path=path)
        sys.stdout.write(json.dumps(file_result_to_json(result)) + "\n")
        sys.stdout.flush()  # what is printed survives a crash on the next file


if __name__ == "__main__":
    main()
