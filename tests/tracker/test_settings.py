import json
import os
import runpy
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from analyzers.isolation import Limits

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = REPO_ROOT / "tracker" / "config" / "settings.py"
ENV_VARS = (
    "ASYNCDASH_API_RATE",
    "ASYNCDASH_CACHE_URL",
    "ASYNCDASH_PAGE_RATE",
    "ASYNCDASH_TRUSTED_PROXIES",
    "ASYNCDASH_DATA_DIR",
    "ASYNCDASH_LOG_FORMAT",
    "ASYNCDASH_LOG_LEVEL",
    "ASYNCDASH_MAX_FILE_BYTES",
    "ASYNCDASH_MEMORY_PER_FILE",
    "ASYNCDASH_SECONDS_PER_FILE",
    "ASYNCDASH_STATIC_ROOT",
    "ASYNCDASH_UPSTREAM_URL",
    "ASYNCDASH_WEEKLY_SCAN",
    "ASYNCDASH_WEEKLY_SCAN_INTERVAL",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_VISIBILITY_TIMEOUT",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_URL",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_DEBUG",
    "DJANGO_PRODUCTION",
    "DJANGO_SECRET_KEY",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_TRUST_X_FORWARDED_PROTO",
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
    assert settings["CELERY_BEAT_SCHEDULE_FILENAME"] == str(
        data_dir / "celerybeat-schedule"
    )
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
        ({"DATABASE_URL": "postgres://u@h:port/db"}, "is not a database URL"),
        ({"DJANGO_DEBUG": "ture"}, "is not a boolean"),
        ({"DJANGO_PRODUCTION": "yes please"}, "is not a boolean"),
        ({"CELERY_TASK_TIME_LIMIT": "ten"}, "is not a whole number"),
        (
            {"CELERY_TASK_TIME_LIMIT": "60", "CELERY_VISIBILITY_TIMEOUT": "60"},
            "must be below CELERY_VISIBILITY_TIMEOUT",
        ),
        ({"ASYNCDASH_SECONDS_PER_FILE": "a minute"}, "is not a whole number"),
        (
            {"ASYNCDASH_MEMORY_PER_FILE": "64"},
            r"at least 128 MiB \(.*ASYNCDASH_MEMORY_PER_FILE=64",
        ),
        ({"ASYNCDASH_MAX_FILE_BYTES": "0"}, "ASYNCDASH_MAX_FILE_BYTES=0"),
        (
            {"CELERY_TASK_TIME_LIMIT": "300", "ASYNCDASH_SECONDS_PER_FILE": "60"},
            "CELERY_TASK_TIME_LIMIT=300 leaves no time for one file",
        ),
        ({"DJANGO_PRODUCTION": "1"}, "DJANGO_SECRET_KEY must be set"),
        (
            {"DJANGO_PRODUCTION": "1", "DJANGO_SECRET_KEY": "   \t "},
            "DJANGO_SECRET_KEY must be set",
        ),
        (
            {
                "DJANGO_PRODUCTION": "1",
                "DJANGO_DEBUG": "1",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            },
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


def test_file_limits_come_from_the_environment(load_settings: LoadSettings) -> None:
    """The defaults are the command line's; each variable sets one limit."""
    assert load_settings()["ASYNCDASH_FILE_LIMITS"] == Limits()
    settings = load_settings(
        ASYNCDASH_SECONDS_PER_FILE="20",
        ASYNCDASH_MEMORY_PER_FILE="512",
        ASYNCDASH_MAX_FILE_BYTES="4096",
    )
    assert settings["ASYNCDASH_FILE_LIMITS"] == Limits(
        seconds=20, memory_mib=512, max_file_bytes=4096
    )


def test_empty_variables_mean_the_default(load_settings: LoadSettings) -> None:
    """`NAME=` in an env file is unset, not an error."""
    settings = load_settings(DJANGO_DEBUG="", DATABASE_URL="", REDIS_URL="")

    assert settings["DEBUG"] is False
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_database_connections_are_kept_when_asked(load_settings: LoadSettings) -> None:
    settings = load_settings(
        DATABASE_URL="postgres://u@h:5432/db", DATABASE_CONN_MAX_AGE="60"
    )

    database = settings["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_production_hardening(load_settings: LoadSettings) -> None:
    """HTTPS only, for a year, secure cookies and hashed compressed statics."""
    settings = load_settings(
        DJANGO_PRODUCTION="1", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)
    )

    assert settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert "SECURE_PROXY_SSL_HEADER" not in settings  # clients may not claim HTTPS
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert settings["WHITENOISE_USE_FINDERS"] is False


def test_production_behind_a_tls_proxy(load_settings: LoadSettings) -> None:
    settings = load_settings(
        DJANGO_PRODUCTION="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_TRUST_X_FORWARDED_PROTO="1",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://asyncdash.example",
    )

    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://asyncdash.example"]


def test_outside_production_static_files_need_no_collectstatic(
    load_settings: LoadSettings,
) -> None:
    settings = load_settings()

    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert settings["WHITENOISE_USE_FINDERS"] is True


def test_collectstatic_writes_hashed_compressed_files(tmp_path: Path) -> None:
    """What the image's build runs: every file hashed, and gzipped beside it."""
    static_root = tmp_path / "static"
    env = {
        "DJANGO_PRODUCTION": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ASYNCDASH_STATIC_ROOT": str(static_root),
    }

    result = _manage("collectstatic", "--noinput", env=env, data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["ninja/swagger-ui-bundle.js"]
    assert hashed != "ninja/swagger-ui-bundle.js"
    assert (static_root / hashed).is_file()
    assert (static_root / f"{hashed}.gz").is_file()


def test_upstream_url_is_where_the_seeded_project_is_cloned_from(
    load_settings: LoadSettings,
) -> None:
    assert load_settings()["ASYNCDASH_UPSTREAM_URL"] == (
        "https://github.com/django/django.git"
    )
    url = "https://git.example/mirrors/django.git"
    assert load_settings(ASYNCDASH_UPSTREAM_URL=url)["ASYNCDASH_UPSTREAM_URL"] == url


def test_logs_are_one_json_object_per_line_on_stdout(tmp_path: Path) -> None:
    script = (
        "import django, logging; django.setup()\n"
        "logging.getLogger('tracker.demo').warning('a %s line', 'JSON',"
        " extra={'release': '5.2'})\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "tracker.config.settings",
            "ASYNCDASH_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    line = json.loads(done.stdout.strip())
    assert line["message"] == "a JSON line"
    assert line["level"] == "WARNING"
    assert line["logger"] == "tracker.demo"
    assert line["release"] == "5.2"
    assert "time" in line
    assert done.stderr == ""


def test_the_api_rate_limit_can_be_turned_off(load_settings: LoadSettings) -> None:
    assert load_settings()["ASYNCDASH_API_RATE"] == "600/m"
    assert load_settings(ASYNCDASH_API_RATE="off")["ASYNCDASH_API_RATE"] == ""


@pytest.mark.parametrize(
    "key",
    [
        "\u200b" * 60,  # 60 zero-width spaces: invisible, one character
        "a",
        "django-insecure-" + secrets.token_urlsafe(50),  # startproject's kind
        "k" * 50,  # long enough, but one distinct character
        secrets.token_urlsafe(30),  # too short
        secrets.token_urlsafe(50) + "\u202e",  # a control character in it
        secrets.token_urlsafe(50) + " " + secrets.token_urlsafe(10),
    ],
    ids=["zero-width", "one-letter", "insecure", "repeated", "short", "bidi", "space"],
)
def test_production_refuses_a_weak_secret_key(
    load_settings: LoadSettings, key: str
) -> None:
    """What `check --deploy` only warns about stops a production start."""
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is too weak"):
        load_settings(DJANGO_PRODUCTION="1", DJANGO_SECRET_KEY=key)


def test_a_process_does_not_start_in_production_with_a_weak_key(
    tmp_path: Path,
) -> None:
    env = {"DJANGO_PRODUCTION": "1", "DJANGO_SECRET_KEY": "\u200b" * 60}

    result = _manage("check", env=env, data_dir=tmp_path)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


def test_the_page_rate_limit_has_a_default_and_can_be_turned_off(
    load_settings: LoadSettings,
) -> None:
    assert load_settings()["ASYNCDASH_PAGE_RATE"] == "300/m"
    assert load_settings(ASYNCDASH_PAGE_RATE="off")["ASYNCDASH_PAGE_RATE"] == ""
    assert load_settings(ASYNCDASH_PAGE_RATE="20/h")["ASYNCDASH_PAGE_RATE"] == "20/h"


@pytest.mark.parametrize("name", ["ASYNCDASH_API_RATE", "ASYNCDASH_PAGE_RATE"])
@pytest.mark.parametrize("value", ["600", "many/m", "10/fortnight", "-1/m"])
def test_a_malformed_rate_is_refused(
    load_settings: LoadSettings, name: str, value: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(**{name: value})


def test_without_a_cache_url_the_cache_is_each_process_memory(
    load_settings: LoadSettings,
) -> None:
    """Never the broker's Redis: REDIS_URL alone leaves the cache in memory."""
    settings = load_settings(REDIS_URL="redis://127.0.0.1:6379/0")

    cache = settings["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert cache["OPTIONS"]["MAX_ENTRIES"] > 0


def test_the_cache_url_selects_a_redis_of_its_own(load_settings: LoadSettings) -> None:
    settings = load_settings(
        REDIS_URL="redis://redis:6379/0", ASYNCDASH_CACHE_URL="redis://cache:6379/0"
    )

    cache = settings["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache:6379/0"


@pytest.mark.parametrize(
    "cache_url",
    [
        "redis://redis:6379/0",
        "redis://redis:6379/1",  # another database of the same server
        "redis://:secret@redis/3",  # the default port
    ],
)
def test_the_cache_may_not_share_the_brokers_redis(
    load_settings: LoadSettings, cache_url: str
) -> None:
    """A flood of cached pages would fill the broker's memory: refused."""
    with pytest.raises(ImproperlyConfigured, match="ASYNCDASH_CACHE_URL"):
        load_settings(REDIS_URL="redis://redis:6379/0", ASYNCDASH_CACHE_URL=cache_url)


def test_trusted_proxies_is_a_whole_number(load_settings: LoadSettings) -> None:
    assert load_settings()["ASYNCDASH_TRUSTED_PROXIES"] == 0
    assert (
        load_settings(ASYNCDASH_TRUSTED_PROXIES="1")["ASYNCDASH_TRUSTED_PROXIES"] == 1
    )
    with pytest.raises(ImproperlyConfigured, match="ASYNCDASH_TRUSTED_PROXIES"):
        load_settings(ASYNCDASH_TRUSTED_PROXIES="one")
