"""Serve the dashboard as `make run` does: nginx on --bind, in front of
gunicorn (gunicorn.conf.py, 2 processes x 4 threads) on a private loopback
port, so that slow clients wait in nginx and never hold gunicorn's threads.

Both stop on Ctrl-C (or SIGTERM); if either stops, so does the other.
With --scan-since, a `manage.py scan --since VERSION` runs beside them in
the background (its progress on the same terminal, the scans page showing
what is left), so the first page is served before every release is
scanned; it is stopped with them if it has not finished.
"""

import os
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
            "--scan-since",
            metavar="VERSION",
            type=lambda text: version_check("--scan-since", text),
            help="meanwhile scan the releases from VERSION on, in the background",
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
            if options["scan_since"]:
                scan = self._scan_start(options["scan_since"])
            while not stop.is_set():
                if gunicorn.poll() is not None or nginx.process.poll() is not None:
                    raise CommandError("gunicorn or nginx stopped")
                if scan is not None and scan.poll() is not None:
                    self._scan_ended(scan)
                    scan = None
                stop.wait(0.5)
        finally:
            if scan is not None and scan.poll() is None:
                scan.terminate()  # resumed by the next scan of those releases
                scan.wait(timeout=60)
            nginx.stop()
            if gunicorn.poll() is None:
                gunicorn.terminate()
                gunicorn.wait(timeout=60)

    def _scan_start(self, since: str) -> subprocess.Popen:
        self.stdout.write(
            f"scanning the releases from {since} on in the background;"
            " the scans page shows what is left"
        )
        # Its own session: Ctrl-C stops serve, which stops the scan quietly.
        return subprocess.Popen(
            [sys.executable, "manage.py", "scan", "--since", since],
            cwd=settings.BASE_DIR,
            start_new_session=True,
        )

    def _scan_ended(self, scan: subprocess.Popen) -> None:
        if scan.returncode == 0:
            self.stdout.write("the background scan has finished: every release is in")
        else:
            self.stderr.write(
                f"the background scan failed (exit status {scan.returncode}); "
                "see above, and the scans page"
            )
