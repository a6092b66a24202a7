"""The Celery app, in Celery's Django layout; configured from CELERY_* settings."""

import os
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler
from celery.schedules import crontab, schedule
from kombu.transport import redis as kombu_redis

from tracker.config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tracker.scanning"])  # tracker.scanning.tasks
app.autodiscover_tasks(["tracker.scanning"], related_name="beat")


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
            "task": "tracker.scanning.beat.weekly_scan",
            "schedule": when,
        }
    }


def stalled_scan_schedule(interval: int) -> dict:
    """Beat's look for scans a lost task message left running."""
    return {
        "resume-stalled-scans": {
            "task": "tracker.scanning.beat.scans_resume_stalled",
            "schedule": schedule(interval),
        }
    }


@app.on_after_configure.connect
def _schedule_weekly_scan(sender, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        **weekly_schedule(
            settings.ASYNCDASH_WEEKLY_SCAN,
            interval=settings.ASYNCDASH_WEEKLY_SCAN_INTERVAL,
        ),
        **stalled_scan_schedule(settings.ASYNCDASH_STALLED_SCAN_CHECK),
    }


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


def _close_without_a_transport(close):
    """Wrap kombu's Redis `Channel.close` for a channel outliving its transport.

    When Redis goes away while the worker waits on BRPOP with a task running,
    Celery collects the connection, then closes it. Collecting can leave the
    consuming channel open (its pending read fails first) yet detach the
    transport from its connection; closing the channel then tries to restore
    its unacknowledged messages through a new pool, built from a connection
    that is now None, and the AttributeError stops the worker ("Unrecoverable
    error") instead of letting it reconnect (kombu 5.7.0). Without a transport
    nothing can be restored here: the messages stay in Redis's unacked set,
    and come back after the visibility timeout as on any lost connection.
    """

    def wrapper(self):
        if self.connection is not None and self.connection.client is None:
            self.do_restore = False
        return close(self)

    wrapper.__wrapped__ = close
    return wrapper


if not hasattr(kombu_redis.Channel.close, "__wrapped__"):
    kombu_redis.Channel.close = _close_without_a_transport(kombu_redis.Channel.close)

signals.task_prerun.connect(logs.task_started, weak=False)
signals.task_postrun.connect(logs.task_finished, weak=False)
signals.before_task_publish.connect(logs.task_publishing, weak=False)
