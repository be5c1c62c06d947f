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
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import set_urlconf

from . import errors
from .engine import Simulator
from .errors import SimulatorError
from .request import SimulatorRequest, simulator_request
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


def record(http_request: HttpRequest, response: HttpResponse) -> None:
    """Log Twilio API calls (not control calls) so tests and benchmarks can count them."""
    request = simulator_request(http_request)
    operation = request.operation
    if operation.startswith("Control"):
        return
    params = {key: values for key, values in request.GET.lists()}
    if request.method == "POST":
        for key, values in request.POST.lists():
            params.setdefault(key, []).extend(values)
    status = 0 if request.no_answer else response.status_code
    request.simulator.record_request(request.method or "", request.path, params, status, operation, request.fault)


class SimulatorWSGIHandler(WSGIHandler):
    """A WSGI app serving one `Simulator` with the simulator's urlconf and middleware only."""

    request_class = SimulatorRequest

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        super().__init__()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> HttpResponseBase:
        response = super().__call__(environ, start_response)
        if environ.get("simulator.no_answer"):
            # A stall or reset fault: no HTTP answer at all. The request handler (server.py)
            # closes the socket with an RST; wsgiref treats ConnectionResetError as the client
            # going away, so nothing is written and nothing is logged.
            response.close()
            reset = environ.get("simulator.reset_connection")
            if reset is not None:
                reset()
            raise ConnectionResetError("simulated connection reset")
        return response

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        # django-stubs leave out BaseHandler._get_response, Django's (private) view-calling step.
        view_step: GetResponse = self._get_response  # type: ignore[attr-defined]
        self._middleware_chain = convert_exception_to_response(simulator_middleware(view_step))

    def get_response(self, http_request: HttpRequest) -> HttpResponseBase:
        # Skips BaseHandler.get_response's 4xx warning logs: errors are normal traffic here.
        request = simulator_request(http_request)
        set_urlconf(URLCONF)
        request.urlconf = URLCONF
        request.simulator = self.simulator
        response = self._middleware_chain(request)
        if not isinstance(response, HttpResponseBase):  # only an async chain answers an awaitable
            raise TypeError("the simulator's middleware chain is synchronous")
        # As BaseHandler.get_response does; django-stubs leave out the private _resource_closers.
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        return response
