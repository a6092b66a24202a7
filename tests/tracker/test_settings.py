import os
import runpy
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = REPO_ROOT / "tracker" / "config" / "settings.py"
ENV_VARS = (
    "ASYNCDASH_DATA_DIR",
    "DATABASE_URL",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "DJANGO_PRODUCTION",
    "DJANGO_SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "REDIS_URL",
)

LoadSettings = Callable[..., dict[str, object]]


@pytest.fixture
def load_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadSettings:
    """Evaluate settings.py afresh under a clean environment plus `env`."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASYNCDASH_DATA_DIR", str(tmp_path / "data"))

    def load(**env: str) -> dict[str, object]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def _manage(
    *args: str, env: dict[str, str], data_dir: Path
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**clean, "ASYNCDASH_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_embedded_defaults(load_settings: LoadSettings, tmp_path: Path) -> None:
    """With no environment: SQLite and a private secret key in the data dir."""
    settings = load_settings()

    data_dir = tmp_path / "data"
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == data_dir / "db.sqlite3"
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert settings["REDIS_URL"] == ""
    assert settings["STATIC_ROOT"] == data_dir / "static"
    key_file = data_dir / "secret_key"
    assert settings["SECRET_KEY"] == key_file.read_text()
    assert len(settings["SECRET_KEY"]) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_settings()["SECRET_KEY"] == settings["SECRET_KEY"]


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_database_url_selects_postgresql(
    load_settings: LoadSettings, scheme: str
) -> None:
    settings = load_settings(DATABASE_URL=f"{scheme}://user@127.0.0.1:5432/dbname")

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "dbname"
    assert database["HOST"] == "127.0.0.1"
    assert database["PORT"] == "5432"
    assert database["USER"] == "user"
    assert database["PASSWORD"] == ""
    assert database["OPTIONS"] == {}


def test_database_url_decodes_password_and_options(load_settings: LoadSettings) -> None:
    url = "postgres://u:p%40ss@db.example:6543/asyncdash?sslmode=require"

    database = load_settings(DATABASE_URL=url)["DATABASES"]["default"]

    assert database["PASSWORD"] == "p@ss"
    assert database["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://u@h/db"}, "not supported"),
        ({"DATABASE_URL": "postgres://u@h:5432/"}, "must name a database"),
        ({"DJANGO_DEBUG": "ture"}, "is not a boolean"),
        ({"DJANGO_PRODUCTION": "1"}, "DJANGO_SECRET_KEY must be set"),
        (
            {"DJANGO_PRODUCTION": "1", "DJANGO_SECRET_KEY": "   \t "},
            "DJANGO_SECRET_KEY must be set",
        ),
        (
            {"DJANGO_PRODUCTION": "1", "DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": "k"},
            "DJANGO_DEBUG must be off",
        ),
    ],
)
def test_bad_environment_is_refused(
    load_settings: LoadSettings, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(**env)


def test_production_without_secret_key_fails_clearly(tmp_path: Path) -> None:
    result = _manage("check", env={"DJANGO_PRODUCTION": "1"}, data_dir=tmp_path)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION=1" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_passes_deploy_checks(tmp_path: Path) -> None:
    """`check --deploy` raises no warning in production mode."""
    env = {"DJANGO_PRODUCTION": "1", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}

    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=env, data_dir=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_healthz_answers_ok(client: Client) -> None:
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_refuses_post(client: Client) -> None:
    assert client.post(reverse("healthz")).status_code == 405
