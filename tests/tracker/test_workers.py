"""The benchmark's accounting of a worker's processes, on real processes."""

import subprocess
import sys
import textwrap

from tracker.scanning.workers import process_tree_cpu_seconds

# Busy for 0.3 s of CPU, then says how much it used.
BURN = (
    "import time\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\n"
    "print(time.process_time(), flush=True)\n"
)


def test_cpu_seconds_count_live_and_reaped_children():
    """A parent that has reaped one busy child and keeps another running:
    the tree's CPU time holds both children's (ticks of 10 ms aside)."""
    parent_code = textwrap.dedent(
        f"""
        import subprocess, sys
        burn = {BURN!r}
        done = subprocess.run([sys.executable, "-c", burn], capture_output=True)
        print(done.stdout.decode().strip(), flush=True)
        live = subprocess.Popen(
            [sys.executable, "-c", burn + "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        print(live.stdout.readline().decode().strip(), flush=True)
        sys.stdin.read()
        live.stdin.close()
        live.wait()
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        reaped = float(parent.stdout.readline())
        live = float(parent.stdout.readline())
        total = process_tree_cpu_seconds(parent.pid)
    finally:
        parent.stdin.close()
        parent.wait(timeout=30)
    assert reaped >= 0.3 and live >= 0.3
    assert total >= reaped + live - 0.05
