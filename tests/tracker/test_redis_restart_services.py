"""Redis restarted under a scan: while the scan is queued, and while a worker
runs its tasks. The worker reconnects and the scan finishes, exactly once.

Each test runs its own redis-server (append-only file, fsync always) on a
free loopback port, restarted on the same port and folder: the shared Redis
is never touched. PostgreSQL and Celery worker processes are real too.
"""

import time

import kombu
import kombu.exceptions
import pytest
import redis
from repo_builder import RELEASES, demo_project, make_repo, many_files
from services import RedisServer, request, wait_done

from tracker.config.celery import app as celery_app
from tracker.models import FileAnalysis, FunctionStat, Release, ReleaseFile, Scan

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BROKER_LOST = "Connection to broker lost"
PYTHON_FILES = [path for path in RELEASES["1.0"] if path.endswith(".py")]


def until(condition, *, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def answers(name: str) -> bool:
    """The worker answers a ping (the test's own connection may be stale)."""
    try:
        return bool(celery_app.control.ping(destination=[name], timeout=1))
    except (redis.ConnectionError, kombu.exceptions.OperationalError):
        return False


def assert_written_once(scan: Scan, *, files: int) -> None:
    """The scan is done and wrote one release, and no row twice."""
    assert scan.status == Scan.Status.DONE, scan.error
    releases = Release.objects.filter(project=scan.project, version=scan.version)
    assert releases.count() == 1
    assert Scan.objects.filter(project=scan.project, version=scan.version).count() == 1
    release = releases.get()
    assert ReleaseFile.objects.count() == release.releasefile_set.count() == files
    functions = FunctionStat.objects.filter(release=release).count()
    assert functions > 0
    assert FunctionStat.objects.count() == functions
    keys = FileAnalysis.objects.values_list("path", "blob_sha")
    assert len(set(keys)) == len(keys) == files


def test_a_queued_scan_survives_a_restart_then_runs_once(
    tmp_path, private_redis: RedisServer, start_worker
):
    """No worker yet: the scan's task waits in Redis across a restart, and
    the worker started after it runs the scan once."""
    project = demo_project(make_repo(tmp_path / "upstream", {"1.0": RELEASES["1.0"]}))
    broker = redis.Redis.from_url(private_redis.url)
    scan = request(project, "1.0")
    assert broker.llen("celery") == 1

    private_redis.stop()
    private_redis.start()
    assert broker.llen("celery") == 1, "the queued task was lost in the restart"

    start_worker()
    assert_written_once(wait_done(scan), files=len(PYTHON_FILES))


def test_an_idle_worker_reconnects_and_runs_the_scan_queued_before_the_restart(
    tmp_path, private_redis: RedisServer, start_worker
):
    """A worker is connected but not consuming when the scan is queued;
    Redis restarts under it. It reconnects, takes orders again (consume the
    queue) and runs the scan once."""
    project = demo_project(make_repo(tmp_path / "upstream", {"1.0": RELEASES["1.0"]}))
    worker = start_worker()
    replies = celery_app.control.cancel_consumer(
        "celery", destination=[worker.name], reply=True
    )
    assert replies, "the worker did not stop consuming"
    scan = request(project, "1.0")
    broker = redis.Redis.from_url(private_redis.url)
    # A read the worker had in flight may take the task, then put it back.
    until(lambda: broker.llen("celery") == 1, what="the task waiting in Redis")

    private_redis.stop()
    log = tmp_path / "worker.log"
    until(lambda: BROKER_LOST in log.read_text(), what="the worker lost the broker")
    private_redis.start()
    until(lambda: answers(worker.name), what="the worker answering again")
    celery_app.control.add_consumer("celery", destination=[worker.name], reply=True)

    assert_written_once(wait_done(scan), files=len(PYTHON_FILES))
    assert worker.alive()


def test_a_restart_while_the_worker_analyses_does_not_stop_or_repeat_the_scan(
    tmp_path, private_redis: RedisServer, start_worker
):
    """Redis goes down once the first batch is stored and stays down until
    the worker has seen the broker go; back on, the worker reconnects, the
    rest of the batches run and one release is written."""
    files = {"pkg/__init__.py": "", **many_files(1500)}
    project = demo_project(make_repo(tmp_path / "big", {"1.0": files}))
    # A loaded machine must not end a batch on its time limit. A task message
    # popped from Redis just as it goes away is lost (kombu's Redis transport
    # records it as unacknowledged only after BRPOP): beat's look for stalled
    # scans, often here, dispatches the scan again if that happens.
    worker = start_worker(
        beat=True,
        CELERY_VISIBILITY_TIMEOUT=300,
        CELERY_TASK_TIME_LIMIT=240,
        ASYNCDASH_STALLED_SCAN_AFTER=60,
        ASYNCDASH_STALLED_SCAN_CHECK=5,
    )
    scan = request(project, "1.0")
    until(FileAnalysis.objects.exists, what="the first batch stored")

    private_redis.stop()
    scan.refresh_from_db()
    assert scan.status == Scan.Status.RUNNING, "the scan finished before the restart"
    assert FileAnalysis.objects.count() < len(files)
    log = tmp_path / "worker.log"
    until(lambda: BROKER_LOST in log.read_text(), what="the worker lost the broker")
    private_redis.start()

    scan = wait_done(scan, timeout=300)
    assert worker.alive()
    assert_written_once(scan, files=len(files))


def test_a_channel_left_open_by_a_lost_connection_closes_without_stopping_the_worker(
    private_redis: RedisServer,
):
    """The state a lost connection leaves in a worker: a consuming channel
    with a task unacknowledged, its transport already collected. Closing it
    must not raise (kombu 5.7.0 raises AttributeError, which stops the
    worker); the message stays in Redis, to come back after the visibility
    timeout."""
    connection = kombu.Connection(private_redis.url)
    channel = connection.default_channel
    queue = kombu.Queue("q", kombu.Exchange("q"), "q")
    kombu.Producer(channel).publish(
        {}, exchange=queue.exchange, routing_key="q", declare=[queue]
    )
    delivered = []
    kombu.Consumer(
        channel, [queue], callbacks=[lambda _, m: delivered.append(m)]
    ).consume()
    connection.drain_events(timeout=10)
    assert len(delivered) == 1 and channel.qos._delivered  # running, not acked

    channel.connection.client = None  # what collecting the connection leaves
    channel.close()

    assert channel.closed
    assert redis.Redis.from_url(private_redis.url).hlen("unacked") == 1


def test_a_chord_part_returned_while_redis_is_down_is_recorded_once_it_is_back(
    private_redis: RedisServer,
):
    """The moment that failed a scan (CI, 2026-12-01): a batch ends, Redis is
    going away, and its part of the chord cannot be recorded. The backend
    waits for Redis (tracker/config/results.py) instead of failing the batch;
    a part recorded twice still counts once."""
    import threading
    from types import SimpleNamespace

    from celery import signature

    from tracker.config.results import RedisResults

    backend = RedisResults(app=celery_app, url=private_redis.url)
    group_id = "scan-chord"
    backend.set_chord_size(group_id, 2)
    callback = signature("tracker.scanning.tasks.finalise_scans", args=([1],))
    part = SimpleNamespace(id="batch-1", group=group_id, group_index=0, chord=callback)
    members = backend.get_key_for_group(group_id, ".d")

    private_redis.stop()
    outcome = {}
    recording = threading.Thread(
        target=lambda: outcome.setdefault(
            "returned", backend.on_chord_part_return(part, "SUCCESS", None)
        )
    )
    recording.start()
    time.sleep(2)  # its first tries meet no Redis
    assert recording.is_alive(), "the part gave up while Redis was down"
    private_redis.start()
    recording.join(timeout=60)
    assert not recording.is_alive()

    client = redis.Redis.from_url(private_redis.url)
    assert client.smembers(members) == {b"batch-1:0"}
    backend.on_chord_part_return(part, "SUCCESS", None)  # the same part again
    assert client.smembers(members) == {b"batch-1:0"}
