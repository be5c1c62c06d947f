"""The dashboard's demo conferences and logged-in users, for the event-stream tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tests.dashboard.conftest import demo  # noqa: F401  (fixture)

T = TypeVar("T")


def run_async(scenario: Coroutine[Any, Any, T]) -> T:
    """Run `scenario` on a new event loop in its own thread (this thread may already run one:
    Playwright's sync API keeps a loop in the test thread for the whole session)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario).result()
