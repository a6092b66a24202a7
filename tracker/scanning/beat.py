"""Celery beat's tasks: the weekly scan, and dispatching lost scans again.

Apart from `tasks.py` because they request scans, and requesting a scan
queues the tasks there: `beat -> weekly -> requests -> tasks`, no circle.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from tracker.models import Project
from tracker.scanning import requests, weekly


@shared_task(acks_late=True)
def weekly_scan() -> int:
    """Refresh every project's releases and scan what is new; returns scans."""
    requested = 0
    for project in Project.objects.all():
        requested += len(weekly.weekly_scan_request(project=project))
    return requested


@shared_task
def scans_resume_stalled() -> int:
    """Dispatch again the scans a lost task message left running."""
    return requests.scans_resume_stalled(
        older_than=settings.ASYNCDASH_STALLED_SCAN_AFTER
    )
