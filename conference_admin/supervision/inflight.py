"""Actions in flight, so every supervisor sees "mute by sam, in flight" on that row.

A mark lives beside the roster (`roster:<CF>:marks`, see conference_admin.live.roster.store)
for the duration of the upstream call. Setting or clearing one takes the next version on the
roster's version line without writing the roster, so the row is part of everyone's next
refresh. The action's own roster write clears its marks in that same write (the row now
shows the result), so `finish` usually only checks. When two actions on one participant
overlapped, the order of Twilio's answers says nothing about the final state: the reconcile
lease is released so the next refresh lists the truth from Twilio.
"""

from __future__ import annotations

import secrets
import time

from conference_admin.live import roster as rosters
from conference_admin.live.roster import InFlight

STALE_SECONDS = rosters.MARK_STALE_SECONDS

__all__ = ["STALE_SECONDS", "Flight", "InFlight", "load"]


def load(conference_sid: str, *, now: float | None = None) -> dict[str, list[InFlight]]:
    """Marks by call SID (stale ones left out): one cache read."""
    return rosters.load_marks(conference_sid).live(time.time() if now is None else now)


class Flight:
    """`with Flight(conference_sid, call_sid, actor="sam", action="mute"): <one upstream call>`"""

    def __init__(self, conference_sid: str, call_sid: str, *, actor: str, action: str) -> None:
        self.conference_sid, self.call_sid = conference_sid, call_sid
        self.marker = InFlight(secrets.token_hex(6), actor, action, time.time())
        self.overlapped = False
        self.recorded = False  # set when the action's own roster write cleared the mark

    def _others(self, items: tuple[InFlight, ...]) -> tuple[InFlight, ...]:
        now = time.time()
        return tuple(m for m in items if m.token != self.marker.token and now - m.started < STALE_SECONDS)

    def start(self) -> None:
        before = rosters.change_marks(
            self.conference_sid, self.call_sid, lambda items: (*self._others(items), self.marker)
        )
        self.overlapped = self.overlapped or bool(self._others(before))

    def finish(self) -> None:
        mine = not self.recorded and self.marker.token in {
            m.token for m in rosters.load_marks(self.conference_sid).by_call.get(self.call_sid, ())
        }
        if mine:  # the action recorded no result (it failed): clear the mark, a new version
            before = rosters.change_marks(self.conference_sid, self.call_sid, self._others)
            self.overlapped = self.overlapped or bool(self._others(before))
        if self.overlapped:
            rosters.release_reconcile(self.conference_sid)

    def __enter__(self) -> Flight:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()
