"""Scan releases of a project into the database, showing how far it got.

On a terminal, bars of releases and of blobs analysed with the time left,
and a line per release as it ends (`tracker.management.terminal`); a line
per step elsewhere. In-process (no REDIS_URL) the scans run inside this
command and report through `tracker.scanning.progress`; with workers the
command reads their Scan rows and the per-blob cache.
"""

import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analyzers import ANALYZER_VERSION
from tracker import versions
from tracker.management.options import project_get, version_check
from tracker.management.terminal import ScanProgress
from tracker.models import FileAnalysis, Scan
from tracker.scanning import progress, requests, steps, weekly
from tracker.scanning.mirrors import release_tags
from tracker.sources.git import GitSourceError

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Scan releases (and main) of a project: analyse, store, compare."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--release", action="append", metavar="VERSION")
        which.add_argument("--all", action="store_true", help="every release tag")
        which.add_argument("--since", metavar="VERSION")
        which.add_argument("--main", action="store_true", help="a snapshot of main")
        which.add_argument(
            "--newest",
            action="store_true",
            help="the newest feature release in the mirror (make run's first page)",
        )
        parser.add_argument("--force", action="store_true", help="scan again")
        parser.add_argument("--project", default="django")

    def handle(self, *args, **options):
        project = project_get(options["project"])
        for version in options["release"] or []:
            version_check("--release", version)
        if options["since"] is not None:
            version_check("--since", options["since"])
        started = time.perf_counter()
        self.started_at = timezone.now()
        with ScanProgress(self.stdout) as shown, _listening(shown):
            if options["main"]:
                snapshot = weekly.main_snapshot_request(
                    project=project, trigger=Scan.Trigger.COMMAND
                )
                if snapshot is None:
                    raise CommandError(
                        f"no branch {project.main_branch!r} in the mirror"
                        if project.main_branch
                        else "the mirror has no default branch (HEAD) to scan"
                    )
                scans = [snapshot]
            else:
                scans = self._request(project, options)
            finished = self._wait(scans, shown)
        self._summary(finished, time.perf_counter() - started)
        if any(scan.status != Scan.Status.DONE for scan in finished):
            raise CommandError("some scans failed; see above")

    def _request(self, project, options) -> list[Scan]:
        requested_at = timezone.now()
        if options["newest"]:
            options["release"] = _newest_feature_release(project)
        try:
            # In-process, the scans run here; a failure is recorded on its scans.
            scans = requests.scans_request_versions(
                project=project,
                versions=options["release"],
                since=options["since"],
                trigger=Scan.Trigger.COMMAND,
                force=options["force"],
            )
        except (versions.VersionError, requests.ReleaseNotFoundError) as exc:
            raise CommandError(str(exc)) from None
        except GitSourceError as exc:
            which = ", ".join(options["release"] or []) or f"{project.slug} releases"
            raise CommandError(f"cannot scan {which}: {exc}") from None
        for scan in scans:
            if scan.status in Scan.ACTIVE and scan.created_at < requested_at:
                # Requested before this run: its worker may have died. Running
                # it again analyses only what is missing; it cannot write twice.
                requests.scan_resume(scan=scan)
        return scans

    def _wait(self, scans: list[Scan], shown: ScanProgress) -> list[Scan]:
        """Poll until every scan is done or failed (at once in embedded mode)."""
        ids = {scan.pk for scan in scans}
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # Every task has run in this process: nothing left could end a
            # scan still active, so it failed, and waiting would be forever.
            for scan in Scan.objects.filter(pk__in=ids, status__in=Scan.ACTIVE):
                steps.scan_fail(
                    scan_id=scan.pk, error="the in-process scan stopped unfinished"
                )
        cached = FileAnalysis.objects.filter(analyzer_version=ANALYZER_VERSION)
        cached_at_start = cached.count()
        prepared: set[int] = set()
        while True:
            rows = sorted(
                Scan.objects.filter(pk__in=ids),
                key=lambda s: versions.sort_key(s.version),
            )
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                # Workers run the scans: what they prepared and analysed so far.
                listed = [
                    s
                    for s in rows
                    if s.list_seconds
                    and s.pk not in prepared
                    and (s.started_at or s.created_at) >= self.started_at
                ]
                if listed:
                    prepared |= {s.pk for s in listed}
                    missing = sum(s.blobs_total - s.blobs_cached for s in listed)
                    shown.prepared(scans=len(listed), missing=missing)
                shown.analysed(cached.count() - cached_at_start - shown.blobs.n)
            for scan in rows:
                if scan.status not in Scan.ACTIVE:
                    shown.scan_ended(scan)
            if all(scan.status not in Scan.ACTIVE for scan in rows):
                return rows
            time.sleep(POLL_SECONDS)

    def _summary(self, scans: list[Scan], seconds: float) -> None:
        done = sum(1 for s in scans if s.status == Scan.Status.DONE)
        self.stdout.write(
            f"{done}/{len(scans)} releases done; blobs:"
            f" {sum(s.blobs_total for s in scans)} listed,"
            f" {sum(s.blobs_analysed for s in scans)} analysed,"
            f" {sum(s.blobs_cached for s in scans)} from cache;"
            f" {sum(s.parse_failures for s in scans)} parse failures; {seconds:.1f} s"
        )


def _newest_feature_release(project) -> list[str]:
    """[the newest feature release among the mirror's tags]."""
    try:
        tags = release_tags(project=project)
    except GitSourceError as exc:
        raise CommandError(f"cannot read {project.slug}'s mirror: {exc}") from None
    features = [tag.name for tag in tags if versions.is_feature(tag.name)]
    if not features:
        raise CommandError(
            f"no feature release of {project.slug} in the mirror"
            " (import_releases adds releases from PyPI)"
        )
    return features[-1:]  # release_tags are in version order


@contextmanager
def _listening(shown: ScanProgress):
    """Show what the scans running in this process report, meanwhile."""

    def prepared(*, scans, missing, **_):
        shown.prepared(scans=len(scans), missing=missing)

    def analysed(*, files, **_):
        shown.analysed(files)

    def ended(*, scan_id, **_):
        if (scan := Scan.objects.filter(pk=scan_id).first()) is not None:
            shown.scan_ended(scan)

    receivers = [
        (progress.scans_prepared, prepared),
        (progress.batch_analysed, analysed),
        (progress.scan_ended, ended),
    ]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver)
