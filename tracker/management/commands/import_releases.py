"""Build a project's mirror from PyPI sdists: each release becomes a tag.

For air-gapped users, the quick start and the tests; production mirrors the
upstream repository instead. The scan pipeline reads either the same way.

On a terminal: a bar for the downloads (a few at a time) and one for the
releases imported, then one summary line. Elsewhere: a line per release.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker import versions as release_versions
from tracker.management.options import project_get, version_check
from tracker.management.terminal import ImportProgress
from tracker.models import Project
from tracker.scanning.mirrors import mirror_open, release_tags
from tracker.sources import pypi
from tracker.sources.git import GitSourceError
from tracker.sources.sdist import SdistDownloadError


class Command(BaseCommand):
    help = (
        "Import release sdists from PyPI into the project's local mirror;"
        " a project with only a git URL is cloned (or fetched) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("versions", nargs="*", help="e.g. 3.0 3.1 5.2.19")
        parser.add_argument(
            "--feature-releases-since",
            metavar="VERSION",
            help="every X.Y release from VERSION on, as listed on PyPI",
        )
        parser.add_argument(
            "--all-since",
            metavar="VERSION",
            help="every final release from VERSION on, point releases too",
        )
        parser.add_argument(
            "--newest",
            action="store_true",
            help="the newest feature release on PyPI (make run's first page)",
        )
        parser.add_argument("--project", default="django")

    def handle(self, *args, **options):
        project = project_get(options["project"])
        if not project.pypi_package:
            if options["versions"] or options["feature_releases_since"]:
                raise CommandError(
                    f"{project.slug} is cloned from git, not imported from PyPI:"
                    " name no versions"
                )
            return self._clone(project)
        versions = list(dict.fromkeys(options["versions"]))  # each once
        for version in versions:
            try:
                release_versions.parse(version)
            except release_versions.VersionError as exc:
                raise CommandError(str(exc)) from None
        picks = [
            (f"--{name.replace('_', '-')}", options[name], pick)
            for name, pick in (
                ("feature_releases_since", pypi.feature_releases_since),
                ("all_since", pypi.final_releases_since),
            )
            if options[name] is not None
        ]
        if options["newest"]:
            picks.append(("--newest", None, _newest_feature_release))
        available = None
        for option, since, pick in picks:
            if since is not None:
                version_check(option, since)
            if available is None:
                try:
                    available = pypi.pypi_versions(project.pypi_package)
                except SdistDownloadError as exc:
                    raise CommandError(_one_line(exc)) from None
            versions += [v for v in pick(available, since) if v not in versions]
        if not versions:
            raise CommandError(
                "name versions, --feature-releases-since, --all-since or --newest"
            )
        started = time.perf_counter()
        try:
            imported = self._import(project, versions)
        except (pypi.ReleaseImportError, GitSourceError) as exc:
            raise CommandError(_one_line(exc)) from None
        created = [r.version for r in imported if r.created]
        self.stdout.write(
            f"{len(imported)} releases: {len(created)} imported"
            f" ({_first_few(created)}), {len(imported) - len(created)}"
            f" already in the mirror; {time.perf_counter() - started:.1f} s"
        )

    def _clone(self, project: Project) -> None:
        """Clone the project's repository, or fetch it; say its releases."""
        try:
            with mirror_open(project) as mirror:
                if mirror.has_origin():
                    mirror.fetch()
            tags = release_tags(project=project)
        except GitSourceError as exc:
            raise CommandError(_one_line(exc)) from None
        self.stdout.write(
            f"{len(tags)} release tags from {project.min_version} on in the mirror"
            f" of {project.git_url}"
        )

    def _import(self, project: Project, versions: list[str]):
        with mirror_open(project, from_pypi=True) as mirror:
            tagged = {tag.name for tag in mirror.tags(project.release_tag_pattern)}
            missing = sum(1 for version in versions if version not in tagged)
            with ImportProgress(
                self.stdout, total=len(versions), missing=missing
            ) as seen:
                return pypi.import_releases(
                    mirror=mirror,
                    package=project.pypi_package,
                    versions=versions,
                    cache_dir=settings.SDIST_CACHE_DIR,
                    folders=project.folders,
                    downloaded=seen.downloaded,
                    progress=seen.imported,
                )


def _newest_feature_release(available: list[str], _since: None) -> list[str]:
    return pypi.feature_releases_since(available, "0")[-1:]


def _first_few(names: list[str], few: int = 6) -> str:
    """`names` on part of a line: "3.0, 3.1, ... and 180 more"."""
    if len(names) <= few:
        return ", ".join(names) or "none"
    return f"{', '.join(names[:few])} and {len(names) - few} more"


def _one_line(exc: Exception) -> str:
    """An error on one line: what failed, and pip's or git's last word on it."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
