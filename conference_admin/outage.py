"""When a request needs something that is briefly unavailable: a clear 503, never a bare 500.

`server_error` is the project's `handler500`, the one place every unhandled exception of
every view and middleware reaches. A lost database connection, or a `TemporarilyUnavailable`
raised by our own code (a roster whose lock was held too long), answers 503 with one
sentence (and `Retry-After`), which the page's connection banner (static/connection.js)
shows while it retries; anything else is the ordinary 500.
"""

from __future__ import annotations

import logging
import sys

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
