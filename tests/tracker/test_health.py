"""/healthz/ answers 200 when the database and the broker answer, else 503."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

REPO_ROOT = Path(__file__).resolve().parents[2]
# Port 9 (discard) has no Redis on any machine this runs on.
NO_REDIS = "redis://127.0.0.1:9/0"


@pytest.mark.django_db
def test_healthz_answers_ok_in_the_embedded_mode(client: Client) -> None:
    """No REDIS_URL: tasks run in-process, so only the database is checked."""
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok"},
        "failed": [],
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_the_broker_when_redis_does_not_answer(
    client: Client, settings
) -> None:
    settings.REDIS_URL = NO_REDIS

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "failed",
        "checks": {"database": "ok", "broker": "failed"},
        "failed": ["broker"],
    }


def test_healthz_names_both_when_neither_answers(tmp_path: Path) -> None:
    """A process configured for PostgreSQL and Redis where neither listens."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz/', headers={'host': 'localhost'})\n"
        "print(json.dumps([r.status_code, r.json()]))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "tracker.config.settings",
        "ASYNCDASH_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing",
        "REDIS_URL": NO_REDIS,
        "ASYNCDASH_LOG_LEVEL": "CRITICAL",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    status, body = json.loads(done.stdout.splitlines()[-1])
    assert status == 503
    assert body == {
        "status": "failed",
        "checks": {"database": "failed", "broker": "failed"},
        "failed": ["broker", "database"],
    }


def test_healthz_refuses_post(client: Client) -> None:
    assert client.post(reverse("healthz")).status_code == 405
