"""One shared roster per watched conference, kept in Django's cache.

Every process (and every host, with Redis) sees the same roster. The package is split by
concern: `model` (what a roster is, and what changed since a version), `store` (cache keys,
the lock, the one read and one write of a change), `actions` (actions in flight: `begin`,
`settle`), `transitions` (one function per source of news: the dashboard's actions, each
status callback event, the reconciling list) and `refresh` (single-flight reconciliation
with Twilio). The names below are its public API.
"""

from . import store
from .actions import Flight, begin, begin_many, settle
from .model import (
    MARK_STALE_SECONDS,
    CallIdentity,
    InFlight,
    Marks,
    Roster,
    RosterDelta,
    RosterEntry,
    RosterMeta,
    Snapshot,
    with_fields,
)
from .refresh import COLD_START_WAIT, Fetch, refresh
from .store import (
    RosterBusy,
    current_version,
    key,
    load,
    load_marks,
    marks_step,
    meta_of,
    mutate,
    read_meta,
    refresh_interval,
    release_reconcile,
    snapshot,
)
from .transitions import (
    call_ended,
    call_progressed,
    callbacks_arriving,
    conference_ended,
    conference_started,
    participant_joined,
    participant_left,
    participant_speaking,
    participant_updated,
    reconcile,
    record_conference,
    record_participant,
    record_reconcile_failure,
    record_removed,
)

__all__ = [
    "COLD_START_WAIT",
    "CallIdentity",
    "MARK_STALE_SECONDS",
    "Fetch",
    "InFlight",
    "Marks",
    "Roster",
    "RosterDelta",
    "RosterEntry",
    "RosterBusy",
    "RosterMeta",
    "Snapshot",
    "call_ended",
    "call_progressed",
    "callbacks_arriving",
    "conference_ended",
    "conference_started",
    "current_version",
    "key",
    "load",
    "load_marks",
    "marks_step",
    "Flight",
    "begin",
    "begin_many",
    "settle",
    "meta_of",
    "mutate",
    "participant_joined",
    "participant_left",
    "participant_speaking",
    "participant_updated",
    "read_meta",
    "reconcile",
    "record_conference",
    "record_participant",
    "record_reconcile_failure",
    "record_removed",
    "refresh",
    "refresh_interval",
    "release_reconcile",
    "snapshot",
    "store",
    "with_fields",
]
