"""The event stream of one conference page: the page's authorization, the poll's rows, on time."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group
from django.test import AsyncClient
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, assign_role
from conference_admin.dashboard import services
from conference_admin.live import roster as rosters

from ..dashboard.conftest import ESCALATION
from .conftest import run_async

pytestmark = pytest.mark.django_db(transaction=True)  # the streams' threads read the users too


@dataclass
class Event:
    name: str
    id: int | None
    data: str


@dataclass
class Stream:
    status: int
    content_type: str
    events: list[Event] = field(default_factory=list)
    heartbeats: int = 0
    ended: bool = False  # the server closed the stream


def _parse(text: str) -> tuple[list[Event], int, str]:
    events, heartbeats = [], 0
    *blocks, rest = text.split("\n\n")
    for block in blocks:
        lines = block.split("\n")
        if all(line.startswith(":") for line in lines):
            heartbeats += 1
            continue
        fields: dict[str, list[str]] = {}
        for line in lines:
            name, _, value = line.partition(": ")
            fields.setdefault(name, []).append(value)
        if "event" in fields:
            ids = fields.get("id")
            events.append(Event(fields["event"][0], int(ids[0]) if ids else None, "\n".join(fields.get("data", []))))
    return events, heartbeats, rest


def read_stream(
    client,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    then: Callable[[], object] | None = None,
    until: Callable[[Stream], bool],
    timeout: float = 10,
) -> Stream:
    """Open `path` as the page's EventSource would, run `then()` (in a thread) once it is open,
    and read until `until(stream)` or the server ends it."""

    async def scenario() -> Stream:
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        response = await async_client.get(path, headers=headers or {})
        stream = Stream(response.status_code, response.get("Content-Type", ""))
        if not getattr(response, "streaming", False):
            return stream
        chunks = aiter(response.streaming_content)
        buffer = ""

        async def read() -> None:
            nonlocal buffer
            started = False
            async for chunk in chunks:
                buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
                events, heartbeats, buffer = _parse(buffer)
                stream.events += events
                stream.heartbeats += heartbeats
                if not started and then is not None:
                    started = True
                    await asyncio.to_thread(then)
                if until(stream):
                    return
            stream.ended = True

        try:
            await asyncio.wait_for(read(), timeout)
        finally:
            await chunks.aclose()
        return stream

    return run_async(scenario())


@pytest.fixture
def lead(client, django_user_model):
    user = django_user_model.objects.create_user("lead")
    assign_role(user, LEAD)
    client.force_login(user)
    return user


def events_url(demo, name: str = ESCALATION) -> str:
    return reverse("conference-events", args=[demo.sid(name)])


def page_version(client, demo, name: str = ESCALATION) -> int:
    assert client.get(reverse("conference-detail", args=[demo.sid(name)])).status_code == 200
    version = rosters.current_version(demo.sid(name))
    assert version is not None
    return version


def roster_events(stream: Stream) -> list[Event]:
    return [event for event in stream.events if event.name == "roster"]


def test_a_change_is_pushed_with_the_changed_row_only_and_the_new_version(client, demo, lead) -> None:
    version = page_version(client, demo)
    carol, dave = demo.call_sid(ESCALATION, "agent:carol"), demo.call_sid(ESCALATION, "agent:dave")

    def mute_carol() -> None:
        services.participant_mute(actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=carol)

    stream = read_stream(
        client, f"{events_url(demo)}?version={version}", then=mute_carol, until=lambda s: bool(roster_events(s))
    )
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    (event,) = roster_events(stream)
    assert event.id == rosters.current_version(demo.sid(ESCALATION)) and event.id > version
    assert f'id="participant-{carol}"' in event.data and 'hx-swap-oob="true"' in event.data
    assert f"participant-{dave}" not in event.data  # only what changed
    assert 'id="roster-status-line"' in event.data
    assert "csrfmiddlewaretoken" not in event.data  # rendered as the poll's htmx answer is


def test_a_reconnect_with_last_event_id_gets_exactly_what_it_missed(client, demo, lead) -> None:
    version = page_version(client, demo)
    carol, dave = demo.call_sid(ESCALATION, "agent:carol"), demo.call_sid(ESCALATION, "agent:dave")
    services.participant_mute(actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=carol)  # while away

    stream = read_stream(
        client, events_url(demo), headers={"Last-Event-ID": str(version)}, until=lambda s: bool(roster_events(s))
    )
    (event,) = roster_events(stream)
    assert event.id == rosters.current_version(demo.sid(ESCALATION))
    assert f'id="participant-{carol}"' in event.data and f"participant-{dave}" not in event.data


def test_an_idle_stream_gets_heartbeats(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.1
    version = page_version(client, demo)
    stream = read_stream(client, f"{events_url(demo)}?version={version}", until=lambda s: s.heartbeats >= 2)
    assert stream.heartbeats >= 2 and roster_events(stream) == []


def test_anonymous_gets_no_stream(client, demo) -> None:
    stream = read_stream(client, events_url(demo), until=lambda s: True)
    assert stream.status == 302 and not stream.content_type.startswith("text/event-stream")


def test_a_user_without_the_view_permission_gets_no_stream(client, demo, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("nobody"))
    stream = read_stream(client, events_url(demo), until=lambda s: True)
    assert stream.status == 403 and not stream.content_type.startswith("text/event-stream")


def test_an_observer_gets_the_stream(client, demo, django_user_model) -> None:
    user = django_user_model.objects.create_user("watcher")
    assign_role(user, OBSERVER)
    client.force_login(user)
    stream = read_stream(client, events_url(demo), until=lambda s: bool(roster_events(s)))
    (event,) = roster_events(stream)  # no version: the whole table
    assert 'id="participant-rows"' in event.data
    assert "<form" not in event.data  # an observer's rows have no buttons


def test_an_unknown_conference_is_404(client, demo, lead) -> None:
    url = reverse("conference-events", args=["CF" + "0" * 32])
    stream = read_stream(client, url, until=lambda s: True)
    assert stream.status == 404


def test_logout_closes_the_stream(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    version = page_version(client, demo)
    stream = read_stream(
        client, f"{events_url(demo)}?version={version}", then=client.logout, until=lambda s: False, timeout=10
    )
    assert stream.ended and [event.name for event in stream.events] == ["closed"]


def test_a_revoked_role_closes_the_stream(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    version = page_version(client, demo)
    stream = read_stream(
        client,
        f"{events_url(demo)}?version={version}",
        then=lambda: lead.groups.remove(Group.objects.get(name=LEAD)),
        until=lambda s: False,
    )
    assert stream.ended and [event.name for event in stream.events] == ["closed"]


def test_streams_per_user_are_bounded(client, demo, lead, settings) -> None:
    settings.PUSH_STREAMS_PER_USER = 1
    version = page_version(client, demo)
    url = f"{events_url(demo)}?version={version}"

    async def scenario() -> tuple[int, int]:
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        first = await async_client.get(url)
        chunks = aiter(first.streaming_content)
        await anext(chunks)  # open: it counts now
        try:
            second = await async_client.get(url)
        finally:
            await chunks.aclose()
        return first.status_code, second.status_code

    assert run_async(scenario()) == (200, 429)


def test_a_wsgi_server_answers_204_and_reads_nothing(client, demo, lead) -> None:
    """Under WSGI a stream would hold a worker thread: the browser is told not to reconnect
    (the page polls), before any roster read or reconcile."""
    demo.simulator.reset_request_log()
    # From a thread of its own: after a browser test, this one runs Playwright's event loop, and
    # the test client refuses to run an async view from a thread with a running loop.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(client.get, events_url(demo)).result()
    assert response.status_code == 204
    assert demo.simulator.request_log == []
    assert rosters.current_version(demo.sid(ESCALATION)) is None


def test_a_spent_lookup_share_answers_429_with_retry_after(client, demo, lead, settings) -> None:
    """As the poll and the page answer: not a 500 that the browser's reconnect repeats."""
    settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 1
    made_up = ["CF" + secrets.token_hex(16) for _ in range(2)]
    assert client.get(reverse("conference-detail", args=[made_up[0]])).status_code == 404  # the one lookup

    async def scenario():
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        return await async_client.get(reverse("conference-events", args=[made_up[1]]))

    response = run_async(scenario())
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many requests to Twilio from your account" in response.content.decode()
