"""The response cache on real Redis servers: a finalise leaves one
generation of cached answers behind, not one more per scan, and a flood of
URLs can neither add keys to the broker's Redis nor grow the cache's own
server past its maxmemory (docker-compose.yml's `cache` service)."""

import subprocess
import time

import pytest
import redis
from compose_file import compose_config, env_example, service_command
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import override_settings
from repo_builder import RELEASES, demo_project, make_repo
from services import RedisServer, free_port

from tracker.config.celery import app as celery_app
from tracker.scanning import requests

pytestmark = pytest.mark.services

ROUND = [
    "/",
    "/p/gens/components/auth/",
    "/p/gens/one-sided-changes/",
    "/api/v1/releases",
]


def dashboard_keys(server: redis.Redis) -> list[bytes]:
    return list(server.scan_iter(match="*dashboard:*"))


def use_cache(settings, url: str) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        },
    }


@pytest.fixture
def cache_server(tmp_path, settings, real_services):
    server = RedisServer(tmp_path / "cache")
    server.start()
    use_cache(settings, server.url)
    yield redis.Redis.from_url(server.url)
    server.stop()


@pytest.fixture
def tasks_in_process():
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.mark.django_db(transaction=True)  # scans are queued on commit
def test_a_finalise_leaves_one_generation_of_cached_answers(
    tmp_path, cache_server, tasks_in_process, client
):
    with override_settings(DATA_DIR=tmp_path / "data", ASYNCDASH_PROJECT="gens"):
        project = demo_project(make_repo(tmp_path / "upstream"), slug="gens")
        counts = []
        for version in RELEASES:
            target = requests.Target(version=version, ref=version)
            (scan,) = requests.scans_request(project=project, targets=[target])
            scan.refresh_from_db()
            assert scan.status == "done", scan.error
            caches["local"].clear()  # as the data version's 2 s running out would
            for url in ROUND:
                assert client.get(url).status_code == 200, url
            counts.append(len(dashboard_keys(cache_server)))
    assert counts == [len(ROUND)] * len(RELEASES)


@pytest.fixture
def bounded_cache(tmp_path, settings, real_services):
    """The cache's server as Compose runs it (a small maxmemory), on a port
    of its own; the broker's Redis is the run's (REDIS_URL)."""
    config = compose_config(
        {**env_example(), "DJANGO_SECRET_KEY": "x", "POSTGRES_PASSWORD": "x"}
        | {"CACHE_MAXMEMORY": "4mb"}
    )
    port = free_port()
    command = [
        *service_command(config, "cache"),
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    server = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            server.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    use_cache(settings, f"redis://127.0.0.1:{port}/0")
    yield server
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.django_db
def test_a_flood_of_urls_never_fills_the_broker(
    scanned_services, bounded_cache, client
):
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker_keys = broker.dbsize()
    # Unknown parameters: refused, and no cache entry anywhere.
    for n in range(1000):
        assert client.get(f"/p/demo-web/?flood={n}").status_code == 400
    assert dashboard_keys(bounded_cache) == []
    # Pages that exist, each a new entry: the cache's server evicts the
    # least recently used and keeps to its maxmemory.
    maxmemory = int(bounded_cache.config_get("maxmemory")["maxmemory"])
    for n in range(3000):
        assert client.get(f"/p/demo-web/search/?q=flood{n}").status_code == 200
        if n % 100 == 0 and bounded_cache.info("stats")["evicted_keys"]:
            break
    assert bounded_cache.info("stats")["evicted_keys"] > 0
    assert bounded_cache.info("memory")["used_memory"] <= maxmemory * 1.05
    assert broker.dbsize() == broker_keys
    assert not list(broker.scan_iter(match="*dashboard*"))
