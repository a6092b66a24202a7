"""Time `make run` on a fresh clone as a newcomer meets it, in a terminal.

    .venv/bin/python tests/first_run.py [--sdists DIR] [--keep DIR]

Clones this repository's HEAD into a scratch folder (or --keep DIR; if DIR
exists, runs again there: the second run), links this .venv into it
(dependencies installed: make's venv step is skipped), and runs `make run`
in a pseudo-terminal on a free port with the sdist cache DIR (default: a new
empty one, so every sdist is downloaded). Prints the seconds from the start
to the first page answering 200, to the background scan's end, the lines
left on the screen and the longest one; then stops `make run` with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from terminal import screen_lines, set_size  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
FINISHED = b"the background scan has finished"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def first_run(*, clone: Path, sdists: Path, timeout: float) -> dict:
    if not clone.exists():  # else run again where a first run left off
        subprocess.run(
            ["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True
        )
        (clone / ".venv").symlink_to(REPO_ROOT / ".venv")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "ASYNCDASH_", "DJANGO_"))
    }
    env["ASYNCDASH_SDIST_CACHE"] = str(sdists)
    env.pop("CI", None)
    import pty

    leader, follower = pty.openpty()
    set_size(follower, rows=50, columns=160)
    started = time.monotonic()
    make = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "run", f"RUN_BIND=127.0.0.1:{port}"],
        cwd=clone,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    os.set_blocking(leader, False)
    output = bytearray()
    first_page = finished = None
    url = f"http://127.0.0.1:{port}/"
    try:
        while time.monotonic() - started < timeout and make.poll() is None:
            try:
                while chunk := os.read(leader, 65536):
                    output += chunk
            except (BlockingIOError, OSError):
                pass
            now = time.monotonic() - started
            if first_page is None and _answers(url):
                first_page = now
            if finished is None and FINISHED in output:
                finished = now
                break
            time.sleep(0.5)
        scans_page = _answers(f"http://127.0.0.1:{port}/scans/")
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
            try:
                make.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
        try:
            while chunk := os.read(leader, 65536):
                output += chunk
        except OSError:
            pass
        os.close(leader)
    lines = screen_lines(bytes(output))
    return {
        "first_page_seconds": first_page,
        "all_scanned_seconds": finished,
        "scans_page": scans_page,
        "lines": lines,
        "bytes": len(output),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdists", type=Path, help="sdist cache (default: empty)")
    parser.add_argument("--keep", type=Path, help="clone here and keep it")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="asyncdash-first-run-"))
    clone = args.keep or scratch / "clone"
    sdists = args.sdists or scratch / "sdists"
    result = first_run(
        clone=clone.resolve(), sdists=sdists.resolve(), timeout=args.timeout
    )
    for line in result["lines"]:
        print(f"| {line}")
    longest = max(map(len, result["lines"]), default=0)
    print(
        f"first page: {result['first_page_seconds']} s; every release scanned:"
        f" {result['all_scanned_seconds']} s; scans page answered:"
        f" {result['scans_page']}; {len(result['lines'])} screen lines, the"
        f" longest {longest} characters; {result['bytes']} bytes written"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
