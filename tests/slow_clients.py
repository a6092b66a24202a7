"""Slowloris for the tests of the real server configurations: connections
that send a request's headers a byte at a time and never finish them."""

import contextlib
import socket
import threading
import urllib.error
import urllib.request

# Far more than gunicorn's threads (2 processes x 4): each would hold one.
SLOW_CLIENTS = 64
HEADERS = b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: 1\r\n" * 200


class SlowClients:
    """`count` connections to `port`, each sending one more byte of its
    headers every `interval` seconds until the block ends."""

    def __init__(self, port: int, count: int = SLOW_CLIENTS, interval: float = 1.0):
        self.port, self.count, self.interval = port, count, interval
        self.sockets: list[socket.socket] = []
        self.sent = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> "SlowClients":
        for _ in range(self.count):
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            conn.sendall(HEADERS[:1])
            self.sockets.append(conn)
        self.sent = 1
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.done.wait(self.interval) and self.sent < len(HEADERS):
            for conn in self.sockets:
                # The server may give up on a slow client: it is entitled to.
                with contextlib.suppress(OSError):
                    conn.sendall(HEADERS[self.sent : self.sent + 1])
            self.sent += 1

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        for conn in self.sockets:
            conn.close()


def get_status(port: int, path: str, *, timeout: float) -> int:
    """The status of a plain GET, or 0 when none came within `timeout`."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": "127.0.0.1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0
