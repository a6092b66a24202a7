"""Celery beat's tasks: the weekly scan, and dispatching lost scans again.

Apart from `tasks.py` because they request scans, and requesting a scan
queues the tasks there: `beat -> weekly -> requests -> tasks`, no circle.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from tracker.models import Project
from tracker.scanning import requests, weekly

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def weekly_scan() -> int:
    """Refresh every project's releases and scan what is new; returns scans.

    One project's failure (its upstream gone, PyPI refusing, its settings
    broken) is logged and stops no other project's refresh.
    """
    requested = 0
    for project in Project.objects.order_by("slug"):
        try:
            requested += len(weekly.weekly_scan_request(project=project))
        except Exception:  # noqa: BLE001 - any failure is this project's alone
            logger.exception("weekly scan of %s failed", project.slug)
    return requested


@shared_task
def scans_resume_stalled() -> int:
    """Dispatch again the scans a lost task message left running."""
    return requests.scans_resume_stalled(
        older_than=settings.ASYNCDASH_STALLED_SCAN_AFTER
    )
