# The asyncdash image: web, worker, beat and migrate all run it (see
# docker-compose.yml for their commands).
FROM python:3.11-slim

# git: GitPython drives the git command line for the mirrors.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ASYNCDASH_DATA_DIR=/data \
    ASYNCDASH_SDIST_CACHE=/data/sdists \
    ASYNCDASH_STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
# The application's only: the test and lint tools are in requirements-dev.txt.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files, hashed and compressed, baked into the image (outside the data
# volume, so an upgrade's files are never hidden by an old volume). The key
# only lets the settings load (production refuses a weak one); it is thrown
# away with this step.
RUN DJANGO_PRODUCTION=1 \
    DJANGO_SECRET_KEY="$(python -c 'print(__import__("secrets").token_urlsafe(50))')" \
    python manage.py collectstatic --noinput

# An unprivileged user owns the data folder; a new named volume mounted at
# /data takes that ownership.
RUN useradd --system --create-home --uid 10001 asyncdash \
    && mkdir -p /data \
    && chown asyncdash:asyncdash /data
USER asyncdash
VOLUME ["/data"]

EXPOSE 8000
CMD ["gunicorn", "tracker.config.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--workers", "2", "--threads", "4", \
     "--access-logfile", "-"]
