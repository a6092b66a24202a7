"""Print the component table of a scanned release."""

from django.core.management.base import BaseCommand, CommandError

from analyzers.cli import format_components
from tracker import selectors
from tracker.management.options import project_get, version_check


class Command(BaseCommand):
    help = "Print the component table of a scanned release (default: the newest)."

    def add_arguments(self, parser):
        parser.add_argument("--release", metavar="VERSION")
        parser.add_argument("--project", default="django")

    def handle(self, *args, **options):
        project = project_get(options["project"])
        version = options["release"]
        if version is not None:
            version_check("--release", version, snapshots=True)
        release = selectors.release_get(project=project, version=version)
        if release is None:
            raise CommandError("no such scanned release; run `manage.py scan` first")
        self.stdout.write(f"{project.name} {release.version} ({release.commit[:12]})")
        for line in format_components(selectors.release_components(release=release)):
            self.stdout.write(line)
        one_sided = release.pairdrift_set.filter(one_sided=True)
        if release.previous:
            self.stdout.write(
                f"\nsince {release.previous.version}: {one_sided.count()} one-sided"
                " changes"
            )
            for drift in one_sided.order_by("module", "async_qualname"):
                side = "sync" if drift.sync_changed else "async"
                self.stdout.write(
                    f"  {drift.module}.{drift.async_qualname}: only the {side} twin"
                    " changed"
                )
