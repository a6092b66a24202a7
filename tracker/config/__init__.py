# Load the Celery app with Django (Celery's Django layout), so that shared
# tasks bind to it. Importing `tracker` alone does not load Celery.
from tracker.config.celery import app as celery_app

__all__ = ["celery_app"]
