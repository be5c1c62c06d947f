"""gunicorn settings for the production profile (see docs/DEPLOY.md).

Values come from the environment with defaults sized for a small internal server.
Threads matter more than processes here: most of a request's time is spent waiting
for Twilio, and threads share one Twilio connection pool per process.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(max(2, multiprocessing.cpu_count()))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Above the Twilio client's total bound (TWILIO_TOTAL_TIMEOUT, 20 s) so a slow upstream
# ends as a clear "outcome unknown" in the page, not as a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Requests are parsed by gunicorn's C parser (gunicorn_h1c, pinned in requirements.txt): about a
# tenth of an unchanged poll's CPU (docs/PERFORMANCE.md). Refuses to start without it.
http_parser = "fast"
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# The request id (X-Request-ID, docs/OPERATIONS.md) ends each access line, to find its app lines.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
errorlog = "-"
# The proxy in front sets X-Forwarded-*; only trust it when it is on this host.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """A worker that exits (restart, max_requests, crash) leaves its counters for the sum but
    not its live gauges (prometheus-client's multiprocess mode, docs/OPERATIONS.md)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
