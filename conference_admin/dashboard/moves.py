"""Where a moved participant came from, so their row in the room they went to can say so and bring them back.

Twilio creates the room a move names on first join, so the room the call left cannot be read from the
room it joined. `services.participant_move` remembers it here (one cache key per call, kept for
`ARRIVAL_SECONDS`); `rows.build_rows` reads every row's in one `get_many`; bringing someone back
forgets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.cache import cache

from conference_admin.live.participants import participant_role
from conference_admin.live.roster import Roster

ARRIVAL_SECONDS = 12 * 3600  # longer than any call center's call


@dataclass(frozen=True)
class Arrival:
    """A participant moved into `to_room` from the conference `from_sid` (`from_room`) by `by`."""

    from_sid: str
    from_room: str
    to_room: str
    by: str


class NothingToBringBack(ValueError):
    """The room this participant came from is not known (never moved here, or forgotten)."""


def _key(call_sid: str) -> str:
    return f"moved:{call_sid}"


def arrival_key(call_sid: str) -> str:
    """The cache key of this call's arrival, for a caller that reads it along with other keys."""
    return _key(call_sid)


def remember_arrival(call_sid: str, arrival: Arrival) -> None:
    cache.set(_key(call_sid), arrival, timeout=ARRIVAL_SECONDS)


def forget_arrival(call_sid: str) -> None:
    cache.delete(_key(call_sid))


def arrival_of(call_sid: str) -> Arrival:
    arrival = cache.get(_key(call_sid))
    if not isinstance(arrival, Arrival):
        raise NothingToBringBack("Where this participant came from is no longer known.")
    return arrival


def arrivals(call_sids: Iterable[str], *, found: Mapping[str, object] | None = None) -> dict[str, Arrival]:
    """The arrivals of these calls, by call SID (one cache round trip; none when `found`
    holds their keys already, read along with something else)."""
    keys = {_key(call_sid): call_sid for call_sid in call_sids}
    if not keys:
        return {}
    if found is None:
        found = cache.get_many(list(keys))
    return {keys[key]: value for key, value in found.items() if key in keys and isinstance(value, Arrival)}


def move_warning(roster: Roster, call_sid: str) -> str:
    """What moving this participant out does to the room they are in, when it is worth asking first:
    their exit ends it for everyone (EndConferenceOnExit), they are the last one (Twilio ends it), or
    the last customer (the rest stay, talking among themselves). "" when nothing needs saying."""
    entry = roster.entries.get(call_sid)
    if entry is None:
        return ""
    name = entry.participant.identifier
    others = [e for sid, e in roster.entries.items() if sid != call_sid]
    if entry.participant.end_conference_on_exit:
        return f"{name} ends this conference on exit: moving them ends it for the {len(others)} others here."
    if not others:
        return f"{name} is the last one here: this conference ends when they leave."
    if participant_role(entry.participant.label) == "customer" and not any(
        participant_role(e.participant.label) == "customer" for e in others
    ):
        return f"{name} is the last customer here: the {len(others)} others stay in this conference without a customer."
    return ""
