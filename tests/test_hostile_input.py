"""No value a request carries can make the dashboard answer 5xx.

Every view of the URLconf (walked, so a new view is covered without touching this file; the
Django admin and the signature-checked webhooks' bodies aside), signed in as an Observer and as
an Admin, GET and POST: each query or form value the view reads (found by reading its own
baseline request, so a new parameter is covered too), and the headers the pages read
(`Last-Event-ID`, htmx's `HX-*`), set one at a time to each hostile value: non-ASCII digits,
5000 digits, a number too big for 64 bits, a negative one, empty, the first and last days of
the calendar, a NUL byte. The live stream is opened as the browser's EventSource is (ASGI) and
its status and first chunk read within a bounded time; a streamed CSV is read to its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.test import AsyncClient, Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conference_admin.access.roles import ADMIN, OBSERVER, assign_role
from conference_admin.history.models import ConferenceRecord

from .dashboard.conftest import ESCALATION, demo  # noqa: F401  (fixture)
from .push.conftest import run_async

pytestmark = pytest.mark.django_db(transaction=True)  # the stream's thread reads the users too

HOSTILE = {
    "superscript two": "²",
    "arabic-indic digits": "٣٤",
    "5000 digits": "9" * 5000,
    "26 digits": "9" * 26,
    "negative": "-1",
    "empty": "",
    "year 9999": "9999-12-31",
    "year 0001": "0001-01-01",
    "NUL": "1\x00",
}
# Headers some page reads; django-htmx reads the HX-* ones for every request.
HEADERS = (
    "Last-Event-ID",
    "HX-Request",
    "HX-Target",
    "HX-Trigger",
    "HX-Trigger-Name",
    "HX-Current-URL",
    "HX-Boosted",
    "HX-History-Restore-Request",
    "HX-Prompt",
)
# Values every view is sent even if its baseline request did not read them (a branch the
# baseline does not take may).
ALWAYS = ("version", "from", "page")
STREAM_SECONDS = 5.0
SKIPPED_PREFIXES = ("admin/", "webhooks/")  # Django's own admin; unsigned webhooks are refused unread


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    callback: Callable[..., Any]
    converters: tuple[str, ...]


def _walk(patterns: list, prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = tuple(getattr(entry.pattern, "converters", {}))
            yield Route(entry.name, route, entry.callback, converters)


ROUTES = [r for r in _walk(get_resolver().url_patterns) if not r.route.lstrip("^").startswith(SKIPPED_PREFIXES)]


@contextmanager
def reads_recorded() -> Iterator[set[str]]:
    """The names of the query and form values read while inside."""
    names: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in ("__getitem__", "get", "getlist", "__contains__")}

    def recording(original):
        def read(self, key, *args, **kwargs):
            names.add(key)
            return original(self, key, *args, **kwargs)

        return read

    for name, original in originals.items():
        setattr(QueryDict, name, recording(original))
    try:
        yield names
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)


class Visitor:
    """Sends one request to one route as one signed-in user; answers (status, what broke)."""

    def __init__(self, user, route: Route, path: str) -> None:
        self.route, self.path = route, path
        self.client = Client(raise_request_exception=False)
        self.client.force_login(user)
        self.stream = iscoroutinefunction(route.callback)

    def send(self, method: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        if self.stream:
            return self._stream(method, data, headers)
        try:
            send = self.client.get if method == "GET" else self.client.post
            response = send(self.path, data, headers=headers)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        except Exception as broke:  # a streamed body that breaks off mid-download
            return 500, repr(broke)[:200]
        return response.status_code, ""

    def _stream(self, method: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        async def scenario() -> tuple[int, str]:
            client = AsyncClient(raise_request_exception=False)
            client.cookies = self.client.cookies
            send = client.get if method == "GET" else client.post
            response = await asyncio.wait_for(send(self.path, data, headers=headers), STREAM_SECONDS)
            if not getattr(response, "streaming", False):
                return response.status_code, ""
            chunks = aiter(response.streaming_content)
            try:
                await asyncio.wait_for(anext(chunks), STREAM_SECONDS)
            except Exception as broke:
                return 500, repr(broke)[:200]
            finally:
                await chunks.aclose()
            return response.status_code, ""

        return run_async(scenario())


def _kwargs(route: Route, conference_sid: str, call_sid: str) -> dict[str, str]:
    values = {"conference_sid": conference_sid, "call_sid": call_sid, "action": "mute"}
    return {name: values.get(name, "x") for name in route.converters}


@pytest.fixture
def conference(demo) -> tuple[str, str]:  # noqa: F811
    """A live demo conference (known to history as well) and a call in it."""
    sid = demo.sid(ESCALATION)
    ConferenceRecord.objects.get_or_create(sid=sid, defaults={"friendly_name": ESCALATION})
    return sid, demo.call_sid(ESCALATION, "agent:carol")


def _on_the_wire(value: str) -> str:
    """A header as the server reads it: its bytes taken as Latin-1 (a raw 0xB2 byte is `²`;
    UTF-8 text arrives as its bytes)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode().decode("latin-1")
    return value


def hostile_requests(visitor: Visitor) -> Iterator[tuple[str, str, str, dict, dict]]:
    """(method, what, hostile value's name, data, headers) for each value the view reads."""
    for method in ("GET", "POST"):
        with reads_recorded() as read:
            status, _ = visitor.send(method, {}, {})
        if status == 405:
            continue
        names = sorted(read | set(ALWAYS))
        for kind, value in HOSTILE.items():
            for name in names:
                yield method, name, kind, {name: value}, {}
            for header in HEADERS:
                yield method, header, kind, {}, {header: _on_the_wire(value)}


@pytest.mark.timeout(600)  # a form with many fields is hundreds of requests
@pytest.mark.parametrize("role", [OBSERVER, ADMIN])
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_no_request_value_makes_a_view_answer_5xx(route: Route, role: str, conference) -> None:
    user = get_user_model().objects.create_user(f"hostile-{role.lower()}")
    assign_role(user, role)
    path = reverse(route.name, kwargs=_kwargs(route, *conference))
    visitor = Visitor(user, route, path)
    failures = []
    for method, name, kind, data, headers in hostile_requests(visitor):
        status, broke = visitor.send(method, data, headers)
        if status >= 500:
            failures.append(f"{method} {path} {name}={kind}: {status} {broke}")
    assert not failures, f"{len(failures)} hostile requests answered 5xx:\n" + "\n".join(failures)


def test_the_walk_covers_the_pages_the_issue_named() -> None:
    names = {route.name for route in ROUTES}
    assert {"history-list", "history-search", "history-search-export", "history-report", "conference-events"} <= names
    assert {"participant-table", "conference-detail", "audit-list", "audit-export"} <= names
