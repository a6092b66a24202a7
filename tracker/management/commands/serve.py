"""Serve the dashboard as `make run` does: nginx on --bind, in front of
gunicorn (gunicorn.conf.py, 2 processes x 4 threads) on a private loopback
port, so that slow clients wait in nginx and never hold gunicorn's threads.

Both stop on Ctrl-C (or SIGTERM); if either stops, so does the other.
With --catch-up-since, `manage.py import_releases --feature-releases-since
VERSION` then `manage.py scan --since VERSION` run beside them in the
background (their progress on the same terminal, the scans page showing
what is left): `make run` serves its first page once the newest release
is in, and the others follow. They are stopped with serve if not finished;
the next run goes on where they stopped.
"""

import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.config.nginx import Nginx, NginxMissing, nginx_program
from tracker.management.options import version_check
from tracker.models import Project
from tracker.scanning.mirrors import mirror_open


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError("gunicorn stopped while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"gunicorn did not listen on port {port} in {timeout:g} s")


class Command(BaseCommand):
    help = "Serve the dashboard: nginx on --bind in front of gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--catch-up-since",
            metavar="VERSION",
            type=lambda text: version_check("--catch-up-since", text),
            help="meanwhile import the feature releases from VERSION on from PyPI"
            " and scan them, in the background",
        )

    def handle(self, *args, bind: str, workers: int, threads: int, **options):
        try:
            nginx_program()
        except NginxMissing as exc:
            raise CommandError(f"{exc} (make run installs it)") from exc
        port = _free_port()
        # nginx is the one proxy in front: the rate limits count the address
        # it saw, not what a client wrote in X-Forwarded-For.
        env = {**os.environ, "ASYNCDASH_TRUSTED_PROXIES": "1"}
        gunicorn = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "tracker.config.wsgi:application",
                "--bind", f"127.0.0.1:{port}",
                "--worker-class", "gthread",
                "--workers", str(workers),
                "--threads", str(threads),
            ],
            env=env,
        )  # fmt: skip
        nginx = Nginx(listen=bind, upstream=f"127.0.0.1:{port}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        scan = None
        try:
            _wait_listening(port, gunicorn, timeout=60)
            nginx.start()
            self.stdout.write(f"serving on http://{bind}/ (nginx, then gunicorn)")
            if options["catch_up_since"]:
                scan = self._catch_up(options["catch_up_since"])
            while not stop.is_set():
                if gunicorn.poll() is not None or nginx.process.poll() is not None:
                    raise CommandError("gunicorn or nginx stopped")
                if scan is not None and scan.poll() is not None:
                    self._catch_up_ended(scan)
                    scan = None
                stop.wait(0.5)
        finally:
            if scan is not None and scan.poll() is None:
                # The shell and its command: the next run goes on from there.
                os.killpg(scan.pid, signal.SIGTERM)
                scan.wait(timeout=60)
            nginx.stop()
            if gunicorn.poll() is None:
                gunicorn.terminate()
                gunicorn.wait(timeout=60)

    def _catch_up(self, since: str) -> subprocess.Popen:
        """import_releases (for a mirror built from PyPI: a clone of upstream
        is fetched by the weekly scan instead) then scan, in the background."""
        project = Project.objects.filter(slug=settings.ASYNCDASH_PROJECT).first()
        if project is None:
            raise CommandError(f"no project {settings.ASYNCDASH_PROJECT!r}")
        with mirror_open(project) as mirror:
            from_pypi = bool(project.pypi_package) and not mirror.has_origin()
        self.stdout.write(
            f"{'importing and ' if from_pypi else ''}scanning the releases from"
            f" {since} on in the background; the scans page shows what is left"
        )
        manage = shlex.join([sys.executable, "manage.py"])
        options = shlex.join(["--project", project.slug])
        since = shlex.quote(since)
        steps = [f"{manage} scan --since {since} {options}"]
        if from_pypi:
            steps.insert(
                0,
                f"{manage} import_releases --feature-releases-since {since} {options}",
            )
        # Its own session: Ctrl-C stops serve, which stops these quietly.
        return subprocess.Popen(
            ["/bin/sh", "-c", " && ".join(steps)],
            cwd=settings.BASE_DIR,
            start_new_session=True,
        )

    def _catch_up_ended(self, process: subprocess.Popen) -> None:
        if process.returncode == 0:
            self.stdout.write("the background scan has finished: every release is in")
        else:
            self.stderr.write(
                f"the background import or scan failed (exit status"
                f" {process.returncode}); see above, and the scans page"
            )
