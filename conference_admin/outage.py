"""When a request needs the database and cannot reach it: a clear 503, never a bare 500.

`server_error` is the project's `handler500`, the one place every unhandled exception of
every view and middleware reaches. A lost database connection answers 503 with one sentence
(and `Retry-After`), which the page's connection banner (static/connection.js) shows while
it retries; anything else is the ordinary 500.
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


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
        response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
