"""The Celery app, in Celery's Django layout; configured from CELERY_* settings."""

import os
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler
from celery.schedules import crontab, schedule

from tracker.config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tracker.scanning"])


def weekly_schedule(spec: str, *, interval: int = 0) -> dict:
    """The beat schedule from crontab fields, e.g. "0 4 * * 1".

    A positive `interval` (seconds) replaces the crontab, for demonstrations
    and tests: a crontab's finest unit is a minute.
    """
    if interval > 0:
        when = schedule(interval)
    else:
        try:
            when = crontab.from_string(spec)
        except (TypeError, ValueError) as exc:
            # from_string unpacks the fields; give the setting's name instead.
            raise ValueError(
                f"ASYNCDASH_WEEKLY_SCAN needs 5 crontab fields: {spec!r}"
            ) from exc
    return {
        "weekly-scan": {
            "task": "tracker.scanning.tasks.weekly_scan",
            "schedule": when,
        }
    }


@app.on_after_configure.connect
def _schedule_weekly_scan(sender, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = weekly_schedule(
        settings.ASYNCDASH_WEEKLY_SCAN,
        interval=settings.ASYNCDASH_WEEKLY_SCAN_INTERVAL,
    )


class DataDirScheduler(PersistentScheduler):
    """Beat's default scheduler, creating the data folder its file lives in.

    A container's volume exists already; a fresh host's data folder may not.
    """

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Leave logging as Django's LOGGING set it: JSON lines on stdout.

    A receiver on this signal stops Celery from installing its own handlers.
    """


signals.task_prerun.connect(logs.task_started, weak=False)
signals.task_postrun.connect(logs.task_finished, weak=False)
signals.before_task_publish.connect(logs.task_publishing, weak=False)
