"""Reading a conference's event stream as the page's EventSource does (shared by the stream tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from django.test import AsyncClient, Client

from .conftest import run_async


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
    client: Client,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    then: Callable[[], object] | None = None,
    until: Callable[[Stream], bool],
    timeout: float = 10,
) -> Stream:
    """Open `path` as the page's EventSource would, run `then()` (in a thread) once it is open,
    and read until `until(stream)` or the server ends it."""
    (stream,) = read_streams([(client, path)], headers=headers, then=then, until=until, timeout=timeout)
    return stream


def read_streams(
    opened: list[tuple[Client, str]],
    *,
    headers: dict[str, str] | None = None,
    then: Callable[[], object] | None = None,
    until: Callable[[Stream], bool],
    timeout: float = 10,
) -> list[Stream]:
    """Open several streams at once, each `(client, path)` as that client's page would, run
    `then()` (in a thread) once every one of them is open, and read each until `until(stream)`
    or the server ends it."""

    async def scenario() -> list[Stream]:
        responses = []
        for client, path in opened:
            async_client = AsyncClient()
            async_client.cookies = client.cookies
            responses.append(await async_client.get(path, headers=headers or {}))
        streams = [Stream(response.status_code, response.get("Content-Type", "")) for response in responses]
        if not all(getattr(response, "streaming", False) for response in responses):
            return streams
        readers = [aiter(response.streaming_content) for response in responses]
        all_open = asyncio.Event()
        waiting = [len(readers)]

        async def opened_all() -> None:
            if then is not None:
                await asyncio.to_thread(then)
            all_open.set()

        async def read(stream: Stream, chunks) -> None:
            buffer, started = "", False
            async for chunk in chunks:
                buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
                events, heartbeats, buffer = _parse(buffer)
                stream.events += events
                stream.heartbeats += heartbeats
                if not started:
                    started = True
                    waiting[0] -= 1
                    if waiting[0] == 0:
                        await opened_all()
                    else:
                        await all_open.wait()
                if until(stream):
                    return
            stream.ended = True

        try:
            await asyncio.wait_for(
                asyncio.gather(*(read(stream, chunks) for stream, chunks in zip(streams, readers, strict=True))),
                timeout,
            )
        finally:
            for chunks in readers:
                await chunks.aclose()
        return streams

    return run_async(scenario())


def roster_events(stream: Stream) -> list[Event]:
    return [event for event in stream.events if event.name == "roster"]
