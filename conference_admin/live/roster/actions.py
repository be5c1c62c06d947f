"""Actions in flight: while a supervisor's action waits for Twilio, every other supervisor's
row says "mute by sam, in flight".

The roster package owns the whole life of one:

- `begin`: ONE locked step reads the participant (roster and marks, as the lock is taken)
  and writes the mark (marks and meta only, the next version), unless the caller's `check`
  on what was read answers first (then nothing is written: e.g. a hold that must be
  confirmed). The view builds its answer from the snapshot it returns: no other read.
- the result: the action's own roster write (`transitions.record_*`, `store.mutate(...,
  settles=call_sid)`) records the participant as Twilio returned it and clears the marks on
  that participant in that same write; it starts from the roster `begin` read (offered to it,
  `store.offer_read`) unless the roster changed since, so Redis does not send it twice;
- `settle`: after the upstream call. When the action recorded no result (it failed), ONE
  locked step clears this flight's mark (only if it is still there). When two actions on one
  participant overlapped, the order of Twilio's answers says nothing about the final state:
  the reconcile lease is released so the next refresh lists the truth from Twilio.

`begin_many` marks many participants in ONE write (one version) for a bulk action; each
result then settles its own participant (one version each).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conference_admin.cache import Bucket

from .model import MARK_STALE_SECONDS, InFlight, RosterEntry, Snapshot
from .store import marks_step, offer_read, release_reconcile, withdraw_read

__all__ = ["Flight", "Spent", "begin", "begin_many", "settle"]


@dataclass
class Flight:
    """One action on one participant, from `begin` to `settle`."""

    conference_sid: str
    call_sid: str
    marker: InFlight
    snapshot: Snapshot  # the roster and its marks as `begin` read them
    overlapped: bool = False  # another action on this participant was in flight
    answered: Any = None  # what `check` answered instead: no mark was written, nothing is sent
    settled: bool = False
    found: dict[str, Any] = field(default_factory=dict)  # the caller's `also` keys, as read
    tokens: float | None = None  # what the caller's `bucket` held (below 1: nothing was marked)

    @property
    def entry(self) -> RosterEntry | None:
        return self.snapshot.roster.entries.get(self.call_sid)

    @property
    def marked(self) -> bool:
        return self.answered is None


@dataclass(frozen=True)
class Spent:
    """`Flight.answered` when the caller's bucket was empty: nothing was marked."""

    tokens: float


def _marker(actor: str, action: str) -> InFlight:
    return InFlight(secrets.token_hex(6), actor, action, time.time())


def _others(items: Iterable[InFlight], token: str, now: float) -> tuple[InFlight, ...]:
    """The fresh marks that are not `token`'s (a stale one belongs to an action long answered)."""
    return tuple(m for m in items if m.token != token and now - m.started < MARK_STALE_SECONDS)


def begin(
    conference_sid: str,
    call_sid: str,
    *,
    actor: str,
    action: str,
    check: Callable[[Snapshot], Any] | None = None,
    also: Sequence[str] = (),
    bucket: Bucket | None = None,
) -> Flight:
    """Read the participant and mark the action in flight, in ONE locked step.

    `check(snapshot)`: a rule on what was read; a truthy answer stops here (no mark, no new
    version) and is kept as `flight.answered`. `also`: other cache keys the caller needs,
    read in the same round trip (`flight.found`). `bucket`: a token bucket (the user's share of
    Twilio requests) to take one token from in that round trip too; when it is empty nothing is
    marked (`flight.tokens` below 1, `flight.marked` False)."""
    marker = _marker(actor, action)
    flight: Flight | None = None

    def change(snapshot: Snapshot) -> dict[str, tuple[InFlight, ...]] | None:
        nonlocal flight
        others = _others(snapshot.marks.by_call.get(call_sid, ()), marker.token, marker.started)
        flight = Flight(conference_sid, call_sid, marker, snapshot, overlapped=bool(others))
        flight.answered = check(snapshot) if check is not None else None
        if flight.answered:
            return None
        return {call_sid: (*others, marker)}

    withdraw_read()
    step = marks_step(conference_sid, change, also=also, bucket=bucket)
    if flight is None:  # the bucket was empty: `change` was not asked
        flight = Flight(conference_sid, call_sid, marker, step.snapshot, answered=Spent(step.tokens or 0.0))
    flight.found, flight.tokens = step.found, step.tokens
    if flight.marked:  # its result write starts from this read unless the roster changed since
        offer_read(conference_sid, call_sid, step.snapshot)
    return flight


def begin_many(conference_sid: str, call_sids: Iterable[str], *, actor: str, action: str) -> list[Flight]:
    """Mark one action on many participants in flight in ONE locked step (one version)."""
    sids = list(dict.fromkeys(call_sids))
    flights: list[Flight] = []

    def change(snapshot: Snapshot) -> dict[str, tuple[InFlight, ...]]:
        flights.clear()
        marks = {}
        for call_sid in sids:
            marker = _marker(actor, action)
            others = _others(snapshot.marks.by_call.get(call_sid, ()), marker.token, marker.started)
            flights.append(Flight(conference_sid, call_sid, marker, snapshot, overlapped=bool(others)))
            marks[call_sid] = (*others, marker)
        return marks

    if sids:
        marks_step(conference_sid, change)
    return flights


def settle(flight: Flight, *, recorded: bool = False) -> None:
    """After the upstream call. `recorded`: the action's own roster write recorded its result
    and cleared the mark in that write: nothing more to read or write. Otherwise ONE locked
    step clears this flight's mark if it is still there. Either way the reconcile lease is
    released if another action on the participant overlapped this one."""
    withdraw_read()
    if flight.settled or not flight.marked:
        return
    flight.settled = True
    if recorded:
        if flight.overlapped:
            release_reconcile(flight.conference_sid)
        return
    token = flight.marker.token

    def change(snapshot: Snapshot) -> dict[str, tuple[InFlight, ...]] | None:
        items = snapshot.marks.by_call.get(flight.call_sid, ())
        if token not in {m.token for m in items}:
            return None  # the result's write cleared it
        others = _others(items, token, time.time())
        flight.overlapped = flight.overlapped or bool(others)
        return {flight.call_sid: others}

    marks_step(flight.conference_sid, change, read_roster=False)
    if flight.overlapped:
        release_reconcile(flight.conference_sid)
