"""HTTP plumbing of our own: the request type our views receive (Django's, with django-htmx's
`request.htmx` declared), `vary_on_htmx` and the response compression."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# On every view whose answer to a GET differs by the HX-Request header (a page or its fragment, a
# redirect or nothing): a cache (the browser's, for back and forward too) keys the two apart.
HX_REQUEST = "HX-Request"
vary_on_htmx = vary_on_headers(HX_REQUEST)


class CompressedPages(GZipMiddleware):
    """Pages and htmx fragments gzip-compressed (a changed refresh of one row: about 1.7 KB of
    markup, well under 1 KB on the wire). Streamed responses pass untouched: an event stream
    must reach the browser event by event, not when a compressor's buffer fills."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.streaming:
            return response
        return super().process_response(request, response)
