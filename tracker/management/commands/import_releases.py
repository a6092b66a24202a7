"""Build a project's mirror from PyPI sdists: each release becomes a tag.

For air-gapped users, the quick start and the tests; production mirrors the
upstream repository instead. The scan pipeline reads either the same way.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tracker.models import Project
from tracker.scanning.mirrors import mirror_open
from tracker.sources import pypi
from tracker.sources.sdist import SdistDownloadError, UnsafeArchiveError


class Command(BaseCommand):
    help = "Import release sdists from PyPI into the project's local mirror."

    def add_arguments(self, parser):
        parser.add_argument("versions", nargs="*", help="e.g. 3.0 3.1 5.2.19")
        parser.add_argument(
            "--feature-releases-since",
            metavar="VERSION",
            help="every X.Y release from VERSION on, as listed on PyPI",
        )
        parser.add_argument("--project", default="django")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None or not project.pypi_package:
            raise CommandError(f"no project {options['project']!r} with a PyPI name")
        versions = list(options["versions"])
        if options["feature_releases_since"]:
            available = pypi.pypi_versions(project.pypi_package)
            versions += pypi.feature_releases_since(
                available, options["feature_releases_since"]
            )
        if not versions:
            raise CommandError("name versions or --feature-releases-since")
        started = time.perf_counter()
        with (
            mirror_open(project, from_pypi=True) as mirror,
            tqdm(
                total=len(versions), desc="import", unit="release", disable=None
            ) as bar,
        ):
            try:
                imported = pypi.import_releases(
                    mirror=mirror,
                    package=project.pypi_package,
                    versions=versions,
                    cache_dir=settings.SDIST_CACHE_DIR,
                    folders=project.folders,
                    progress=lambda version: (
                        bar.set_postfix_str(version),
                        bar.update(),
                    ),
                )
            except (SdistDownloadError, UnsafeArchiveError) as exc:
                raise CommandError(str(exc)) from exc
        created = [r.version for r in imported if r.created]
        self.stdout.write(
            f"{len(imported)} releases: {len(created)} imported"
            f" ({', '.join(created) or 'none'}), {len(imported) - len(created)}"
            f" already in the mirror; {time.perf_counter() - started:.1f} s"
        )
