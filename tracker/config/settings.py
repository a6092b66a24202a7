"""Django settings for asyncdash.

Every setting comes from the environment, read with environs. The defaults
suit the embedded mode (one process, SQLite and a generated secret key under
the data directory); DJANGO_PRODUCTION=1 demands an explicit secret key and
turns on the hardening that `manage.py check --deploy` asks for. No `.env`
file is read: Compose passes its own to the containers, and its hosts (`db`,
`redis`) mean nothing to a local run.
"""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError

from analyzers.isolation import Limits
from tracker.config.logs import log_format
from tracker.sources.simple_index import (
    DEFAULT_INDEX_URL,
    INDEX_URL_ENV,
    check_index_url,
)

BASE_DIR = Path(__file__).resolve().parents[2]

_env = Env(expand_vars=False)


def _read(kind: str, name: str, **kwargs):
    """`env.<kind>(name, ...)`, refusing a malformed value by its name.

    A typo such as DJANGO_DEBUG=ture must fail loudly, not silently mean False.
    """
    raw = os.environ.get(name, "")
    if not raw.strip() and "default" in kwargs:
        return kwargs["default"]  # NAME= in an env file means "the default"
    try:
        return getattr(_env, kind)(name, **kwargs)
    except EnvError as exc:
        what = {
            "bool": "a boolean; use 1 or 0",
            "int": "a whole number",
            "dj_db_url": "a database URL (postgres://user:password@host:port/name)",
        }.get(kind, f"a valid {kind}")
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}.") from exc


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


def _secret_key_refuse_weak(key: str) -> None:
    """Refuse, at start, a key that `check --deploy` would only warn about.

    Also a key with invisible or control characters (60 zero-width spaces are
    60 characters, and no secret) or spaces: keys are printable and unbroken.
    """
    problems = []
    if len(key) < SECRET_KEY_MIN_LENGTH:
        problems.append(f"fewer than {SECRET_KEY_MIN_LENGTH} characters")
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        problems.append(
            f"fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} distinct characters"
        )
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        problems.append(f"starts with {SECRET_KEY_INSECURE_PREFIX!r}")
    if not all(char.isprintable() and not char.isspace() for char in key):
        problems.append("holds spaces, invisible or control characters")
    if problems:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too weak: {'; '.join(problems)}. Generate one: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )


# "600/m": requests per second, minute, hour or day ("600/minute" too).
_RATE = re.compile(r"[1-9][0-9]*/[smhd][a-z]*")


def _rate(name: str, default: str) -> str:
    """A rate limit setting: "N/period", or "" when "off"."""
    value = _read("str", name, default=default).strip()
    if value.lower() == "off":
        return ""
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate such as 600/m (per s, m, h or d) or off."
        )
    return value


def _redis_server(url: str) -> tuple[str, int | str]:
    """The server a redis:// URL names (host and port, or a socket's path)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return ("unix", parts.path)
    return (parts.hostname or "localhost", parts.port or 6379)


def _cache(*, cache_url: str, broker_url: str) -> dict[str, object]:
    """The response cache: a Redis of its own, or this process's memory.

    Never the broker's server: anyone can add cached pages, and a full broker
    stops every scan. The cache's server is bounded (maxmemory, evicting the
    least recently used keys: docker-compose.yml's `cache` service).
    """
    if not cache_url:
        # Bounded by entries; a process keeps at most this many answers.
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "asyncdash-default",
            "OPTIONS": {"MAX_ENTRIES": 300},
        }
    if broker_url and _redis_server(cache_url) == _redis_server(broker_url):
        raise ImproperlyConfigured(
            "ASYNCDASH_CACHE_URL must name a Redis server of its own, not the "
            "broker's (REDIS_URL): cached answers could fill its memory. Run a "
            "second server with maxmemory and allkeys-lru, as docker-compose.yml "
            "does, or unset it to cache in each process's memory."
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": cache_url,
    }


def _database(*, data_dir: Path, conn_max_age: int) -> dict[str, object]:
    """DATABASE_URL as a DATABASES entry; unset means SQLite in `data_dir`."""
    if not _read("str", "DATABASE_URL", default=""):
        # SQLite cannot create its file in a folder that does not exist yet.
        data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": data_dir / "db.sqlite3",
            # `make run` serves while a background scan writes releases: in
            # WAL mode readers never wait for a writer, nor it for them.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 30},
        }
    database = _read(
        "dj_db_url",
        "DATABASE_URL",
        conn_max_age=conn_max_age,
        conn_health_checks=conn_max_age > 0,
    )
    if database["ENGINE"] != "django.db.backends.postgresql":
        scheme = os.environ["DATABASE_URL"].partition(":")[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {scheme!r} is not supported; "
            "use postgres:// or postgresql://, or unset it for SQLite."
        )
    if not database["NAME"]:
        raise ImproperlyConfigured("DATABASE_URL must name a database.")
    # Query parameters such as ?sslmode=require are libpq options.
    database.setdefault("OPTIONS", {})
    database["PORT"] = str(database["PORT"] or "")
    return database


PRODUCTION = _read("bool", "DJANGO_PRODUCTION", default=False)
DEBUG = _read("bool", "DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_PRODUCTION=1.")

DATA_DIR = _read("path", "ASYNCDASH_DATA_DIR", default=BASE_DIR / ".data").resolve()

SECRET_KEY = _read("str", "DJANGO_SECRET_KEY", default="")
if not SECRET_KEY.strip():  # a key of spaces is no key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION=1."
        )
    SECRET_KEY = _embedded_secret_key(path=DATA_DIR / "secret_key")
elif PRODUCTION:
    _secret_key_refuse_weak(SECRET_KEY)

ALLOWED_HOSTS = _read(
    "list", "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"]
)
ALLOWED_HOSTS = [host.strip() for host in ALLOWED_HOSTS if host.strip()]

# Seconds a process keeps its database connection between requests or tasks;
# 0 closes it after each. Every gunicorn thread and every worker child holds
# one, which is what PostgreSQL's max_connections must cover.
DATABASES = {
    "default": _database(
        data_dir=DATA_DIR,
        conn_max_age=_read("int", "DATABASE_CONN_MAX_AGE", default=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the broker and result backend. Unset (the embedded mode), tasks
# run in-process. The response cache and the rate limits' counts live in
# ASYNCDASH_CACHE_URL, a Redis server of their own; unset, in each process.
REDIS_URL = _read("str", "REDIS_URL", default="")
CACHES = {
    "default": _cache(
        cache_url=_read("str", "ASYNCDASH_CACHE_URL", default=""),
        broker_url=REDIS_URL,
    ),
    # Each process's own copy of the hottest answers (pages and API keyed on
    # the data version, and that version): a hit costs no network round trip.
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "asyncdash-local",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

# A task's hard time limit stays below the broker's visibility timeout, or a
# slow task would be handed to a second worker while the first still runs.
CELERY_BROKER_VISIBILITY_TIMEOUT = _read(
    "int", "CELERY_VISIBILITY_TIMEOUT", default=3600
)
CELERY_TASK_TIME_LIMIT = _read("int", "CELERY_TASK_TIME_LIMIT", default=1800)
if CELERY_TASK_TIME_LIMIT >= CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be below CELERY_VISIBILITY_TIMEOUT."
    )
# The soft limit leaves a task a tenth of its time to fail cleanly.
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(
    CELERY_TASK_TIME_LIMIT // 10, 1
)
# What analysing one file may cost, in the embedded scan and on the workers
# alike (the command line takes the same limits as flags): CPU seconds, MiB
# of address space of the analysing process, bytes. A file over one is
# recorded as not analysed, saying which (analyzers/isolation.py).
_file_limit_names = {
    "seconds": "ASYNCDASH_SECONDS_PER_FILE",
    "memory_mib": "ASYNCDASH_MEMORY_PER_FILE",
    "max_file_bytes": "ASYNCDASH_MAX_FILE_BYTES",
}
_limits = {
    field: _read("int", name, default=getattr(Limits, field))
    for field, name in _file_limit_names.items()
}
try:
    ASYNCDASH_FILE_LIMITS = Limits(**_limits)
except ValueError as exc:
    given = ", ".join(f"{_file_limit_names[f]}={v}" for f, v in _limits.items())
    raise ImproperlyConfigured(f"{exc} ({given}).") from None
# A batch starts a file only while the file's wall-clock deadline and the
# time to store the results fit before the soft limit; one file must fit.
ASYNCDASH_BATCH_STORE_SECONDS = 5
if (
    ASYNCDASH_FILE_LIMITS.wall_seconds + ASYNCDASH_BATCH_STORE_SECONDS
    >= CELERY_TASK_SOFT_TIME_LIMIT
):
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} leaves no time for one "
        f"file: a file may take {ASYNCDASH_FILE_LIMITS.wall_seconds} s "
        "(five times ASYNCDASH_SECONDS_PER_FILE)."
    )
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Redis's own result backend, with a chord's join step retried through a
# Redis restart (tracker/config/results.py).
CELERY_RESULT_BACKEND = (
    f"tracker.config.results:RedisResults+{REDIS_URL}"
    if REDIS_URL
    else "cache+memory://"
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # How often a worker looks for tasks whose worker died (past the timeout).
    "unacked_restore_interval": _read(
        "int", "CELERY_UNACKED_RESTORE_INTERVAL", default=10
    ),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    # How long a result backend write (a chord's join step among them) waits
    # for Redis: waits of 0, 1, ... up to 5 s, 60 tries (about 4.5 minutes).
    "retry_policy": {
        "max_retries": 60,
        "interval_start": 0,
        "interval_step": 1,
        "interval_max": 5,
    },
}
# Redis restarting (an upgrade, a container moved) must not cost a scan.
# A worker started while Redis is still down waits for it, as a running one
# does when it loses it (waits of 2 s, 4 s, ... up to 30 s, 100 tries: about
# 45 minutes, then the worker exits and its restart policy takes over).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A batch that ends while Redis is down keeps trying to store its result
# (backing off up to 10 s; the task's time limit bounds it): without this its
# result is a ConnectionError and the chord fails the scan on a healthy file.
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
# A task running when the broker connection drops finishes; it cannot be
# acknowledged on the lost connection, so it runs once more after the
# visibility timeout, finding its work done. Cancelling it instead would hold
# its scan for the whole visibility timeout (an hour by default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
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
# Beat keeps when it last ran each entry in the data folder (a volume in Compose).
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "tracker.config.celery:DataDirScheduler"
# Django's LOGGING below formats Celery's lines too (tracker/config/celery.py).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The weekly scan, as crontab fields "minute hour day-of-month month weekday"
# (default Monday 04:00 UTC); tracker/config/celery.py turns it into the beat
# schedule. ASYNCDASH_WEEKLY_SCAN_INTERVAL (seconds) replaces it with a fixed
# interval, for demonstrations and tests: crontab's finest unit is a minute.
ASYNCDASH_WEEKLY_SCAN = _read("str", "ASYNCDASH_WEEKLY_SCAN", default="0 4 * * 1")
ASYNCDASH_WEEKLY_SCAN_INTERVAL = _read(
    "int", "ASYNCDASH_WEEKLY_SCAN_INTERVAL", default=0
)
# A running scan started longer ago than this (seconds; default the
# visibility timeout, when every task message still owed has come back) lost
# a task message and is dispatched again; beat looks every
# ASYNCDASH_STALLED_SCAN_CHECK seconds.
ASYNCDASH_STALLED_SCAN_AFTER = _read(
    "int", "ASYNCDASH_STALLED_SCAN_AFTER", default=CELERY_BROKER_VISIBILITY_TIMEOUT
)
ASYNCDASH_STALLED_SCAN_CHECK = _read("int", "ASYNCDASH_STALLED_SCAN_CHECK", default=600)
# Where the seeded Django project is cloned from (read when `migrate` seeds it).
ASYNCDASH_UPSTREAM_URL = _read(
    "str", "ASYNCDASH_UPSTREAM_URL", default="https://github.com/django/django.git"
)
GIT_TIMEOUT = _read("int", "ASYNCDASH_GIT_TIMEOUT", default=600)
# The package index sdists come from (tracker.sources.simple_index reads it
# at each call, without Django); checked here too, so a bad value stops start.
try:
    PYPI_INDEX_URL = check_index_url(
        _read("str", INDEX_URL_ENV, default=DEFAULT_INDEX_URL).strip()
        or DEFAULT_INDEX_URL
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Downloaded sdists, shared with `make run` and the tests.
SDIST_CACHE_DIR = _read(
    "path", "ASYNCDASH_SDIST_CACHE", default=BASE_DIR / ".cache" / "sdists"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "django_htmx",
    "ninja",  # serves its Swagger UI from its own static files, not a CDN
    "template_partials",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered before anything below runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Control characters and unknown parameters refused, HEAD as GET, bidi
    # controls made visible: before anything reads the request.
    "tracker.web.edge.EdgeMiddleware",
    # /api/v1/releases... (no project in the path) answer for the default.
    "tracker.web.projects.LegacyApiMiddleware",
    # An ETag on every answer that has none; If-None-Match (`*` too) -> 304.
    "django.middleware.http.ConditionalGetMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Anonymous clients are counted before any answer, cached or not.
    "tracker.web.ratelimit.RateLimitMiddleware",
    "tracker.web.caching.ApiMiddleware",
]

# The project the URLs from before projects had URLs show (/components/,
# /api/v1/releases...): they redirect, or answer, for it.
ASYNCDASH_PROJECT = _read("str", "ASYNCDASH_PROJECT", default="django")

# What one sync/async switch (a thread hop) costs, in milliseconds: Django's
# docs give "around a millisecond". Pages show hop counts times this, as an
# estimate.
ASYNCDASH_HOP_COST_MS = _read("float", "ASYNCDASH_HOP_COST_MS", default=1.0)
if ASYNCDASH_HOP_COST_MS < 0:
    raise ImproperlyConfigured("ASYNCDASH_HOP_COST_MS must not be negative.")

# Anonymous clients: requests per period ("600/m"; "off": no limit) to the
# API and to the pages, counted apart, by the client address as seen through
# this many trusted reverse proxies (0: the socket's address; X-Forwarded-For
# is then ignored). See tracker/web/ratelimit.py.
ASYNCDASH_API_RATE = _rate("ASYNCDASH_API_RATE", "600/m")
ASYNCDASH_PAGE_RATE = _rate("ASYNCDASH_PAGE_RATE", "300/m")
ASYNCDASH_TRUSTED_PROXIES = _read("int", "ASYNCDASH_TRUSTED_PROXIES", default=0)

# Other tools may read the JSON API from their own pages; nothing else.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

ROOT_URLCONF = "tracker.config.urls"
WSGI_APPLICATION = "tracker.config.wsgi.application"
ASGI_APPLICATION = "tracker.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The web layer's tags live with it, not at the app's top level.
            "libraries": {"dashboard": "tracker.web.templatetags.dashboard"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.web.context.projects",
            ],
        },
    },
]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects static files outside the data volume, so that a new
# image's files are not hidden by an old volume.
STATIC_ROOT = _read("path", "ASYNCDASH_STATIC_ROOT", default=DATA_DIR / "static")
# Production serves what `collectstatic` wrote: compressed, under hashed names
# (a page then fails loudly if a file was not collected). Elsewhere files keep
# their names and WhiteNoise also finds them in the apps, so the tests and a
# local run need no `collectstatic`.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Sent on every response, production or not: nothing here costs a local run.
# Scripts and styles come from our own static files only (no inline script,
# no CDN); images also from data: URIs, which Swagger UI's stylesheet uses.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    # Behind a TLS-terminating proxy that redirects itself, or for a trial
    # on plain http://localhost, DJANGO_SECURE_SSL_REDIRECT=0 turns this off.
    SECURE_SSL_REDIRECT = _read("bool", "DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP; a redirect would read as a failure.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Only when a proxy in front sets X-Forwarded-Proto and strips the
    # client's own: otherwise a client could claim HTTPS.
    if _read("bool", "DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = _read("list", "DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# One JSON object per line on stdout, from Django, Celery and gunicorn alike
# (gunicorn.conf.py); lines written while a scan's task runs carry its ids.
# Readable lines on a terminal, JSON lines otherwise (tracker/config/logs.py).
# On a terminal the progress bars say what INFO lines would, so only
# warnings and errors are printed unless ASYNCDASH_LOG_LEVEL asks for more.
try:
    LOG_FORMAT = log_format(
        _read("str", "ASYNCDASH_LOG_FORMAT", default="auto"), production=PRODUCTION
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
LOG_LEVEL = _read(
    "log_level",
    "ASYNCDASH_LOG_LEVEL",
    default="WARNING" if LOG_FORMAT == "text" else "INFO",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scan": {"()": "tracker.config.logs.ScanIdsFilter"},
        "task_arguments": {"()": "tracker.config.logs.TaskArgumentsFilter"},
    },
    "formatters": {
        "stdout": {
            "()": "tracker.config.logs.stdout_formatter",
            "log_format": LOG_FORMAT,
        }
    },
    "handlers": {
        "stdout": {
            "class": "tracker.config.logs.TerminalHandler",
            "stream": "ext://sys.stdout",
            "formatter": "stdout",
            "filters": ["scan", "task_arguments"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    # Django's own handlers print plain text; send its lines to the root.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
