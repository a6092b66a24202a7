"""Build small real git repositories with tagged releases for pipeline tests."""

import subprocess
import textwrap
from contextlib import contextmanager
from pathlib import Path

COMPONENTS = """
[project]
package = "pkg"
tests = "tests"

[modules]
"pkg.cache" = "cache"
"pkg.auth" = "auth"
"pkg.db" = "orm"

[tests]
"cache_tests" = "cache"
"""

CACHE = """
    from asgiref.sync import sync_to_async


    class BaseCache:
        def get(self, key):
            return key

        async def aget(self, key):
            return await sync_to_async(self.get)(key)

        def get_many(self, keys):
            return [self.get(k) for k in keys]

        async def aget_many(self, keys):
            return [await self.aget(k) for k in keys]
"""

DB = """
    from asgiref.sync import sync_to_async


    class QuerySet:
        def get(self, **kw):
            return kw

        async def aget(self, **kw):
            return await sync_to_async(self.get)(**kw)
"""

AUTH = """
    from pkg.db import QuerySet


    def authenticate(username):
        user = QuerySet().get(name=username)
        if user is None:
            return None
        user["backend"] = "default"
        return user


    async def aauthenticate(username):
        user = await QuerySet().aget(name=username)
        if user is None:
            return None
        user["backend"] = "default"
        return user
"""

# 1.1 fixes a bug in the sync path only: a one-sided change.
AUTH_FIXED_SYNC_ONLY = AUTH.replace(
    "user = QuerySet().get(name=username)\n",
    "user = QuerySet().get(name=username.strip())\n",
    1,
)

TESTS = """
    class CacheTests:
        def test_get(self):
            pass

        async def test_aget(self):
            pass
"""

RELEASES = {
    "1.0": {
        "pkg/__init__.py": "",
        "pkg/cache.py": CACHE,
        "pkg/db.py": DB,
        "pkg/auth.py": AUTH,
        "tests/cache_tests/test_cache.py": TESTS,
        "docs/readme.txt": "not python",
    },
    "1.1": {"pkg/auth.py": AUTH_FIXED_SYNC_ONLY},
    "1.2": {"pkg/extra.py": "def helper():\n    return 1\n"},
}


def many_files(count: int) -> dict[str, str]:
    """`count` modules of one class each: two twin pairs, four functions.

    The class is the one the hostile-input benchmark repeats.
    """
    from tracker.management.commands.bench_hostile import CLASS, HEADER

    return {f"pkg/store{n}.py": HEADER + CLASS.format(n=n) for n in range(count)}


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repo(path: Path, releases: dict[str, dict[str, str]] = RELEASES) -> Path:
    """A repository whose main branch gets one commit and one tag per release."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for tag, files in releases.items():
        for rel, code in files.items():
            target = path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(code))
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"release {tag}")
        git(path, "tag", tag)
    return path


def add_commit(path: Path, files: dict[str, str], message: str = "work") -> str:
    for rel, code in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(code))
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD")


def demo_project(repo: Path, *, slug: str = "demo"):
    """A tracked project for a repository made by `make_repo`."""
    from tracker.models import Project

    return Project.objects.create(
        slug=slug,
        name=slug.title(),
        git_url=str(repo),
        package_dir="pkg",
        tests_dir="tests",
        component_map=COMPONENTS,
        min_version="1.0",
    )


def project_remove(slug: str) -> None:
    """Remove a project the fixtures scanned, with the per-blob results they
    cached: those belong to no project, and tests run later (transactional
    ones come last) count what a scan finds in that cache."""
    from tracker.models import FileAnalysis, Project, ReleaseFile

    blobs = set(
        ReleaseFile.objects.filter(release__project__slug=slug).values_list(
            "blob_sha", flat=True
        )
    )
    Project.objects.filter(slug=slug).delete()
    FileAnalysis.objects.filter(blob_sha__in=blobs).delete()


@contextmanager
def site_for(slug: str, django_db_blocker, **settings):
    """A project the site shows: `settings` overridden and the caches empty
    while the block scans and uses it; the project removed, the caches
    emptied and the settings restored on the way out."""
    from django.core.cache import cache, caches
    from django.test import override_settings

    overrides = override_settings(**settings)
    overrides.enable()
    cache.clear()
    caches["local"].clear()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            project_remove(slug)
        cache.clear()
        caches["local"].clear()
        overrides.disable()
