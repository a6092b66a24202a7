"""Run a command in a pseudo-terminal and read its output as a person would.

`run_in_pty` gives the raw bytes a terminal would receive; `screen_lines`
renders them as the lines left on the screen: a carriage return goes back to
the start of the line, tqdm's cursor moves (ESC[A) go up a line, and every
other escape sequence is dropped.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

_ESCAPE = re.compile(r"\x1b\[(\d*)([A-Za-z])")


def run_in_pty(
    command: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float
) -> tuple[int, bytes]:
    """(exit status, everything written to the terminal) of `command`, whose
    stdin, stdout and stderr are one pseudo-terminal 160 columns wide."""
    leader, follower = pty.openpty()
    set_size(follower, rows=50, columns=160)
    process = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd
    )
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command} ran over {timeout:g} s:\n{output!r}")
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
        status = process.wait(timeout=30)
        os.close(leader)
    return status, bytes(output)


def set_size(fd: int, *, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def screen_lines(raw: bytes) -> list[str]:
    """The lines `raw` leaves on a terminal, trailing spaces stripped."""
    lines: list[list[str]] = [[]]
    row = column = 0
    position = 0
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    while position < len(text):
        if match := _ESCAPE.match(text, position):
            count, command = int(match.group(1) or 1), match.group(2)
            if command == "A":
                row = max(0, row - count)
            position = match.end()
            continue
        char = text[position]
        position += 1
        if char == "\n":
            row += 1
            column = 0
            while len(lines) <= row:
                lines.append([])
        elif char == "\r":
            column = 0
        else:
            line = lines[row]
            if column < len(line):
                line[column] = char
            else:
                line.extend(" " * (column - len(line)))
                line.append(char)
            column += 1
    return ["".join(line).rstrip() for line in lines]
