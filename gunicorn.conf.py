"""gunicorn settings, read automatically when gunicorn starts in this folder.

Threaded workers: the sync worker would kill a long streaming CSV export at `timeout`.
"""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 120
graceful_timeout = 30
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


class RedactingLogger(Logger):
    """Invite links carry a one-time secret in their path: never write it to a log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = re.sub(r"^/invite/[^/?]+", "/invite/[redacted]", atoms.get("U", ""))
        return atoms


logger_class = RedactingLogger


def on_starting(server):
    # The app refuses per-process rate-limit counters when there is more than one worker.
    os.environ["GUNICORN_WORKERS"] = str(server.cfg.workers)
