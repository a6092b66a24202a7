"""A bare mirror of a project's repository, read straight from the object store.

Shell code: it runs git through GitPython and never imports Django. Nothing
that comes from a URL, a ref name or a file name is ever passed to git where
git could take it for an option: URLs and ref names are validated first and
placed after `--`, SHAs must be 40 hex digits, and file names reach git on
stdin only. GitPython's `allow_unsafe_*` switches stay off, every command has
a timeout, and `close()` ends the persistent `git cat-file` processes.

Two GitPython conveniences are avoided on purpose: `Repo.clone_from` starts
git with `as_process=True`, where `kill_after_timeout` has no effect, so the
clone is run through `Git.execute` instead; and `Repo.init` expands `$VARS`
and `~` in its path unless told not to.
"""

import logging
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from git import Git, InvalidGitRepositoryError, NoSuchPathError, Repo

logger = logging.getLogger(__name__)

# Applies to every git process we start, the persistent cat-file included.
_GIT_ENV = {
    # git itself refuses any other transport (ext::, fd::, ssh, git://, http),
    # whatever a URL, a redirect or a config file asks for. "file" is how git
    # names a clone from a local path.
    "GIT_ALLOW_PROTOCOL": "https:file",
    # Never wait for a password on a terminal nobody watches.
    "GIT_TERMINAL_PROMPT": "0",
    # A mirror fetches refs/replace/* too; read the objects the tags name.
    "GIT_NO_REPLACE_OBJECTS": "1",
}
_IMPORTER_IDENTITY = {
    "GIT_AUTHOR_NAME": "asyncdash importer",
    "GIT_AUTHOR_EMAIL": "importer@asyncdash.invalid",
    "GIT_COMMITTER_NAME": "asyncdash importer",
    "GIT_COMMITTER_EMAIL": "importer@asyncdash.invalid",
}
_SHA = re.compile(r"[0-9a-f]{40}")
_BRANCH_NAME = r"[A-Za-z0-9._/-]+"
_IMPORT_TAG = r"[0-9][0-9A-Za-z.]*"
# Characters git check-ref-format refuses anywhere in a ref name.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
# git reads "<transport>::<address>" as a remote helper to run (transport.c);
# an IPv6 host in brackets ("https://[::1]/x") has "::" but is not one.
_REMOTE_HELPER = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")
# The host of an https URL: DNS labels (a letter or digit first, so never an
# option), an IPv4 address, or an IPv6 one in brackets; then a port, maybe.
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]{1,5})?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REF_FIELDS = (
    "%(refname)",
    "%(objectname)",
    "%(objecttype)",
    "%(committerdate:iso-strict)",
    "%(*objectname)",
    "%(*objecttype)",
    "%(*committerdate:iso-strict)",
)
_REGULAR_FILE_MODES = {b"100644", b"100755"}
# The seconds since 1970 that git reads as a date in "<seconds> +0000": fewer
# than nine digits read as something else, and it stops before 2100.
_GIT_DATES = (100_000_000, 4_102_444_799)


class GitSourceError(Exception):
    """Something the git layer could not do; one of the three kinds below.

    The kinds tell a caller whether trying again can help: only
    `GitUnavailableError` is worth a retry.
    """


class GitRefusedError(GitSourceError, ValueError):
    """Permanent: a URL, ref, object name, folder or file name was refused."""


class GitDamagedError(GitSourceError):
    """Permanent: the mirror lacks an object it should hold, or holds the
    wrong kind (a damaged object store); reading it again gives the same."""


class GitUnavailableError(GitSourceError):
    """Transient: a git command failed or was killed after its timeout (the
    network, the disk, a busy host); worth trying again."""


@dataclass(frozen=True)
class Tag:
    name: str
    commit: str
    date: datetime


@dataclass(frozen=True)
class BlobEntry:
    path: str
    sha: str


def validate_repo_url(url: str) -> str:
    """Return `url` if it is an https URL or an existing absolute directory."""
    if not url:
        raise GitRefusedError("the repository URL is empty")
    if url.startswith("-"):
        raise GitRefusedError(f"{url!r} starts with '-' and would read as an option")
    if _REMOTE_HELPER.match(url):
        raise GitRefusedError(f"{url!r} uses git's '<helper>::' remote helper syntax")
    if _URL_FORBIDDEN.search(url) or any(char.isspace() for char in url):
        raise GitRefusedError(
            f"{url!r} contains whitespace, a control character or a backslash"
        )
    if url.startswith("/"):
        if not Path(url).is_dir():
            raise GitRefusedError(f"{url!r} is not an existing directory")
        return url
    if "://" not in url:
        raise GitRefusedError(
            f"{url!r} is neither an https:// URL nor an absolute local path "
            "(relative paths and scp-style host:path are refused)"
        )
    scheme = url.split("://", 1)[0]
    if scheme != "https":
        raise GitRefusedError(
            f"{url!r} uses the {scheme!r} scheme; only https:// URLs and absolute "
            "local paths are accepted"
        )
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise GitRefusedError(f"{url!r} has an invalid port") from exc
    if "@" in parts.netloc:
        # Named without its credentials: the message reaches logs and pages.
        shown = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1])
        raise GitRefusedError(
            f"{shown.geturl()!r} carries credentials; use a git credential helper"
            " instead"
        )
    if not _HOST.fullmatch(parts.netloc):
        # Also refuses userinfo in any encoding ("%40" is an "@" to git).
        raise GitRefusedError(
            f"{parts._replace(netloc='***').geturl()!r} has no valid host name (a"
            " DNS name or address, an IPv6 one in brackets, and an optional port)"
        )
    if parts.path in {"", "/"}:
        raise GitRefusedError(f"{url!r} names no repository path")
    return url


def is_release_tag(name: str, pattern: str) -> bool:
    """Whether `name` fully matches `pattern` and is a safe, valid ref name.

    The rules are git check-ref-format's, checked in Python, plus no leading
    '-' so that the name can never be read as an option.
    """
    if not name or name.startswith("-") or not re.fullmatch(pattern, name):
        return False
    if _REF_FORBIDDEN.search(name) or ".." in name or "@{" in name or name == "@":
        return False
    if name.endswith(("/", ".", ".lock")) or "//" in name:
        return False
    components = name.split("/")
    return not any(
        part.startswith(".") or part.endswith(".lock") for part in components
    )


def _check_sha(sha: str) -> str:
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise GitRefusedError(f"{sha!r} is not a 40-hex object name")
    return sha


def _check_folders(folders: tuple[str, ...]) -> tuple[str, ...]:
    for folder in folders:
        parts = folder.split("/")
        if not folder or _URL_FORBIDDEN.search(folder) or {"", ".", ".."} & {*parts}:
            raise GitRefusedError(f"{folder!r} is not a plain relative folder")
    if not folders:
        raise GitRefusedError("no folders given")
    return folders


def _execute(
    git: Git,
    args: Iterable[str],
    *,
    timeout: float,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run one git command to completion and return its stdout."""
    args = list(args)
    with ExitStack() as stack:
        istream = None
        if stdin is not None:
            # Popen needs a real file: a temporary one, not a pipe to fill.
            istream = stack.enter_context(tempfile.TemporaryFile())
            istream.write(stdin)
            istream.seek(0)
        status, out, err = git.execute(
            [Git.GIT_PYTHON_GIT_EXECUTABLE, *args],
            istream=istream,
            env=env,
            kill_after_timeout=timeout,
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
    if status == -signal.SIGKILL:
        raise GitUnavailableError(f"git {args[0]} was killed after {timeout:g}s")
    if status != 0:
        # GitPython decodes stderr whatever stdout_as_string says.
        raise GitUnavailableError(f"git {args[0]} failed ({status}): {err.strip()}")
    return out


def _parse_date(text: bytes) -> datetime:
    return datetime.fromisoformat(text.decode()).astimezone(UTC)


def _parse_refs(output: bytes) -> Iterator[tuple[str, str, datetime]]:
    """Yield (ref name, commit, committer date) for refs that peel to a commit."""
    for line in output.splitlines():
        fields = line.split(b"\0")
        if len(fields) != len(_REF_FIELDS):
            logger.debug("skipping unparsable ref line %r", line)
            continue
        refname, sha, kind, date, peeled, peeled_kind, peeled_date = fields
        if kind == b"tag" and peeled_kind == b"commit":
            sha, date = peeled, peeled_date
        elif kind != b"commit":
            logger.debug("skipping %r: it does not name a commit", refname)
            continue
        try:
            yield refname.decode(), sha.decode(), _parse_date(date)
        except ValueError:  # UnicodeDecodeError included
            logger.debug("skipping %r: undecodable name or date", refname)


def _snapshot_files(
    *, source_dir: Path, folders: tuple[str, ...]
) -> list[tuple[str, str, Path]]:
    """List (mode, relative path, path) for the regular files under `folders`.

    Symbolic links are left out, so nothing is ever read through one, and a
    folder that is a link (or lies under one) is skipped whole.
    """
    root = Path(os.path.realpath(source_dir))
    files: list[tuple[str, str, Path]] = []
    for folder in folders:
        top = source_dir / folder
        if not top.is_dir() or top.is_symlink():
            logger.debug("no folder %s in %s", folder, source_dir)
            continue
        if not Path(os.path.realpath(top)).is_relative_to(root):
            logger.warning("skipping %s: it lies under a symbolic link", folder)
            continue
        for dirpath, _dirnames, filenames in os.walk(top, followlinks=False):
            for filename in filenames:
                path = Path(dirpath, filename)
                relative = path.relative_to(source_dir).as_posix()
                mode = os.lstat(path).st_mode
                if not stat.S_ISREG(mode):
                    logger.debug("skipping %s: not a regular file", relative)
                    continue
                if _CONTROL.search(str(path.absolute())):
                    raise GitRefusedError(f"{relative!r} has a control character")
                if not _is_utf8(str(path.absolute())):
                    raise GitRefusedError(f"{relative!r} is not valid UTF-8")
                if any(part.casefold() == ".git" for part in relative.split("/")):
                    # update-index would drop it, saying only "Ignoring path".
                    raise GitRefusedError(f"{relative!r} is inside a .git folder")
                files.append(
                    ("100755" if mode & stat.S_IXUSR else "100644", relative, path)
                )
    return sorted(files, key=lambda entry: entry[1])


def _is_utf8(text: str) -> bool:
    # Undecodable bytes in a file name reach Python as lone surrogates.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _create_atomically(*, path: Path, command: list[str], timeout: float) -> None:
    """Run `git <command> <new folder>` in a temp dir, then rename it to `path`.

    git makes the folder itself, so it gets the usual permissions rather than
    the private ones of the temp dir.
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise GitRefusedError(f"{path} exists and is not a bare git repository")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        git = Git(path.parent)
        git.update_environment(**_GIT_ENV)
        _execute(git, [*command, str(staging / "repo")], timeout=timeout)
        try:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()  # empty: git's own folder takes its place
            (staging / "repo").rename(path)
        except OSError:
            # Another process (a second beat) made it first: theirs is used,
            # and opening it checks it as it would check ours.
            if not path.is_dir() or not any(path.iterdir()):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# A bare clone copies branches and tags only, where `--mirror` would also copy
# every ref the host keeps, such as GitHub's refs/pull/* (tens of thousands for
# Django). Fetch names the same refs explicitly: branches move, and tags
# deleted upstream are pruned (git prunes tags only under an explicit refspec).
_CLONE = ["clone", "--bare"]
_REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]


class Mirror:
    """A bare repository: tags, a branch tip and the Python files of a commit."""

    def __init__(self, repo: Repo, *, timeout: float = 600) -> None:
        self._repo = repo
        self.path = Path(repo.git_dir)
        self.timeout = timeout
        repo.git.update_environment(**_GIT_ENV)

    @classmethod
    def _open(cls, *, path: Path, timeout: float) -> "Mirror | None":
        try:
            repo = Repo(path, expand_vars=False)
        except (InvalidGitRepositoryError, NoSuchPathError):
            return None
        if not repo.bare:
            repo.close()
            raise GitRefusedError(f"{path} is a git work tree, not a bare mirror")
        return cls(repo, timeout=timeout)

    @classmethod
    def clone_or_open(cls, *, url: str, path: Path, timeout: float = 600) -> "Mirror":
        """Open the bare mirror of `url` at `path`, cloning it first if needed."""
        url = validate_repo_url(url)
        mirror = cls._open(path=path, timeout=timeout)
        if mirror is None:
            logger.info("cloning %s into %s", url, path)
            _create_atomically(path=path, command=[*_CLONE, "--", url], timeout=timeout)
            mirror = cls._open(path=path, timeout=timeout)
        if mirror is None:
            raise GitUnavailableError(f"git left no repository at {path}")
        origin = mirror._origin_url()
        if origin != url:
            mirror.close()
            raise GitRefusedError(
                f"the mirror at {path} is of {origin or 'no remote'}, not {url}"
            )
        return mirror

    @classmethod
    def init_local(cls, *, path: Path, timeout: float = 600) -> "Mirror":
        """Open or create an empty bare repository for imported releases."""
        mirror = cls._open(path=path, timeout=timeout)
        if mirror is None:
            _create_atomically(
                path=path, command=["init", "--bare", "--quiet", "--"], timeout=timeout
            )
            mirror = cls._open(path=path, timeout=timeout)
        if mirror is None:
            raise GitUnavailableError(f"git left no repository at {path}")
        return mirror

    def close(self) -> None:
        """End the persistent git processes (cat-file) of this mirror."""
        self._repo.close()

    def __enter__(self) -> "Mirror":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        return _execute(
            self._repo.git, args, timeout=self.timeout, stdin=stdin, env=env
        )

    def _origin_url(self) -> str | None:
        try:
            output = self._run("config", "--get", "remote.origin.url")
        except GitSourceError:
            return None  # git config exits 1 when the key is missing
        return output.decode().strip()

    def has_origin(self) -> bool:
        """Whether the mirror was cloned (True) or built from PyPI (False)."""
        return self._origin_url() is not None

    def fetch(self) -> None:
        """Bring the mirror up to date with its origin (if it has one)."""
        origin = self._origin_url()
        if origin is None:
            logger.info(
                "%s has no origin remote (built from PyPI): no fetch", self.path
            )
            return
        validate_repo_url(origin)  # the config file could have been edited
        self._run("fetch", "--prune", "--quiet", "origin", *_REFSPECS)

    def _refs(self, prefix: str) -> list[tuple[str, str, datetime]]:
        output = self._run(
            "for-each-ref", f"--format={'%00'.join(_REF_FIELDS)}", "--", prefix
        )
        return list(_parse_refs(output))

    def tags(self, pattern: str) -> list[Tag]:
        """Release tags matching `pattern`, peeled to commits, oldest first."""
        found = []
        for refname, commit, date in self._refs("refs/tags"):
            name = refname.removeprefix("refs/tags/")
            if is_release_tag(name, pattern):
                found.append(Tag(name=name, commit=commit, date=date))
            else:
                logger.debug("skipping tag %r: not a release tag", name)
        return sorted(found, key=lambda tag: (tag.date, tag.name))

    def _ref_commit(self, refname: str) -> tuple[str, datetime] | None:
        for found, commit, date in self._refs(refname):
            if found == refname:
                return commit, date
        return None

    def tag_commit(self, name: str) -> str | None:
        """The commit tag `name` points at, or None if there is no such tag."""
        if not is_release_tag(name, r".+"):
            raise GitRefusedError(f"{name!r} is not a valid tag name")
        found = self._ref_commit(f"refs/tags/{name}")
        return found[0] if found else None

    def default_branch(self) -> str | None:
        """The branch the origin's HEAD named when the mirror was cloned
        (`git clone --bare` makes it the mirror's HEAD: `master`, `main`...),
        if the mirror has it; None for a mirror built from PyPI."""
        if not self.has_origin():
            return None
        try:
            output = self._run("symbolic-ref", "--quiet", "HEAD")
        except GitSourceError:
            return None  # a detached HEAD names no branch
        name = output.decode().strip().removeprefix("refs/heads/")
        if not is_release_tag(name, _BRANCH_NAME):
            return None
        return name if self._ref_commit(f"refs/heads/{name}") else None

    def branch_commit(self, name: str) -> tuple[str, datetime] | None:
        """The tip commit of branch `name` and its committer date, if any."""
        if not is_release_tag(name, _BRANCH_NAME):
            raise GitRefusedError(f"{name!r} is not a valid branch name")
        return self._ref_commit(f"refs/heads/{name}")

    def python_blobs(self, commit: str, folders: tuple[str, ...]) -> list[BlobEntry]:
        """The regular `.py` files of `commit` under `folders` (links left out)."""
        _check_sha(commit)
        prefixes = tuple(f"{folder}/" for folder in _check_folders(folders))
        output = self._run("ls-tree", "-r", "-z", "--full-tree", commit)
        entries = []
        for record in output.split(b"\0"):
            if not record.endswith(b".py"):
                continue  # most of a tree (a scan lists 176 releases' trees)
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, sha = meta.split(b" ")
            if mode not in _REGULAR_FILE_MODES or kind != b"blob":
                continue  # symlink (120000), submodule (160000 commit), tree
            try:
                path = raw_path.decode()
            except UnicodeDecodeError:
                logger.debug("skipping undecodable path %r", raw_path)
                continue
            if path.endswith(".py") and path.startswith(prefixes):
                entries.append(BlobEntry(path=path, sha=sha.decode()))
        return entries

    def _kill_cat_file(self, expired: threading.Event) -> None:
        expired.set()
        process = self._repo.git.cat_file_all
        if process is not None and process.proc is not None:
            process.proc.kill()

    def read_blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Yield (sha, content) for each blob, through one `git cat-file --batch`.

        GitPython keeps that process open between calls; `close()` ends it.
        `kill_after_timeout` does not apply to it, so each read is watched here.
        """
        for sha in shas:
            _check_sha(sha)
            expired = threading.Event()
            watchdog = threading.Timer(
                self.timeout, self._kill_cat_file, args=(expired,)
            )
            watchdog.daemon = True
            watchdog.start()
            try:
                _, kind, _, data = self._repo.git.get_object_data(sha)
            except ValueError as exc:
                self._repo.git.clear_cache()  # the stream is out of step or dead
                if expired.is_set():
                    raise GitUnavailableError(
                        f"git cat-file was killed after {self.timeout:g}s"
                    ) from exc
                raise GitDamagedError(f"cannot read object {sha}: {exc}") from exc
            finally:
                watchdog.cancel()
            if expired.is_set():
                self._repo.git.clear_cache()  # killed just as the read ended
            if kind != b"blob":
                raise GitDamagedError(f"object {sha} is a {kind.decode()}, not a blob")
            yield sha, data

    def commit_tree(
        self,
        *,
        source_dir: Path,
        folders: tuple[str, ...],
        tag: str,
        message: str,
        date: datetime,
    ) -> str:
        """Commit the files under `folders` of `source_dir` and tag the commit.

        Returns the commit SHA; if the tag exists already, its commit. The
        commit has no parent and a fixed identity, so the same tree, message
        and date always give the same SHA.

        Files are hashed with `hash-object --no-filters --stdin-paths` and put
        in a temporary index, not `git add`-ed: an sdist's own .gitignore or
        .gitattributes (or the user's global ones, or a configured clean
        filter such as git-lfs) must neither drop files, rewrite their bytes
        nor run programs on them. Symbolic links are left out rather than
        recorded: nothing reads through them and `python_blobs` skips links.
        """
        if not is_release_tag(tag, _IMPORT_TAG):
            raise GitRefusedError(f"{tag!r} is not a valid release tag")
        if date.tzinfo is None:
            raise GitRefusedError("the commit date needs a time zone")
        if not _GIT_DATES[0] <= date.timestamp() <= _GIT_DATES[1]:
            raise GitRefusedError(
                f"git cannot record the date {date.isoformat()}"
                " (it takes 1973-03-03 to 2099-12-31)"
            )
        refname = f"refs/tags/{tag}"
        existing = self._ref_commit(refname)
        if existing:
            logger.debug("%s exists already at %s", refname, existing[0])
            return existing[0]
        files = _snapshot_files(source_dir=source_dir, folders=_check_folders(folders))
        if not files:
            raise GitRefusedError(f"no files under {folders} in {source_dir}")
        paths = "".join(f"{path.absolute()}\n" for _, _, path in files)
        shas = self._run(
            "hash-object", "-w", "--no-filters", "--stdin-paths", stdin=paths.encode()
        ).split()
        index_info = b"".join(
            f"{mode} {sha.decode()}\t{relative}\0".encode()
            for (mode, relative, _), sha in zip(files, shas, strict=True)
        )
        with tempfile.TemporaryDirectory() as scratch:
            index_env = {"GIT_INDEX_FILE": str(Path(scratch, "index"))}
            self._run(
                "update-index", "--add", "-z", "--index-info",
                stdin=index_info, env=index_env,
            )  # fmt: skip
            tree = self._run("write-tree", env=index_env).decode().strip()
        stamp = f"{int(date.timestamp())} +0000"
        commit_env = {
            **_IMPORTER_IDENTITY,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        message = message if message.endswith("\n") else f"{message}\n"
        commit = self._run(
            "commit-tree", _check_sha(tree), stdin=message.encode(), env=commit_env
        )
        commit_sha = _check_sha(commit.decode().strip())
        try:
            # The empty old value makes git refuse to move an existing tag.
            self._run("update-ref", "--", refname, commit_sha, "")
        except GitSourceError:
            raced = self._ref_commit(refname)
            if raced is None:
                raise
            return raced[0]
        return commit_sha
