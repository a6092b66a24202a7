"""Read and analyse a source tree for `python -m analyzers`, come what may.

The command line walks the package and tests folders itself, so that no file
stops the run or goes missing without a word:

- a `.py` entry that is not a regular file (a symbolic link, a FIFO, a
  folder named `x.py`) or that cannot be read (permissions) becomes a
  FileResult whose parse error says why it was not analysed;
- a file only libcst's native parser can read, which pathological input
  crashes (`type X = ` and 50,000 `not`s overflows its stack), is analysed
  in a child process, where a crash costs only that file.

`python -m analyzers.safe_read MODULE PATH` is that child: the source on
stdin, the FileResult as JSON on stdout. Standard library and libcst only.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from analyzers.components import ComponentMap
from analyzers.file_pass import analyze_file
from analyzers.names import module_name
from analyzers.serialize import file_result_from_json, file_result_to_json
from analyzers.types import FileResult, ParseError

SECONDS_PER_FILE = 60


def not_analysed(*, path: str, reason: str) -> FileResult:
    return FileResult(
        path=path,
        module=module_name(path),
        parse_error=ParseError(path=path, message=f"not analysed: {reason}"),
    )


def read_tree(root: Path, component_map: ComponentMap) -> list[FileResult]:
    """Every `.py` entry of the package and tests folders, analysed or not.

    `root` is a source tree holding the package folder, or the package
    folder itself (as `analyzers.tree.source_files` reads it).
    """
    return [
        analyse_entry(relative, path)
        for relative, path in _py_entries(root, component_map)
    ]


def _py_entries(root: Path, component_map: ComponentMap) -> Iterator[tuple[str, Path]]:
    if (root / component_map.package).is_dir():
        base, folders = root, [root / component_map.package, root / component_map.tests]
    else:
        base, folders = root.parent, [root]
    found = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        # Links to folders are not followed: they are reported, not walked.
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in (*dirnames, *filenames):
                if name.endswith(".py"):
                    path = Path(dirpath, name)
                    found.append((path.relative_to(base).as_posix(), path))
    yield from sorted(found)


def analyse_entry(relative: str, path: Path) -> FileResult:
    """One `.py` entry: its analysis, or why it was not analysed."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return not_analysed(path=relative, reason=_os_reason(exc))
    if not stat.S_ISREG(mode):
        return not_analysed(path=relative, reason=_kind(mode))
    try:
        data = _read_regular(path)
    except OSError as exc:
        return not_analysed(path=relative, reason=_os_reason(exc))
    if data is None:  # replaced by something else since the lstat
        return not_analysed(path=relative, reason="not a regular file")
    return analyze_file(
        data, module=module_name(relative), path=relative, libcst_only=analyse_in_child
    )


def _read_regular(path: Path) -> bytes | None:
    # No following links, no blocking on a FIFO swapped in after the lstat.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read()


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    return f"cannot read it ({exc.strerror or exc})"


def analyse_in_child(source: bytes, *, module: str, path: str) -> FileResult:
    """Analyse one file in a child process; a crash or a hang fails it alone."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "analyzers.safe_read", module, path],
            input=source,
            capture_output=True,
            timeout=SECONDS_PER_FILE,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reason = f"the analyzer took over {SECONDS_PER_FILE} s"
    else:
        if done.returncode == 0:
            return file_result_from_json(json.loads(done.stdout))
        code = done.returncode
        reason = f"signal {-code}" if code < 0 else f"exit status {code}"
        reason = f"the analyzer process crashed ({reason})"
    return FileResult(
        path=path, module=module, parse_error=ParseError(path=path, message=reason)
    )


def main() -> None:
    module, path = sys.argv[1], sys.argv[2]
    result = analyze_file(sys.stdin.buffer.read(), module=module, path=path)
    sys.stdout.write(json.dumps(file_result_to_json(result)))


if __name__ == "__main__":
    main()
