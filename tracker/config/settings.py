"""Django settings for asyncdash.

Every setting comes from the environment. The defaults suit the embedded mode
(one process, SQLite and a generated secret key under the data directory);
DJANGO_PRODUCTION=1 demands an explicit secret key and turns on the HTTPS
hardening that `manage.py check --deploy` asks for.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]


def _env_bool(name: str, *, default: bool) -> bool:
    # A typo such as DJANGO_DEBUG=ture must fail loudly, not silently mean False.
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1 or 0.")


def _env_list(name: str, *, default: str) -> list[str]:
    items = os.environ.get(name, default).split(",")
    return [item for raw in items if (item := raw.strip())]


def _embedded_secret_key(*, path: Path) -> str:
    """Return the key kept at `path`, generating it on first use.

    The key is written to a private temporary file and hard-linked into place,
    so two processes starting together still agree on a single key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _database(*, url: str, data_dir: Path) -> dict[str, object]:
    """Map DATABASE_URL to a DATABASES entry; empty means SQLite in `data_dir`."""
    if not url:
        # SQLite cannot create its file in a folder that does not exist yet.
        data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": data_dir / "db.sqlite3",
        }
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported; "
            "use postgres:// or postgresql://, or unset it for SQLite."
        )
    name = unquote(parts.path.removeprefix("/"))
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL has a bad port: {exc}") from exc
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database.")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        # Query parameters such as ?sslmode=require are libpq options.
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


PRODUCTION = _env_bool("DJANGO_PRODUCTION", default=False)
DEBUG = _env_bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_PRODUCTION=1.")

DATA_DIR = Path(os.environ.get("ASYNCDASH_DATA_DIR") or BASE_DIR / ".data").resolve()

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY.strip():  # a key of spaces is no key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION=1."
        )
    SECRET_KEY = _embedded_secret_key(path=DATA_DIR / "secret_key")

ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", default="localhost,127.0.0.1")

DATABASES = {
    "default": _database(url=os.environ.get("DATABASE_URL", ""), data_dir=DATA_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the broker, result backend and cache. Unset (the embedded mode),
# tasks run in-process and the cache is local memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}


def _env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc


# A task's hard time limit stays below the broker's visibility timeout, or a
# slow task would be handed to a second worker while the first still runs.
CELERY_BROKER_VISIBILITY_TIMEOUT = _env_int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_TIME_LIMIT = _env_int("CELERY_TASK_TIME_LIMIT", default=1800)
if CELERY_TASK_TIME_LIMIT >= CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be below CELERY_VISIBILITY_TIMEOUT."
    )
# The soft limit leaves a task a tenth of its time to fail cleanly.
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(
    CELERY_TASK_TIME_LIMIT // 10, 1
)
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # How often a worker looks for tasks whose worker died (past the timeout).
    "unacked_restore_interval": _env_int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# In-process tasks behave as on a worker: retried, and when they give up their
# on_failure hook marks the scans failed (propagating skips both); the scan
# command reports the scans' errors.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's task is redelivered
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# The weekly scan, as crontab fields "minute hour day-of-month month weekday"
# (default Monday 04:00 UTC); tracker/config/celery.py turns it into the beat schedule.
ASYNCDASH_WEEKLY_SCAN = os.environ.get("ASYNCDASH_WEEKLY_SCAN", "0 4 * * 1")
GIT_TIMEOUT = _env_int("ASYNCDASH_GIT_TIMEOUT", default=600)
# Downloaded sdists, shared with `make run` and the tests.
SDIST_CACHE_DIR = Path(
    os.environ.get("ASYNCDASH_SDIST_CACHE") or BASE_DIR / ".cache" / "sdists"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tracker.config.urls"
WSGI_APPLICATION = "tracker.config.wsgi.application"
ASGI_APPLICATION = "tracker.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP; a redirect would read as a failure.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
