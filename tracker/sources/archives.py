"""Unpack an untrusted .tar.gz: every resource it can cost is bounded first.

Standard library only, and safe on every Python 3.11: Debian 12's 3.11.2
lacks tarfile's extraction filters (3.11.4), so the checks here refuse, before
anything is written, everything the "data" filter would, and the extraction
applies its modes and ownership itself where the filter is missing.

What an archive may spend, each refused with UnsafeArchiveError past its
bound: the compressed file's size; extended headers (pax, GNU long names)
one by one, in total, in a row before one member, and global ones; the
number of members; a member name's length and depth; the bytes of regular
files. Sparse members are refused: tarfile reads their maps without a bound.
"""

from __future__ import annotations

import copy
import gzip
import math
import os
import re
import stat
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


class UnsafeArchiveError(ValueError):
    """The archive is refused: it cannot be read whole, or a member must not
    be written to disk."""


@dataclass(frozen=True)
class Limits:
    """What one archive may make us read, keep in memory and write."""

    members: int = 20_000  # Django's sdists: about 10,300
    bytes: int = 300 * 2**20  # regular files, uncompressed; Django: 45 MiB
    archive_bytes: int = 100 * 2**20  # the .tar.gz; Django: 11 MiB
    name_bytes: int = 1024  # a member's name or link target; Django: 130
    depth: int = 32  # folders in a name; Django: 11


DEFAULT_LIMITS = Limits()

# Extended headers hold a member's name and metadata: Django's are at most
# 167 bytes each, 290 KB in all. tarfile reads each one whole and keeps a
# parsed copy per member, and reads a run of them by recursion.
MAX_HEADER_BYTES = 64 * 2**10
MAX_HEADER_BYTES_TOTAL = 2 * 2**20
MAX_HEADERS_PER_MEMBER = 4  # a pax header and two GNU long names, at most
# A global pax header is copied into every member after it.
MAX_GLOBAL_HEADER_BYTES = 4 * 2**10
# Times git and datetime can hold: 1970 to the end of 9999.
MAX_MTIME = 253_402_300_799
# After the last member: the end-of-archive blocks, padded to 10 KiB records.
MAX_TRAILING_BYTES = 2**20

_EXTENDED_HEADERS = {
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
}
# What reading a damaged or truncated archive raises, besides TarError.
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


@dataclass
class _HeaderBudget:
    """The extended header bytes an archive has spent so far."""

    total: int = 0
    global_: int = 0
    in_a_row: int = 0

    def spend(self, info: tarfile.TarInfo) -> None:
        if info.size < 0:
            raise UnsafeArchiveError(f"a header at byte {info.offset} has a size < 0")
        if info.type == tarfile.GNUTYPE_SPARSE:
            raise UnsafeArchiveError(f"member {info.name!r} is a sparse file")
        if info.type not in _EXTENDED_HEADERS:
            self.in_a_row = 0
            return
        self.in_a_row += 1
        self.total += info.size
        if info.type == tarfile.XGLTYPE:
            self.global_ += info.size
        for spent, limit, what in (
            (info.size, MAX_HEADER_BYTES, "an extended header of"),
            (self.total, MAX_HEADER_BYTES_TOTAL, "extended headers of"),
            (self.global_, MAX_GLOBAL_HEADER_BYTES, "global headers of"),
        ):
            if spent > limit:
                raise UnsafeArchiveError(
                    f"{what} {spent} bytes (more than {limit}) at byte {info.offset}"
                )
        if self.in_a_row > MAX_HEADERS_PER_MEMBER:
            raise UnsafeArchiveError(
                f"more than {MAX_HEADERS_PER_MEMBER} extended headers in a row"
                f" at byte {info.offset}"
            )


class _BoundedTarInfo(tarfile.TarInfo):
    """Charges each header to its archive's budget before tarfile reads it.

    `_proc_member` is tarfile's step that reads a header's data (documented
    in tarfile.py as the method a subclass overrides); the `_proc_gnusparse_*`
    steps read sparse maps from pax headers, with no bound (version 1.0 loops
    for ever on a truncated map).
    """

    def _proc_member(self, tar: _BoundedTarFile):
        tar.header_budget.spend(self)
        return super()._proc_member(tar)

    def _refuse_sparse(self, next_member, *args) -> None:
        raise UnsafeArchiveError(f"member {next_member.name!r} is a sparse file")

    _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _refuse_sparse


class _BoundedTarFile(tarfile.TarFile):
    tarinfo = _BoundedTarInfo

    def __init__(self, *args, **kwargs):
        self.header_budget = _HeaderBudget()  # the constructor reads a member
        super().__init__(*args, **kwargs)


@dataclass
class _Tree:
    """What the members seen so far put where, to check the next one against."""

    limits: Limits
    kinds: dict[tuple[str, ...], str] = field(default_factory=dict)  # by path
    file_sizes: dict[tuple[str, ...], int] = field(default_factory=dict)
    folders: set[tuple[str, ...]] = field(default_factory=set)  # and their parents
    total: int = 0

    def add(self, member: tarfile.TarInfo) -> None:
        """Refuse `member` unless it is a plain file, folder or link, inside
        one top-level folder, named once, neither in nor through a link."""
        name = member.name
        parts = self._parts(name)
        if not parts:
            return  # the archive root itself, "./"
        self._check_times_and_size(member)
        kind = _kind(member)
        if len(parts) == 1 and kind != "folder":
            raise UnsafeArchiveError(f"member {name!r} is not inside a folder")
        if parts in self.kinds:
            raise UnsafeArchiveError(f"member {name!r} appears twice")
        above = [parts[:depth] for depth in range(1, len(parts))]
        if any(self.kinds.get(folder) == "symlink" for folder in above):
            raise UnsafeArchiveError(f"member {name!r} is inside a symlink")
        if any(self.kinds.get(folder) not in (None, "folder") for folder in above) or (
            kind != "folder" and parts in self.folders
        ):
            raise UnsafeArchiveError(f"member {name!r} is both a file and a folder")
        if any(part.casefold() == ".git" for part in parts):
            # git never records a path through a .git folder: it would be
            # dropped from the release without a word.
            raise UnsafeArchiveError(f"member {name!r} is inside a .git folder")
        size = member.size if kind == "file" else 0
        if kind == "symlink":
            self._check_symlink(member, parts)
        elif kind == "hard link":
            size = self._hard_link_size(member)
        self.kinds[parts] = kind
        self.folders.update(above)
        if kind in ("file", "hard link"):
            self.file_sizes[parts] = size
        self.total += size
        if self.total > self.limits.bytes:
            raise UnsafeArchiveError(
                f"members exceed {self.limits.bytes} bytes uncompressed (at {name!r})"
            )

    def top(self) -> str:
        tops = {parts[0] for parts in self.kinds}
        if len(tops) != 1:
            raise UnsafeArchiveError(
                f"expected one top-level folder, found {sorted(tops) or 'none'}"
            )
        return tops.pop()

    def _parts(self, name: str) -> tuple[str, ...]:
        """The name's parts, once it is a bounded relative path without '..'."""
        self._check_text(name, "name")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise UnsafeArchiveError(f"member {name!r} has an absolute path")
        parts = PurePosixPath(name).parts
        if ".." in parts:
            raise UnsafeArchiveError(f"member {name!r} has a '..' component")
        if len(parts) > self.limits.depth:
            raise UnsafeArchiveError(
                f"member {_short(name)} is more than {self.limits.depth} folders deep"
            )
        return parts

    def _check_text(self, text: str, what: str) -> None:
        if len(text.encode("utf-8", "surrogateescape")) > self.limits.name_bytes:
            raise UnsafeArchiveError(
                f"a member's {what} {_short(text)} is longer than"
                f" {self.limits.name_bytes} bytes"
            )
        if "\x00" in text:
            raise UnsafeArchiveError(f"a member's {what} {text!r} holds a NUL byte")

    def _check_times_and_size(self, member: tarfile.TarInfo) -> None:
        mtime = member.mtime
        if not (
            isinstance(mtime, int | float)
            and math.isfinite(mtime)
            and 0 <= mtime <= MAX_MTIME
        ):
            raise UnsafeArchiveError(
                f"member {member.name!r} has a modification time out of range"
            )
        if member.size < 0:
            raise UnsafeArchiveError(f"member {member.name!r} has a size < 0")

    def _check_symlink(self, member: tarfile.TarInfo, parts: tuple[str, ...]) -> None:
        # Relative to the link's own folder; a link through another link is
        # found on disk after extraction (_check_symlinks_on_disk).
        self._check_text(member.linkname, "link target")
        target = PurePosixPath(member.linkname)
        resolved = os.path.normpath(PurePosixPath(*parts[:-1]) / target)
        if target.is_absolute() or resolved.split("/")[0] != parts[0]:
            raise UnsafeArchiveError(
                f"link {member.name!r} -> {member.linkname!r} leaves the tree"
            )

    def _hard_link_size(self, member: tarfile.TarInfo) -> int:
        """A hard link names an earlier regular file, by its archive path, and
        counts its size: it is written as a full copy wherever links are not
        kept (and read as one by everything after)."""
        self._check_text(member.linkname, "link target")
        target = PurePosixPath(member.linkname)
        if target.is_absolute() or ".." in target.parts:
            raise UnsafeArchiveError(
                f"link {member.name!r} -> {member.linkname!r} leaves the tree"
            )
        if target.parts not in self.file_sizes:
            raise UnsafeArchiveError(
                f"hard link {member.name!r} -> {member.linkname!r} names no"
                " earlier file of the archive"
            )
        return self.file_sizes[target.parts]


def _kind(member: tarfile.TarInfo) -> str:
    if member.isfile():
        return "file"
    if member.isdir():
        return "folder"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hard link"
    raise UnsafeArchiveError(f"member {member.name!r} is a device or special file")


def _short(text: str) -> str:
    """A name for a one-line message, however long it is."""
    return repr(text) if len(text) <= 80 else f"{text[:60]!r}... ({len(text)} chars)"


def _check_members(tar: tarfile.TarFile, limits: Limits) -> list[tarfile.TarInfo]:
    tree, members = _Tree(limits=limits), []
    for member in tar:
        if len(members) == limits.members:
            raise UnsafeArchiveError(
                f"more than {limits.members} members (at {_short(member.name)})"
            )
        tree.add(member)
        members.append(member)
    tree.top()
    _read_to_the_end(tar)
    return members


def _read_to_the_end(tar: tarfile.TarFile) -> None:
    """Read what follows the end-of-archive blocks, where tarfile stops, so
    gzip checks the stream's CRC and length (a changed byte, garbage after)."""
    if len(tar.fileobj.read(MAX_TRAILING_BYTES + 1)) > MAX_TRAILING_BYTES:
        raise UnsafeArchiveError(
            f"more than {MAX_TRAILING_BYTES} bytes after the last member"
        )


def _as_data(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """The member with the "data" filter's mode and ownership, for Pythons
    without filters: no set-id bits, nobody else may write, the owner may
    read and write, and the files belong to whoever extracts them."""
    member = copy.copy(member)
    if member.isdir():
        member.mode = 0o755
    elif not member.issym():
        mode = member.mode & 0o755 | 0o600
        member.mode = mode if mode & 0o100 else mode & ~0o111
    member.uid, member.gid, member.uname, member.gname = (
        os.getuid(),
        os.getgid(),
        "",
        "",
    )
    return member


def _extract(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        # Python 3.11.4 and later: the filter checks paths and links once
        # more against the disk as it extracts.
        try:
            tar.extractall(dest, members=members, filter="data")
        except tarfile.FilterError as exc:
            raise UnsafeArchiveError(str(exc)) from exc
    else:
        # Nothing _check_members let through is written through a link, twice,
        # or outside `dest`; a link that leaves through another link is found
        # on disk afterwards.
        tar.extractall(dest, members=[_as_data(member) for member in members])


def _check_symlinks_on_disk(tree: Path) -> None:
    # Lexical checks miss a link that walks through another link ("d -> ." then
    # "l -> d/../x"); the file system knows where each one really lands.
    root = tree.resolve()
    for dirpath, dirnames, filenames in os.walk(tree):
        for entry in (*dirnames, *filenames):
            path = Path(dirpath, entry)
            if not path.is_symlink():
                continue
            # realpath, unlike Path.resolve, tolerates a link that loops.
            if not Path(os.path.realpath(path)).is_relative_to(root):
                raise UnsafeArchiveError(
                    f"link {str(path.relative_to(tree))!r} resolves outside the tree"
                )


def _open_regular(archive: Path, limits: Limits):
    """The archive, open, once it is a regular file of bounded size."""
    # No blocking on a FIFO, no following a link swapped in for the file.
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise UnsafeArchiveError(f"cannot open it: {exc.strerror or exc}") from exc
    handle = os.fdopen(fd, "rb")
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        handle.close()
        raise UnsafeArchiveError("not a regular file")
    if status.st_size > limits.archive_bytes:
        handle.close()
        raise UnsafeArchiveError(
            f"{status.st_size} bytes, more than {limits.archive_bytes}"
        )
    return handle


def unpack(*, archive: Path, dest: Path, limits: Limits = DEFAULT_LIMITS) -> Path:
    """Unpack the .tar.gz `archive` into the empty folder `dest`; return the
    archive's one top-level folder. UnsafeArchiveError, naming the archive,
    if it is refused or cannot be read whole; `dest` may then hold part of
    it (the caller unpacks into a folder it throws away)."""
    try:
        with (
            _open_regular(archive, limits) as handle,
            _BoundedTarFile.open(fileobj=handle, mode="r:gz") as tar,
        ):
            members = _check_members(tar, limits)
            _extract(tar, members, dest)
    except UnsafeArchiveError as exc:
        raise UnsafeArchiveError(f"{archive.name}: {exc}") from exc
    except _READ_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        raise UnsafeArchiveError(f"{archive.name}: cannot be read: {reason}") from exc
    (top,) = dest.iterdir()
    try:
        _check_symlinks_on_disk(top)
    except UnsafeArchiveError as exc:
        raise UnsafeArchiveError(f"{archive.name}: {exc}") from exc
    return top
