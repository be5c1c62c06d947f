"""The simulator's own WSGI application.

It reuses Django's request/URL machinery but none of the dashboard's middleware (login,
sessions, CSRF): one small middleware tags responses with a request id, turns crashes into
Twilio-shaped JSON and records each API request. Each handler wraps one `Simulator`, so several
simulators can be served from one process (tests do this).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import set_urlconf

from . import errors
from .engine import Simulator
from .errors import SimulatorError
from .views import error_response

logger = logging.getLogger(__name__)

URLCONF = "conference_admin.simulator.urls"
GetResponse = Callable[[HttpRequest], HttpResponse]


def simulator_middleware(get_response: GetResponse) -> GetResponse:
    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            response = get_response(request)
        except Exception:  # never Django's HTML debug page: clients expect Twilio JSON
            logger.exception("simulator crashed on %s %s", request.method, request.path)
            response = error_response(SimulatorError(errors.INTERNAL_ERROR, "Internal simulator error", 500))
        response["Twilio-Request-Id"] = "RQ" + secrets.token_hex(16)
        # An explicit length keeps the HTTP/1.1 connection open for the next request.
        response["Content-Length"] = str(len(response.content))
        record(request, response)
        return response

    return middleware


def record(request: HttpRequest, response: HttpResponse) -> None:
    """Log Twilio API calls (not control calls) so tests and benchmarks can count them."""
    operation = getattr(request, "operation", "Unknown")
    if operation.startswith("Control"):
        return
    params = {key: values for key, values in request.GET.lists()}
    if request.method == "POST":
        for key, values in request.POST.lists():
            params.setdefault(key, []).extend(values)
    status = 0 if getattr(request, "no_answer", False) else response.status_code
    request.simulator.record_request(  # type: ignore[attr-defined]
        request.method or "", request.path, params, status, operation, getattr(request, "fault", None)
    )


class SimulatorWSGIHandler(WSGIHandler):
    """A WSGI app serving one `Simulator` with the simulator's urlconf and middleware only."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        super().__init__()

    def __call__(self, environ: dict, start_response: Callable) -> object:
        response = super().__call__(environ, start_response)
        if environ.get("simulator.no_answer"):
            # A stall or reset fault: no HTTP answer at all. The request handler (server.py)
            # closes the socket with an RST; wsgiref treats ConnectionResetError as the client
            # going away, so nothing is written and nothing is logged.
            response.close()  # type: ignore[attr-defined]
            reset = environ.get("simulator.reset_connection")
            if reset is not None:
                reset()
            raise ConnectionResetError("simulated connection reset")
        return response

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(simulator_middleware(self._get_response))

    def get_response(self, request: HttpRequest) -> HttpResponse:
        # Skips BaseHandler.get_response's 4xx warning logs: errors are normal traffic here.
        set_urlconf(URLCONF)
        request.urlconf = URLCONF  # type: ignore[attr-defined]
        request.simulator = self.simulator  # type: ignore[attr-defined]
        response = self._middleware_chain(request)
        response._resource_closers.append(request.close)
        return response
