"""Download three Django sdists with `pip download` and with `download_sdist`.

    .venv/bin/python tests/bench_downloads.py [ROUNDS]

Interleaved in one run, four at a time as `import_releases` fetches them,
each into an empty folder; prints the seconds of each and their ratio
(docs/benchmarks.md, "Downloads without running the archive's code").
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.sources.sdist import download_sdist  # noqa: E402

VERSIONS = ("5.0", "5.1", "5.2")


def pip_download(version: str, folder: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps",
        "--no-binary", ":all:", "--ignore-requires-python",
        "--disable-pip-version-check", "--progress-bar", "off",
        "-d", str(folder), f"django=={version}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


def index_download(version: str, folder: Path) -> None:
    download_sdist(package="django", spec=f"=={version}", cache_dir=folder)


def timed(fetch) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-downloads."))
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda version: fetch(version, folder), VERSIONS))
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder)


def main(rounds: int) -> None:
    for number in range(1, rounds + 1):
        before = timed(pip_download)
        after = timed(index_download)
        print(
            f"round {number}: pip download {before:.2f} s, download_sdist"
            f" {after:.2f} s, ratio {after / before:.3f},"
            f" load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
