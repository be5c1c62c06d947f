"""The dashboard's demo conferences and logged-in users, for the event-stream tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

from tests.dashboard.conftest import demo  # noqa: F401  (fixture)

T = TypeVar("T")


# How long the tasks a scenario leaves behind (the hub's checkers, its Redis channel) may take
# to end once cancelled; asyncio.run would wait for them without a bound.
CLEANUP_SECONDS = 5.0


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(scenario)
    finally:
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.wait(left, timeout=CLEANUP_SECONDS))
        loop.run_until_complete(asyncio.wait([loop.create_task(loop.shutdown_asyncgens())], timeout=CLEANUP_SECONDS))
        # The database connections the test client's synchronous hops opened: outside an ASGI
        # server they run on one long-lived thread, which would keep them open.
        closing = loop.create_task(sync_to_async(connections.close_all)())
        loop.run_until_complete(asyncio.wait([closing], timeout=CLEANUP_SECONDS))
        loop.close()


def run_async(scenario: Coroutine[Any, Any, T]) -> T:
    """Run `scenario` on a new event loop in its own thread (this thread may already run one:
    Playwright's sync API keeps a loop in the test thread for the whole session)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(_run, scenario).result()
