"""Read and analyse a source tree for `python -m analyzers`, come what may.

The command line walks the package and tests folders itself, so that no file
stops the run or goes missing without a word:

- a `.py` entry that is not a regular file (a symbolic link, a FIFO, a
  folder named `x.py`), that cannot be read (permissions) or that is larger
  than the limit becomes a FileResult whose parse error says why it was not
  analysed;
- every other file is analysed in `analyzers.isolation`'s child under the
  per-file time and memory limits, where a file that exceeds one or crashes
  the parser costs only itself.

Standard library and libcst only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from analyzers.config import ProjectConfig
from analyzers.file_pass.names import module_name
from analyzers.isolation import IsolatedAnalyser, Limits, too_large
from analyzers.records import FileResult
from analyzers.serialize import file_result_from_json
from analyzers.tree_pass.components import ComponentMap


def not_analysed(*, path: str, module: str, reason: str) -> FileResult:
    return FileResult.failed(
        path=path, module=module, message=f"not analysed: {reason}"
    )


def read_tree(
    root: Path,
    config: ProjectConfig | ComponentMap,
    limits: Limits | None = None,
) -> list[FileResult]:
    """Every `.py` entry of the package and tests folders, analysed or not,
    under a project's config (a bare component map: the shared conventions).

    `root` is a source tree holding the package folder, or the package
    folder itself (as `analyzers.tree_pass.analyze.source_files` reads it).
    """
    if isinstance(config, ComponentMap):
        component_map, project = config, None
    else:
        component_map, project = config.components, config
    with IsolatedAnalyser(limits) as analyser:
        return [
            analyse_entry(
                relative,
                path,
                analyser,
                project,
                module=component_map.module_of(relative),
            )
            for relative, path in _py_entries(root, component_map)
        ]


def source_reader(
    root: Path, component_map: ComponentMap, limits: Limits | None = None
) -> Callable[[str], bytes | None]:
    """The tree pass's `read_source`: a `.py` file's bytes by its path
    relative to the tree, read as read_tree reads it (a regular file within
    the size limit, no link), else None."""
    base = _base(root, component_map)
    limits = limits or Limits()

    def read(relative: str) -> bytes | None:
        path = base / relative
        if ".." in Path(relative).parts or not relative.endswith(".py"):
            return None
        try:
            data = _read_regular(path, limits=limits)
        except OSError:
            return None
        return data if isinstance(data, bytes) else None

    return read


def _base(root: Path, component_map: ComponentMap) -> Path:
    return root if (root / component_map.package_dir).is_dir() else root.parent


def _py_entries(root: Path, component_map: ComponentMap) -> Iterator[tuple[str, Path]]:
    base = _base(root, component_map)
    if base == root:
        folders = [root / component_map.package_dir, root / component_map.tests]
    else:
        folders = [root]
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


def analyse_entry(
    relative: str,
    path: Path,
    analyser: IsolatedAnalyser,
    config: ProjectConfig | None = None,
    *,
    module: str | None = None,
) -> FileResult:
    """One `.py` entry: its analysis, or why it was not analysed. `module`
    defaults to the name its path gives."""
    module = module or module_name(relative)
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return not_analysed(path=relative, module=module, reason=_os_reason(exc))
    if not stat.S_ISREG(mode):
        return not_analysed(path=relative, module=module, reason=_kind(mode))
    try:
        data = _read_regular(path, limits=analyser.limits)
    except OSError as exc:
        return not_analysed(path=relative, module=module, reason=_os_reason(exc))
    if isinstance(data, str):
        return not_analysed(path=relative, module=module, reason=data)
    answer = analyser.analyse(data, module=module, path=relative, config=config)
    return file_result_from_json(answer)


def _read_regular(path: Path, *, limits: Limits) -> bytes | str:
    """The file's bytes, or why they were not read."""
    # No following links, no blocking on a FIFO swapped in after the lstat.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"  # replaced by something else since the lstat
        if status.st_size > limits.max_file_bytes:
            return too_large(status.st_size, limits)
        return handle.read(limits.max_file_bytes + 1)  # it may have grown since


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
