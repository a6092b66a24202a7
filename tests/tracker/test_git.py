"""The bare mirror, against real repositories built with the git command line."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from git import Git

from tracker.sources.git import (
    GitDamagedError,
    GitRefusedError,
    GitSourceError,
    GitUnavailableError,
    Mirror,
    Tag,
    is_release_tag,
    validate_repo_url,
)

RELEASE = r"\d+\.\d+(\.\d+)?"
DATES = {
    "1.0": datetime(2020, 1, 1, tzinfo=UTC),
    "1.1": datetime(2020, 2, 1, tzinfo=UTC),
    "1.1.1": datetime(2020, 3, 1, tzinfo=UTC),
}


def _git(cwd: Path, *args: str, date: datetime | None = None) -> str:
    stamp = f"{int((date or datetime(2021, 1, 1, tzinfo=UTC)).timestamp())} +0000"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _children() -> list[tuple[str, list[str]]]:
    """(command name, argv) of this process's children, zombies included."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
        comm, _, rest = stat.partition("(")[2].rpartition(")")
        if int(rest.split()[1]) == os.getpid():
            children.append((comm, argv.split("\0")))
    return children


def _cat_file_children() -> int:
    return sum("cat-file" in argv for _, argv in _children())


def _git_children() -> int:
    return sum(comm.startswith("git") for comm, _ in _children())


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of any live process (ours or orphaned) containing `text`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = entry.read_bytes().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        if text in argv:
            found.append(argv)
    return found


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A work tree with three release tags and a few tags that are not."""
    repo = tmp_path / "source"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _write(repo, "django/__init__.py", "VERSION = (1, 0)\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "one", date=DATES["1.0"])
    _git(repo, "tag", "1.0")

    _write(repo, "django/core/handlers.py", "async def handle():\n    pass\n")
    _write(repo, "django/bin.py", "#!/usr/bin/env python\n")
    (repo / "django/bin.py").chmod(0o755)
    _write(repo, "django/README.txt", "not python\n")
    (repo / "django/alias.py").symlink_to("__init__.py")
    _write(repo, "tests/test_views.py", "def test():\n    pass\n")
    _write(repo, "docs/conf.py", "project = 'x'\n")
    _write(repo, "djangoextra/mod.py", "x = 1\n")
    _git(repo, "add", "-A")
    # A submodule entry with a .py name: a commit, not a blob.
    gitlink = "160000," + "ab" * 20 + ",django/vendored.py"
    _git(repo, "update-index", "--add", "--cacheinfo", gitlink)
    _git(repo, "commit", "--quiet", "-m", "two", date=DATES["1.1"])
    # Annotated, and tagged later than the commit: the commit date counts.
    later = datetime(2024, 6, 1, tzinfo=UTC)
    _git(repo, "tag", "-a", "-m", "release 1.1", "1.1", date=later)

    _write(repo, "django/__init__.py", "VERSION = (1, 1, 1)\n")
    _git(repo, "commit", "--quiet", "-am", "three", date=DATES["1.1.1"])
    _git(repo, "tag", "1.1.1")
    _git(repo, "tag", "not-a-release")
    head = _git(repo, "rev-parse", "HEAD")
    # git tag refuses this name; a hostile remote could still publish it.
    _git(repo, "update-ref", "refs/tags/--upload-pack=x", head)
    # A release-looking tag of a tree, not a commit.
    _git(repo, "tag", "2.9", _git(repo, "rev-parse", "HEAD^{tree}"))
    return repo


@pytest.fixture
def mirror(source: Path, tmp_path: Path) -> Iterator[Mirror]:
    with Mirror.clone_or_open(url=str(source), path=tmp_path / "mirror") as opened:
        yield opened


def _commit(repo: Path, rev: str) -> str:
    return _git(repo, "rev-parse", f"{rev}^{{commit}}")


def test_tags_are_release_tags_peeled_to_commits(mirror: Mirror, source: Path):
    """Lightweight and annotated tags give their commit and its committer date."""
    assert mirror.tags(RELEASE) == [
        Tag(name=name, commit=_commit(source, name), date=date)
        for name, date in DATES.items()
    ]


def test_option_like_and_non_commit_tags_are_skipped(mirror: Mirror):
    """A tag named like an option or naming a tree never comes back."""
    assert [tag.name for tag in mirror.tags(r".+")] == [
        "1.0",
        "1.1",
        "1.1.1",
        "not-a-release",
    ]


def test_branch_commit(mirror: Mirror, source: Path):
    """The tip of a branch and its date; None for a missing branch."""
    assert mirror.branch_commit("main") == (_commit(source, "main"), DATES["1.1.1"])
    assert mirror.branch_commit("mai") is None
    with pytest.raises(GitSourceError):
        mirror.branch_commit("--upload-pack=x")


def test_python_blobs_keeps_regular_py_files_under_the_folders(
    mirror: Mirror, source: Path
):
    """Symlinks, submodules, other files and look-alike folders are left out."""
    commit = _commit(source, "1.1")

    blobs = mirror.python_blobs(commit, ("django", "tests"))

    assert [blob.path for blob in blobs] == [
        "django/__init__.py",
        "django/bin.py",
        "django/core/handlers.py",
        "tests/test_views.py",
    ]
    for blob in blobs:
        assert blob.sha == _git(source, "rev-parse", f"{commit}:{blob.path}")


@pytest.mark.parametrize("commit", ["1.1", "HEAD", "--output=/tmp/x", "AB" * 20])
def test_python_blobs_wants_a_full_sha(mirror: Mirror, commit: str):
    """Tags and option-like names must be resolved to a SHA before."""
    with pytest.raises(GitSourceError, match="40-hex"):
        mirror.python_blobs(commit, ("django",))


def test_read_blobs_uses_one_cat_file_and_close_ends_it(mirror: Mirror, source: Path):
    """Exact bytes through one persistent process that close() ends."""
    before = _cat_file_children()
    blobs = mirror.python_blobs(_commit(source, "1.1"), ("django", "tests"))

    read = dict(mirror.read_blobs(blob.sha for blob in blobs))

    for blob in blobs:
        expected = _git(source, "show", f"1.1:{blob.path}") + "\n"
        assert read[blob.sha] == expected.encode()
    assert _cat_file_children() == before + 1
    mirror.close()
    assert _cat_file_children() == before


def test_read_blobs_refuses_bad_names_and_non_blobs(mirror: Mirror, source: Path):
    """Only 40-hex names of blobs are read."""
    with pytest.raises(GitSourceError, match="40-hex"):
        list(mirror.read_blobs(["--batch-all-objects"]))
    with pytest.raises(GitSourceError, match="not a blob"):
        list(mirror.read_blobs([_commit(source, "1.0")]))
    with pytest.raises(GitSourceError, match="cannot read"):
        list(mirror.read_blobs(["0" * 40]))
    # The process is still in step after those errors.
    sha = _git(source, "rev-parse", "1.0:django/__init__.py")
    assert list(mirror.read_blobs([sha])) == [(sha, b"VERSION = (1, 0)\n")]


def test_fetch_adds_new_tags_and_prunes_deleted_ones(mirror: Mirror, source: Path):
    """A tag added upstream appears and a deleted one goes."""
    _write(source, "django/new.py", "x = 2\n")
    _git(source, "add", "-A")
    _git(
        source, "commit", "--quiet", "-m", "four", date=datetime(2020, 4, 1, tzinfo=UTC)
    )
    _git(source, "tag", "2.0")
    _git(source, "tag", "-d", "1.0")

    mirror.fetch()

    assert [tag.name for tag in mirror.tags(RELEASE)] == ["1.1", "1.1.1", "2.0"]
    assert mirror.tags(RELEASE)[-1].commit == _commit(source, "2.0")


def test_the_mirror_holds_branches_and_tags_only(source: Path, tmp_path: Path):
    """Refs a host keeps beside them (GitHub's refs/pull/*) are not copied, and
    fetch moves the branch the weekly snapshot reads."""
    head = _commit(source, "HEAD")
    _git(source, "update-ref", "refs/pull/1/head", head)
    with Mirror.clone_or_open(url=str(source), path=tmp_path / "lean") as lean:
        refs = _git(lean.path, "for-each-ref", "--format=%(refname)").split()
        assert "refs/pull/1/head" not in refs and "refs/heads/main" in refs
        assert lean.branch_commit("main")[0] == head
        _write(source, "django/later.py", "x = 3\n")
        _git(source, "add", "-A")
        _git(source, "commit", "--quiet", "-m", "later")
        lean.fetch()
        assert lean.branch_commit("main")[0] == _commit(source, "HEAD") != head


def test_reopening_checks_the_origin(mirror: Mirror, source: Path, tmp_path: Path):
    """The same URL opens the mirror again; another URL is refused."""
    with Mirror.clone_or_open(url=str(source), path=mirror.path) as again:
        assert again.has_origin()
        assert again.tags(RELEASE) == mirror.tags(RELEASE)
    with pytest.raises(GitSourceError, match="is of"):
        Mirror.clone_or_open(url=str(tmp_path), path=mirror.path)


def test_a_failed_clone_leaves_nothing(tmp_path: Path):
    """Cloning something that is not a repository leaves no folder behind."""
    (tmp_path / "empty").mkdir()
    before = _git_children()

    with pytest.raises(GitSourceError, match="clone failed"):
        Mirror.clone_or_open(url=str(tmp_path / "empty"), path=tmp_path / "m")

    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty"]
    assert _git_children() == before


def test_a_clone_that_hangs_is_killed(tmp_path: Path, monkeypatch):
    """A server that never answers costs the timeout, not a stuck worker."""
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")
    before = _git_children()
    # The kernel completes the handshake; nobody ever answers the TLS hello.
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"https://127.0.0.1:{server.getsockname()[1]}/repo.git"
        started = time.monotonic()
        with pytest.raises(GitSourceError, match="killed after 1s"):
            Mirror.clone_or_open(url=url, path=tmp_path / "m", timeout=1)
    assert time.monotonic() - started < 30
    assert list(tmp_path.iterdir()) == []
    assert _git_children() == before
    # git-remote-https, a grandchild, was killed too (orphans take a moment).
    deadline = time.monotonic() + 5
    while _processes_mentioning(url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(url) == []


def test_init_local_makes_an_empty_bare_mirror_without_origin(tmp_path: Path):
    """A PyPI-built mirror opens again, has no tags and skips fetch."""
    with Mirror.init_local(path=tmp_path / "local") as local:
        assert not local.has_origin()
        local.fetch()
        assert local.tags(r".+") == []
    with Mirror.init_local(path=tmp_path / "local") as again:
        assert again.path == tmp_path / "local"
    with pytest.raises(GitSourceError, match="no remote"):
        Mirror.clone_or_open(url=str(tmp_path), path=tmp_path / "local")


def test_a_work_tree_or_a_full_folder_is_not_a_mirror(source: Path, tmp_path: Path):
    """Neither a non-bare repository nor a folder with files is touched."""
    with pytest.raises(GitSourceError, match="work tree"):
        Mirror.init_local(path=source)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(GitSourceError, match="not a bare"):
        Mirror.init_local(path=tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


UNSAFE_URLS = [
    ("ext::sh -c touch% {marker}", "remote helper"),
    ("ext::sh", "remote helper"),
    ("--upload-pack=touch {marker}", "option"),
    ("-u{marker}", "option"),
    ("ssh://example.com/repo.git", "'ssh' scheme"),
    ("git://example.com/repo.git", "'git' scheme"),
    ("file://{marker}", "'file' scheme"),
    ("http://example.com/repo.git", "'http' scheme"),
    ("HTTPS://example.com/repo.git", "'HTTPS' scheme"),
    ("git@example.com:repo.git", "neither"),
    ("relative/repo", "neither"),
    ("https://-oProxyCommand=x/repo", "host"),
    ("https://user:token@example.com/repo.git", "credentials"),
    # Percent-encoded userinfo: git would decode "%40" and send credentials.
    ("https://127.0.0.1%40evil:9/x", "host"),
    ("https://user%3Atoken%40example.com/repo.git", "host"),
    ("https://[::1%25eth0]/repo.git", "host"),
    ("https://exa_mple.com/repo.git", "host"),
    ("https://example.com:99999/repo.git", "port"),
    ("https://example.com", "no repository path"),
    ("https://example.com/repo\n.git", "control"),
    ("https://example.com/re po.git", "whitespace"),
    ("https://example.com\\repo.git", "backslash"),
    ("/no/such/directory", "not an existing directory"),
    ("", "empty"),
]


@pytest.mark.parametrize(("template", "problem"), UNSAFE_URLS)
def test_unsafe_urls_are_refused_before_git_runs(
    template: str, problem: str, tmp_path: Path, monkeypatch
):
    """The message names the problem; no git process starts, nothing is made."""
    marker = tmp_path / "pwned"
    url = template.format(marker=marker)

    def no_git(*args, **kwargs):
        raise AssertionError(f"git ran: {args}")

    monkeypatch.setattr(Git, "execute", no_git)
    with pytest.raises(GitSourceError, match=problem):
        validate_repo_url(url)
    with pytest.raises(GitSourceError, match=problem):
        Mirror.clone_or_open(url=url, path=tmp_path / "mirror")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/django/django.git",
        "https://example.com:8443/group/project",
        "https://example.com/repo.git?ref=x",
        "https://[::1]:8443/repo.git",
        "https://[2001:db8::1]/group/repo.git",
        "https://127.0.0.1:9/x",
    ],
)
def test_https_urls_are_accepted(url: str):
    assert validate_repo_url(url) == url


def test_an_existing_absolute_directory_is_accepted(tmp_path: Path):
    assert validate_repo_url(str(tmp_path)) == str(tmp_path)


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("1.0", RELEASE, True),
        ("5.2.19", RELEASE, True),
        ("1.0rc1", RELEASE, False),
        ("v1.0", RELEASE, False),
        ("--upload-pack=x", r".+", False),
        ("-1.0", r"-?[\d.]+", False),
        ("1..0", r"[\d.]+", False),
        ("1.0.lock", r".+", False),
        ("1.0/", r".+", False),
        ("1.0.", r".+", False),
        ("a//b", r".+", False),
        ("a/.hidden", r".+", False),
        ("@", r".+", False),
        ("a@{1}", r".+", False),
        ("a b", r".+", False),
        ("a\tb", r".+", False),
        ("a\x7fb", r".+", False),
        *((f"a{char}b", r".+", False) for char in "~^:?*[\\"),
        ("stable/5.2.x", r"[A-Za-z0-9._/-]+", True),
        ("main", r"[A-Za-z0-9._/-]+", True),
        ("", r".*", False),
    ],
)
def test_is_release_tag(name: str, pattern: str, expected: bool):
    assert is_release_tag(name, pattern) is expected


def test_errors_say_whether_trying_again_can_help(
    mirror: Mirror, source: Path, tmp_path: Path
):
    """A failed git command is transient (the scan tasks retry it); refused
    input and a missing object are permanent (they fail the scan at once)."""
    from tracker.scanning.tasks import TRANSIENT

    (tmp_path / "empty").mkdir()
    with pytest.raises(GitSourceError) as failed_clone:
        Mirror.clone_or_open(url=str(tmp_path / "empty"), path=tmp_path / "m")
    with pytest.raises(GitSourceError) as refused:
        validate_repo_url("ext::sh -c touch% /tmp/pwned")
    with pytest.raises(GitSourceError) as missing:
        list(mirror.read_blobs(["0" * 40]))

    assert isinstance(failed_clone.value, GitUnavailableError)
    assert isinstance(failed_clone.value, TRANSIENT)
    assert isinstance(refused.value, GitRefusedError)
    assert isinstance(missing.value, GitDamagedError)
    assert not isinstance(refused.value, TRANSIENT)
    assert not isinstance(missing.value, TRANSIENT)


@pytest.mark.parametrize(
    "url",
    ["https://user:token@example.com/repo.git", "https://user%3Atoken%40example.com/x"],
)
def test_a_refused_url_is_named_without_its_credentials(url: str):
    """The error reaches logs, the admin and the command line: no token in it."""
    with pytest.raises(GitSourceError) as refused:
        validate_repo_url(url)
    assert "token" not in str(refused.value)
