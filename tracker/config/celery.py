"""The Celery app, in Celery's Django layout; configured from CELERY_* settings."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tracker.scanning"])


def weekly_schedule(spec: str) -> dict:
    """The beat schedule from crontab fields, e.g. "0 4 * * 1"."""
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"ASYNCDASH_WEEKLY_SCAN needs 5 crontab fields: {spec!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return {
        "weekly-scan": {
            "task": "tracker.scanning.tasks.weekly_scan",
            "schedule": crontab(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
            ),
        }
    }


@app.on_after_configure.connect
def _schedule_weekly_scan(sender, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = weekly_schedule(settings.ASYNCDASH_WEEKLY_SCAN)
