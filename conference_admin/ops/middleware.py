"""Outermost middleware: every answer counted by view, method and status, and timed
(`RequestMetrics`); each request's id bound while it is served and returned (`RequestId`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from conference_admin import request_id

from . import metrics, settling


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:  # answered before URL resolution (the unchanged-poll fast path)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched"
    return match.view_name or "unnamed"


class RequestMetrics:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Started with the server process's first middleware load (never in a command).
        metrics.CacheFallbackSampler.start()
        settling.Runner.start()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        metrics.http_requests.labels(view, request.method or "", str(response.status_code)).inc()
        metrics.http_latency.labels(view).observe(time.perf_counter() - started)
        return response


class RequestId:
    """The request's id (an incoming well-formed `X-Request-ID`, else a new one) for its log lines,
    its audit records and its Twilio log lines, and in the response's `X-Request-ID`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with request_id.bound(request_id.accept(request.headers.get(request_id.HEADER))) as rid:
            response = self.get_response(request)
        response[request_id.HEADER] = rid
        return response
