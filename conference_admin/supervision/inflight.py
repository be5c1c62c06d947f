"""Actions in flight, so every supervisor sees "mute by sam, in flight" on that row.

A marker lives in the cache (one entry per conference, keyed by call SID) for the
duration of the upstream call. Setting or clearing one touches the participant's roster
entry, so the row is part of everyone's next version-based refresh. When two actions on
one participant overlapped, the order of Twilio's answers says nothing about the final
state: the reconcile lease is released so the next refresh lists the truth from Twilio.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache

from conference_admin.live import roster as rosters

# An upstream call lasts at most TWILIO_TOTAL_TIMEOUT (20 s); an older marker is a crashed request's.
STALE_SECONDS = 60


@dataclass(frozen=True)
class InFlight:
    token: str
    actor: str
    action: str
    started: float


def _key(conference_sid: str) -> str:
    return f"supervision:inflight:{conference_sid}"


def load(conference_sid: str, *, now: float | None = None) -> dict[str, list[InFlight]]:
    """Markers by call SID (stale ones left out): one cache read."""
    now = time.time() if now is None else now
    markers = cache.get(_key(conference_sid)) or {}
    fresh = {sid: [m for m in items if now - m.started < STALE_SECONDS] for sid, items in markers.items()}
    return {sid: items for sid, items in fresh.items() if items}


def _touch(roster, call_sid: str, version: int) -> bool:
    entry = roster.entries.get(call_sid)
    if entry is None:
        return False
    entry.changed_version = version
    return True


class Flight:
    """`with Flight(conference_sid, call_sid, actor="sam", action="mute"): <one upstream call>`"""

    def __init__(self, conference_sid: str, call_sid: str, *, actor: str, action: str) -> None:
        self.conference_sid, self.call_sid = conference_sid, call_sid
        self.marker = InFlight(secrets.token_hex(6), actor, action, time.time())
        self.overlapped = False

    def start(self) -> None:
        def change(roster, version: int) -> bool:
            markers = cache.get(_key(self.conference_sid)) or {}
            others = markers.get(self.call_sid, [])
            self.overlapped = self.overlapped or bool(others)
            markers[self.call_sid] = [*others, self.marker]
            cache.set(_key(self.conference_sid), markers, timeout=STALE_SECONDS)
            return _touch(roster, self.call_sid, version)

        rosters.mutate(self.conference_sid, change)

    def finish(self) -> None:
        known = rosters.load(self.conference_sid)
        entry = known.entries.get(self.call_sid) if known else None
        if entry is not None and entry.fresh_at >= self.marker.started:
            # The action recorded its result (a new row version that hides this marker):
            # clearing the marker needs no second roster write and no extra version.
            self._drop_marker()
            return

        def change(roster, version: int) -> bool:
            markers = cache.get(_key(self.conference_sid)) or {}
            items = [m for m in markers.get(self.call_sid, []) if m.token != self.marker.token]
            self.overlapped = self.overlapped or bool(items)
            if items:
                markers[self.call_sid] = items
            else:
                markers.pop(self.call_sid, None)
            cache.set(_key(self.conference_sid), markers, timeout=STALE_SECONDS)
            return _touch(roster, self.call_sid, version)

        rosters.mutate(self.conference_sid, change)
        if self.overlapped:
            rosters.release_reconcile(self.conference_sid)

    def _drop_marker(self) -> None:
        markers = cache.get(_key(self.conference_sid)) or {}
        items = [m for m in markers.get(self.call_sid, []) if m.token != self.marker.token]
        self.overlapped = self.overlapped or bool(items)
        if items:
            markers[self.call_sid] = items
        else:
            markers.pop(self.call_sid, None)
        cache.set(_key(self.conference_sid), markers, timeout=STALE_SECONDS)
        if self.overlapped:
            rosters.release_reconcile(self.conference_sid)

    def __enter__(self) -> Flight:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()
