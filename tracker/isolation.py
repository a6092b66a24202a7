"""Analyse one file in a child process, so a parser crash costs only that file.

libcst's native parser can overflow its stack on pathological input and take
its process down. The pipeline analyses in-process first; a batch whose
worker died is retried file by file through here, and a file that kills its
child is recorded as a parse failure.

`python -m tracker.isolation MODULE PATH` reads the file's bytes on stdin and
writes the FileResult as JSON on stdout. It imports the analyzer only.
"""

from __future__ import annotations

import json
import subprocess
import sys

from analyzers.file_pass import analyze_file
from analyzers.serialize import file_result_from_json
from analyzers.types import FileResult, ParseError, to_jsonable

TIMEOUT = 120


def analyze_isolated(data: bytes, *, module: str, path: str) -> FileResult:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tracker.isolation", module, path],
            input=data,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _crashed(module, path, f"analyzer timed out after {TIMEOUT} s")
    if done.returncode != 0:
        reason = (
            f"signal {-done.returncode}" if done.returncode < 0 else done.returncode
        )
        return _crashed(module, path, f"analyzer process crashed ({reason})")
    return file_result_from_json(json.loads(done.stdout))


def _crashed(module: str, path: str, message: str) -> FileResult:
    return FileResult(
        path=path, module=module, parse_error=ParseError(path=path, message=message)
    )


def main() -> None:
    module, path = sys.argv[1], sys.argv[2]
    result = analyze_file(sys.stdin.buffer.read(), module=module, path=path)
    json.dump(to_jsonable(result), sys.stdout)


if __name__ == "__main__":
    main()
