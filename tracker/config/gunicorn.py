"""gunicorn's own lines (errors and access) on stdout, like the rest: JSON,
or readable text on a terminal (`ASYNCDASH_LOG_FORMAT`, tracker/config/logs.py).

gunicorn.conf.py names `JsonLogger`; gunicorn reads that file from its
working directory, so the command line stays the plain one.
"""

import logging
import os
import sys

from gunicorn.glogging import Logger

from tracker.config.logs import stdout_formatter


def _log_format() -> str:
    # The master reads the settings (not the apps) to learn the format.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")
    from django.conf import settings

    return settings.LOG_FORMAT


class JsonLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        log_format = _log_format()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not getattr(handler, "_gunicorn", False):
                    continue
                handler.setFormatter(stdout_formatter(log_format))
                # gunicorn writes errors to stderr; one stream is easier to ship.
                if type(handler) is logging.StreamHandler:
                    handler.setStream(sys.stdout)

    def access(self, resp, req, environ, request_time) -> None:
        """One line per request, its fields as JSON keys, not a format string."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(
            "%s %s %s",
            atoms["m"],
            atoms["U"],
            atoms["s"],
            extra={
                "remote_addr": atoms["h"],
                "method": atoms["m"],
                "path": atoms["U"],
                "query": atoms["q"],
                "status": int(atoms["s"]),
                "bytes": atoms["B"],
                "duration_ms": atoms["M"],
                "protocol": atoms["H"],
                "user_agent": atoms["a"],
            },
        )
