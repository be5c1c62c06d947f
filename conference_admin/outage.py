"""When a request needs something that is briefly unavailable: a clear 503, never a bare 500.

`server_error` is the project's `handler500`, the one place every unhandled exception of
every view and middleware reaches. A lost database connection, or a `TemporarilyUnavailable`
raised by our own code (a roster whose lock was held too long), answers 503 with one
sentence (and `Retry-After`), which the page's connection banner (static/connection.js)
shows while it retries; anything else is the ordinary 500.

`DependencyOutage`: how a dependency's outage is logged (once down, once back with how long).
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The dashboard's database is unavailable: try again in a moment."
RETRY_AFTER_SECONDS = 2


class TemporarilyUnavailable(Exception):
    """Raised where a request cannot be served right now but can be in a moment; `message`
    is the sentence the person reads."""

    message = "The dashboard is busy: try again in a moment."


def _unavailable(message: str) -> HttpResponse:
    response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
        return _unavailable(DATABASE_UNAVAILABLE)
    if isinstance(error, TemporarilyUnavailable):
        return _unavailable(error.message)
    return defaults.server_error(request)


class DependencyOutage:
    """A dependency that fails is said once when this process first finds it down and once when
    it is back, with how long it was out; not a line (or a traceback) per failed call.

        redis_pubsub = DependencyOutage("Redis pub/sub", log)
        try: publish(...)
        except RedisError as error: redis_pubsub.failed(error)
        else: redis_pubsub.succeeded()
    """

    def __init__(self, name: str, logger: logging.Logger) -> None:
        self.name = name
        self.logger = logger
        self.down_since: float | None = None
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, reason: object) -> None:
        with self._lock:
            self.failures += 1
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        self.logger.warning("%s is unavailable: %s", self.name, reason)

    def succeeded(self) -> None:
        if self.down_since is None:  # the common case: no lock, nothing to say
            return
        with self._lock:
            if self.down_since is None:
                return
            seconds, failures = time.monotonic() - self.down_since, self.failures
            self.down_since, self.failures = None, 0
        self.logger.warning("%s is back after %.1f s (%d failed calls meanwhile)", self.name, seconds, failures)
