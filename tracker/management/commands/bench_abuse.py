"""What a hostile client costs everyone else, on a running server.

Measures `/robots.txt` (a trivial view) as one reader sees it, five times a
second (within the page rate limit), first alone, then while --clients
threads ask for --path as fast as they can, each time with a new `?x=N` (the
cache-busting of issue 12). The reader comes from another loopback address
(127.0.0.2), so it is another client to the rate limits. Prints the
reader's latency (median, p99, max) in both runs, their ratio, and what the
hostile clients got:

    .venv/bin/python manage.py bench_abuse --url http://127.0.0.1:8000 \\
        --path /releases/1.0/pairs/pkg.big.aload/

The server is any: `manage.py serve`, a bare gunicorn, the Compose stack.
"""

import http.client
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand

READER_ADDRESS = "127.0.0.2"
READER_EVERY = 0.2  # seconds: 300 a minute, the default page rate


def _get(host: str, port: int, path: str, *, source: str, timeout: float) -> int:
    conn = http.client.HTTPConnection(
        host, port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0  # no answer within the timeout
    finally:
        conn.close()


class Command(BaseCommand):
    help = "Latency of a trivial view for one reader, alone and under abuse."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--path", required=True, help="an expensive page")
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=20)
        parser.add_argument("--timeout", type=float, default=60)

    def handle(self, *args, url, path, clients, seconds, timeout, **options):
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 80
        alone = self._read(host, port, seconds=seconds, timeout=timeout)
        statuses: Counter = Counter()
        stop = threading.Event()

        def hostile(n: int) -> None:
            i = 0
            while not stop.is_set():
                busted = f"{path}{'&' if '?' in path else '?'}x={n}-{i}"
                status = _get(host, port, busted, source="127.0.0.1", timeout=timeout)
                statuses[status] += 1
                i += 1

        threads = [threading.Thread(target=hostile, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(1)  # the hostile clients are at it
        abused = self._read(host, port, seconds=seconds, timeout=timeout)
        stop.set()
        for thread in threads:
            thread.join()
        self._report("alone", alone)
        self._report(f"while {clients} clients bust {path}", abused)
        ratio = statistics.median(abused["times"]) / statistics.median(alone["times"])
        self.stdout.write(f"median ratio (abused / alone): {ratio:.2f}")
        self.stdout.write(f"hostile clients' answers: {dict(sorted(statuses.items()))}")

    def _read(self, host, port, *, seconds, timeout) -> dict:
        """/robots.txt again and again for `seconds`, as the other reader."""
        times, statuses = [], Counter()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.monotonic()
            status = _get(
                host, port, "/robots.txt", source=READER_ADDRESS, timeout=timeout
            )
            times.append(time.monotonic() - start)
            statuses[status] += 1
            time.sleep(max(0.0, READER_EVERY - times[-1]))
        return {"times": times, "statuses": statuses}

    def _report(self, label: str, run: dict) -> None:
        times = sorted(run["times"])
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        self.stdout.write(
            f"/robots.txt {label}: {len(times)} requests, median "
            f"{statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {times[-1] * 1000:.0f} ms; {dict(run['statuses'])}"
        )
