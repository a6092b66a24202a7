"""What `import_releases` and `scan` show while they work.

On a terminal: progress bars (tqdm, on stderr) with lines printed above
them; anywhere else (CI, a pipe, a file): plain lines, one per step, and no
control character. Log lines go through tqdm as well
(`tracker.config.logs.TerminalHandler`), so they never break a bar.
"""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from tracker.models import Scan


class Lines:
    """Lines above the bars on a terminal, plain lines elsewhere."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.terminal = stdout.isatty()
        self.bars: list[tqdm] = []

    def bar(self, *, desc: str, unit: str, total: int = 0) -> tqdm:
        bar = tqdm(
            total=total,
            desc=desc,
            unit=unit,
            position=len(self.bars),
            disable=not self.terminal,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        self.bars.append(bar)
        return bar

    def write(self, line: str) -> None:
        if self.terminal:
            tqdm.write(line, file=sys.stdout)
        else:
            self.stdout.write(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars:
            bar.leave = bool(bar.total)  # a bar of nothing to do goes away
            bar.close()


class ImportProgress(Lines):
    """A bar of downloads and one of releases; elsewhere a line per release
    imported. Called from the import's threads."""

    def __init__(self, stdout, *, total: int, missing: int) -> None:
        super().__init__(stdout)
        self.lock = threading.Lock()
        self.download = self.bar(desc="download", unit="sdist", total=missing)
        self.release = self.bar(desc="import", unit="release", total=total)

    def downloaded(self, version: str) -> None:
        with self.lock:
            self.download.set_postfix_str(version, refresh=False)
            self.download.update()

    def imported(self, release) -> None:
        with self.lock:
            self.release.set_postfix_str(release.version, refresh=False)
            self.release.update()
            if release.created and not self.terminal:
                self.write(f"imported {release.version}")


class ScanProgress(Lines):
    """A bar of releases and one of blobs analysed (with the time left),
    and a line per release as it ends."""

    def __init__(self, stdout) -> None:
        super().__init__(stdout)
        self.releases = self.bar(desc="scan", unit="release")
        self.blobs = self.bar(desc="analyse", unit="blob")
        self.ended: set[int] = set()

    def prepared(self, *, scans: int, missing: int) -> None:
        self.releases.total += scans
        self.blobs.total += missing
        self.releases.refresh()
        self.blobs.refresh()
        if not self.terminal:
            self.write(f"scan: {scans} releases, {missing} blobs to analyse")

    def analysed(self, files: int) -> None:
        self.blobs.update(min(files, self.blobs.total - self.blobs.n))

    def scan_ended(self, scan: Scan) -> None:
        if scan.pk in self.ended:
            return
        self.ended.add(scan.pk)
        self.releases.total = max(self.releases.total, len(self.ended))
        self.releases.set_postfix_str(scan.version, refresh=False)
        self.releases.update()
        self.write(scan_line(scan))


def scan_line(scan: Scan) -> str:
    """One release's scan on one line."""
    line = f"{scan.version:>10} {scan.status:7} {scan.blobs_total:5} files"
    line += f" ({scan.blobs_analysed} analysed, {scan.blobs_cached} from cache)"
    if scan.parse_failures:
        line += f", {scan.parse_failures} not parsed"
    if scan.started_at and scan.finished_at:
        line += f", {(scan.finished_at - scan.started_at).total_seconds():.1f} s"
    if scan.error:
        line += f"; error: {scan.error.splitlines()[0][:120]}"
    return line
