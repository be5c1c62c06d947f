"""Clocks the simulator reads time from.

The engine never calls `datetime.now()` itself: tests drive a `ManualClock` so dial-out
progression is deterministic and instant, while the served simulator uses `SystemClock`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Protocol

# A fixed, recognisable start for manual clocks so test output is stable.
DEFAULT_MANUAL_START = datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Time that only moves when told to, so tests never sleep."""

    def __init__(self, start: datetime = DEFAULT_MANUAL_START) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


def rfc2822(moment: datetime) -> str:
    """`Fri, 18 Feb 2011 21:07:19 +0000`: every date of the 2010 API (resources and callbacks), as
    the SDK parses it."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))
