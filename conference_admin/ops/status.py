"""Which dependency is down, as far as this process knows, for the page's banner.

Read from what the process already knows, never by a check of its own per request:

- the readiness checks' last result (`readiness.last_result`), run again at most once every
  `DEPENDENCY_STATUS_SECONDS` per process (single-flight) by whichever banner refresh finds it
  older than that;
- the cache's own `degraded` flag (this process answers from its own memory because Redis failed);
- the outcome of this process's last Twilio calls (an observer of the dashboard's client): the
  last call not answered, or answered with a 5xx, within `TWILIO_DOWN_WINDOW_SECONDS` and not
  followed by a call Twilio answered, means Twilio is having trouble even when its host answers
  the readiness check's bare HEAD.

Only the names of the dependencies leave this module: no host, no error text.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.core.cache import cache

from conference_admin.twilio.client import Exchange

from . import readiness

# In the order the banner lists them, with the sentence it shows.
LABELS = {
    "database": "The dashboard's database is unavailable: actions cannot be recorded, so they fail until it is back.",
    "redis": "The shared cache (Redis) is unavailable: this server works from its own memory; "
    "live updates from other servers may be late.",
    "twilio": "Twilio cannot be reached: the participants shown may be out of date and actions on calls may fail.",
}
# A Twilio failure older than this, with no call since, no longer counts (nobody asked Twilio).
TWILIO_DOWN_WINDOW_SECONDS = 60.0
_TWILIO_UNANSWERED = {"timeout", "unreachable", "dropped"}

_refreshing = threading.Lock()
_twilio = {"failed_at": 0.0, "answered_at": 0.0}


def twilio_call(exchange: Exchange) -> None:
    """Observer of every Twilio call: remembers when Twilio last failed and last answered."""
    now = time.monotonic()
    failed = exchange.outcome in _TWILIO_UNANSWERED or (
        exchange.outcome == "error" and exchange.status is not None and exchange.status >= 500
    )
    _twilio["failed_at" if failed else "answered_at"] = now


def _twilio_failing(now: float) -> bool:
    failed_at = _twilio["failed_at"]
    return failed_at > _twilio["answered_at"] and now - failed_at < TWILIO_DOWN_WINDOW_SECONDS


def _readiness(now: float) -> dict[str, bool]:
    """The last readiness result, refreshed when older than DEPENDENCY_STATUS_SECONDS by one
    request at a time (the others use the last one meanwhile)."""
    found = readiness.last_result()
    if found is not None and now - found[0] < settings.DEPENDENCY_STATUS_SECONDS:
        return found[1]
    if _refreshing.acquire(blocking=False):
        try:
            return readiness.readiness()
        finally:
            _refreshing.release()
    return found[1] if found is not None else {}


def dependencies_down(*, refresh: bool = True) -> list[str]:
    """The names (keys of LABELS) of the dependencies this process finds down now. Without
    `refresh` (a page being drawn) only what is already known: the checks never delay a page."""
    now = time.monotonic()
    if refresh:
        ready = _readiness(now)
    else:
        found = readiness.last_result()
        ready = found[1] if found is not None else {}
    down = {name for name, ok in ready.items() if not ok}
    if getattr(cache, "degraded", False):
        down.add("redis")
    if _twilio_failing(now):
        down.add("twilio")
    return [name for name in LABELS if name in down]


def banner_context(*, refresh: bool = True) -> dict[str, object]:
    down = dependencies_down(refresh=refresh)
    return {
        "dependencies_down": [{"name": name, "text": LABELS[name]} for name in down],
        "dependency_status_seconds": settings.DEPENDENCY_STATUS_SECONDS,
    }


def forget() -> None:
    """Tests: start from nothing known."""
    _twilio.update(failed_at=0.0, answered_at=0.0)
    readiness.forget()
