"""asyncdash's one Django app: releases, scans and what the analyzer found.

Rooms: `config/` (the Django project and the Celery app), `sources/` (git
mirror, PyPI, sdists; no Django), `scanning/` (requesting and running scans),
`web/` (pages and the API), `selectors.py` (reads shared by all of them).
"""
