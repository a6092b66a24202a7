"""Celery is configured as the settings say (a misspelt setting is silent)."""

import pytest
from celery import signals
from celery.schedules import crontab, schedule
from django.conf import settings

from tracker.config.celery import DataDirScheduler, app, weekly_schedule


def test_time_limits_reach_celery_and_stay_below_the_visibility_timeout():
    conf = app.conf
    assert conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert conf.task_soft_time_limit < conf.task_time_limit
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_time_limit < visibility


def test_tasks_ack_late_and_come_back_when_their_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_embedded_default_runs_tasks_in_process():
    assert not settings.REDIS_URL
    assert app.conf.task_always_eager is True


def test_weekly_scan_defaults_to_monday_four_utc():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["weekly-scan"]
    assert entry["task"] == "tracker.scanning.beat.weekly_scan"
    assert entry["schedule"] == crontab(minute="0", hour="4", day_of_week="1")
    assert "tracker.scanning.beat.weekly_scan" in app.tasks
    assert app.conf.timezone == "UTC"


def test_weekly_schedule_is_set_by_crontab_fields():
    schedule = weekly_schedule("30 2 * * 0")["weekly-scan"]["schedule"]
    assert schedule == crontab(minute="30", hour="2", day_of_week="0")


def test_a_malformed_weekly_schedule_names_the_setting():
    with pytest.raises(ValueError, match="ASYNCDASH_WEEKLY_SCAN needs 5 crontab"):
        weekly_schedule("0 4 * *")


def test_an_interval_replaces_the_crontab_for_tests():
    entry = weekly_schedule("0 4 * * 1", interval=3)["weekly-scan"]
    assert entry["schedule"] == schedule(3)


def test_celery_leaves_logging_to_django():
    """Celery installs no handler of its own: Django's JSON lines stay."""
    assert app.conf.worker_hijack_root_logger is False
    assert signals.setup_logging.receivers


def test_beat_keeps_its_schedule_in_the_data_folder(tmp_path):
    """A fresh host's data folder may not exist yet: beat creates it."""
    assert app.conf.beat_schedule_filename == str(
        settings.DATA_DIR / "celerybeat-schedule"
    )
    filename = tmp_path / "new" / "data" / "celerybeat-schedule"
    scheduler = DataDirScheduler(app=app, schedule_filename=str(filename), lazy=True)

    scheduler.setup_schedule()
    scheduler.close()

    assert list(filename.parent.glob("celerybeat-schedule*"))


def test_a_redis_restart_is_waited_out_not_a_failure():
    """A worker waits for Redis at start as when it loses it, a result that
    cannot be stored yet is retried, and a task running when the broker
    drops finishes rather than waiting out the visibility timeout."""
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.result_backend_always_retry is True
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss is False


def test_beat_looks_for_stalled_scans_as_often_as_the_settings_say():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["resume-stalled-scans"]
    assert entry["task"] == "tracker.scanning.beat.scans_resume_stalled"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == schedule(settings.ASYNCDASH_STALLED_SCAN_CHECK)
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility == settings.ASYNCDASH_STALLED_SCAN_AFTER


def test_a_chord_part_is_recorded_through_a_redis_restart(monkeypatch):
    """Celery runs a chord's join step once: a ConnectionError while Redis
    restarts failed a healthy batch, and the scan with it. Ours retries it
    under the result backend's retry policy."""
    from celery.backends.redis import RedisBackend
    from redis.exceptions import ConnectionError as RedisConnectionError

    from tracker.config.results import RedisResults

    calls = []

    def flaky(self, request, state, result, **kwargs):
        calls.append((request, state, result, kwargs))
        if len(calls) < 3:
            raise RedisConnectionError("Connection closed by server.")
        return "recorded"

    monkeypatch.setattr(RedisBackend, "on_chord_part_return", flaky)
    backend = RedisResults(app=app, url="redis://127.0.0.1:1/0")
    monkeypatch.setattr(backend, "on_connection_error", lambda *a: 0)  # no waits

    assert backend.on_chord_part_return("req", "SUCCESS", None, propagate=True) == (
        "recorded"
    )
    assert calls == [("req", "SUCCESS", None, {"propagate": True})] * 3


def test_the_result_backend_is_ours_with_redis_and_in_memory_without():
    from celery.app.backends import by_url

    from tracker.config.results import RedisResults

    url = "tracker.config.results:RedisResults+redis://127.0.0.1:6379/0"
    assert by_url(url, loader=app.loader) == (RedisResults, "redis://127.0.0.1:6379/0")
    assert settings.CELERY_RESULT_BACKEND.startswith(
        "tracker.config.results:RedisResults+redis"
    ) == bool(settings.REDIS_URL)
    policy = settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["retry_policy"]
    assert policy["max_retries"] * policy["interval_max"] >= 120
