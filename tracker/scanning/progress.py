"""What a scan running in this process has done, for a terminal to show.

`tracker.scanning.steps` sends these as it goes; `manage.py scan` listens
when the scans run in-process (no REDIS_URL) and reads the Scan rows when
workers run them. Nothing else depends on them: no receiver, no effect.
"""

from django.dispatch import Signal

# scans: the Scan rows just prepared (blobs listed); missing: how many blobs
# of theirs the workers will analyse (the rest is in the cache).
scans_prepared = Signal()
# files: how many blobs one batch analysed into the cache.
batch_analysed = Signal()
# scan_id: a scan that has just ended, done or failed.
scan_ended = Signal()
